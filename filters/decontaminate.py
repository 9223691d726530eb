"""`decontaminate`: remove (or redact) documents that share long word n-grams with eval text.

Protected text: files the user names, whole dataset versions, and with `against: [runs]` what
every training run in the store is scored on (its eval split, and each set its evals used).
Before the run, each protected set's n-grams are hashed (xxh3 of each word, combined over
the window) once and cached under STORE/.cache/decontaminate/ by its content hash; the sets
a step protects are merged into one sorted uint64 array with a parallel array naming the
set, cached by a key over all of them. Each worker
loads it once; a document's n-grams go through a presence bitmap, and the few that pass
through one vectorised binary search.
8 bytes per protected n-gram + 2 for its set + 2 for a presence bitmap checked first.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xxhash

from corpus.errors import UserError
from corpus.step import LedgerStep
from filters.text_stats import power_table

MODES = ("remove", "redact")
WORD = re.compile(r"\w+", re.UNICODE)
MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
REDACTED = "[…]"


def words_of(text: str) -> list[str]:
    return WORD.findall(text.lower())


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """Words with their character spans (for redaction); the same words as words_of."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return [(m.start(), m.end(), m.group()) for m in WORD.finditer(lowered)]
    return [(m.start(), m.end(), m.group().lower()) for m in WORD.finditer(text)]


class WordHashes(dict):
    """xxh3 of each word, remembered: words repeat (Zipf), and a dict lookup is cheaper than a hash call."""

    LIMIT = 2_000_000

    def __missing__(self, word: str) -> int:
        if len(self) >= self.LIMIT:
            self.clear()
        value = self[word] = xxhash.xxh3_64_intdigest(word.encode())
        return value


_WORD_HASHES = WordHashes()


def ngram_hashes(words: list[str], n: int) -> np.ndarray:
    """One uint64 per n-word window: a polynomial over the words' xxh3 hashes (wrapping arithmetic)."""
    if len(words) < n:
        return np.empty(0, dtype=np.uint64)
    w = np.fromiter(map(_WORD_HASHES.__getitem__, words), dtype=np.uint64, count=len(words))
    # sum_k w[i+k]·M^(n-1-k) for every i at once, from one prefix sum: S[j] = sum_{t<j} w[t]·M^-t,
    # window i = (S[i+n] - S[i])·M^(i+n-1); M is odd, so M^-1 exists modulo 2^64
    powers, inverse_powers = power_table(int(MULTIPLIER), len(w)), power_table(_INVERSE, len(w))
    with np.errstate(over="ignore"):
        prefix = np.empty(len(w) + 1, dtype=np.uint64)
        prefix[0] = 0
        np.cumsum(w * inverse_powers[:len(w)], out=prefix[1:])
        return (prefix[n:] - prefix[:-n]) * powers[n - 1:len(w)]


_INVERSE = pow(int(MULTIPLIER), -1, 1 << 64)


@dataclass
class ProtectedSet:
    name: str
    identity: str  # content hash of what it holds, for the cache key
    texts: Callable[[], Iterable[str]]  # read only when its n-grams are not cached yet


def _file_sets(files: list[str], text_field: str) -> list[ProtectedSet]:
    from corpus.text_sources import iter_texts, source_files

    sets = []
    for spec in files:
        for path in source_files(spec):
            digest = xxhash.xxh3_128_hexdigest(Path(path).read_bytes())
            sets.append(ProtectedSet(path, f"file:{digest}:{text_field}",
                                     lambda path=path: iter_texts(path, text_field)))
    return sets


def _version_rows(store, ref: str) -> tuple[str, list[dict]]:
    import pyarrow.parquet as pq

    version = store.resolve(ref)
    table = pq.read_table(store.path(version) / "data", columns=["id", "text"])
    rows = sorted(table.to_pylist(), key=lambda r: r["id"])
    return str(version), rows


def _version_set(store, ref: str, split: str = "all", eval_share: float = 0.05) -> ProtectedSet:
    from corpus.eval_split import split as eval_split

    version = store.resolve(ref)
    content = store.manifest(version)["content_hash"]

    def texts():
        rows = _version_rows(store, ref)[1]
        return [r["text"] for r in (eval_split(rows, eval_share)[1] if split == "eval" else rows)]

    if split == "eval":
        return ProtectedSet(f"{version} (eval split)", f"version:{content}:eval:{eval_share}", texts)
    return ProtectedSet(str(version), f"version:{content}:all", texts)


