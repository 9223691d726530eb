"""exact_dedup and minhash_dedup through `corpus run`: clusters, keep rules, chains, incremental."""

from __future__ import annotations

import random

import orjson
import polars as pl

from conftest import run_cli, write_pipeline

rng = random.Random(11)
VOCAB = [f"term{i}" for i in range(5000)]


def random_text(n_words: int) -> str:
    return " ".join(rng.choice(VOCAB) for _ in range(n_words))


def replace_block(text: str, start: int, length: int) -> str:
    words = text.split()
    words[start:start + length] = [f"new{rng.randrange(10**6)}" for _ in range(length)]
    return " ".join(words)


def write_jsonl(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))


def run(tmp_path, name, raw, steps, store=None, workers=2, check=0):
    cfg = write_pipeline(tmp_path / f"{name}.yaml", [str(raw)], id_field="id", steps=steps, workers=workers)
    return run_cli("run", cfg, store=store or tmp_path / "store", check=check)


def ledger(store, version="v1") -> pl.DataFrame:
    return pl.read_parquet(store / "ds" / version / "ledger" / "*.parquet").sort("id")


def test_exact_dedup_normalises_and_keeps_by_rule(tmp_path):
    raw = tmp_path / "raw" / "a.jsonl"
    write_jsonl(raw, [
        {"id": "a", "text": "Crop rotation keeps the soil healthy."},
        {"id": "b", "text": "crop rotation  keeps the SOIL healthy"},
        {"id": "c", "text": "Something else entirely."},
        {"id": "d", "text": "crop rotation keeps the soil healthy!!"},
    ])
    run(tmp_path, "first", raw.parent, [{"exact_dedup": {}}], store=tmp_path / "s1")
    led = ledger(tmp_path / "s1")
    assert led.filter(pl.col("kept"))["id"].to_list() == ["a", "c"]
    removed = led.filter(pl.col("removed_by") == "exact_dedup")
    assert removed["id"].to_list() == ["b", "d"]
    assert set(removed["dup_cluster"]) == {"a"} and removed["reason"][0] == "exact duplicate of a"

    run(tmp_path, "longest", raw.parent, [{"exact_dedup": {"keep": "longest", "punctuation": False}}],
        store=tmp_path / "s2")
    led = ledger(tmp_path / "s2")
    # keeping punctuation, "healthy.", "healthy" and "healthy!!" differ: nothing matches
    assert led.filter(pl.col("removed_by") == "exact_dedup").height == 0
    run(tmp_path, "longest2", raw.parent, [{"exact_dedup": {"keep": "longest"}}], store=tmp_path / "s3")
    led = ledger(tmp_path / "s3")
    assert led.filter(pl.col("kept"))["id"].to_list() == ["c", "d"]  # d (38 chars) is the longest of a, b, d


def test_near_duplicates_threshold_chains_and_short_documents(tmp_path):
    base = random_text(600)
    far = random_text(600)
    b = replace_block(base, 100, 40)  # J(base, b) about 0.86
    c = replace_block(b, 400, 40)  # J(b, c) about 0.86, J(base, c) about 0.74: a chain
    below = replace_block(far, 0, 200)  # J(far, below) about 0.5
    records = [{"id": "A", "text": base}, {"id": "B", "text": b}, {"id": "C", "text": c},
               {"id": "far", "text": far}, {"id": "far-edit", "text": below},
               {"id": "empty", "text": "!!! ???"}, {"id": "w1", "text": "word"}, {"id": "w2", "text": "Word."}]
    write_jsonl(tmp_path / "raw" / "a.jsonl", records)
    run(tmp_path, "p", tmp_path / "raw", [{"minhash_dedup": {"threshold": 0.8}}])
    led = ledger(tmp_path / "store")
    kept = set(led.filter(pl.col("kept"))["id"])
    assert kept == {"A", "far", "far-edit", "empty", "w1"}
    chain = led.filter(pl.col("id").is_in(["B", "C"]))
    assert set(chain["removed_by"]) == {"minhash_dedup"} and set(chain["dup_cluster"]) == {"A"}
    assert led.filter(pl.col("id") == "w2")["dup_cluster"][0] == "w1"
    assert led.filter(pl.col("id") == "empty")["dup_cluster"][0] is None


def test_dedup_is_deterministic_across_workers(tmp_path):
    records = []
    for i in range(60):
        text = random_text(120)
        records.append({"id": f"d{i}", "text": text})
        if i % 3 == 0:
            records.append({"id": f"d{i}-near", "text": replace_block(text, 10, 3)})
    for f in range(3):
        write_jsonl(tmp_path / "raw" / f"part-{f}.jsonl", records[f::3])
    results = []
    for workers in (1, 2):
        store = tmp_path / f"s{workers}"
        run(tmp_path, f"p{workers}", tmp_path / "raw", [{"exact_dedup": {}}, {"minhash_dedup": {}}], store=store,
            workers=workers)
        led = ledger(store)
        results.append(led.select("id", "kept", "dup_cluster").rows())
    assert results[0] == results[1]
    assert sum(1 for _, kept, _ in results[0] if not kept) >= 15


def test_incremental_dedup_against_previous_version(tmp_path):
    originals = [{"id": f"old{i}", "text": random_text(200)} for i in range(20)]
    write_jsonl(tmp_path / "raw" / "crawl-1.jsonl", originals)
    steps = [{"exact_dedup": {"against": "previous"}}, {"minhash_dedup": {"against": "previous"}}]
    run(tmp_path, "p", tmp_path / "raw", steps)
    assert (tmp_path / "store" / "ds" / "v1" / "index" / "minhash_dedup.parquet").is_file()

    new = [{"id": "copy", "text": originals[3]["text"]},
           {"id": "near", "text": replace_block(originals[7]["text"], 50, 4)},
           {"id": "fresh", "text": random_text(200)}]
    write_jsonl(tmp_path / "raw2" / "crawl-2.jsonl", new)
    run(tmp_path, "p", tmp_path / "raw2", steps)
    led = ledger(tmp_path / "store", "v2")
    assert led.height == 3  # only the new crawl is read
    by_id = {r["id"]: r for r in led.to_dicts()}
    assert by_id["fresh"]["kept"]
    assert by_id["copy"]["removed_by"] == "exact_dedup" and by_id["copy"]["dup_cluster"] == "old3"
    assert by_id["copy"]["reason"] == "exact duplicate of old3 in ds@v1"
    assert by_id["near"]["removed_by"] == "minhash_dedup" and by_id["near"]["dup_cluster"] == "old7"
    assert "in ds@v1" in by_id["near"]["reason"]
    why = run_cli("why", "ds@v2", "near", store=tmp_path / "store", check=0).stdout
    assert "near-duplicate of old7 in ds@v1" in why


def test_against_a_version_without_index_is_a_clear_error(tmp_path):
    write_jsonl(tmp_path / "raw" / "a.jsonl", [{"id": "x", "text": random_text(50)}])
    run(tmp_path, "plain", tmp_path / "raw", [])
    proc = run(tmp_path, "inc", tmp_path / "raw", [{"minhash_dedup": {"against": ["v1"]}}], check=2)
    assert "ds@v1 has no minhash_dedup index" in proc.stderr and "Traceback" not in proc.stderr
