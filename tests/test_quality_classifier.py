"""quality_classifier: training from seeds, the card, scoring, the pipeline step, and the audit."""

from __future__ import annotations

import json
import random

import orjson
import polars as pl
import pytest

from conftest import run_cli, write_pipeline
from filters.classifier_training import TrainParams, balanced, train_classifier
from filters.quality_classifier import ClassifierModel, classifier_line

LEGAL = ["court", "appeal", "statute", "plaintiff", "judge", "ruling", "contract", "liability", "tort", "counsel"]
SPORT = ["match", "goal", "striker", "league", "coach", "season", "referee", "penalty", "stadium", "score"]
COMMON = ["the", "a", "of", "and", "in", "was", "for", "on", "that", "with", "this", "after", "before"]
SMALL = TrainParams(dim=16, bucket=5_000, epoch=20)


def topic_doc(rng: random.Random, words: list[str], n: int = 60) -> str:
    return " ".join(rng.choice(words) if rng.random() < 0.3 else rng.choice(COMMON) for _ in range(n)) + "."


def seeds(n_pos=40, n_neg=80, seed=0):
    rng = random.Random(seed)
    return [topic_doc(rng, LEGAL) for _ in range(n_pos)], [topic_doc(rng, SPORT) for _ in range(n_neg)]


def test_trains_scores_and_writes_a_card(tmp_path):
    pos, neg = seeds()
    card = train_classifier(pos, neg, tmp_path / "m.bin", SMALL)
    assert (tmp_path / "m.bin").is_file()
    on_disk = json.loads((tmp_path / "m.bin.json").read_text())
    assert on_disk == card
    assert card["split"] == {"train_positive": 32, "train_negative": 64, "heldout_positive": 8, "heldout_negative": 16}
    assert card["heldout"]["f1"] >= 0.9
    assert [row["threshold"] for row in card["thresholds"]] == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    recalls = [row["recall"] for row in card["thresholds"]]
    assert recalls == sorted(recalls, reverse=True)  # a higher threshold never finds more
    model = ClassifierModel(tmp_path / "m.bin")
    rng = random.Random(99)
    assert model.score(topic_doc(rng, LEGAL)) > 0.8
    assert model.score(topic_doc(rng, SPORT)) < 0.2


def test_training_is_deterministic(tmp_path):
    pos, neg = seeds()
    a = train_classifier(pos, neg, tmp_path / "a.bin", SMALL)
    b = train_classifier(pos, neg, tmp_path / "b.bin", SMALL)
    assert a["thresholds"] == b["thresholds"]
    assert (tmp_path / "a.bin").read_bytes() == (tmp_path / "b.bin").read_bytes()


@pytest.mark.parametrize("text", ["", "court", "Суд отклонил апелляцию истца.", "法院驳回了上诉。", "x" * 300_000])
def test_scores_any_text_between_0_and_1(tmp_path, text):
    pos, neg = seeds()
    train_classifier(pos, neg, tmp_path / "m.bin", SMALL)
    assert 0.0 <= ClassifierModel(tmp_path / "m.bin").score(text) <= 1.0


def test_text_form_is_one_lowercase_line():
    assert classifier_line("The Court,\nruled:\tYES") == "the court , ruled : yes"


def test_balance_repeats_the_smaller_class():
    a, b = balanced(["p1", "p2"], ["n1", "n2", "n3", "n4", "n5"])
    assert a == ["p1", "p2", "p1", "p2", "p1"] and len(b) == 5


def write_seeds(tmp_path):
    pos, neg = seeds()
    (tmp_path / "pos.jsonl").write_bytes(b"".join(orjson.dumps({"text": t}) + b"\n" for t in pos))
    (tmp_path / "neg.jsonl").write_bytes(b"".join(orjson.dumps({"text": t}) + b"\n" for t in neg))


