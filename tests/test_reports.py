"""quality_reports: SQL answers against the ledger read independently, diff attribution, no raw PII, rendering."""

from __future__ import annotations

import json
import shutil
import subprocess

import orjson
import polars as pl
import pytest

from conftest import good_text, run_cli, write_pipeline
from quality_reports import sections
from quality_reports.html import render
from quality_reports.report import build
from quality_reports.views import connect

RAW_PII = ["alice.secret@example.com", "+1 415-555-0199", "4111 1111 1111 1111", "198.51.100.77"]


def write_jsonl(path, rows):
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """v1: min_length 10 on a.jsonl; v2: min_length 200, language, pii, exact dedup, and a new file b.jsonl."""
    root = tmp_path_factory.mktemp("reports")
    raw = root / "raw"
    raw.mkdir()
    rows = [{"id": f"long{i}", "text": good_text(i), "url": f"https://farm.example.org/{i}"} for i in range(10)]
    rows += [{"id": f"short{i}", "text": f"Short note number {i} about soil.", "url": "https://notes.example.com/x"}
             for i in range(4)]
    rows += [{"id": "dup0", "text": good_text(0)}, {"id": "dup1", "text": good_text(1)}]
    rows += [{"id": "german", "text": "Der Boden braucht Wasser und die Pflanzen brauchen Sonne und Regen. " * 5}]
    rows += [{"id": "pii", "text": good_text(50) + " Contact " + RAW_PII[0] + " or " + RAW_PII[1] + ", card "
              + RAW_PII[2] + ", host " + RAW_PII[3] + "."}]
    write_jsonl(raw / "a.jsonl", rows)
    s = root / "store"
    cfg = write_pipeline(root / "p1.yaml", ["raw/a.jsonl"], id_field="id", steps=[{"min_length": {"min_chars": 10}}])
    run_cli("run", cfg, store=s, check=0)
    write_jsonl(raw / "b.jsonl", [{"id": f"new{i}", "text": good_text(100 + i)} for i in range(3)])
    cfg = write_pipeline(root / "p2.yaml", ["raw/*.jsonl"], id_field="id",
                         steps=[{"min_length": {"min_chars": 200}}, {"language": {"keep": ["en"], "min_score": 0.5}},
                                {"pii": {}}, {"exact_dedup": {}}])
    run_cli("run", cfg, store=s, check=0)
    return s


def ledger(store, v):
    return pl.read_parquet(store / "ds" / f"v{v}" / "ledger" / "*.parquet")


def test_views_answer_like_the_ledger(store):
    con = connect(store)
    for v in (1, 2):
        led = ledger(store, v)
        ref = f"ds@v{v}"
        got = sections.rows(con, "SELECT docs_in, docs_kept, tokens_kept FROM versions WHERE ref = ?", [ref])[0]
        kept = led.filter(pl.col("kept"))
        assert got == {"docs_in": led.height, "docs_kept": kept.height, "tokens_kept": kept["n_tokens"].sum()}
        funnel = {r["step"]: r["removed"] for r in sections.funnel(con, ref)}
        by_step = led.filter(~pl.col("kept")).group_by("removed_by").len()
        expected = {("read" if r["removed_by"] == "quarantine" else r["removed_by"]): r["len"]
                    for r in by_step.to_dicts()}
        assert {k: n for k, n in funnel.items() if n} == expected
    led = ledger(store, 2)
    langs = {r["lang"]: (r["kept"], r["docs_in"]) for r in sections.language_mix(connect(store), "ds@v2")}
    for lang, group in led.filter(pl.col("lang").is_not_null()).group_by("lang"):
        assert langs[lang[0]] == (group["kept"].sum(), group.height)
    pii = {r["type"]: r["found"] for r in sections.pii_found(connect(store), "ds@v2")}
    assert pii["email"] == led["pii_found"].struct.field("email").sum() == 1
    assert pii["credit_card"] == 1 and pii["ip"] == 1 and pii["phone"] == 1
    hosts = {r["host"]: r["docs"] for r in sections.domains(connect(store), "ds@v2")}
    assert hosts["farm.example.org"] == 10 and hosts["(no url)"] == 4  # dup0/dup1 are the removed copies
    assert sections.pii_found(connect(store), "ds@v1") == []  # v1 had no pii step: not "zero found"


