"""End to end through the real CLI: each input format, the store layout, the ledger, versioning."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from conftest import run_cli, write_pipeline
from corpus.content_hash import of_data_dir
from corpus.ledger import DATA_SCHEMA, LEDGER_SCHEMA

MANIFEST_KEYS = {"version", "parent", "created_at", "inputs", "config", "config_hash", "code_version", "steps",
                 "content_hash"}


def ledger(version_dir: Path) -> pl.DataFrame:
    return pl.read_parquet(version_dir / "ledger" / "*.parquet")


def assert_version_layout(vdir: Path):
    assert (vdir / "manifest.json").is_file()
    assert sorted(p.name for p in vdir.iterdir()) == ["data", "ledger", "manifest.json"]
    assert all(p.name.startswith("part-") for p in (vdir / "data").iterdir())
    assert all(p.name.startswith("part-") for p in (vdir / "ledger").iterdir())
    m = json.loads((vdir / "manifest.json").read_text())
    assert MANIFEST_KEYS <= set(m)
    assert pl.read_parquet(vdir / "ledger" / "*.parquet").schema.names() == LEDGER_SCHEMA.names
    assert pl.read_parquet(vdir / "data" / "*.parquet").schema.names() == DATA_SCHEMA.names
    assert m["content_hash"] == of_data_dir(vdir / "data")
    return m


def test_jsonl_versions_ledger_and_readers(tmp_path, jsonl_input):
    raw, facts = jsonl_input
    store = tmp_path / "store"
    cfg = write_pipeline(tmp_path / "p.yaml", [str(raw)], id_field="id")
    proc = run_cli("run", cfg, store=store, check=0)
    assert proc.stdout.strip().splitlines()[-1] == "ds@v1"
    vdir = store / "ds" / "v1"
    m = assert_version_layout(vdir)

    led = ledger(vdir)
    assert led.height == facts["records"]  # one row per input record, the broken ones included
    assert led["kept"].sum() == facts["kept"]
    quarantined = led.filter(pl.col("removed_by") == "quarantine")
    reasons = dict(zip(quarantined["id"], quarantined["reason"]))
    assert set(reasons) == set(facts["quarantined"])
    for doc_id, fragment in facts["quarantined"].items():
        assert fragment in reasons[doc_id]
    assert m["totals"] == {"docs_in": 14, "docs_kept": 10, "docs_quarantined": 4,
                           "tokens_kept": int(led.filter("kept")["n_tokens"].sum()),
                           "chars_kept": int(led.filter("kept")["n_chars"].sum()), "token_estimate": "whitespace"}
    assert m["steps"][0] == {"name": "read", "docs_in": 14, "docs_out": 10, "tokens_in": m["steps"][0]["tokens_in"],
                             "tokens_out": m["steps"][0]["tokens_in"]}
    assert [f["relpath"] for f in m["inputs"]["files"]] == ["a.jsonl", "b.jsonl.gz", "c.jsonl.zst"]

    # data/ reads as it is with polars, DuckDB, pandas and datasets
    data_glob = str(vdir / "data" / "*.parquet")
    df = pl.read_parquet(data_glob)
    assert sorted(df["id"]) == sorted([f"p{i}" for i in range(5)] + ["g0", "g1", "g2", "z0", "z1"])
    assert df.filter(pl.col("id") == "p1")["url"][0] == "https://a.example/1"
    assert json.loads(df.filter(pl.col("id") == "p1")["metadata"][0]) == {"tag": 1}
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{data_glob}')").fetchall()[0][0] == 10
    import datasets

    ds = datasets.load_dataset("parquet", data_files=data_glob, split="train", cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == 10 and "text" in ds.column_names

    # unchanged inputs and config: nothing new, the same ref printed
    again = run_cli("run", cfg, store=store, check=0)
    assert again.stdout.strip().splitlines()[-1] == "ds@v1"
    assert "nothing new" in again.stderr
    assert sorted(p.name for p in (store / "ds").iterdir() if not p.name.startswith(".")) == ["v1"]

    # a changed config publishes v2 with parent v1
    cfg2 = write_pipeline(tmp_path / "p2.yaml", [str(raw)], id_field="id", steps=[{"min_length": {"min_chars": 10}}])
    proc = run_cli("run", cfg2, store=store, check=0)
    assert proc.stdout.strip().splitlines()[-1] == "ds@v2"
    m2 = assert_version_layout(store / "ds" / "v2")
    assert m2["parent"] == "ds@v1" and m2["version"] == 2
    assert m2["config_hash"] != m["config_hash"]
    assert m2["content_hash"] == m["content_hash"]  # the step removed nothing
    assert [s["name"] for s in m2["steps"]] == ["read", "min_length"]

    # going back to the first config finds v1 again instead of publishing a copy
    back = run_cli("run", cfg, store=store, check=0)
    assert back.stdout.strip().splitlines()[-1] == "ds@v1"
    assert not (store / "ds" / "v3").exists()


def test_changed_input_publishes_new_version(tmp_path, jsonl_input):
    raw, _ = jsonl_input
    store = tmp_path / "store"
    cfg = write_pipeline(tmp_path / "p.yaml", [f"{raw}/*.jsonl*"], id_field="id")
    run_cli("run", cfg, store=store, check=0)
    with open(raw / "a.jsonl", "ab") as f:
        f.write(b'{"id": "new", "text": "a brand new document about seed drills"}\n')
    proc = run_cli("run", cfg, store=store, check=0)
    assert proc.stdout.strip().splitlines()[-1] == "ds@v2"
    assert ledger(store / "ds" / "v2").height == 15


@pytest.mark.parametrize("fixture,fmt,extra", [
    ("parquet_input", "parquet", {"text_field": "content", "id_field": "doc"}),
    ("warc_input", "warc", {}),
    ("text_input", "text", {}),
    ("html_input", "html", {}),
])
def test_other_formats(request, tmp_path, fixture, fmt, extra):
    raw, facts = request.getfixturevalue(fixture)
    store = tmp_path / "store"
    cfg = write_pipeline(tmp_path / "p.yaml", [str(raw)], fmt=fmt, **extra)
    run_cli("run", cfg, store=store, check=0)
    vdir = store / "ds" / "v1"
    m = assert_version_layout(vdir)
    led = ledger(vdir)
    assert led.height == facts["records"]
    assert led["kept"].sum() == facts["kept"]
    q = led.filter(pl.col("removed_by") == "quarantine")
    if isinstance(facts.get("quarantined"), dict):
        reasons = dict(zip(q["id"], q["reason"]))
        assert set(reasons) == set(facts["quarantined"])
        for doc_id, fragment in facts["quarantined"].items():
            assert fragment in reasons[doc_id]
    else:
        assert q.height == facts.get("quarantined", 0)
    if "extract_removed" in facts:
        assert led.filter(pl.col("removed_by") == "extract").height == facts["extract_removed"]
        assert [s["name"] for s in m["steps"]] == ["read", "extract"]
    kept_text = pl.read_parquet(vdir / "data" / "*.parquet")["text"]
    assert all("<" not in t for t in kept_text), "HTML must be reduced to its text"


def test_warc_details(tmp_path, warc_input):
    raw, _ = warc_input
    store = tmp_path / "store"
    run_cli("run", write_pipeline(tmp_path / "p.yaml", [str(raw)], fmt="warc"), store=store, check=0)
    led = ledger(store / "ds" / "v1")
    png = led.filter(pl.col("removed_by") == "quarantine")
    assert "image/png" in png["reason"][0]
    data = pl.read_parquet(store / "ds" / "v1" / "data" / "*.parquet")
    assert data["url"][0] == "https://x.example/farm"
    assert "crop rotation" in data["text"][0] and "Home | About" not in data["text"][0]


def test_same_content_hash_with_one_and_two_workers(tmp_path, jsonl_input):
    raw, _ = jsonl_input
    hashes = set()
    for workers in (1, 2):
        cfg = write_pipeline(tmp_path / f"p{workers}.yaml", [str(raw)], workers=workers)
        run_cli("run", cfg, store=tmp_path / f"s{workers}", check=0)
        hashes.add(json.loads((tmp_path / f"s{workers}" / "ds" / "v1" / "manifest.json").read_text())["content_hash"])
    assert len(hashes) == 1


def test_derived_ids_are_stable_and_positional(tmp_path, jsonl_input):
    raw, _ = jsonl_input
    for name in ("s1", "s2"):
        run_cli("run", write_pipeline(tmp_path / "p.yaml", [str(raw)]), store=tmp_path / name, check=0)
    ids = [sorted(ledger(tmp_path / n / "ds" / "v1")["id"]) for n in ("s1", "s2")]
    assert ids[0] == ids[1]
    assert "a.jsonl:1" in ids[0] and "b.jsonl.gz:3" in ids[0]
