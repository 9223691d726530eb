"""A raw crawl built at run time from text that ships with Python (the pydoc topics).

Used by `corpus demo`; deterministic for a given seed. The domain text is Python's own
documentation; around it, what real crawls have: navigation and cookie boilerplate, keyword
spam, pages in other languages, exact and near duplicates, emails, phone numbers and card
numbers, pages that quote the held-out set (eval leakage), malformed lines and a line of invalid
UTF-8. The paragraphs are split three ways
and never shared: the crawl, the classifier's positive seeds, and a held-out set for eval.
"""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass
from pathlib import Path

import orjson

BOILERPLATE = ["Home | Docs | Blog | About | Contact", "We use cookies to improve your experience. Accept all cookies.",
               "Subscribe to our newsletter for weekly updates!", "404 Not Found", "Click here to continue",
               "Sign in · Register · Forgot password?", "© 2026 Example Corp. All rights reserved. Privacy · Terms"]
SPAM_WORDS = ["buy", "cheap", "best", "price", "discount", "watches", "casino", "bonus", "free", "win", "deal",
              "online", "now", "offer", "limited", "pills", "crypto", "profit", "click", "today"]
OTHER_LANGUAGES = {
    "de": ["Die Dokumentation beschreibt, wie man Module importiert und Funktionen definiert.",
           "Jede Funktion hat einen Namen, Parameter und einen Rumpf, der beim Aufruf ausgeführt wird.",
           "Ausnahmen werden mit try und except behandelt, damit das Programm nicht abbricht.",
           "Listen und Wörterbücher sind die wichtigsten eingebauten Datenstrukturen der Sprache."],
    "fr": ["La documentation explique comment importer des modules et définir des fonctions.",
           "Chaque fonction possède un nom, des paramètres et un corps exécuté lors de l'appel.",
           "Les exceptions sont traitées avec try et except afin que le programme continue.",
           "Les listes et les dictionnaires sont les structures de données intégrées les plus utilisées."],
    "es": ["La documentación explica cómo importar módulos y definir funciones.",
           "Cada función tiene un nombre, parámetros y un cuerpo que se ejecuta al llamarla.",
           "Las excepciones se manejan con try y except para que el programa no se detenga.",
           "Las listas y los diccionarios son las estructuras de datos integradas más usadas."],
}
DOMAIN_HOSTS = ["docs.example.org", "wiki.example.org", "blog.example.com"]
SPAM_HOSTS = ["deals.example.net", "casino.example.biz"]


def python_doc_paragraphs() -> list[str]:
    from pydoc_data.topics import topics

    paragraphs = []
    for name in sorted(topics):
        for para in topics[name].split("\n\n"):
            para = " ".join(para.split())
            if len(para) > 200:
                paragraphs.append(para)
    return paragraphs


@dataclass
class SampleParts:
    crawl: list[Path]
    positive_seeds: Path
    negative_seeds: Path
    heldout: Path


def _not_sharing_13_grams(candidates: list[str], others: list[str]) -> list[str]:
    """The candidates that share no 13-word sequence with the others: pydoc topics repeat
    passages across topics, and the held-out set must be unseen unless a page quotes it."""
    import re

    def grams(text):
        w = re.findall(r"\w+", text.lower())
        return {tuple(w[i:i + 13]) for i in range(len(w) - 12)}

    seen = set().union(*(grams(t) for t in others))
    return [t for t in candidates if not grams(t) & seen]


def _spam(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(6, 12)):
        lines.append(" ".join(rng.choice(SPAM_WORDS) for _ in range(rng.randint(8, 14))).capitalize() + "!")
    return "\n".join(lines * rng.randint(2, 3))


def _boilerplate(rng: random.Random) -> str:
    return "\n".join(rng.sample(BOILERPLATE, rng.randint(1, 4)))


def _other_language(rng: random.Random) -> tuple[str, str]:
    lang = rng.choice(sorted(OTHER_LANGUAGES))
    sentences = OTHER_LANGUAGES[lang]
    return lang, " ".join(rng.choice(sentences) for _ in range(rng.randint(4, 8)))


