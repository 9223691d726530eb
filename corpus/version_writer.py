"""The last pipeline step: kept documents to data/, every document to ledger/.

Also records a digest of each data row, so the content hash of a version can be computed
without reading data/ again (see `corpus.content_hash`).
"""

from __future__ import annotations

import os
from pathlib import Path

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.writers.parquet import ParquetWriter

from corpus.content_hash import row_digest
from corpus.process_guard import owner_alive
from corpus.ledger import (
    DATA_SCHEMA,
    INPUT_FIELDS,
    LEDGER_SCHEMA,
    PII_ENTITIES,
    REASON,
    REMOVED_BY,
    count_tokens,
)

PROGRESS_EVERY = 1000


def _json(value) -> str:
    import orjson

    return orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


def data_row(writer, doc: Document) -> dict:
    m = doc.metadata
    return {
        "id": doc.id,
        "text": doc.text,
        "source": m.get("source"),
        "url": m.get("url"),
        "lang": m.get("lang"),
        "lang_score": m.get("lang_score"),
        "quality_score": m.get("quality_score"),
        "dup_cluster": m.get("dup_cluster"),
        "n_chars": m["n_chars"],
        "n_tokens": m["n_tokens"],
        "metadata": _json(m.get(INPUT_FIELDS) or {}),
    }


def ledger_row(doc: Document) -> dict:
    m = doc.metadata
    pii = m.get("pii_found")
    return {
        "id": doc.id,
        "source": m.get("source"),
        "kept": m.get(REMOVED_BY) is None,
        "removed_by": m.get(REMOVED_BY),
        "reason": m.get(REASON),
        "lang": m.get("lang"),
        "lang_score": m.get("lang_score"),
        "quality_score": m.get("quality_score"),
        "pii_found": {k: int(pii.get(k, 0)) for k in PII_ENTITIES} if pii else None,
        "dup_cluster": m.get("dup_cluster"),
        "n_chars": m["n_chars"],
        "n_tokens": m["n_tokens"],
    }


class DigestingParquetWriter(ParquetWriter):
    """datatrove's ParquetWriter that also keeps a digest of every row it writes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.digests: list[bytes] = []

    def _write(self, document: dict, file_handler, filename: str):
        self.digests.append(row_digest(document))
        super()._write(document, file_handler, filename)


class LedgerPart:
    """Ledger rows to one Parquet file, in batches; lean on purpose (every input document passes here)."""

    def __init__(self, path: Path, batch_rows: int = 10_000):
        self.path = path
        self.batch_rows = batch_rows
        self.rows: list[dict] = []
        self.writer = None

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self.rows:
            return
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.path, LEDGER_SCHEMA, compression="zstd")
        self.writer.write_batch(pa.RecordBatch.from_pylist(self.rows, schema=LEDGER_SCHEMA))
        self.rows = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.flush()
        if self.writer is not None:
            self.writer.close()


class VersionWriter(PipelineStep):
    name = "write"
    type = "💽 - WRITER"

    def __init__(self, version_dir: str, work_dir: str, owner_lock: str):
        super().__init__()
        self.version_dir = version_dir
        self.work_dir = work_dir
        self.owner_lock = owner_lock

    def _check_owner(self):
        if not owner_alive(self.owner_lock):
            raise RuntimeError("the `corpus run` that started this task is gone; stopping")

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._check_owner()
        data_writer = DigestingParquetWriter(f"{self.version_dir}/data", output_filename="part-${rank}.parquet",
                                             adapter=data_row, schema=DATA_SCHEMA, compression="zstd",
                                             max_file_size=-1, batch_size=2000)
        ledger_part = LedgerPart(Path(self.version_dir, "ledger", f"part-{rank:05d}.parquet"))
        progress = Path(self.work_dir, "progress", f"{rank:05d}")
        progress.parent.mkdir(parents=True, exist_ok=True)
        n = 0
        with data_writer, ledger_part:
            for doc in data:
                with self.track_time():
                    doc.metadata["n_chars"] = len(doc.text)
                    doc.metadata["n_tokens"] = count_tokens(doc.text)
                    ledger_part.add(ledger_row(doc))
                    if doc.metadata.get(REMOVED_BY) is None:
                        data_writer.write(doc, rank)
                n += 1
                if n % PROGRESS_EVERY == 0:
                    progress.write_text(str(n))
                    self._check_owner()
        digests = Path(self.work_dir, "digests", f"{rank:05d}.bin")
        digests.parent.mkdir(parents=True, exist_ok=True)
        tmp = digests.with_suffix(".tmp")
        tmp.write_bytes(b"".join(data_writer.digests))
        os.replace(tmp, digests)
        progress.write_text(str(n))
        self.stat_update("kept", value=len(data_writer.digests))
        self.stat_update("removed", value=n - len(data_writer.digests))
        return
        yield
