"""A run killed part-way publishes nothing visible, and the next run completes normally."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import orjson
import polars as pl

from conftest import CORPUS, run_cli, write_pipeline


def make_input(raw, files=8, docs=8000):
    raw.mkdir()
    words = "soil water crop field farm seed yield rain harvest grain tractor".split()
    for f in range(files):
        with open(raw / f"part-{f}.jsonl", "wb") as fh:
            fh.writelines(orjson.dumps({"id": f"{f}-{i}", "text": " ".join(words[(i + k) % 11] for k in range(180))})
                          + b"\n" for i in range(docs))
    return files * docs


def docs_done(dataset_dir):
    total = 0
    for p in dataset_dir.glob(".work-*/progress/*"):
        try:
            total += int(p.read_text() or 0)
        except ValueError:
            pass
    return total


def kill_when(store, cfg, ready, deadline_s=60):
    """Start `corpus run`, SIGKILL it once ready(dataset_dir) holds; True if it was still running."""
    proc = subprocess.Popen([str(CORPUS), "run", str(cfg), "--store", str(store)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + deadline_s
    while time.time() < deadline and proc.poll() is None and not ready(store / "ds"):
        time.sleep(0.02)
    alive = proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return alive


def test_kills_at_several_points_of_a_dedup_run(tmp_path):
    """Killed while reading, while deciding, and while writing the version: never a visible half."""
    n = make_input(tmp_path / "raw", files=6, docs=5000)
    steps = [{"exact_dedup": {}}, {"minhash_dedup": {"threshold": 0.8}}]
    cfg = write_pipeline(tmp_path / "p.yaml", [str(tmp_path / "raw")], steps=steps, workers=2)
    store = tmp_path / "store"
    points = {
        "first pass": lambda d: docs_done(d) > 500,
        "after the first decision": lambda d: any(d.glob(".work-*/decisions-0.parquet")),
        "writing the version": lambda d: any(d.glob(".staging-*/ledger/*.parquet")),
    }
    killed = [name for name, ready in points.items() if kill_when(store, cfg, ready)]
    print("killed during:", killed)
    assert killed, "the run finished before any kill point; make the input larger"
    assert not list((store / "ds").glob("v*")), f"a version appeared after kills at {killed}"
    time.sleep(1.5)
    run_cli("run", cfg, store=store, check=0)
    assert sorted(p.name for p in (store / "ds").iterdir()) == [".lock", "v1"]
    reference = tmp_path / "reference"
    run_cli("run", cfg, store=reference, check=0)
    manifest = lambda s: json.loads((s / "ds" / "v1" / "manifest.json").read_text())  # noqa: E731
    assert manifest(store)["content_hash"] == manifest(reference)["content_hash"]
    assert manifest(store)["totals"]["docs_in"] == n


def test_kill_mid_run_leaves_no_version(tmp_path):
    n = make_input(tmp_path / "raw")
    cfg = write_pipeline(tmp_path / "p.yaml", [str(tmp_path / "raw")], workers=2)
    store = tmp_path / "store"
    proc = subprocess.Popen([str(CORPUS), "run", str(cfg), "--store", str(store)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while docs_done(store / "ds") < 2000 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed; make the input larger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    dataset_dir = store / "ds"
    assert not [p for p in dataset_dir.iterdir() if not p.name.startswith(".")], "no visible version"
    assert "holds no datasets" in run_cli("ls", store=store, check=0).stderr
    time.sleep(1.5)  # orphaned workers notice the lost owner within their next 1,000 documents

    again = run_cli("run", cfg, store=store, check=0)
    assert again.stdout.strip().splitlines()[-1] == "ds@v1"
    assert sorted(p.name for p in dataset_dir.iterdir()) == [".lock", "v1"], "stale staging was removed"
    assert pl.read_parquet(dataset_dir / "v1" / "ledger" / "*.parquet").height == n

    reference = tmp_path / "reference"
    run_cli("run", cfg, store=reference, check=0)
    manifest = lambda s: json.loads((s / "ds" / "v1" / "manifest.json").read_text())  # noqa: E731
    assert manifest(store)["content_hash"] == manifest(reference)["content_hash"]
