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


def ledger_row(writer, doc: Document) -> dict:
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

    def __init__(self, version_dir: str, work_dir: str, owner_lock: str):
        super().__init__()
        self.version_dir = version_dir
        self.work_dir = work_dir
        self.owner_lock = owner_lock

    def _check_owner(self):
        if not owner_alive(self.owner_lock):
            raise RuntimeError("the `corpus run` that started this task is gone; stopping")

    def _writer(self, cls, folder: str, adapter, schema):
        return cls(folder, output_filename="part-${rank}.parquet", adapter=adapter, schema=schema,
                   compression="zstd", max_file_size=-1, batch_size=2000)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._check_owner()
        data_writer = self._writer(DigestingParquetWriter, f"{self.version_dir}/data", data_row, DATA_SCHEMA)
        ledger_writer = self._writer(ParquetWriter, f"{self.version_dir}/ledger", ledger_row, LEDGER_SCHEMA)
        progress = Path(self.work_dir, "progress", f"{rank:05d}")
        progress.parent.mkdir(parents=True, exist_ok=True)
        n = 0
        with data_writer, ledger_writer:
            for doc in data:
                with self.track_time():
                    doc.metadata["n_chars"] = len(doc.text)
                    doc.metadata["n_tokens"] = count_tokens(doc.text)
                    ledger_writer.write(doc, rank)
                    if doc.metadata.get(REMOVED_BY) is None:
                        data_writer.write(doc, rank)
                        self.stat_update("kept")
                    else:
                        self.stat_update("removed")
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
        return
        yield
