"""The vectorised MinHash: estimates track true Jaccard, and edge cases behave."""

from __future__ import annotations

import random

import numpy as np
import pytest

from dedup.lsh import candidate_probability, choose_bands
from dedup.minhash import MinHasher, band_hashes
from dedup.normalise import Normalisation, Normaliser

WORDS = [f"w{i}" for i in range(3000)]


def shingles(text: str, n: int) -> set:
    words = text.split()
    if len(words) < n:
        return {tuple(words)} if words else set()
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: str, b: str, n: int = 5) -> float:
    sa, sb = shingles(a, n), shingles(b, n)
    return len(sa & sb) / len(sa | sb)


def edited(text: str, rate: float, rng: random.Random) -> str:
    words = text.split()
    for i in range(len(words)):
        if rng.random() < rate:
            words[i] = rng.choice(WORDS)
    return " ".join(words)


def test_estimates_track_true_jaccard():
    rng = random.Random(3)
    hasher = MinHasher(num_perm=256, ngram=5, seed=7)
    errors = []
    for rate in (0.0, 0.01, 0.03, 0.06, 0.1, 0.2):
        for _ in range(5):
            a = " ".join(rng.choice(WORDS) for _ in range(300))
            b = edited(a, rate, rng)
            sig, which = hasher.signatures([a, b])
            assert list(which) == [0, 1]
            estimate = float((sig[0] == sig[1]).mean())
            errors.append(abs(estimate - jaccard(a, b)))
    # standard error of a 256-hash estimate is at most 0.031
    assert max(errors) < 0.12 and float(np.mean(errors)) < 0.035


def test_identical_and_disjoint():
    hasher = MinHasher(num_perm=64, ngram=3)
    a = "the soil was dry and the crop failed after the long summer"
    sig, _ = hasher.signatures([a, a, "completely other words about something else entirely here"])
    assert (sig[0] == sig[1]).all()
    assert (sig[0] == sig[2]).mean() < 0.1


def test_short_empty_and_batch_independence():
    hasher = MinHasher(num_perm=32, ngram=5)
    texts = ["", "one", "two words", "one", "a b c d e f g"]
    sig, which = hasher.signatures(texts)
    assert list(which) == [1, 2, 3, 4]  # the empty document has no signature
    assert (sig[0] == sig[2]).all()  # "one" twice: same short-document shingle
    assert (sig[0] != sig[1]).any()
    alone, _ = hasher.signatures(["two words"])
    assert (alone[0] == sig[1]).all(), "a signature must not depend on the batch around it"


def test_signatures_are_deterministic_across_instances():
    text = "rain fell on the wheat fields near the river for three days"
    a, _ = MinHasher(num_perm=16, ngram=2, seed=5).signatures([text])
    b, _ = MinHasher(num_perm=16, ngram=2, seed=5).signatures([text])
    c, _ = MinHasher(num_perm=16, ngram=2, seed=6).signatures([text])
    assert (a == b).all() and (a != c).any()


def test_band_hashes_shape_and_equality():
    sig = np.array([[1, 2, 3, 4], [1, 2, 9, 9]], dtype=np.uint32)
    bands = band_hashes(sig, 2, 2)
    assert bands.shape == (2, 2) and bands.dtype == np.int64
    assert bands[0, 0] == bands[1, 0] and bands[0, 1] != bands[1, 1]


@pytest.mark.parametrize("threshold", [0.7, 0.8, 0.9])
def test_chosen_banding_favours_recall_at_threshold(threshold):
    bands, rows = choose_bands(threshold, 128, 0.05, 0.95)
    assert bands * rows <= 128
    assert candidate_probability(threshold, bands, rows) > 0.5
    assert candidate_probability(threshold - 0.3, bands, rows) < 0.1


def test_normaliser_options():
    text = "Hello, World!  It's 2026.\n"
    assert Normaliser(Normalisation())(text) == "hello world it s 2026"
    assert Normaliser(Normalisation(digits=True))(text) == "hello world it s 0000"
    assert Normaliser(Normalisation(lowercase=False, punctuation=False))(text) == "Hello, World! It's 2026."
