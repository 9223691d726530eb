"""Rows to one Parquet file in batches, with a fixed schema: lean, for the per-document hot path."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def part_path(folder: str | Path, rank: int) -> Path:
    """The one file a task writes in a folder: part-<rank>.parquet (the store's naming)."""
    return Path(folder, f"part-{rank:05d}.parquet")


class ParquetPart:
    def __init__(self, path: str | Path, schema: pa.Schema, batch_rows: int = 10_000):
        self.path = Path(path)
        self.schema = schema
        self.batch_rows = batch_rows
        self.rows: list[dict] = []
        self.writer = None

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
        self.writer.write_batch(pa.RecordBatch.from_pylist(self.rows, schema=self.schema))
        self.rows = []

    def close(self) -> None:
        """Flush, and always leave a file (an empty one has the schema), so readers find every part."""
        self.flush()
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(self.schema.empty_table(), self.path)
        else:
            self.writer.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.close()
        elif self.writer is not None:
            self.writer.close()
