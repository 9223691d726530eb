"""A small raw input built at run time from text that ships with Python (pydoc topics).

Used by `corpus demo`; deterministic for a given seed. It includes what real crawls have:
short boilerplate pages, exact and near duplicates, a page in German, emails and phone numbers,
malformed lines and a line of invalid UTF-8.
"""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import orjson

BOILERPLATE = ["Accept cookies", "Home | About | Contact", "Subscribe to our newsletter!", "404 Not Found",
               "Click here to continue"]


def python_doc_paragraphs() -> list[str]:
    from pydoc_data.topics import topics

    paragraphs = []
    for name in sorted(topics):
        for para in topics[name].split("\n\n"):
            para = " ".join(para.split())
            if len(para) > 200:
                paragraphs.append(para)
    return paragraphs


def write_sample_jsonl(out_dir: str | Path, n_docs: int = 400, n_files: int = 2, seed: int = 0) -> list[Path]:
    """Write n_files gzipped JSONL files of raw documents; returns their paths."""
    rng = random.Random(seed)
    paras = python_doc_paragraphs()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lines: list[bytes] = []
    texts: list[str] = []
    for i in range(n_docs):
        kind = rng.random()
        if kind < 0.1:
            text = rng.choice(BOILERPLATE)
        elif kind < 0.15 and texts:
            text = rng.choice(texts)  # an exact duplicate under a new id
        elif kind < 0.22 and texts:
            words = rng.choice(texts).split(" ")  # a near-duplicate: a few words changed
            for _ in range(max(1, len(words) // 60)):
                words[rng.randrange(len(words))] = rng.choice(words)
            text = " ".join(words)
        else:
            text = "\n\n".join(rng.sample(paras, rng.randint(2, 6)))
            if rng.random() < 0.1:  # synthetic PII for the pii step to find
                text += f"\n\nQuestions? Write to maintainer{i}@example.org or call +1 415-555-{1000 + i:04d}."
        texts.append(text)
        lines.append(orjson.dumps({"id": f"doc-{i:05d}", "text": text, "url": f"https://docs.example.org/p/{i}"}))
    lines.insert(len(lines) // 3, b'{"id": "broken-1", "text": "unterminated')
    lines.insert(len(lines) // 2, b'{"id": "bad-utf8", "text": "caf\xe9"}')
    lines.insert(2 * len(lines) // 3, b'{"id": "no-text", "body": "the text is under another key"}')
    lines.insert(len(lines) // 4, orjson.dumps({"id": "german-page", "text": (
        "Die Dokumentation beschreibt, wie man Module importiert und Funktionen definiert. "
        "Jede Funktion hat einen Namen, Parameter und einen Rumpf, der beim Aufruf ausgeführt wird. ") * 3}))
    paths = []
    for f in range(n_files):
        path = out_dir / f"crawl-{f:02d}.jsonl.gz"
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:  # same bytes each time
            fh.write(b"\n".join(lines[f::n_files]) + b"\n")
        paths.append(path)
    return paths
