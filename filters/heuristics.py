"""Heuristic quality rules of Gopher, C4 and FineWeb, with their published defaults.

Same rules and thresholds as datatrove's GopherQualityFilter, GopherRepetitionFilter,
C4QualityFilter and FineWebQualityFilter (their constants are imported, not copied), but the
words come from one shared tokenisation per document (filters.text_stats) instead of a spaCy
pass in every filter. The reason names the rule as datatrove does, with the measured value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from datatrove.pipeline.filters.c4_filters import CITATION_REGEX, ELLIPSIS, END_PUNCTUATION, POLICY_SUBSTRINGS
from datatrove.pipeline.filters.gopher_quality_filter import STOP_WORDS
from datatrove.pipeline.filters.gopher_repetition_filter import find_duplicates
from datatrove.utils.text import PUNCTUATION_SET, TERMINAL_PUNCTUATION

from corpus.step import LedgerStep
from filters.text_stats import NGramKeys, cached_line_words, cached_words, count_sentences, remember, words_of

PARAGRAPHS = re.compile(r"\n{2,}")
HAS_LETTER = re.compile(r"[^\W\d_]")
LINES = re.compile("\n+")


@dataclass
class GopherQualityParams:
    min_doc_words: int | None = 50
    max_doc_words: int | None = 100000
    min_avg_word_length: float | None = 3
    max_avg_word_length: float | None = 10
    max_symbol_word_ratio: float | None = 0.1
    max_bullet_lines_ratio: float | None = 0.9
    max_ellipsis_lines_ratio: float | None = 0.3
    max_non_alpha_words_ratio: float | None = 0.8
    min_stop_words: int | None = 2
    stop_words: list[str] = field(default_factory=lambda: list(STOP_WORDS))


SYMBOL, LETTER = 1, 2


class TokenClasses(dict):
    """Per token, one int: its length << 2, SYMBOL (every character is punctuation) and LETTER
    (has a letter), remembered: tokens repeat, so most lookups are one dict hit instead of a
    loop over characters, and one numpy pass reads all three."""

    LIMIT = 500_000

    def __missing__(self, w: str) -> int:
        if len(self) >= self.LIMIT:
            self.clear()
        symbol = not ((w.isascii() and w.isalnum()) or any(ch not in PUNCTUATION_SET for ch in w))
        letter = w.isalpha() or HAS_LETTER.search(w) is not None
        value = self[w] = (len(w) << 2) | (SYMBOL if symbol else 0) | (LETTER if letter else 0)
        return value


_CLASSES = TokenClasses()


class GopherQuality(LedgerStep):
    step_name = "gopher_quality"
    Params = GopherQualityParams

    def __init__(self, params=None):
        super().__init__(params)
        self.stop_words = frozenset(self.params.stop_words)

    def filter(self, doc):
        p, text = self.params, doc.text
        words = cached_words(doc)
        n_words = len(words)
        classes = np.fromiter(map(_CLASSES.__getitem__, words), dtype=np.int64, count=n_words)
        word_symbol = (classes & SYMBOL).astype(bool)
        n = n_words - int(word_symbol.sum())
        if n == 0 or (p.min_doc_words and n < p.min_doc_words):
            return False, f"gopher_short_doc ({n} words < {p.min_doc_words})"
        if p.max_doc_words and n > p.max_doc_words:
            return False, f"gopher_long_doc ({n} words > {p.max_doc_words})"
        avg = float((classes[~word_symbol] >> 2).sum()) / n
        if p.min_avg_word_length and avg < p.min_avg_word_length:
            return False, f"gopher_below_avg_threshold (mean word length {avg:.2f})"
        if p.max_avg_word_length and avg > p.max_avg_word_length:
            return False, f"gopher_above_avg_threshold (mean word length {avg:.2f})"
        if p.max_symbol_word_ratio and text.count("#") / n_words > p.max_symbol_word_ratio:
            return False, "gopher_too_many_hashes"
        if p.max_symbol_word_ratio and (text.count("...") + text.count("…")) / n_words > p.max_symbol_word_ratio:
            return False, "gopher_too_many_ellipsis"
        lines = text.splitlines()
        if p.max_bullet_lines_ratio and lines:
            bullets = sum(s.lstrip().startswith(("•", "-")) for s in lines) / len(lines)
            if bullets > p.max_bullet_lines_ratio:
                return False, f"gopher_too_many_bullets ({bullets:.2f} of lines)"
        if p.max_ellipsis_lines_ratio and lines:
            ending = sum(s.rstrip().endswith(("...", "…")) for s in lines) / len(lines)
            if ending > p.max_ellipsis_lines_ratio:
                return False, f"gopher_too_many_end_ellipsis ({ending:.2f} of lines)"
        if p.max_non_alpha_words_ratio:
            alpha = int(np.count_nonzero(classes & LETTER)) / n_words
            if alpha < p.max_non_alpha_words_ratio:
                return False, f"gopher_below_alpha_threshold ({alpha:.2f} of words)"
        if p.min_stop_words:
            found = len(self.stop_words.intersection(words))
            if found < p.min_stop_words:
                return False, f"gopher_enough_stop_words ({found} < {p.min_stop_words})"
        return True


@dataclass
class GopherRepetitionParams:
    dup_line_frac: float | None = 0.3
    dup_para_frac: float | None = 0.3
    dup_line_char_frac: float | None = 0.2
    dup_para_char_frac: float | None = 0.2
    top_n_grams: list[list[float]] = field(default_factory=lambda: [[2, 0.2], [3, 0.18], [4, 0.16]])
    dup_n_grams: list[list[float]] = field(
        default_factory=lambda: [[5, 0.15], [6, 0.14], [7, 0.13], [8, 0.12], [9, 0.11], [10, 0.10]])


def top_duplicate_chars(grams: NGramKeys, n: int) -> int:
    """Characters of the most frequent n-gram times its count (datatrove's find_top_duplicate).

    datatrove joins with spaces here: `grams` must be built with separator=" ", whose
    lengths count one trailing space more than the joined string.
    """
    return top_duplicate(*grams.keys(n))[0]


def top_duplicate(keys: np.ndarray, lengths: np.ndarray) -> tuple[int, int]:
    """(characters of the most frequent n-gram times its count, that count)."""
    if not len(keys):
        return 0, 0
    ordered = np.sort(keys)  # a sort, not an argsort: only the few most frequent keys need positions
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    counts = np.diff(np.append(starts, len(ordered)))
    best = int(counts.max())
    if best == 1:
        at = 0
    else:  # ties: the n-gram seen first, as Counter.most_common does
        tied = ordered[starts[counts == best]]
        at = int(np.flatnonzero(keys == tied[0])[0]) if len(tied) == 1 else int(np.flatnonzero(np.isin(keys, tied))[0])
    return int(lengths[at] - 1) * best, best


def repeat_mask(keys: np.ndarray) -> np.ndarray:
    """True where the n-gram at that position occurs more than once in the document."""
    if len(keys) < 2:
        return np.zeros(len(keys), dtype=bool)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    new_run = np.empty(len(keys), dtype=bool)
    new_run[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new_run[1:])
    run = np.cumsum(new_run) - 1
    mask = np.empty(len(keys), dtype=bool)
    mask[order] = np.bincount(run)[run] > 1
    return mask


def greedy_repeated_chars(keys: np.ndarray, lengths: np.ndarray, n: int, mask: np.ndarray) -> int:
    """datatrove's find_all_duplicate walk, visiting only positions whose n-gram repeats: a
    unique one is never "seen before", and adding it to `seen` changes nothing."""
    keys_list, lengths_list = keys.tolist(), lengths.tolist()
    seen, repeated, idx = set(), 0, 0
    for pos in np.flatnonzero(mask).tolist():
        if pos < idx:  # inside the n words skipped after the last repeat
            continue
        key = keys_list[pos]
        if key in seen:
            repeated += lengths_list[pos]
            idx = pos + n
        else:
            seen.add(key)
            idx = pos + 1
    return repeated


def all_duplicate_chars(grams: NGramKeys, n: int) -> int:
    """datatrove's find_all_duplicate (greedy: a repeated n-gram skips n words), on keys."""
    keys, lengths = grams.keys(n)
    mask = repeat_mask(keys)
    return greedy_repeated_chars(keys, lengths, n, mask) if mask.any() else 0


class GopherRepetition(LedgerStep):
    step_name = "gopher_repetition"
    Params = GopherRepetitionParams

    def filter(self, doc):
        p, text = self.params, doc.text
        if not text:
            return False, "empty"
        paragraphs = PARAGRAPHS.split(text.strip())
        dups, chars = find_duplicates(paragraphs)
        if p.dup_para_frac and dups / len(paragraphs) > p.dup_para_frac:
            return False, f"dup_para_frac ({dups} of {len(paragraphs)} paragraphs)"
        if p.dup_para_char_frac and chars / len(text) > p.dup_para_char_frac:
            return False, f"dup_para_char_frac ({chars / len(text):.2f})"
        lines = LINES.split(text)
        dups, chars = find_duplicates(lines)
        if p.dup_line_frac and dups / len(lines) > p.dup_line_frac:
            return False, f"dup_line_frac ({dups} of {len(lines)} lines)"
        if p.dup_line_char_frac and chars / len(text) > p.dup_line_char_frac:
            return False, f"dup_line_char_frac ({chars / len(text):.2f})"
        words = cached_words(doc)
        grams = NGramKeys(words)
        spaced = NGramKeys(words, separator=" ", plain=grams)
        count_bound = None  # an n-gram occurs at most as often as its (n-1)-word prefix
        for n, frac in sorted(p.top_n_grams):
            keys, lengths = spaced.keys(int(n))
            if not len(keys):
                continue
            if count_bound is not None and count_bound * (int(lengths.max()) - 1) <= frac * len(text):
                continue
            chars, count_bound = top_duplicate(keys, lengths)
            share = chars / len(text)
            if share > frac:
                return False, f"top_{int(n)}_gram ({share:.2f})"
        for n, frac in sorted(p.dup_n_grams):
            keys, lengths = grams.keys(int(n))
            mask = repeat_mask(keys)
            if not mask.any():
                break  # an n-gram that repeats contains a shorter one that repeats: none longer either
            # the walk counts some of the repeating positions: their total bounds it from above
            if int(lengths[mask].sum()) <= frac * len(text):
                continue
            share = greedy_repeated_chars(keys, lengths, int(n), mask) / len(text)
            if share > frac:
                return False, f"duplicated_{int(n)}_n_grams ({share:.2f})"
        return True


@dataclass
class C4Params:
    remove_citations: bool = True
    filter_no_terminal_punct: bool = True
    min_num_sentences: int = 5
    min_words_per_line: int = 3
    max_word_length: int = 1000
    filter_lorem_ipsum: bool = True
    filter_javascript: bool = True
    filter_curly_bracket: bool = True
    filter_policy: bool = True


def sentences_in_line(line: str, words: list[str]) -> int:
    """Sentences in one kept line; a line with at most one end mark, at its end, is one sentence."""
    marks = line.count(".") + line.count("!") + line.count("?")
    if marks == 0 or (marks == 1 and line.rstrip("\"'").endswith((".", "!", "?"))):
        return 1
    return count_sentences(words)


class C4Quality(LedgerStep):
    """C4's line rules: drops lines (javascript, policy, no end punctuation, ...) and whole documents."""

    step_name = "c4_quality"
    Params = C4Params

    def filter(self, doc):
        p = self.params
        sentences, kept, kept_words = 0, [], []
        for line, tokens in zip(doc.text.splitlines(), cached_line_words(doc)):
            line = line.strip()
            words = line.split()
            if (p.max_word_length != -1 and len(line) > p.max_word_length
                    and max(map(len, words), default=0) > p.max_word_length):
                continue
            if p.remove_citations:
                line, cited = CITATION_REGEX.subn("", line)
                if cited:
                    tokens = words_of(line)
            if p.filter_no_terminal_punct and (not line.endswith(END_PUNCTUATION) or line.endswith(ELLIPSIS)):
                continue
            if len(words) < p.min_words_per_line:
                continue
            lower = line.lower()
            if p.filter_lorem_ipsum and "lorem ipsum" in lower:
                return False, "lorem_ipsum"
            if p.filter_javascript and "javascript" in lower:
                continue
            if p.filter_curly_bracket and "{" in line:
                return False, "curly_bracket"
            if p.filter_policy and any(s in lower for s in POLICY_SUBSTRINGS):
                continue
            if p.min_num_sentences != -1:
                sentences += sentences_in_line(line, tokens)
            kept.append(line)
            kept_words.append(tokens)
        if sentences < p.min_num_sentences:
            return False, f"too_few_sentences ({sentences} < {p.min_num_sentences})"
        doc.text = "\n".join(kept).strip()
        remember(doc.text, kept_words)  # the next steps need not tokenise the rewritten text again
        return True


@dataclass
class FineWebParams:
    line_punct_thr: float = 0.12
    line_punct_exclude_zero: bool = False
    short_line_thr: float = 0.67
    short_line_length: int = 30
    char_duplicates_ratio: float = 0.01
    new_line_ratio: float = 0.3


class FineWebQuality(LedgerStep):
    step_name = "fineweb_quality"
    Params = FineWebParams
    stop_chars = tuple(TERMINAL_PUNCTUATION)

    def filter(self, doc):
        p, text = self.params, doc.text
        lines = [line for line in text.split("\n") if line.strip() != ""]
        if not lines:
            return False, "empty"
        ratio = sum(1 for line in lines if line.endswith(self.stop_chars)) / len(lines)
        if ratio < p.line_punct_thr and not (ratio == 0 and p.line_punct_exclude_zero):
            return False, f"line_punct_ratio ({ratio:.2f})"
        ratio = sum(1 for line in lines if len(line) <= p.short_line_length) / len(lines)
        if ratio > p.short_line_thr:
            return False, f"short_line_ratio ({ratio:.2f})"
        ratio = find_duplicates(lines)[1] / len(text.replace("\n", ""))
        if ratio > p.char_duplicates_ratio:
            return False, f"char_dup_ratio ({ratio:.3f})"
        words = cached_words(doc)
        ratio = text.count("\n") / len(words) if words else float("inf")
        if ratio > p.new_line_ratio:
            return False, f"list_ratio ({ratio:.2f})"
        return True
