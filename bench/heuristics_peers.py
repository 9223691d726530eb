"""Heuristic quality rules: corpusmill's four steps vs datatrove's four filters, same thresholds.

Documents: BBC articles (../shared/bench) plus variants that trip the rules (two-line stubs,
bullet lists, repeated lines, ellipsis-heavy text, cookie/policy lines, short lines), or
generated text when the shared file is absent. Each filter judges every document on its own
(a fresh copy each time). Prints keep/remove agreement per filter, the disagreements, and the
time of all four: datatrove re-tokenises with spaCy in each filter, ours tokenises once.

    .venv/bin/python bench/heuristics_peers.py [--show 5]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import source_paragraphs  # noqa: E402


def documents() -> tuple[list[str], str]:
    import gzip

    import orjson

    from common import SHARED

    bbc = SHARED / "bbc_news.jsonl.gz"
    if bbc.is_file():
        with gzip.open(bbc, "rb") as f:
            base = [orjson.loads(line)["text"] for line in f]
        source = "BBC news"
    else:
        paras, source = source_paragraphs()
        rng = random.Random(0)
        base = ["\n\n".join(rng.sample(paras, 6)) for _ in range(2000)]
    rng = random.Random(1)
    variants = []
    for text in base[:1200]:
        lines = text.split("\n")
        kind = rng.randrange(6)
        if kind == 0:
            variants.append("\n".join(lines[:2]))
        elif kind == 1:
            variants.append("\n".join("- " + line[:40] for line in lines))
        elif kind == 2:
            variants.append("\n".join(lines + lines[:3] * 3))
        elif kind == 3:
            variants.append(text.replace(". ", "... "))
        elif kind == 4:
            variants.append(text + "\nThis site uses cookies. Read our privacy policy.\nEnable JavaScript to continue.")
        else:
            variants.append("\n".join(w for line in lines for w in line.split(", ")))
    return base + variants, source


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--show", type=int, default=5, help="disagreements to print per filter")
    args = ap.parse_args()

    from datatrove.data import Document
    from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter, GopherQualityFilter,
                                            GopherRepetitionFilter)

    from filters.heuristics import C4Quality, FineWebQuality, GopherQuality, GopherRepetition

    docs, source = documents()
    pairs = [("gopher_quality", GopherQualityFilter(), GopherQuality()),
             ("gopher_repetition", GopherRepetitionFilter(), GopherRepetition()),
             ("c4_quality", C4QualityFilter(), C4Quality()),
             ("fineweb_quality", FineWebQualityFilter(), FineWebQuality())]
    for _, theirs, _ in pairs:  # warm up spaCy
        theirs.filter(Document(text=docs[0], id="warm"))

    def judge(filters):
        decisions = [[] for _ in filters]
        start = time.perf_counter()
        for i, text in enumerate(docs):
            for k, f in enumerate(filters):
                result = f.filter(Document(text=text, id=str(i)))  # same str object: ours reuse its words
                decisions[k].append(result is True or (isinstance(result, tuple) and result[0]))
        return decisions, time.perf_counter() - start

    theirs, t_theirs = judge([p[1] for p in pairs])
    ours, t_ours = judge([p[2] for p in pairs])
    print(f"{len(docs):,} documents ({source} and rule-tripping variants)\n")
    print(f"{'filter':20}{'agreement':>10}{'removed (datatrove)':>21}{'removed (ours)':>16}")
    for k, (name, _, _) in enumerate(pairs):
        same = sum(a == b for a, b in zip(theirs[k], ours[k]))
        print(f"{name:20}{same / len(docs):>10.4f}{theirs[k].count(False):>21,}{ours[k].count(False):>16,}")
    print(f"\nall four filters: datatrove {t_theirs:.1f} s ({t_theirs / len(docs) * 1e3:.2f} ms/doc), "
          f"ours {t_ours:.2f} s ({t_ours / len(docs) * 1e3:.2f} ms/doc): {t_theirs / t_ours:.1f}x faster")
    for k, (name, theirs_f, ours_f) in enumerate(pairs):
        diff = [i for i in range(len(docs)) if theirs[k][i] != ours[k][i]]
        for i in diff[: args.show]:
            a = theirs_f.filter(Document(text=docs[i], id="x"))
            b = ours_f.filter(Document(text=docs[i], id="x"))
            print(f"  {name} doc {i}: datatrove {a}, ours {b}")


if __name__ == "__main__":
    main()
