"""ls, show, diff and why on crafted versions, checked against counts computed from the ledger."""

from __future__ import annotations

import polars as pl

from conftest import run_cli, write_pipeline
from corpus.store import Store
from corpus.store_queries import config_changes, diff, why


def test_diff_attributes_removals_to_steps(tmp_path, jsonl_input):
    raw, _ = jsonl_input
    store = tmp_path / "store"
    run_cli("run", write_pipeline(tmp_path / "a.yaml", [str(raw)], id_field="id"), store=store, check=0)
    # a second input file, and a step that removes the documents under 600 characters
    (raw / "d.jsonl").write_text('{"id": "short", "text": "tiny note"}\n{"id": "long", "text": "' + "word " * 200 + '"}\n')
    steps = [{"min_length": {"min_chars": 600}}]
    run_cli("run", write_pipeline(tmp_path / "b.yaml", [str(raw)], id_field="id", steps=steps), store=store, check=0)

    s = Store(store)
    a, b = s.resolve("ds@v1"), s.resolve("ds@v2")
    led_b = pl.read_parquet(s.path(b) / "ledger" / "*.parquet")
    data_a = pl.read_parquet(s.path(a) / "data" / "*.parquet")
    by_step = led_b.filter(pl.col("removed_by") == "min_length").join(data_a.select("id", "n_tokens"), on="id")
    d = diff(s, a, b)
    removed = {r["cause"]: (r["docs"], r["tokens"]) for r in d["removed"]}
    assert removed == {"removed by min_length": (by_step.height, by_step["n_tokens"].sum())}
    assert by_step.height > 0
    assert {r["cause"]: r["docs"] for r in d["added"]} == {"new input": 1}  # "long"; "short" was removed
    assert d["unchanged"] == data_a.height - by_step.height
    assert ("steps.min_length.min_chars", "(absent)", 600) in d["config_changes"]

    out = run_cli("diff", "ds@v1", "ds@v2", store=store, check=0).stdout
    assert "removed by min_length" in out and "new input" in out


def test_why_walks_the_steps(tmp_path, jsonl_input):
    raw, _ = jsonl_input
    store = tmp_path / "store"
    steps = [{"min_length": {"min_chars": 10_000}}]
    run_cli("run", write_pipeline(tmp_path / "a.yaml", [str(raw)], id_field="id", steps=steps), store=store, check=0)
    s = Store(store)
    ref = s.resolve("ds")
    (row,) = why(s, ref, "p1")
    assert row["path"] == [("read", "passed"), ("min_length", "removed: " + row["reason"])]
    (bad,) = why(s, ref, "a.jsonl:3")
    assert bad["path"][0][1].startswith("removed: invalid JSON") and bad["path"][1] == ("min_length", "not reached")
    out = run_cli("why", "ds@v1", "p1", store=store, check=0).stdout
    assert "removed by min_length" in out and "chars < min_chars 10000" in out


def test_ls_and_show(tmp_path, jsonl_input):
    raw, _ = jsonl_input
    store = tmp_path / "store"
    run_cli("run", write_pipeline(tmp_path / "a.yaml", [str(raw)]), store=store, check=0)
    out = run_cli("ls", store=store, check=0).stdout
    assert "ds@v1" in out and "14" in out and "10" in out
    show = run_cli("show", "ds@v1", store=store, check=0).stdout
    assert "funnel" in show and "read" in show and "10 of 14 documents" in show


def test_config_changes_ignores_executor():
    old = {"dataset": "d", "input": {"format": "jsonl"}, "steps": [], "executor": {"workers": 1}}
    new = {"dataset": "d", "input": {"format": "jsonl"}, "steps": [{"min_length": {"min_chars": 5}}],
           "executor": {"workers": 8}}
    changes = config_changes(old, new)
    assert ("steps.min_length.min_chars", "(absent)", 5) in changes
    assert ("steps[order]", [], ["min_length"]) in changes
    assert not any(k.startswith("executor") for k, _, _ in changes)