def test_cli_train_then_pipeline_then_audit(tmp_path):
    write_seeds(tmp_path)
    proc = run_cli("classifier", "train", "--positive", tmp_path / "pos.jsonl", "--negative", tmp_path / "neg.jsonl",
                   "--out", tmp_path / "models" / "legal.bin", check=0)
    assert "precision" in proc.stdout and "legal.bin.json" in proc.stdout

    rng = random.Random(5)
    raw = tmp_path / "raw"
    raw.mkdir()
    rows = [{"id": f"legal{i}", "text": topic_doc(rng, LEGAL)} for i in range(12)]
    rows += [{"id": f"sport{i}", "text": topic_doc(rng, SPORT) + " Mail jane.doe@example.com now."} for i in range(8)]
    (raw / "a.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    cfg = write_pipeline(tmp_path / "p.yaml", ["raw/*.jsonl"], id_field="id",
                         steps=[{"quality_classifier": {"model": "models/legal.bin", "min_score": 0.5}}])
    store = tmp_path / "store"
    run_cli("run", cfg, store=store, check=0)
    ledger = pl.read_parquet(store / "ds" / "v1" / "ledger" / "*.parquet")
    assert ledger["quality_score"].null_count() == 0
    removed = ledger.filter(~pl.col("kept"))
    assert sorted(removed["id"]) == sorted(f"sport{i}" for i in range(8))
    assert set(removed["removed_by"]) == {"quality_classifier"}
    assert all(r.startswith("quality score 0.") and r.endswith("< min_score 0.5") for r in removed["reason"])
    data = pl.read_parquet(store / "ds" / "v1" / "data" / "*.parquet")
    assert (data["quality_score"] >= 0.5).all() and data.height == 12

    proc = run_cli("classifier", "audit", "ds@v1", "-n", "3", store=store, check=0)
    assert proc.stdout.count("kept") >= 3 and proc.stdout.count("removed") >= 3
    assert "sport" in proc.stdout and "legal" in proc.stdout
    assert "jane.doe@example.com" not in proc.stdout and "<EMAIL>" in proc.stdout

    # a retrained model at the same path is a different config, so the next run is a new version
    pos, neg = seeds(seed=1)
    train_classifier(pos, neg, tmp_path / "models" / "legal.bin", SMALL)
    proc = run_cli("run", cfg, store=store, check=0)
    assert proc.stdout.strip().splitlines()[-1] == "ds@v2"


def test_cli_rejects_too_few_seeds(tmp_path):
    (tmp_path / "pos.jsonl").write_text('{"text": "court appeal"}\n')
    (tmp_path / "neg.jsonl").write_text("".join('{"text": "goal match %d"}\n' % i for i in range(10)))
    proc = run_cli("classifier", "train", "--positive", tmp_path / "pos.jsonl", "--negative", tmp_path / "neg.jsonl",
                   "--out", tmp_path / "m.bin")
    assert proc.returncode == 2 and "need at least 5 positive documents, got 1" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_audit_of_a_version_without_the_step_is_a_clear_error(tmp_path, jsonl_input):
    raw, _ = jsonl_input
    cfg = write_pipeline(tmp_path / "p.yaml", [str(raw / "*.jsonl*")])
    run_cli("run", cfg, store=tmp_path / "s", check=0)
    proc = run_cli("classifier", "audit", "ds@v1", store=tmp_path / "s")
    assert proc.returncode == 2 and "has no quality_classifier step" in proc.stderr


def prose(rng: random.Random, words: list[str], sentences: int = 8) -> str:
    """Sentences in the shape the heuristic rules expect from real text."""
    out = []
    for _ in range(sentences):
        s = [rng.choice(words) if rng.random() < 0.3 else rng.choice(COMMON + [f"w{rng.randrange(400)}" for _ in range(3)])
             for _ in range(rng.randint(10, 16))]
        out.append(" ".join(s).capitalize() + ".")
    return "\n".join(out)


def test_all_filters_in_one_pipeline(tmp_path):
    """language, the four heuristic steps, the classifier and pii together: each reason where it belongs."""
    pos, neg = seeds()
    train_classifier(pos, neg, tmp_path / "legal.bin", SMALL)
    rng = random.Random(3)
    records = [{"id": f"legal{i}", "text": prose(rng, LEGAL)} for i in range(4)]
    records[0]["text"] += "\nWrite to the clerk at clerk@court.example.org for the ruling."
    records += [{"id": "sport", "text": prose(rng, SPORT)},
                {"id": "german", "text": "Das Gericht hat die Berufung des Klägers zurückgewiesen. " * 6},
                {"id": "stub", "text": "Click here."}]
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    steps = [{"language": {"keep": ["en"], "min_score": 0.3}}, {"gopher_quality": {}}, {"gopher_repetition": {}},
             {"c4_quality": {}}, {"fineweb_quality": {}},
             {"quality_classifier": {"model": str(tmp_path / "legal.bin")}}, {"pii": {}}]
    run_cli("run", write_pipeline(tmp_path / "p.yaml", [str(raw)], id_field="id", steps=steps),
            store=tmp_path / "s", check=0)
    led = {r["id"]: r for r in pl.read_parquet(tmp_path / "s" / "ds" / "v1" / "ledger" / "*.parquet").to_dicts()}
    assert [i for i in led if led[i]["kept"]] == [f"legal{i}" for i in range(4)], {i: led[i]["reason"] for i in led}
    assert led["german"]["removed_by"] == "language" and led["german"]["lang"] == "de"
    assert led["stub"]["removed_by"] in ("language", "gopher_quality")
    assert led["sport"]["removed_by"] == "quality_classifier"
    assert led["legal0"]["pii_found"]["email"] == 1
    text = pl.read_parquet(tmp_path / "s" / "ds" / "v1" / "data" / "*.parquet").filter(pl.col("id") == "legal0")["text"][0]
    assert "<EMAIL>" in text and "clerk@court" not in text
