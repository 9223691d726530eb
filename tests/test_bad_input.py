"""Messy input: every record is kept, removed or quarantined with a reason; nothing is lost."""

from __future__ import annotations

import gzip
import json
import subprocess

import orjson
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, run_cli, write_pipeline
from corpus.config import parse_config
from corpus.runner import run_pipeline
from corpus.store import Store


def ledger(store, dataset="ds"):
    return pl.read_parquet(store / dataset / "v1" / "ledger" / "*.parquet")


def test_truncated_gzip_keeps_what_it_can_and_says_where_it_stopped(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    lines = b"".join(orjson.dumps({"id": f"t{i}", "text": f"record {i} " * 60}) + b"\n" for i in range(3000))
    packed = gzip.compress(lines)
    (raw / "cut.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    run_cli("run", write_pipeline(tmp_path / "p.yaml", [str(raw)], id_field="id"), store=tmp_path / "s", check=0)
    led = ledger(tmp_path / "s")
    broken = led.filter(pl.col("removed_by") == "quarantine")
    assert broken.height == 1
    kept = led.filter(pl.col("kept")).height
    assert kept > 1000, "records before the break are read"
    assert f"file unreadable after {kept} records" in broken["reason"][0] and "EOFError" in broken["reason"][0]


def test_nul_bytes_big_documents_and_empty_files(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "nul.jsonl").write_bytes(b'{"id": "escaped", "text": "a\\u0000b and more"}\n'
                                    b'{"id": "raw", "text": "x\x00y"}\n')
    big_text = "harvest " * 6_250_000  # 50 MB in one document
    (raw / "big.jsonl").write_bytes(orjson.dumps({"id": "big", "text": big_text}) + b"\n")
    (raw / "empty.jsonl").write_bytes(b"")
    run_cli("run", write_pipeline(tmp_path / "p.yaml", [str(raw)], id_field="id"), store=tmp_path / "s", check=0)
    led = ledger(tmp_path / "s")
    assert led.height == 3
    reasons = dict(zip(led["id"], led["reason"]))
    assert reasons["escaped"] is None and reasons["big"] is None
    assert reasons["nul.jsonl:2"].startswith("invalid JSON")  # a raw control byte is not valid JSON
    data = pl.read_parquet(tmp_path / "s" / "ds" / "v1" / "data" / "*.parquet")
    assert data.filter(pl.col("id") == "big")["text"][0] == big_text
    assert data.filter(pl.col("id") == "escaped")["text"][0] == "a\x00b and more"


def test_parquet_wrong_types_and_corrupt_files(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    pq.write_table(pa.table({"text": [1, 2, 3]}), raw / "ints.parquet")
    pq.write_table(pa.table({"body": ["no text column"]}), raw / "other.parquet")
    (raw / "garbage.parquet").write_bytes(b"PAR1 this is not parquet")
    run_cli("run", write_pipeline(tmp_path / "p.yaml", [str(raw)], fmt="parquet"), store=tmp_path / "s", check=0)
    led = ledger(tmp_path / "s")
    assert led.height == 5 and led["kept"].sum() == 0
    reasons = led["reason"].to_list()
    assert sum("is int, not a string" in r for r in reasons) == 3
    assert sum("missing text field 'text'" in r for r in reasons) == 1
    assert sum(r.startswith("file unreadable after 0 records") for r in reasons) == 1


def test_a_version_with_nothing_kept_is_still_readable(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.jsonl").write_text('{"text": ""}\n{"nope": 1}\n')
    run_cli("run", write_pipeline(tmp_path / "p.yaml", [str(raw)]), store=tmp_path / "s", check=0)
    vdir = tmp_path / "s" / "ds" / "v1"
    assert pl.read_parquet(vdir / "data" / "*.parquet").height == 0
    assert json.loads((vdir / "manifest.json").read_text())["totals"]["docs_in"] == 2


def test_two_runs_at_once_publish_distinct_versions(tmp_path, jsonl_input):
    raw, _ = jsonl_input
    store = tmp_path / "store"
    procs = []
    for i, steps in enumerate(([], [{"min_length": {"min_chars": 5}}])):
        cfg = write_pipeline(tmp_path / f"p{i}.yaml", [str(raw)], steps=steps)
        procs.append(subprocess.Popen([str(CORPUS), "run", str(cfg), "--store", str(store)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    refs = sorted(p.communicate(timeout=120)[0].strip().splitlines()[-1] for p in procs)
    assert [p.returncode for p in procs] == [0, 0]
    assert refs == ["ds@v1", "ds@v2"]
    manifests = [json.loads((store / "ds" / v / "manifest.json").read_text()) for v in ("v1", "v2")]
    assert manifests[1]["parent"] == "ds@v1" and manifests[0]["parent"] is None
    assert not [p for p in (store / "ds").iterdir() if p.name.startswith(".staging")]


LINE = st.one_of(
    st.binary(max_size=40).filter(lambda b: b"\n" not in b and b"\r" not in b),
    st.dictionaries(st.sampled_from(["id", "text", "url", "x"]),
                    st.one_of(st.text(max_size=30), st.integers(), st.none(), st.lists(st.integers(), max_size=2)),
                    max_size=4).map(lambda d: json.dumps(d).encode()),  # json: integers of any size
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(st.lists(LINE, max_size=12), min_size=1, max_size=3))
def test_every_input_record_is_accounted_for(tmp_path_factory, files):
    base = tmp_path_factory.mktemp("prop")
    raw = base / "raw"
    raw.mkdir()
    expected = 0
    for i, lines in enumerate(files):
        (raw / f"f{i}.jsonl").write_bytes(b"\n".join(lines) + b"\n")
        expected += sum(1 for line in lines if line.strip())
    config = parse_config({"dataset": "p", "input": {"paths": [str(raw)], "id_field": None},
                           "steps": [{"min_length": {"min_chars": 3}}], "executor": {"workers": 1}})
    result = run_pipeline(config, Store(base / "store"))
    totals = result.manifest["totals"]
    led = pl.read_parquet(base / "store" / "p" / "v1" / "ledger" / "*.parquet")
    removed = led.filter(pl.col("removed_by") == "min_length").height
    assert led.height == expected == totals["docs_in"]
    assert totals["docs_kept"] + removed + totals["docs_quarantined"] == expected
    assert led.filter(~pl.col("kept"))["reason"].null_count() == 0
