"""LSH banding: bands x rows from a threshold, and the S-curve those give.

A pair with Jaccard s becomes a candidate with probability 1 - (1 - s^rows)^bands. The choice
minimises the weighted area of false positives (s below the threshold) and false negatives
(s above it) over [0, 1], as datasketch does; candidates are verified afterwards, so false
negatives weigh more by default.
"""

from __future__ import annotations

import numpy as np


def candidate_probability(s, bands: int, rows: int):
    return 1.0 - (1.0 - np.asarray(s, dtype=float) ** rows) ** bands


def choose_bands(threshold: float, num_perm: int, fp_weight: float = 0.3, fn_weight: float = 0.7) -> tuple[int, int]:
    best, best_cost = (1, num_perm), float("inf")
    below = np.linspace(0.0, threshold, 400)
    above = np.linspace(threshold, 1.0, 400)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp = np.trapezoid(candidate_probability(below, bands, rows), below)
            fn = np.trapezoid(1.0 - candidate_probability(above, bands, rows), above)
            cost = fp_weight * fp + fn_weight * fn
            if cost < best_cost:
                best, best_cost = (bands, rows), cost
    return best


def s_curve(bands: int, rows: int, points=(0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)) -> list[tuple[float, float]]:
    return [(s, float(candidate_probability(s, bands, rows))) for s in points]
