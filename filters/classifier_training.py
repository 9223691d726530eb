"""`corpus classifier train`: a fastText (floret) classifier from positive and negative seeds.

Holds out a stratified share of each class, trains on the rest with one thread and a fixed
seed (fastText is deterministic only single-threaded), and scores the held-out documents.
The saved model is the one that was scored, so the card's numbers describe the file.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from corpus.errors import UserError
from filters.quality_classifier import NEGATIVE, POSITIVE, ClassifierModel, card_path, classifier_line

MIN_SEEDS = 5
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass
class TrainParams:
    holdout: float = 0.2
    epoch: int = 25
    lr: float = 0.5
    dim: int = 50
    word_ngrams: int = 2
    bucket: int = 200_000  # hash buckets for word n-grams; model size ≈ 4·dim·(vocab + bucket) bytes
    seed: int = 0
    balance: bool = True  # repeat the smaller class's seeds so both weigh the same: 0.5 means "as likely as not"


def split(items: list[str], holdout: float, rng: random.Random) -> tuple[list[str], list[str]]:
    items = list(items)
    rng.shuffle(items)
    n_test = int(round(len(items) * holdout)) if holdout > 0 else 0
    n_test = min(max(n_test, 1 if holdout > 0 else 0), len(items) - 1)
    return items[n_test:], items[:n_test]


def balanced(a: list[str], b: list[str]) -> tuple[list[str], list[str]]:
    """Both classes at the larger one's size, the smaller repeated (whole copies, then a prefix)."""
    def grow(items, n):
        return (items * (n // len(items) + 1))[:n]
    n = max(len(a), len(b))
    return grow(a, n), grow(b, n)


def scores_at(scored: list[tuple[float, bool]], threshold: float) -> dict:
    tp = sum(1 for s, y in scored if s >= threshold and y)
    fp = sum(1 for s, y in scored if s >= threshold and not y)
    fn = sum(1 for s, y in scored if s < threshold and y)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    kept = (tp + fp) / len(scored) if scored else 0.0
    return {"threshold": threshold, "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4), "kept_share": round(kept, 4)}


def train_classifier(positives: list[str], negatives: list[str], out: str | Path,
                     params: TrainParams | None = None, sources: dict | None = None) -> dict:
    """Train, score the held-out split, save MODEL and MODEL.json; return the card."""
    import floret

    params = params or TrainParams()
    if not 0.0 <= params.holdout < 0.9:
        raise UserError(f"--holdout must be in [0, 0.9), got {params.holdout}")
    for name, docs in (("positive", positives), ("negative", negatives)):
        if len(docs) < MIN_SEEDS:
            raise UserError(f"need at least {MIN_SEEDS} {name} documents, got {len(docs)}")
    rng = random.Random(params.seed)
    pos_train, pos_test = split(positives, params.holdout, rng)
    neg_train, neg_test = split(negatives, params.holdout, rng)
    if params.balance:
        pos_train_w, neg_train_w = balanced(pos_train, neg_train)
    else:
        pos_train_w, neg_train_w = pos_train, neg_train
    train = [(POSITIVE, t) for t in pos_train_w] + [(NEGATIVE, t) for t in neg_train_w]
    rng.shuffle(train)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        train_file = Path(tmp) / "train.txt"
        with train_file.open("w", encoding="utf-8") as f:
            for label, text in train:
                f.write(f"{label} {classifier_line(text)}\n")
        model = floret.train_supervised(
            input=str(train_file), epoch=params.epoch, lr=params.lr, dim=params.dim,
            wordNgrams=params.word_ngrams, bucket=params.bucket, minCount=1, loss="softmax",
            thread=1, seed=params.seed, verbose=0)
        model.save_model(str(out))
    seconds = time.perf_counter() - started
    scorer = ClassifierModel(out)
    scored = [(scorer.score(t), True) for t in pos_test] + [(scorer.score(t), False) for t in neg_test]
    card = {
        "model": out.name,
        "labels": {"positive": POSITIVE, "negative": NEGATIVE},
        "seeds": {"positive": len(positives), "negative": len(negatives), "sources": sources or {}},
        "split": {"train_positive": len(pos_train), "train_negative": len(neg_train),
                  "heldout_positive": len(pos_test), "heldout_negative": len(neg_test)},
        "params": asdict(params),
        "train_seconds": round(seconds, 2),
        "heldout": scores_at(scored, 0.5) if scored else None,
        "thresholds": [scores_at(scored, t) for t in THRESHOLDS] if scored else [],
    }
    card_path(out).write_text(json.dumps(card, indent=2) + "\n")
    return card
