"""`corpus demo`: the whole job on a crawl built at run time, as a user would run it.

raw crawl → classifier from seeds → held-out set → v1 (light: PII only) and v2 (full:
decontamination against the held-out set, length, language, classifier, heuristics, PII,
exact and MinHash dedup) → a tokenizer → the same tiny model
trained on each version for the same budget → both scored on one held-out domain set →
the HTML report. No network, no input; a few minutes on 2 cores.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from corpus.config import load_config
from corpus.runner import run_pipeline
from corpus.sample_input import write_sample
from corpus.store import Store

LIGHT_STEPS = [{"pii": {}}]
FULL_STEPS = [
    {"decontaminate": {"against": ["heldout@v1"]}},
    {"min_length": {"min_chars": 200}},
    {"language": {"keep": ["en"], "min_score": 0.5}},
    {"quality_classifier": {"model": "models/domain.bin", "min_score": 0.5}},
    {"gopher_repetition": {}},
    {"fineweb_quality": {}},
    {"pii": {}},
    {"exact_dedup": {}},
    {"minhash_dedup": {"threshold": 0.8}},
]


@dataclass
class DemoBudget:
    steps: int = 120
    batch_size: int = 8
    max_length: int = 256
    vocab_size: int = 4096
    model: str = "tiny"


def _write_pipeline(path: Path, dataset: str, paths: list[str], steps: list) -> Path:
    path.write_text(yaml.safe_dump({
        "dataset": dataset,
        "input": {"paths": paths, "format": "jsonl", "text_field": "text", "id_field": "id"},
        "steps": steps,
        "executor": {"type": "local", "workers": 2},
    }, sort_keys=False))
    return path


def _run(path: Path, store: Store, console):
    console.rule(f"corpus run {path.name}")
    result = run_pipeline(load_config(path), store, status=console.log)
    t = result.manifest["totals"]
    verb = "published" if result.published else "unchanged:"
    console.print(f"{verb} {result.ref}: kept {t['docs_kept']} of {t['docs_in']} docs "
                  f"({t['docs_quarantined']} quarantined), {t['tokens_kept']:,} tokens")
    return result.ref


def run_demo(out: Path, console, budget: DemoBudget | None = None) -> dict:
    """Everything under `out`; returns what it made (refs, run ids, scores, report path)."""
    budget = budget or DemoBudget()
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    console.rule("a raw crawl, built from Python's own documentation")
    parts = write_sample(out)
    console.print(f"crawl {', '.join(p.name for p in parts.crawl)}; classifier seeds and a held-out set beside it")
    store = Store(out / "store")

    console.rule("corpus classifier train (domain vs web junk, from seeds)")
    from filters.classifier_training import train_classifier
    from corpus.text_sources import iter_texts

    card = train_classifier(list(iter_texts(str(parts.positive_seeds))), list(iter_texts(str(parts.negative_seeds))),
                            out / "models" / "domain.bin")
    console.print(f"held-out F1 {card['heldout']['f1']:.3f} → {out / 'models' / 'domain.bin'}")

    heldout = _run(_write_pipeline(out / "heldout.yaml", "heldout", ["heldout/*.jsonl.gz"], []), store, console)
    v1 = _run(_write_pipeline(out / "v1-light.yaml", "demo", ["raw/*.jsonl.gz"], LIGHT_STEPS), store, console)
    v2 = _run(_write_pipeline(out / "v2-full.yaml", "demo", ["raw/*.jsonl.gz"], FULL_STEPS), store, console)
    summary = {"v1": str(v1), "v2": str(v2), "heldout": str(heldout), "store": str(store.root)}
    try:
        import trl  # noqa: F401
    except ImportError:
        console.print("[yellow]training skipped: the train extra is not installed (see README)[/]")
        summary["report"] = _report(store, out, console)
        return summary

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from training.tokenizer import build_tokenizer

    console.rule(f"corpus tokenizer train {v1} --vocab-size {budget.vocab_size}")
    tok, cpt_ratio = build_tokenizer(list(iter_texts(str(v1), store=store)), budget.vocab_size, out / "tokenizer",
                                     str(v1))
    console.print(f"{len(tok):,} tokens, {cpt_ratio:.2f} characters per token")

    from training import runs
    from training.data import load
    from training.evaluate import score_texts
    from training.tokenizer import doc_separator
    from training.trainers import TrainConfig, train

    heldout_texts = [r["text"] for r in load(str(heldout), store).rows]
    scores = {}
    for ref in (v1, v2):
        console.rule(f"corpus train cpt --data {ref} --model {budget.model} --steps {budget.steps}")
        cfg = TrainConfig(kind="cpt", data=str(ref), model=budget.model, tokenizer=str(out / "tokenizer"),
                          max_length=budget.max_length, steps=budget.steps, batch_size=budget.batch_size,
                          learning_rate=2e-3, logging_steps=max(1, budget.steps // 10))
        run_dir = train(cfg, store, log=console.log)
        from transformers import AutoModelForCausalLM

        model = AutoModelForCausalLM.from_pretrained(str(run_dir / "model"))
        result = score_texts(model, tok, heldout_texts, budget.max_length, separator=doc_separator(tok))
        runs.record_eval(run_dir, {"data": str(heldout), "content_hash": store.manifest(heldout)["content_hash"],
                                   "split": "all", **result})
        console.print(f"corpus eval {run_dir.name} --data {heldout} --split all: perplexity "
                      f"{result['perplexity']:,.1f}, {result['bits_per_byte']:.3f} bits/byte")
        scores[str(ref)] = {"run": run_dir.name, **result}
    summary["scores"] = scores
    summary["report"] = _report(store, out, console)

    m1, m2 = store.manifest(v1), store.manifest(v2)
    removed = 1 - m2["totals"]["tokens_kept"] / m1["totals"]["tokens_kept"]
    p1, p2 = scores[str(v1)]["perplexity"], scores[str(v2)]["perplexity"]
    summary["headline"] = (f"{v2} removed {removed:.0%} of tokens; held-out perplexity {p1:,.0f} → {p2:,.0f} "
                           f"(same model, tokenizer and {budget.steps} steps)")
    console.rule("result")
    console.print(f"[bold]{summary['headline']}[/]")
    console.print(f"store: {store.root}\nreport: {summary['report']}\n"
                  f"next: corpus report --store {store.root}; corpus diff --store {store.root} {v1} {v2}; "
                  f"corpus runs --store {store.root}")
    return summary


def _report(store: Store, out: Path, console) -> str:
    from quality_reports.html import render
    from quality_reports.report import build

    console.rule("corpus report --html")
    path = out / "report.html"
    path.write_text(render(build(store.root, "demo")), encoding="utf-8")
    return str(path)