def _run_sets(store) -> list[ProtectedSet]:
    """What each finished run is scored on: its own eval split and every set its evals name."""
    wanted: dict[tuple, None] = {}
    runs_dir = store.root / "runs"
    for run_dir in sorted(runs_dir.iterdir()) if runs_dir.is_dir() else []:
        if run_dir.name.startswith(".") or not (run_dir / "run.json").is_file():
            continue
        run = json.loads((run_dir / "run.json").read_text())
        share = run["data"].get("eval_share", 0.05)
        if "@" in run["data"]["ref"] and run["data"].get("eval_docs"):
            wanted[(run["data"]["ref"], "eval", share)] = None
        evals = json.loads((run_dir / "eval.json").read_text()) if (run_dir / "eval.json").is_file() else []
        for e in evals:
            if "@" in str(e.get("data")):
                wanted[(e["data"], e.get("split", "all"), share)] = None
    sets = []
    for ref, split, share in wanted:
        try:
            sets.append(_version_set(store, ref, split, share))
        except UserError:
            continue  # a run trained on data no longer in the store protects nothing
    return sets


@dataclass
class DecontaminateParams:
    ngram: int = 13  # words per n-gram (GPT-3 / DCLM practice)
    files: list[str] = field(default_factory=list)  # JSONL/Parquet/text files or globs of eval text
    text_field: str = "text"  # the text column of those files
    against: list[str] = field(default_factory=list)  # DATASET@vN (all its documents) and/or "runs"
    mode: str = "remove"  # remove | redact (cut the overlapping words out, keep the document)
    min_matches: int = 1  # shared n-grams that make a document contaminated
    index_key: str = field(default="", init=False)  # set before the run: which protected content
    index_path: str = field(default="", init=False)
    set_names: list[str] = field(default_factory=list, init=False)

    def validate(self, where: str):
        if self.mode not in MODES:
            raise UserError(f"{where}.mode: {self.mode!r} is not one of {', '.join(MODES)}")
        if self.ngram < 3:
            raise UserError(f"{where}.ngram: at least 3 words, got {self.ngram}")
        if self.min_matches < 1:
            raise UserError(f"{where}.min_matches: at least 1")
        if not (self.files or self.against):
            raise UserError(f"{where}: name what to protect: files and/or against: [runs, DATASET@vN]")

    def resolve_paths(self, base_dir: Path, where: str):
        self.files = [f if os.path.isabs(f) or "://" in f else str((base_dir / f).resolve()) for f in self.files]

    def prepare(self, store, say=lambda msg: None) -> None:
        """Gather the protected sets and build (or reuse) their n-gram index in the store's cache."""
        sets = _file_sets(self.files, self.text_field)
        sets += [_version_set(store, ref) for ref in self.against if ref != "runs"]
        if "runs" in self.against:
            sets += _run_sets(store)
        if len(sets) > 65_535:
            raise UserError("decontaminate: more than 65,535 protected sets")
        key = hashlib.sha256(json.dumps([self.ngram, sorted(s.identity for s in sets)]).encode()).hexdigest()[:20]
        ordered = sorted(sets, key=lambda s: s.identity)
        self.index_key, self.set_names = key, [s.name for s in ordered]
        cache = store.root / ".cache" / "decontaminate"
        path = cache / f"{key}.npz"
        self.index_path = str(path)
        if path.is_file():
            say(f"decontaminate: {len(sets)} protected sets, index cached ({path.name})")
            return
        cache.mkdir(parents=True, exist_ok=True)
        per_set = [_set_hashes(s, self.ngram, cache, say) for s in ordered]
        all_hashes = np.concatenate(per_set) if per_set else np.empty(0, dtype=np.uint64)
        all_owners = np.concatenate([np.full(len(h), i, dtype=np.uint16) for i, h in enumerate(per_set)]) \
            if per_set else np.empty(0, dtype=np.uint16)
        order = np.argsort(all_hashes, kind="stable")
        _save_npz(path, hashes=all_hashes[order], owners=all_owners[order], bitmap=presence_bitmap(all_hashes))
        say(f"decontaminate: {len(sets)} protected sets, {len(all_hashes):,} {self.ngram}-grams indexed "
            f"({(all_hashes.nbytes + all_owners.nbytes) * (1 + BITMAP_BITS_PER_ENTRY / 80) / 1e6:.1f} MB)")


