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
from corpus.parquet_part import ParquetPart, part_path
from corpus.task_progress import TaskProgress
from corpus.ledger import (
    DATA_SCHEMA,
    INPUT_FIELDS,
    LEDGER_SCHEMA,
    PII_ENTITIES,
    REASON,
    REMOVED_BY,
    count_tokens,
    json_text,
)


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
        "metadata": json_text(m.get(INPUT_FIELDS) or {}),
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


class VersionWriter(PipelineStep):
    name = "write"
    type = "💽 - WRITER"

    def __init__(self, version_dir: str, work_dir: str, owner_lock: str, segment: int = 0):
        super().__init__()
        self.version_dir = version_dir
        self.work_dir = work_dir
        self.owner_lock = owner_lock
        self.segment = segment

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        progress = TaskProgress(self.work_dir, self.owner_lock, self.segment, rank)
        data_writer = DigestingParquetWriter(f"{self.version_dir}/data", output_filename="part-${rank}.parquet",
                                             adapter=data_row, schema=DATA_SCHEMA, compression="zstd",
                                             max_file_size=-1, batch_size=2000)
        with data_writer, ParquetPart(part_path(Path(self.version_dir, "ledger"), rank),
                                      LEDGER_SCHEMA) as ledger_part:
            for doc in data:
                with self.track_time():
                    doc.metadata["n_chars"] = len(doc.text)
                    doc.metadata["n_tokens"] = count_tokens(doc.text)
                    ledger_part.add(ledger_row(doc))
                    if doc.metadata.get(REMOVED_BY) is None:
                        data_writer.write(doc, rank)
                progress.tick()
        digests = Path(self.work_dir, "digests", f"{rank:05d}.bin")
        digests.parent.mkdir(parents=True, exist_ok=True)
        tmp = digests.with_suffix(".tmp")
        tmp.write_bytes(b"".join(data_writer.digests))
        os.replace(tmp, digests)
        self.stat_update("kept", value=len(data_writer.digests))
        self.stat_update("removed", value=progress.n - len(data_writer.digests))
        progress.done()
        return
        yield
