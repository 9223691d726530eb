"""PII detection: corpusmill's `pii` step vs Presidio's pattern recognizers, span by span.

Data: ../shared/bench/pii_presidio_synth.json.gz (presidio-research synthetic sentences with
labelled spans). A predicted span is a true positive when it overlaps a gold span of the same
type; precision over predicted spans, recall over gold spans. Presidio runs its
EmailRecognizer, PhoneRecognizer, CreditCardRecognizer, IbanRecognizer, UsSsnRecognizer and
IpRecognizer directly (no spaCy model is needed for them). Also prints documents/s (three
timed passes after a warm-up pass, for both).

    .venv/bin/python bench/pii_peers.py
"""

from __future__ import annotations

import gzip
import json
import logging
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SHARED  # noqa: E402

TYPES = {"EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "CREDIT_CARD": "credit_card",
         "IBAN_CODE": "iban", "US_SSN": "ssn", "IP_ADDRESS": "ip"}


def presidio_detector():
    from presidio_analyzer.predefined_recognizers import (CreditCardRecognizer, EmailRecognizer, IbanRecognizer,
                                                          IpRecognizer, PhoneRecognizer, UsSsnRecognizer)

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    logging.getLogger("tldextract").setLevel(logging.CRITICAL)  # it tries to download a suffix list
    recognizers = [EmailRecognizer(), PhoneRecognizer(), CreditCardRecognizer(), IbanRecognizer(),
                   UsSsnRecognizer(), IpRecognizer()]

    def detect(text):
        spans = []
        for r in recognizers:
            for res in r.analyze(text, entities=r.supported_entities, nlp_artifacts=None) or []:
                if res.entity_type in TYPES:
                    spans.append((res.start, res.end, TYPES[res.entity_type]))
        return spans

    return detect


def corpusmill_detector():
    from filters.pii import PiiFinder

    finder = PiiFinder()
    return lambda text: [(s.start, s.end, s.kind) for s in finder.find(text)]


def evaluate(detect, rows):
    tp_pred, n_pred, found_gold = defaultdict(int), defaultdict(int), defaultdict(int)
    n_gold = defaultdict(int)
    predictions = [detect(r["full_text"]) for r in rows]  # also the warm-up (lazy regexes, metadata)
    start = time.perf_counter()
    for _ in range(3):
        for r in rows:
            detect(r["full_text"])
    seconds = (time.perf_counter() - start) / 3
    for r, pred in zip(rows, predictions):
        gold = [(s["start_position"], s["end_position"], TYPES[s["entity_type"]]) for s in r["spans"]
                if s["entity_type"] in TYPES]
        for g in gold:
            n_gold[g[2]] += 1
            if any(p[2] == g[2] and p[0] < g[1] and g[0] < p[1] for p in pred):
                found_gold[g[2]] += 1
        for p in pred:
            n_pred[p[2]] += 1
            if any(p[2] == g[2] and p[0] < g[1] and g[0] < p[1] for g in gold):
                tp_pred[p[2]] += 1
    scores = {}
    for kind in TYPES.values():
        precision = tp_pred[kind] / n_pred[kind] if n_pred[kind] else 0.0
        recall = found_gold[kind] / n_gold[kind] if n_gold[kind] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[kind] = (precision, recall, f1, n_gold[kind], n_pred[kind])
    return scores, len(rows) / seconds


def main():
    path = SHARED / "pii_presidio_synth.json.gz"
    if not path.is_file():
        raise SystemExit(f"{path} is missing (set CORPUS_BENCH_DATA to the folder that has it)")
    with gzip.open(path, "rt") as f:
        rows = json.load(f)
    results = {"corpusmill": evaluate(corpusmill_detector(), rows), "presidio": evaluate(presidio_detector(), rows)}
    print(f"{len(rows):,} sentences from {path.name}; overlap match per type\n")
    print(f"{'type':12}{'gold':>6}" + "".join(f"{n + ' P':>14}{'R':>7}{'F1':>7}" for n in results))
    for kind in TYPES.values():
        gold = results["corpusmill"][0][kind][3]
        cells = "".join(f"{s[kind][0]:>14.3f}{s[kind][1]:>7.3f}{s[kind][2]:>7.3f}" for s, _ in results.values())
        print(f"{kind:12}{gold:>6}{cells}")
    ours, theirs = results["corpusmill"][1], results["presidio"][1]
    print(f"\ndocs/s: corpusmill {ours:,.0f}, presidio {theirs:,.0f} ({ours / theirs:.1f}x)")


if __name__ == "__main__":
    main()
