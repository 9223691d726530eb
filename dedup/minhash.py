"""Vectorised MinHash signatures: numpy over every shingle of a batch, no per-word Python.

Pipeline per batch of normalised texts (words separated by single spaces):
1. word hashes from a polynomial prefix hash over the UTF-8 bytes (mod 2^32), mixed by fmix64;
2. shingle hashes: n consecutive word hashes within a document, combined and mixed again;
3. num_perm hash functions h_i(x) = a_i * x + b_i mod 2^32 (a_i odd) on the top 32 bits of the
   mixed shingle hash, in uint32 (half the memory traffic of 64-bit); the signature is the
   minimum of each over the document's shingles (np.minimum.reduceat).
A document with fewer than n words is one shingle of all its words; one with no words has no
signature. Seeds fix a_i and b_i, so signatures are identical across runs and machines.
bench/dedup_peers.py compares speed and estimates with datasketch and rensa.
"""

from __future__ import annotations

import numpy as np

U64 = np.uint64
_MIX1, _MIX2 = U64(0xFF51AFD7ED558CCD), U64(0xC4CEB9FE1A85EC53)
_P = np.uint32(0x01000193)  # odd, so its powers are invertible mod 2^32
_SHINGLE_K = U64(0x9E3779B97F4A7C15)


def fmix64(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser, elementwise (modifies and returns x)."""
    x ^= x >> U64(33)
    x *= _MIX1
    x ^= x >> U64(33)
    x *= _MIX2
    x ^= x >> U64(33)
    return x


def _inverse_mod_2_32(a: int) -> int:
    x = a
    for _ in range(5):  # Newton: each step doubles the correct low bits
        x = (x * (2 - a * x)) % (1 << 32)
    return x


class MinHasher:
    def __init__(self, num_perm: int = 128, ngram: int = 5, seed: int = 1):
        self.num_perm, self.ngram, self.seed = num_perm, ngram, seed
        rng = np.random.default_rng(seed)
        self.a = (rng.integers(1, 2**32, num_perm, dtype=np.uint64) | U64(1)).astype(np.uint32)
        self.b = rng.integers(0, 2**32, num_perm, dtype=np.uint64).astype(np.uint32)
        self._powers = np.ones(1, dtype=np.uint32)
        self._inverse = np.ones(1, dtype=np.uint32)
        self._ensure_powers(1 << 20)

    def _ensure_powers(self, n: int) -> None:
        if len(self._powers) > n:
            return
        size = max(n + 1, 2 * len(self._powers))
        with np.errstate(over="ignore"):
            p = np.full(size, _P, dtype=np.uint32)
            p[0] = 1
            self._powers = np.cumprod(p, dtype=np.uint32)
            q = np.full(size, np.uint32(_inverse_mod_2_32(int(_P))), dtype=np.uint32)
            q[0] = 1
            self._inverse = np.cumprod(q, dtype=np.uint32)

    def shingle_hashes(self, texts: list[str | bytes]) -> tuple[np.ndarray, np.ndarray]:
        """(hashes, doc index of each) for normalised texts; documents without words have none."""
        encoded = [t if isinstance(t, bytes) else t.encode() for t in texts]
        buf = b" " + b" ".join(encoded) + b" "
        # byte offset where each document ends (its trailing separator)
        ends_at = np.cumsum([len(e) + 1 for e in encoded])
        b = np.frombuffer(buf, dtype=np.uint8)
        self._ensure_powers(len(b))
        with np.errstate(over="ignore"):
            space = (b == 32) | (b == 9) | (b == 10) | (b == 13)
            starts = np.flatnonzero(space[:-1] & ~space[1:]) + 1
            stops = np.flatnonzero(~space[:-1] & space[1:]) + 1
            prefix = np.zeros(len(b) + 1, dtype=np.uint32)
            np.cumsum((b.astype(np.uint32) + np.uint32(1)) * self._powers[: len(b)], out=prefix[1:])
            # no mixing here: the shingle combination below is mixed by fmix64 once
            words = ((prefix[stops] - prefix[starts]) * self._inverse[starts]).astype(np.uint64)
            word_doc = np.searchsorted(ends_at, starts, side="right")
            n = self.ngram
            counts = np.bincount(word_doc, minlength=len(texts))
            # full n-grams that stay inside one document
            m = max(len(words) - n + 1, 0)
            sh = np.zeros(m, dtype=np.uint64)
            for k in range(n):
                sh = sh * _SHINGLE_K + words[k:k + m]
            inside = word_doc[:m] == word_doc[n - 1:n - 1 + m] if m else np.zeros(0, dtype=bool)
            hashes, docs = [sh[inside]], [word_doc[:m][inside]]
            # documents shorter than n words: one shingle of all their words
            short = np.flatnonzero((counts > 0) & (counts < n))
            if len(short):
                first = np.searchsorted(word_doc, short)
                acc = np.zeros(len(short), dtype=np.uint64)
                for k in range(n - 1):
                    take = k < counts[short]
                    acc = np.where(take, acc * _SHINGLE_K + words[np.minimum(first + k, len(words) - 1)], acc)
                hashes.append(acc)
                docs.append(short)
            h = fmix64(np.concatenate(hashes))
            d = np.concatenate(docs)
        if len(short):  # short documents' shingles were appended: restore document order
            order = np.argsort(d, kind="stable")
            h, d = h[order], d[order]
        return h, d

    def signatures(self, texts: list[str | bytes], with_shingles: bool = False):
        """(signatures uint32 [k, num_perm], the document index of each row) for normalised texts.

        with_shingles=True adds a third item: each row's sorted, distinct shingle hashes (for
        verifying candidate pairs by their true Jaccard).
        """
        h, d = self.shingle_hashes(texts)
        shingle_sets = None
        if with_shingles:
            order = np.lexsort((h, d))
            hs, ds = h[order], d[order]
            fresh = np.r_[True, (hs[1:] != hs[:-1]) | (ds[1:] != ds[:-1])]
            hs, ds = hs[fresh], ds[fresh]
            shingle_sets = np.split(hs, np.flatnonzero(ds[1:] != ds[:-1]) + 1) if len(hs) else []
        if len(h) == 0:
            empty = np.zeros((0, self.num_perm), dtype=np.uint32), np.zeros(0, dtype=np.int64)
            return (*empty, []) if with_shingles else empty
        x = (h >> U64(32)).astype(np.uint32)
        starts = np.flatnonzero(np.r_[True, d[1:] != d[:-1]])
        sig = np.empty((len(starts), self.num_perm), dtype=np.uint32)
        tmp = np.empty_like(x)
        with np.errstate(over="ignore"):
            for i in range(self.num_perm):
                np.multiply(x, self.a[i], out=tmp)
                tmp += self.b[i]
                sig[:, i] = np.minimum.reduceat(tmp, starts)
        return (sig, d[starts], shingle_sets) if with_shingles else (sig, d[starts])


def true_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard of two sorted arrays of distinct shingle hashes."""
    if len(a) == 0 and len(b) == 0:
        return 1.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)


def band_hashes(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """[k, bands] int64 hashes; band j hashes signature columns j*rows .. j*rows + rows - 1."""
    with np.errstate(over="ignore"):
        out = np.zeros((sig.shape[0], bands), dtype=np.uint64)
        for r in range(rows):
            out = fmix64(out * _SHINGLE_K + sig[:, r::rows][:, :bands].astype(np.uint64) + U64(1))
    return out.view(np.int64)
