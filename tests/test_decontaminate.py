"""decontaminate and url_filter: what is caught, what is not, where protected text comes from, precedence."""

from __future__ import annotations

import json
import random
from pathlib import Path

import orjson
import polars as pl
import pytest
from datatrove.data import Document

from conftest import run_cli, write_pipeline
from corpus.eval_split import split
from filters.decontaminate import ngram_hashes, redact, word_spans
from filters.url_filter import UrlFilter, UrlFilterParams

WORDS = ("river bank loan soil crop court judge engine motor cloud rain seed farm tax law field city "
         "market price grain wheat storm coast harbor ship iron steel coal bridge tower garden").split()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def write_jsonl(path, rows):
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))


def ledger(store, dataset="ds", v=1):
    return {r["id"]: r for r in pl.read_parquet(store / dataset / f"v{v}" / "ledger" / "*.parquet").to_dicts()}


def test_ngram_hashes_depend_on_words_and_order():
    a = ngram_hashes("the quick brown fox jumps".split(), 3)
    assert len(a) == 3 and len(set(a.tolist())) == 3
    assert ngram_hashes("the quick brown".split(), 3)[0] == a[0]
    assert ngram_hashes("quick the brown".split(), 3)[0] != a[0]
    assert len(ngram_hashes(["a", "b"], 3)) == 0


def test_redact_cuts_the_covered_words_only():
    text = "Keep this. one two three four five! Keep that."
    spans = word_spans(text)
    start = [w for _, _, w in spans].index("one")
    assert redact(text, spans, [start, start + 1], 4) == "Keep this. […]! Keep that."


def test_caught_verbatim_inside_other_text_not_paraphrase_or_short_overlap(tmp_path):
    rng = random.Random(1)
    item = sentence(rng, 30)  # the protected eval item
    words = item.split()
    (tmp_path / "eval.jsonl").write_text(json.dumps({"question": item}) + "\n")
    raw = tmp_path / "raw"
    raw.mkdir()
    paraphrase = list(words)
    for k in range(0, 30, 6):  # a word changed every 6 words: no 13-word window survives
        paraphrase[k] = "changed"
    write_jsonl(raw / "a.jsonl", [
        {"id": "quotes", "text": sentence(rng, 40) + ". As the benchmark says: " + item.upper() + "! " + sentence(rng, 40)},
        {"id": "paraphrase", "text": sentence(rng, 20) + " " + " ".join(paraphrase)},
        {"id": "short", "text": sentence(rng, 20) + " " + " ".join(words[:12]) + " " + sentence(rng, 20)},
        {"id": "clean", "text": sentence(rng, 60)},
    ])
    cfg = write_pipeline(tmp_path / "p.yaml", ["raw/a.jsonl"], id_field="id",
                         steps=[{"decontaminate": {"files": ["eval.jsonl"], "text_field": "question"}}])
    run_cli("run", cfg, store=tmp_path / "s", check=0)
    led = ledger(tmp_path / "s")
    assert led["quotes"]["removed_by"] == "decontaminate"
    assert led["quotes"]["reason"] == f"18 13-grams shared with eval set {tmp_path / 'eval.jsonl'}"
    assert led["paraphrase"]["kept"] and led["short"]["kept"] and led["clean"]["kept"]
    assert list((tmp_path / "s" / ".cache" / "decontaminate").glob("*.npz"))

    # redact keeps the document and cuts out the overlap
    cfg = write_pipeline(tmp_path / "p.yaml", ["raw/a.jsonl"], id_field="id", dataset="red",
                         steps=[{"decontaminate": {"files": ["eval.jsonl"], "text_field": "question", "mode": "redact"}}])
    run_cli("run", cfg, store=tmp_path / "s", check=0)
    data = pl.read_parquet(tmp_path / "s" / "red" / "v1" / "data" / "*.parquet")
    quoted = data.filter(pl.col("id") == "quotes")["text"][0]
    assert "[…]" in quoted and item.upper() not in quoted and quoted.startswith("As") is False


def test_a_runs_eval_split_is_protected_in_the_next_run(tmp_path):
    rng = random.Random(2)
    raw = tmp_path / "raw"
    raw.mkdir()
    docs = [{"id": f"d{i}", "text": sentence(rng, 40)} for i in range(60)]
    write_jsonl(raw / "a.jsonl", docs)
    s = tmp_path / "s"
    run_cli("run", write_pipeline(tmp_path / "p1.yaml", ["raw/a.jsonl"], id_field="id"), store=s, check=0)
    # a training run on ds@v1 as training writes it: its eval split is held out and scored
    held = split(sorted(docs, key=lambda r: r["id"]), 0.1)[1]
    assert held
    run = s / "runs" / "r1"
    run.mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"run_id": "r1", "kind": "cpt", "model": {"ref": "micro"}, "result": {},
                                              "data": {"ref": "ds@v1", "eval_share": 0.1, "eval_docs": len(held)}}))
    # the next crawl quotes two eval documents inside new pages
    crawl = [{"id": f"n{i}", "text": sentence(rng, 30)} for i in range(5)]
    crawl += [{"id": "leak", "text": "Intro words here. " + held[0]["text"] + " Outro words."}]
    write_jsonl(raw / "b.jsonl", crawl)
    cfg = write_pipeline(tmp_path / "p2.yaml", ["raw/b.jsonl"], id_field="id", dataset="next",
                         steps=[{"decontaminate": {"against": ["runs"]}}])
    run_cli("run", cfg, store=s, check=0)
    led = ledger(s, "next")
    assert led["leak"]["removed_by"] == "decontaminate" and "ds@v1 (eval split)" in led["leak"]["reason"]
    assert sum(1 for r in led.values() if r["kept"]) == 5


