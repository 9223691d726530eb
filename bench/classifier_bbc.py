"""Quality/domain classifier from few seeds: per BBC category, 50 positives and 200 negatives.

For each category: 50 documents of that category are the positive seeds, 200 documents of
the other categories the negatives; the classifier is scored on every other document
(precision and recall of "this category" at min_score 0.5, plus the best-F1 threshold).
Side by side: `corpus classifier train` defaults against fastText's own supervised defaults
(epoch 5, lr 0.1, unigrams), the model a user gets from a plain `fasttext supervised` run.

    .venv/bin/python bench/classifier_bbc.py [--positives 50 --negatives 200 --repeats 3]
Reads ../shared/bench/bbc_news.jsonl.gz (or $CORPUS_BENCH_DATA); without it, generated
topic documents.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SHARED  # noqa: E402
from filters.classifier_training import TrainParams, scores_at, train_classifier  # noqa: E402
from filters.quality_classifier import ClassifierModel  # noqa: E402

FASTTEXT_DEFAULTS = TrainParams(holdout=0.0, epoch=5, lr=0.1, dim=100, word_ngrams=1, bucket=2_000_000, balance=False)


def load_docs() -> list[dict]:
    path = SHARED / "bbc_news.jsonl.gz"
    if path.is_file():
        with gzip.open(path, "rt") as f:
            return [json.loads(line) for line in f]
    rng = random.Random(0)
    topics = {c: [f"{c}{i}" for i in range(40)] for c in ("law", "farm", "med", "sport", "tech")}
    common = [f"w{i}" for i in range(300)]
    print("no bbc_news.jsonl.gz: generated topic documents", file=sys.stderr)
    return [{"category": c, "text": " ".join(rng.choice(topics[c] if rng.random() < 0.15 else common)
                                             for _ in range(300))}
            for c in topics for _ in range(300)]


def evaluate(model_path: Path, test: list[tuple[str, bool]]) -> dict:
    model = ClassifierModel(model_path)
    started = time.perf_counter()
    scored = [(model.score(text), label) for text, label in test]
    seconds = time.perf_counter() - started
    at_half = scores_at(scored, 0.5)
    best = max((scores_at(scored, t / 20) for t in range(1, 20)), key=lambda r: r["f1"])
    return {"p": at_half["precision"], "r": at_half["recall"], "f1": at_half["f1"],
            "best_f1": best["f1"], "best_t": best["threshold"], "docs_s": len(test) / seconds}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--positives", type=int, default=50)
    ap.add_argument("--negatives", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3, help="seed draws per category (medians reported)")
    args = ap.parse_args()
    docs = load_docs()
    categories = sorted({d["category"] for d in docs})
    print(f"{len(docs)} documents, categories: {', '.join(categories)}; "
          f"{args.positives} positive / {args.negatives} negative seeds, {args.repeats} draws each\n")
    header = f"{'category':<14}{'method':<20}{'P@0.5':>7}{'R@0.5':>7}{'F1@0.5':>8}{'best F1':>9}{'at':>6}{'train s':>9}"
    print(header)
    print("-" * len(header))
    totals = {"corpusmill": [], "fastText defaults": []}
    with tempfile.TemporaryDirectory() as tmp:
        for cat in categories:
            results = {"corpusmill": [], "fastText defaults": []}
            for r in range(args.repeats):
                rng = random.Random(1000 * r + 7)
                pos = rng.sample([d for d in docs if d["category"] == cat], args.positives)
                neg = rng.sample([d for d in docs if d["category"] != cat], args.negatives)
                seeds = {id(d) for d in pos + neg}
                test = [(d["text"], d["category"] == cat) for d in docs if id(d) not in seeds]
                for method, params in (("corpusmill", TrainParams(holdout=0.0)), ("fastText defaults", FASTTEXT_DEFAULTS)):
                    out = Path(tmp) / f"{cat}-{r}-{method[:4]}.bin"
                    card = train_classifier([d["text"] for d in pos], [d["text"] for d in neg], out, params)
                    row = evaluate(out, test)
                    row["train_s"] = card["train_seconds"]
                    results[method].append(row)
                    out.unlink()
            for method, rows in results.items():
                med = {k: statistics.median(x[k] for x in rows) for k in rows[0]}
                totals[method].append(med)
                print(f"{cat:<14}{method:<20}{med['p']:>7.3f}{med['r']:>7.3f}{med['f1']:>8.3f}"
                      f"{med['best_f1']:>9.3f}{med['best_t']:>6.2f}{med['train_s']:>9.2f}")
    print()
    for method, rows in totals.items():
        mean = {k: statistics.mean(x[k] for x in rows) for k in rows[0]}
        print(f"{'mean':<14}{method:<20}{mean['p']:>7.3f}{mean['r']:>7.3f}{mean['f1']:>8.3f}"
              f"{mean['best_f1']:>9.3f}{mean['best_t']:>6.2f}{mean['train_s']:>9.2f}   scoring {mean['docs_s']:,.0f} docs/s")


if __name__ == "__main__":
    main()
