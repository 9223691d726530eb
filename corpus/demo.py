"""`corpus demo`: the job on a sample built at run time, as a user would run it.

Today: raw crawl → v1 (pass-through) → v2 (length floor, language, PII scrubbing, exact and
MinHash dedup) → diff. The heuristic filters, training and the report join it as they land.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from corpus.config import load_config
from corpus.runner import run_pipeline
from corpus.sample_input import write_sample_jsonl
from corpus.store import Store
from corpus.store_queries import diff


def _write_pipeline(path: Path, steps: list) -> Path:
    path.write_text(yaml.safe_dump({
        "dataset": "demo",
        "input": {"paths": ["raw/*.jsonl.gz"], "format": "jsonl", "text_field": "text", "id_field": "id"},
        "steps": steps,
        "executor": {"type": "local", "workers": 2},
    }, sort_keys=False))
    return path


def run_demo(out: Path, console) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_sample_jsonl(out / "raw")
    store = Store(out / "store")
    light = _write_pipeline(out / "v1-light.yaml", [])
    full = _write_pipeline(out / "v2-full.yaml", [{"min_length": {"min_chars": 200}},
                                                  {"language": {"keep": ["en"], "min_score": 0.5}}, {"pii": {}},
                                                  {"exact_dedup": {}}, {"minhash_dedup": {"threshold": 0.8}}])
    refs = []
    for path in (light, full):
        console.rule(f"corpus run {path}")
        result = run_pipeline(load_config(path), store, status=console.log)
        t = result.manifest["totals"]
        verb = "published" if result.published else "unchanged:"
        console.print(f"{verb} {result.ref}: kept {t['docs_kept']} of {t['docs_in']} docs "
                      f"({t['docs_quarantined']} quarantined), {t['tokens_kept']:,} tokens")
        refs.append(result.ref)
    d = diff(store, refs[0], refs[1])
    removed = sum(r["tokens"] for r in d["removed"])
    share = removed / d["tokens_a"] if d["tokens_a"] else 0.0
    console.rule("result")
    for r in d["removed"]:
        console.print(f"  {r['cause']}: {r['docs']} docs, {r['tokens']:,} tokens")
    console.print(f"{refs[1]} removed {share:.0%} of {refs[0]}'s tokens. Store: {store.root}")
    console.print(f"Next: corpus ls --store {store.root}; corpus diff --store {store.root} {refs[0]} {refs[1]}")
