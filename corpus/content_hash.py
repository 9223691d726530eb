"""Content hash of a version's data/: independent of file layout, worker count and row order.

Each data row gets a 16-byte BLAKE2b digest of its canonical JSON (sorted keys); the content
hash is SHA-256 over the sorted digests. The writer records digests as it writes, and
`of_data_dir` recomputes the same hash from the Parquet files alone, for verification.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson

DIGEST_SIZE = 16


def row_digest(row: dict) -> bytes:
    blob = orjson.dumps(row, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.blake2b(blob, digest_size=DIGEST_SIZE).digest()


def of_digests(blob: bytes) -> str:
    """Hash of a concatenation of row digests, in any order (sorted first)."""
    import numpy as np

    # fixed-width byte strings sort like the raw digests; tobytes() keeps all 16 bytes of each
    ordered = np.sort(np.frombuffer(blob, dtype=f"S{DIGEST_SIZE}"))
    return hashlib.sha256(ordered.tobytes()).hexdigest()


def of_data_dir(data_dir: str | Path) -> str:
    """Recompute the content hash from data/*.parquet."""
    import pyarrow.parquet as pq

    digests = []
    for path in sorted(Path(data_dir).glob("*.parquet")):
        for batch in pq.ParquetFile(path).iter_batches(batch_size=4096):
            digests.extend(row_digest(row) for row in batch.to_pylist())
    return of_digests(b"".join(digests))
