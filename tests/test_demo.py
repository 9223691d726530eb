"""`corpus demo` end to end, with a short training budget: versions, runs, scores, and a PII-free report."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from conftest import run_cli

pytest.importorskip("trl", reason="the training extra is not installed (scripts/setup.sh installs it)")


@pytest.mark.slow
def test_demo_runs_the_whole_job(tmp_path):
    out = tmp_path / "demo"
    proc = run_cli("demo", "--out", out, "--steps", "6", check=0, timeout=900)
    lines = proc.stdout.strip().splitlines()
    assert lines[-1] == str(out / "report.html")
    assert re.match(r"demo@v2 removed \d+% of tokens; held-out perplexity [\d,]+ → [\d,]+", lines[-2]), lines[-2]
    store = out / "store"
    for ref in ("demo/v1", "demo/v2", "heldout/v1"):
        assert (store / ref / "manifest.json").is_file()
    runs = sorted(p for p in (store / "runs").iterdir())
    assert len(runs) == 2
    for run_dir in runs:
        evals = json.loads((run_dir / "eval.json").read_text())
        assert {e["data"] for e in evals} >= {"heldout@v1"}
    v2 = json.loads((store / "demo" / "v2" / "manifest.json").read_text())
    removed_by = {s["name"] for s in v2["steps"] if s["docs_in"] > s["docs_out"]}
    assert {"language", "quality_classifier", "exact_dedup", "minhash_dedup", "min_length"} <= removed_by

    html = (out / "report.html").read_text()
    raw = b"".join(gzip.open(p).read() for p in sorted((out / "raw").glob("*.jsonl.gz"))).decode("utf-8", "replace")
    emails = set(re.findall(r"[\w.]+@example\.(?:org|com|net)", raw))
    assert emails and not any(e in html for e in emails)
    assert "4111 1111 1111 1111" in raw and "4111 1111 1111 1111" not in html
    assert "Data → eval" in html and html.count('class="chart"') >= 5
