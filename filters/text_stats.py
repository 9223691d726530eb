"""What the heuristic rules need from a text, computed once per document and shared.

datatrove tokenises with spaCy in every filter. Here one regex tokenizer that follows
spaCy's English rules where they matter for the rules (punctuation split off, contractions,
units after numbers, URLs and emails whole) runs once; bench/heuristics_peers.py measures
decision agreement with datatrove's filters on the same documents.
"""

from __future__ import annotations

import re

import numpy as np

ABBREVIATIONS = ("Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Sr", "Jr", "Inc", "Ltd", "Co", "Corp", "vs", "etc",
                 "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "Gov",
                 "Gen", "Sen", "Rep", "Rev", "Mt", "No")
WORD = re.compile(
    r"""https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.-]+"""  # URLs and emails stay whole
    r"""|(?:[A-Za-z]\.){2,}"""  # U.S., e.g.: one token, as in spaCy's exceptions
    r"""|\b(?:""" + "|".join(ABBREVIATIONS) + r""")\.(?!\w)"""
    r"""|\w+(?=n't\b)|n't\b|'(?:s|re|ve|ll|d|m)\b"""  # contractions: "is" "n't", "It" "'s"
    r"""|\d+(?:[.,:]\d+)*(?=(?:km|cm|mm|kg|mg|mph|ml|m|g|h|s|l)\b)"""  # "600m" -> "600" "m"
    r"""|\w+(?:[.,:]\d+\w*)*(?:'(?!s\b|re\b|ve\b|ll\b|d\b|m\b|t\b)\w+)?"""  # "1.5bn" whole, as spaCy
    r"""|\.\.\.|[^\w\s]""", re.IGNORECASE)
SENTENCE_END = frozenset(".!?")


ABBREVIATIONS_LOWER = frozenset(a.lower() for a in ABBREVIATIONS)


def words_of(text: str) -> list[str]:
    """Tokens; plain alphanumeric chunks (most of prose) skip the regex, and so do letters
    followed by one punctuation mark ("crops," "rain.") unless they are an abbreviation."""
    out: list[str] = []
    append, extend, findall = out.append, out.extend, WORD.findall
    for chunk in text.split():
        if chunk.isalnum():
            append(chunk)
            continue
        head, last = chunk[:-1], chunk[-1]
        if head.isalpha() and not last.isalnum() and last != "_" and head.lower() not in ABBREVIATIONS_LOWER:
            append(head)
            append(last)
        else:
            extend(findall(chunk))
    return out


def words_of_by_regex(text: str) -> list[str]:
    """The tokenisation words_of shortcuts (kept for the test that they agree)."""
    out: list[str] = []
    for chunk in text.split():
        out.extend([chunk] if chunk.isalnum() else WORD.findall(chunk))
    return out


_P = np.uint64(0x100000001B3)
_POWER_TABLES: dict[int, np.ndarray] = {}


def power_table(base: int, length: int) -> np.ndarray:
    """base^k mod 2^64 for k < length: one table per base and process, grown when a longer text comes."""
    table = _POWER_TABLES.get(base)
    if table is None or len(table) < length:
        steps = np.full(max(length, 2 * len(table) if table is not None else 0, 1 << 14), base, dtype=np.uint64)
        steps[0] = 1
        with np.errstate(over="ignore"):
            table = _POWER_TABLES[base] = np.cumprod(steps, dtype=np.uint64)
    return table[:length]


class NGramKeys:
    """Keys of word n-grams that compare like datatrove's joined n-gram strings.

    A polynomial hash over the characters of the concatenated words (mod 2^64) and the
    n-gram's length, both from prefix arrays, so that no n-gram string is built. With
    separator=" " each word carries a trailing space, so keys compare like " ".join(...)
    (the reported length then includes that one extra trailing space).
    """

    def __init__(self, words: list[str], separator: str = "", plain: "NGramKeys | None" = None):
        if plain is not None and len(separator) == 1:  # the plain keys' characters, a separator after each word
            self.n_words = plain.n_words
            self.offsets = plain.offsets + np.arange(plain.n_words + 1, dtype=np.int64)
            codes = np.insert(plain.codes, plain.offsets[1:], np.uint64(ord(separator)))
        else:
            if separator:
                words = [w + separator for w in words]
            self.n_words = len(words)
            lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
            self.offsets = np.zeros(len(words) + 1, dtype=np.int64)
            np.cumsum(lengths, out=self.offsets[1:])
            codes = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        self.codes = codes
        self.powers = power_table(int(_P), len(codes) + 1)  # powers[k] = P^k mod 2^64
        with np.errstate(over="ignore"):
            self.prefix = np.zeros(len(codes) + 1, dtype=np.uint64)
            np.cumsum((codes + np.uint64(1)) * self.powers[:-1], out=self.prefix[1:])

    def keys(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(key, character length) of every n-gram, in order; equal keys mean equal strings."""
        m = self.n_words - n + 1
        if m <= 0:
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        start, end = self.offsets[:m], self.offsets[n:n + m]
        with np.errstate(over="ignore"):
            # h(s) * P^start: compare h(s) at a common shift by scaling with the power at the end
            shifted = (self.prefix[end] - self.prefix[start]) * self.powers[len(self.powers) - 1 - start]
        lengths = end - start
        return shifted ^ lengths.astype(np.uint64), lengths


def count_sentences(words: list[str]) -> int:
    """spaCy's rule-based sentencizer, on tokens: a sentence ends after end punctuation once a
    token that is neither punctuation nor end punctuation follows."""
    if not words:
        return 0
    sentences, seen_end = 1, False
    for w in words:
        is_end = w in SENTENCE_END  # like spaCy: a "..." token ends nothing
        if seen_end and not is_end and (w[0].isalnum() or len(w) > 1):
            sentences += 1
            seen_end = False
        elif is_end:
            seen_end = True
    return sentences


_RECENT: list[tuple[str, list[list[str]], list[str]]] = []  # (text, words per line, words) recently seen
_RECENT_SIZE = 4


def _entry(text: str) -> tuple[str, list[list[str]], list[str]]:
    for entry in _RECENT:
        if entry[0] is text:
            return entry
    per_line = [words_of(line) for line in text.splitlines()]
    return remember(text, per_line)


def remember(text: str, per_line: list[list[str]]) -> tuple[str, list[list[str]], list[str]]:
    """Record the words of a text known from its lines (str.split whitespace includes every
    line break splitlines knows, so the lines' words, in order, are the text's words)."""
    entry = (text, per_line, [w for line in per_line for w in line])
    _RECENT.insert(0, entry)
    del _RECENT[_RECENT_SIZE:]
    return entry


def cached_words(doc) -> list[str]:
    """The words of doc.text, tokenised once while the same text passes the heuristic steps.

    Steps run one document after another through the chain, so a handful of recent texts
    (matched by identity: a rewritten text is a new object) is all the cache needs.
    """
    return _entry(doc.text)[2]


def cached_line_words(doc) -> list[list[str]]:
    """The words of each line of doc.text (as str.splitlines splits it), from the same cache."""
    return _entry(doc.text)[1]
