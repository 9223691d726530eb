"""Which documents of a version are its eval split: a hash of the id, so the split is the same
whatever the order, the workers or the consumer (training holds it out, decontamination protects it)."""

from __future__ import annotations

import xxhash

RULE = "xxh3_64(id) % 10000 < eval_share * 10000"
DEFAULT_EVAL_SHARE = 0.05


def is_eval(doc_id: str, eval_share: float = DEFAULT_EVAL_SHARE) -> bool:
    return xxhash.xxh3_64_intdigest(doc_id.encode()) % 10_000 < eval_share * 10_000


def split(rows: list[dict], eval_share: float = DEFAULT_EVAL_SHARE) -> tuple[list[dict], list[dict]]:
    """Train and eval rows (dicts with "id") by id hash; at least one eval row when there are two or more."""
    train = [r for r in rows if not is_eval(r["id"], eval_share)]
    evals = [r for r in rows if is_eval(r["id"], eval_share)]
    if eval_share > 0 and not evals and len(train) >= 2:
        evals, train = train[-1:], train[:-1]
    return train, evals