@pytest.mark.parametrize("params,fragment", [
    ("{}", "name what to protect"),
    ("{against: [nope@v1]}", "no dataset 'nope'"),
    ("{files: [missing.jsonl]}", "no input files match"),
    ("{files: [e.jsonl], mode: drop}", "mode: 'drop' is not one of remove, redact"),
])
def test_decontaminate_config_errors(tmp_path, params, fragment):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.jsonl").write_text('{"text": "hello there"}\n')
    (tmp_path / "e.jsonl").write_text('{"text": "x"}\n')
    cfg = tmp_path / "p.yaml"
    cfg.write_text(f"dataset: x\ninput: {{paths: [raw]}}\nsteps: [{{decontaminate: {params}}}]\n")
    proc = run_cli("run", cfg, store=tmp_path / "s")
    assert proc.returncode == 2 and fragment in proc.stderr and "Traceback" not in proc.stderr


def url_doc(url):
    return Document(text="x", id="1", metadata={"url": url})


def test_url_filter_precedence_allow_then_deny_then_blocklist():
    f = UrlFilter(UrlFilterParams(allow_domains=["docs.shop.example"], deny_domains=["shop.example"],
                                  allow_patterns=[r"/press/"], deny_patterns=[r"[?&]utm_", r"/press/"]))
    assert f.filter(url_doc("https://www.shop.example/item")) == (False, "deny_domains: shop.example")
    assert f.filter(url_doc("https://docs.shop.example/guide")) is True  # allow beats deny
    assert f.filter(url_doc("https://news.example/a?utm_source=x")) == (False, "deny_patterns: [?&]utm_")
    assert f.filter(url_doc("https://news.example/press/1")) is True  # allow pattern beats deny pattern
    assert f.filter(url_doc("https://pornhub.com/video")) == (False, "blocklist: domain")
    assert f.filter(Document(text="x", id="2", metadata={})) is True  # no URL: passes
    allow = UrlFilter(UrlFilterParams(allow_domains=["pornhub.com"]))
    assert allow.filter(url_doc("https://pornhub.com/video")) is True  # user allow beats the bundled list
    off = UrlFilter(UrlFilterParams(blocklist=False))
    assert off.filter(url_doc("https://pornhub.com/video")) is True


def test_url_filter_through_corpus_run(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    write_jsonl(raw / "a.jsonl", [{"id": "a", "text": "fine page", "url": "https://farm.example.org/a"},
                                  {"id": "b", "text": "spam page", "url": "https://spam.example.net/b"},
                                  {"id": "c", "text": "no url at all"}])
    cfg = write_pipeline(tmp_path / "p.yaml", ["raw/a.jsonl"], id_field="id",
                         steps=[{"url_filter": {"deny_domains": ["example.net"], "blocklist": False}}])
    run_cli("run", cfg, store=tmp_path / "s", check=0)
    led = ledger(tmp_path / "s")
    assert led["a"]["kept"] and led["c"]["kept"]
    assert led["b"]["removed_by"] == "url_filter" and led["b"]["reason"] == "deny_domains: example.net"


def test_each_eval_set_is_indexed_once(tmp_path):
    from filters.decontaminate import DecontaminateParams

    class Store:
        root = tmp_path / "store"

    rng = random.Random(4)
    for name in ("a", "b"):
        (tmp_path / f"{name}.jsonl").write_text(json.dumps({"text": sentence(rng, 40)}) + "\n")
    said = []
    first = DecontaminateParams(files=[str(tmp_path / "a.jsonl")])
    first.prepare(Store, said.append)
    both = DecontaminateParams(files=[str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")])
    both.prepare(Store, said.append)
    indexed = [line for line in said if line.startswith("decontaminate: indexed")]
    assert indexed == [f"decontaminate: indexed {tmp_path / 'a.jsonl'} (28 13-grams)",
                       f"decontaminate: indexed {tmp_path / 'b.jsonl'} (28 13-grams)"]
    assert first.index_key != both.index_key
    again = DecontaminateParams(files=[str(tmp_path / "b.jsonl"), str(tmp_path / "a.jsonl")])
    again.prepare(Store, said.append)
    assert again.index_key == both.index_key and said[-1].endswith("index cached (" + Path(again.index_path).name + ")")