def test_sql_command(store):
    proc = run_cli("sql", "SELECT ref, count(*) AS n FROM ledger GROUP BY ref ORDER BY ref", "--format", "json",
                   store=store, check=0)
    assert json.loads(proc.stdout) == [{"ref": "ds@v1", "n": ledger(store, 1).height},
                                       {"ref": "ds@v2", "n": ledger(store, 2).height}]
    proc = run_cli("sql", "SELECT * FROM nowhere", store=store)
    assert proc.returncode == 2 and "views: versions, steps, ledger, data, runs, evals" in proc.stderr


def test_diff_attribution_on_a_crafted_pair(store):
    report = build(store, "ds")
    (d,) = report.diffs
    removed = {r["cause"]: r["docs"] for r in d["removed"]}
    assert removed == {"removed by min_length": 4, "removed by language": 1, "removed by exact_dedup": 2}
    assert {r["cause"]: r["docs"] for r in d["added"]} == {"new input": 3}
    assert d["text_changed"] == 1  # the PII document, scrubbed in v2
    row = report.data_to_eval[1]
    assert row["version"] == "ds@v2" and row["Δ tokens"] == row["tokens"] - report.data_to_eval[0]["tokens"]
    assert "min_length −4" in row["removed by"] and "exact_dedup −2" in row["removed by"]
    assert "+language" in row["config change"] and "steps.min_length.min_chars" in row["config change"]


def test_data_to_eval_links_runs_and_scores(store, tmp_path):
    """Runs and evals written as training writes them appear next to their versions, on the common eval set."""
    s = tmp_path / "store"
    shutil.copytree(store, s)
    for v, ppl in ((1, 40.0), (2, 30.0)):
        run = s / "runs" / f"r{v}"
        run.mkdir(parents=True)
        (run / "run.json").write_text(json.dumps({"run_id": f"r{v}", "kind": "cpt", "data": {"ref": f"ds@v{v}"},
                                                  "model": {"ref": "tiny"}, "result": {"steps": 5}}))
        evals = [{"data": "held@v1", "split": "all", "perplexity": ppl, "bits_per_byte": ppl / 20, "at": "2026-01-01"},
                 {"data": f"ds@v{v}", "split": "eval", "perplexity": 1.0, "at": "2026-01-02"},
                 {"data": "lm-eval:farm_mc", "split": "test", "metrics": {"acc": v / 4}, "score": v / 4,
                  "at": "2026-01-03"}]
        (run / "eval.json").write_text(json.dumps(evals))
    (s / "runs" / ".running-r3").mkdir()  # an unfinished run is not listed
    report = build(s, "ds")
    assert report.eval_set == ("held@v1", "all")
    rows = report.data_to_eval
    assert [(r["run"], r["perplexity"]) for r in rows] == [("r1", 40.0), ("r2", 30.0)]
    assert rows[1]["Δ perplexity"] == -10.0
    assert [(t["version"], t["task"], t["score"]) for t in report.task_scores] == [
        ("ds@v1", "lm-eval:farm_mc", 0.25), ("ds@v2", "lm-eval:farm_mc", 0.5)]
    html = render(report)
    assert "held-out perplexity 40 → 30" in html and "Task scores (lm-evaluation-harness)" in html
    out = run_cli("report", "ds", store=s, check=0).stdout
    assert "data → eval" in out and "r2" in out


def test_html_has_no_raw_pii_even_from_a_version_without_the_pii_step(store, tmp_path):
    html_path = tmp_path / "r.html"
    run_cli("report", "--html", html_path, store=store, check=0)
    html = html_path.read_text()
    assert "ds@v1" in html and "<svg" in html
    for value in RAW_PII:
        assert value not in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://cdn" not in html  # nothing fetched


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (scripts/test-deps.sh installs it "
                                             "as root); the HTML report is not rendered in a browser here")
def test_report_renders_in_headless_chromium(store, tmp_path):
    html_path = tmp_path / "r.html"
    run_cli("report", "--html", html_path, store=store, check=0)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    proc = subprocess.run([CHROMIUM, *flags, "--dump-dom", html_path.as_uri()], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    charts = dom.count('class="chart"')
    assert charts >= 3
    assert f'data-charts="{charts}"' in dom  # the inline script ran to its end and counted every chart
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, *flags, "--window-size=1200,1600", f"--screenshot={shot}", html_path.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 20_000  # a page with charts, not a blank one
