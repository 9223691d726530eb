"""Language ID: corpusmill's `language` step vs raw fastText (same lid.176.ftz) vs langdetect.

Data: ../shared/bench/lid_sentences.jsonl.gz (Lingua test sentences, 75 languages), only the
languages lid.176 knows. Documents of 3 and 5 consecutive sentences of one language, one
sentence per line; "+ boilerplate" adds two English navigation/cookie lines to each document.
Raw fastText scores the whole text as one line; corpusmill's default (`whole`) does the same
up to 20,000 characters and samples paragraphs evenly through longer texts; `vote` lets
paragraphs vote weighted by length. A "long page" row puts 40 lines of English navigation
before 5 sentences repeated to ~20 KB, where scoring only the first 1,000 characters fails.
Prints overall accuracy, docs/s, and accuracy per language.
Without the shared file it generates nothing meaningful and says so.

    .venv/bin/python bench/language_peers.py [--langdetect-sample 3000]
"""

from __future__ import annotations

import argparse
import gzip
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SHARED  # noqa: E402

BOILERPLATE = ["Home | News | Sport | Weather | Contact us | Privacy policy",
               "We use cookies to give you the best experience. Accept all cookies"]


def load() -> dict[str, list[str]]:
    path = SHARED / "lid_sentences.jsonl.gz"
    if not path.is_file():
        raise SystemExit(f"{path} is missing: this benchmark needs the real test sentences "
                         "(set CORPUS_BENCH_DATA to the folder that has lid_sentences.jsonl.gz)")
    by_lang = defaultdict(list)
    with gzip.open(path, "rb") as f:
        for line in f:
            row = orjson.loads(line)
            by_lang[row["lang"]].append(" ".join(row["text"].split()))
    return by_lang


def make_docs(by_lang, size: int, boilerplate: bool) -> list[tuple[str, str]]:
    rng = random.Random(size)
    docs = []
    for lang, sentences in by_lang.items():
        for i in range(0, len(sentences) - size + 1, size):
            lines = sentences[i:i + size]
            if boilerplate:
                lines = [BOILERPLATE[0], *lines, BOILERPLATE[1]]
            docs.append((lang, "\n".join(lines)))
    rng.shuffle(docs)
    return docs


def long_pages(by_lang, per_lang: int = 20) -> list[tuple[str, str]]:
    """Crawled-page shape: a long English navigation block, then the body (~20 KB)."""
    nav = "\n".join(f"{BOILERPLATE[i % 2]} section {i}" for i in range(40))
    docs = []
    for lang, sentences in by_lang.items():
        for i in range(0, min(len(sentences), per_lang * 5), 5):
            body = "\n".join(sentences[i:i + 5])
            docs.append((lang, nav + "\n" + "\n".join([body] * max(1, 20_000 // max(len(body), 1)))))
    return docs


def evaluate(name, predict, docs) -> tuple[float, float, dict]:
    per_lang = defaultdict(lambda: [0, 0])
    start = time.perf_counter()
    for lang, text in docs:
        got = predict(text)
        per_lang[lang][0] += got == lang
        per_lang[lang][1] += 1
    seconds = time.perf_counter() - start
    correct = sum(c for c, _ in per_lang.values())
    return correct / len(docs), len(docs) / seconds, {k: c / n for k, (c, n) in per_lang.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--langdetect-sample", type=int, default=3000)
    args = ap.parse_args()

    from filters.language import LanguageModel

    model = LanguageModel()
    known = set()
    for probe in ("x", "hello world", "привет мир", "你好世界", "مرحبا"):
        known |= {label.removeprefix("__label__") for label in model.model.predict(probe, k=1000)[0]}
    by_lang = load()
    by_lang = {k: v for k, v in by_lang.items() if k in known}
    print(f"{len(by_lang)} languages known to lid.176 of the bench's 75; {sum(map(len, by_lang.values())):,} sentences")

    def raw_fasttext(text):
        return model.predict_line(text)[0]

    def ours(text):
        return model.predict_document(text)[0]

    def vote(text):
        return model.predict_document(text, "vote")[0]

    def first_1000(text):
        return model.predict_line(text[:1000])[0]

    import langdetect
    from langdetect import DetectorFactory

    DetectorFactory.seed = 0

    def langdetect_predict(text):
        try:
            return langdetect.detect(text).split("-")[0]
        except langdetect.lang_detect_exception.LangDetectException:
            return "und"

    settings = [("single sentences", 1, False), ("3 sentences", 3, False), ("5 sentences", 5, False),
                ("3 sentences + boilerplate", 3, True), ("5 sentences + boilerplate", 5, True)]
    per_language = {}
    print(f"\n{'documents':28}{'n':>7}{'raw fastText':>13}{'ours':>7}{'vote':>7}{'first 1k':>9}"
          f"{'langdetect*':>12}{'ours docs/s':>12}{'langdetect docs/s':>18}")
    rows = [(label, make_docs(by_lang, size, noisy)) for label, size, noisy in settings]
    rows.append(("long page (nav + 20 KB)", long_pages(by_lang)))
    for label, docs in rows:
        raw_acc, _, raw_langs = evaluate("raw", raw_fasttext, docs)
        our_acc, our_rate, our_langs = evaluate("ours", ours, docs)
        vote_acc = evaluate("vote", vote, docs)[0]
        head_acc = evaluate("first 1k", first_1000, docs)[0]
        ld_acc, ld_rate, _ = evaluate("langdetect", langdetect_predict, docs[: args.langdetect_sample])
        per_language[label] = (our_langs, raw_langs)
        print(f"{label:28}{len(docs):>7,}{raw_acc:>13.3f}{our_acc:>7.3f}{vote_acc:>7.3f}{head_acc:>9.3f}"
              f"{ld_acc:>12.3f}{our_rate:>12,.0f}{ld_rate:>18,.0f}")
    print(f"* langdetect on the first {args.langdetect_sample:,} documents of each row (it is slow)")

    print("\naccuracy per language, corpusmill / raw fastText:")
    cols = ["single sentences", "5 sentences", "5 sentences + boilerplate"]
    print(f"{'lang':6}" + "".join(f"{c:>28}" for c in cols))
    for lang in sorted(by_lang):
        print(f"{lang:6}" + "".join(f"{per_language[c][0][lang]:>20.3f} / {per_language[c][1][lang]:.3f}"
                                    for c in cols))


if __name__ == "__main__":
    main()
