"""Shared helpers for benchmarks: where real data lives, and generated documents when it does not."""

from __future__ import annotations

import gzip
import os
import random
from pathlib import Path

import orjson

SHARED = Path(os.environ.get("CORPUS_BENCH_DATA", Path(__file__).resolve().parents[2] / "shared" / "bench"))


def source_paragraphs() -> tuple[list[str], str]:
    """Paragraphs of real text (BBC news, when ../shared/bench has it), else generated words."""
    bbc = SHARED / "bbc_news.jsonl.gz"
    if bbc.is_file():
        paras = []
        with gzip.open(bbc, "rb") as f:
            for line in f:
                paras += [p.strip() for p in orjson.loads(line)["text"].split("\n") if len(p.strip()) > 80]
        return paras, f"BBC news paragraphs from {bbc}"
    rng = random.Random(0)
    vocab = [("".join(rng.choice("etaoinshrdlucmfwyp") for _ in range(rng.randint(2, 9)))) for _ in range(5000)]
    paras = [" ".join(rng.choice(vocab) for _ in range(rng.randint(20, 80))) + "." for _ in range(20000)]
    return paras, "generated words (no ../shared/bench data found)"


def write_documents(out: Path, n_docs: int, n_files: int, doc_chars: int = 2000, seed: int = 0) -> tuple[int, str]:
    """n_docs JSONL documents of about doc_chars characters over n_files files; returns (bytes, source)."""
    paras, source = source_paragraphs()
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    handles = [open(out / f"part-{i:03d}.jsonl", "wb") for i in range(n_files)]
    total = 0
    for i in range(n_docs):
        parts, size = [], 0
        while size < doc_chars:
            p = rng.choice(paras)
            parts.append(p)
            size += len(p) + 1
        line = orjson.dumps({"id": f"doc-{i}", "text": "\n".join(parts)[:doc_chars]}) + b"\n"
        handles[i % n_files].write(line)
        total += len(line)
    for h in handles:
        h.close()
    return total, source