def _save_npz(path: Path, **arrays) -> None:
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def _set_hashes(protected: ProtectedSet, n: int, cache: Path, say) -> np.ndarray:
    """The sorted distinct n-gram hashes of one protected set, built once per set and cached."""
    name = hashlib.sha256(json.dumps([n, protected.identity]).encode()).hexdigest()[:20]
    path = cache / f"set-{name}.npz"
    if path.is_file():
        return np.load(path)["hashes"]
    parts = [ngram_hashes(words_of(text), n) for text in protected.texts()]
    hashes = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.uint64)
    _save_npz(path, hashes=hashes)
    say(f"decontaminate: indexed {protected.name} ({len(hashes):,} {n}-grams)")
    return hashes


BITMAP_BITS_PER_ENTRY = 16  # ≈ 6% of absent n-grams pass the bitmap and need the binary search


def presence_bitmap(hashes: np.ndarray) -> np.ndarray:
    """A one-hash Bloom filter over the low bits: most n-grams of a document are absent, and one
    gather answers that for all of them before the binary search sees the few candidates."""
    bits = 1 << max(10, int(np.ceil(np.log2(max(len(hashes), 1) * BITMAP_BITS_PER_ENTRY))))
    idx = hashes & np.uint64(bits - 1)
    bitmap = np.zeros(bits // 8, dtype=np.uint8)
    np.bitwise_or.at(bitmap, (idx >> np.uint64(3)).astype(np.int64), (1 << (idx & np.uint64(7))).astype(np.uint8))
    return bitmap


class Decontaminate(LedgerStep):
    step_name = "decontaminate"
    Params = DecontaminateParams
    worker_local = ("_index",)

    @property
    def index(self) -> tuple[np.ndarray, np.ndarray]:
        if self._index is None:
            if not self.params.index_path:
                raise RuntimeError("decontaminate: the index was not prepared before the run")
            data = np.load(self.params.index_path)
            self._index = (data["hashes"], data["owners"], data["bitmap"])
        return self._index

    def matches(self, text: str) -> tuple[list | None, np.ndarray, np.ndarray]:
        """Word spans (redact mode only), the start positions of protected n-grams, and their sets."""
        spans = word_spans(text) if self.params.mode == "redact" else None
        h = ngram_hashes([w for _, _, w in spans] if spans is not None else words_of(text), self.params.ngram)
        hashes, owners, bitmap = self.index
        if not len(h) or not len(hashes):
            return spans, np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint16)
        idx = h & np.uint64(len(bitmap) * 8 - 1)
        maybe = np.nonzero((bitmap[(idx >> np.uint64(3)).astype(np.int64)] >> (idx & np.uint64(7)).astype(np.uint8)) & 1)[0]
        if not len(maybe):
            return spans, maybe, np.empty(0, dtype=np.uint16)
        pos = np.searchsorted(hashes, h[maybe])
        pos[pos == len(hashes)] = 0
        hit = hashes[pos] == h[maybe]
        return spans, maybe[hit], owners[pos[hit]]

    def filter(self, doc):
        spans, starts, owners = self.matches(doc.text)
        if len(starts) < self.params.min_matches:
            return True
        if self.params.mode == "redact":
            doc.text = redact(doc.text, spans, starts, self.params.ngram)
            return True
        counts = np.bincount(owners.astype(np.int64))
        top = int(counts.argmax())
        return False, f"{len(starts)} {self.params.ngram}-grams shared with eval set {self.params.set_names[top]}"


def redact(text: str, spans, starts: np.ndarray, n: int) -> str:
    """The text with every word covered by a protected n-gram cut out (one marker per cut)."""
    covered = np.zeros(len(spans), dtype=bool)
    for s in starts:
        covered[s:s + n] = True
    out, last, k = [], 0, 0
    while k < len(spans):
        if not covered[k]:
            k += 1
            continue
        j = k
        while j + 1 < len(spans) and covered[j + 1]:
            j += 1
        out += [text[last:spans[k][0]], REDACTED]
        last = spans[j][1]
        k = j + 1
    out.append(text[last:])
    return "".join(out)
