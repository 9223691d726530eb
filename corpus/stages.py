"""Pipeline blocks that join segments around a global step (see corpus.global_step)."""

from __future__ import annotations


import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.batching import batched

from corpus.ledger import json_text, mark_removed, removed_by
from corpus.parquet_part import ParquetPart, part_path
from corpus.task_progress import TaskProgress

STAGE_SCHEMA = pa.schema([("id", pa.string()), ("text", pa.string()), ("metadata", pa.string())])


class KeyWriter(PipelineStep):
    """Writes a global step's keys for every live document, with (rank, position) to find it again."""

    type = "🔑 - KEYS"

    def __init__(self, step, keys_dir: str):
        self.step = step  # before super().__init__, which asks for the name
        self.keys_dir = keys_dir
        super().__init__()

    @property
    def name(self) -> str:
        return f"{self.step.step_name} keys"

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        pos = 0
        with ParquetPart(part_path(self.keys_dir, rank), self.step.key_schema()) as out:
            for batch in batched(data, self.step.batch_size):
                live = [(pos + i, doc) for i, doc in enumerate(batch) if removed_by(doc) is None]
                if live:
                    with self.track_time("batch"):
                        keys = self.step.keys([doc for _, doc in live])
                    for (p, doc), key in zip(live, keys):
                        out.add({"rank": rank, "pos": p, "id": doc.id, "n_chars": len(doc.text),
                                 "quality_score": doc.metadata.get("quality_score"), **key})
                pos += len(batch)
                yield from batch


class StageWriter(PipelineStep):
    """All documents of a task, in order, with their metadata, for the next segment."""

    name = "stage"
    type = "💽 - WRITER"

    def __init__(self, stage_dir: str, work_dir: str, owner_lock: str, segment: int):
        super().__init__()
        self.stage_dir = stage_dir
        self.work_dir = work_dir
        self.owner_lock = owner_lock
        self.segment = segment

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        progress = TaskProgress(self.work_dir, self.owner_lock, self.segment, rank)
        with ParquetPart(part_path(self.stage_dir, rank), STAGE_SCHEMA, batch_rows=2000) as out:
            for doc in data:
                out.add({"id": doc.id, "text": doc.text, "metadata": json_text(doc.metadata)})
                progress.tick()
        progress.done()
        return
        yield


class StageReader(PipelineStep):
    """Reads back one task's staged documents, in the order they were written."""

    name = "stage read"
    type = "📖 - READER"

    def __init__(self, stage_dir: str):
        super().__init__()
        self.stage_dir = stage_dir

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for batch in pq.ParquetFile(part_path(self.stage_dir, rank)).iter_batches(batch_size=2000):
            for row in batch.to_pylist():
                yield Document(text=row["text"], id=row["id"], metadata=orjson.loads(row["metadata"]))


class ApplyDecisions(PipelineStep):
    """Marks the documents a global step decided to remove, and records cluster ids."""

    type = "🔻 - FILTER"

    def __init__(self, decisions_path: str, step_name: str):
        self.decisions_path = decisions_path
        self.step_name = step_name  # before super().__init__, which asks for the name
        super().__init__()

    @property
    def name(self) -> str:
        return self.step_name

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        table = pq.read_table(self.decisions_path, filters=[("rank", "=", rank)],
                              columns=["pos", "dup_cluster", "removed", "reason"])
        decided = {row["pos"]: row for row in table.to_pylist()}
        for pos, doc in enumerate(data):
            row = decided.get(pos)
            if row is not None:
                doc.metadata["dup_cluster"] = row["dup_cluster"]
                if row["removed"]:
                    mark_removed(doc, self.step_name, row["reason"])
                    self.stat_update("removed")
            yield doc