def _pii_line(rng: random.Random, i: int) -> str:
    card = rng.choice(["4111 1111 1111 1111", "5500 0000 0000 0004"])
    return rng.choice([f"Questions? Write to maintainer{i}@example.org or call +1 415-555-{1000 + i % 9000:04d}.",
                       f"Billing contact: billing{i}@example.com, card on file {card}.",
                       f"Server logs from 203.0.113.{i % 250 + 1} were sent to ops{i}@example.net."])


def _write_jsonl_gz(path: Path, lines: list[bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:  # same bytes each time
        fh.write(b"\n".join(lines) + b"\n")
    return path


def write_sample(out_dir: str | Path, n_docs: int = 600, n_files: int = 2, seed: int = 0) -> SampleParts:
    """Write the crawl (n_files gzipped JSONL), the classifier seeds and the held-out set."""
    rng = random.Random(seed)
    paras = python_doc_paragraphs()
    rng.shuffle(paras)
    n = len(paras)
    heldout_paras, seed_paras, crawl_paras = paras[: n // 8], paras[n // 8: n // 4], paras[n // 4:]
    heldout_paras = _not_sharing_13_grams(heldout_paras, seed_paras + crawl_paras)
    out_dir = Path(out_dir)
    lines: list[bytes] = []
    texts: list[str] = []
    for i in range(n_docs):
        kind = rng.random()
        host = rng.choice(DOMAIN_HOSTS)
        if kind < 0.08:
            text = _boilerplate(rng)
        elif kind < 0.20:
            text, host = _spam(rng), rng.choice(SPAM_HOSTS)
        elif kind < 0.26:
            text = _other_language(rng)[1]
        elif kind < 0.32 and texts:
            text = rng.choice(texts)  # an exact duplicate under a new id
        elif kind < 0.40 and texts:
            words = rng.choice(texts).split(" ")  # a near-duplicate: a few words changed
            for _ in range(max(1, len(words) // 60)):
                words[rng.randrange(len(words))] = rng.choice(words)
            text = " ".join(words)
        else:
            text = "\n\n".join(rng.sample(crawl_paras, rng.randint(2, 6)))
            if rng.random() < 0.15:  # synthetic PII for the pii step to find
                text += "\n\n" + _pii_line(rng, i)
        texts.append(text)
        lines.append(orjson.dumps({"id": f"doc-{i:05d}", "text": text, "url": f"https://{host}/p/{i}"}))
    for k in range(4):  # eval leakage: pages that quote a held-out paragraph inside other text
        quote = heldout_paras[3 * k]  # one paragraph of each of the first held-out documents
        text = "\n\n".join(rng.sample(crawl_paras, 2) + [quote] + rng.sample(crawl_paras, 1))
        lines.insert(rng.randrange(len(lines)), orjson.dumps({"id": f"leak-{k}", "text": text,
                                                              "url": f"https://forum.example.com/t/{k}"}))
    lines.insert(len(lines) // 3, b'{"id": "broken-1", "text": "unterminated')
    lines.insert(len(lines) // 2, b'{"id": "bad-utf8", "text": "caf\xe9"}')
    lines.insert(2 * len(lines) // 3, b'{"id": "no-text", "body": "the text is under another key"}')
    crawl = [_write_jsonl_gz(out_dir / "raw" / f"crawl-{f:02d}.jsonl.gz", lines[f::n_files]) for f in range(n_files)]

    def records(texts_: list[str], prefix: str) -> list[bytes]:
        return [orjson.dumps({"id": f"{prefix}-{k:04d}", "text": t}) for k, t in enumerate(texts_)]

    positives = ["\n\n".join(seed_paras[k:k + 3]) for k in range(0, len(seed_paras) - 2, 3)]
    negatives = [_spam(rng) for _ in range(40)] + [_boilerplate(rng) for _ in range(30)]
    negatives += [_other_language(rng)[1] for _ in range(20)]
    heldout = ["\n\n".join(heldout_paras[k:k + 3]) for k in range(0, len(heldout_paras) - 2, 3)]
    return SampleParts(
        crawl=crawl,
        positive_seeds=_write_jsonl_gz(out_dir / "seeds" / "positive.jsonl.gz", records(positives, "pos")),
        negative_seeds=_write_jsonl_gz(out_dir / "seeds" / "negative.jsonl.gz", records(negatives, "neg")),
        heldout=_write_jsonl_gz(out_dir / "heldout" / "heldout.jsonl.gz", records(heldout, "heldout")),
    )
