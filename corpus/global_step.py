"""Steps that must see every document before deciding (deduplication).

The runner splits the pipeline at each global step. The segment before it ends with a
`KeyWriter` (the step's keys for every live document, with the document's task rank and
position) and a `StageWriter` (all documents, in order). Then `decide` runs once over all keys
(DuckDB over Parquet, so memory stays bounded) and writes one decision row per affected
document. The next segment reads the stage back and `ApplyDecisions` marks removals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pyarrow as pa

from corpus.step import NoParams

KEY_BASE = [("rank", pa.int32()), ("pos", pa.int64()), ("id", pa.string()), ("n_chars", pa.int64()),
            ("quality_score", pa.float64())]
DECISIONS_SCHEMA = pa.schema([("rank", pa.int32()), ("pos", pa.int64()), ("dup_cluster", pa.string()),
                              ("removed", pa.bool_()), ("reason", pa.string())])


@dataclass
class EarlierVersion:
    """A published version a global step compares against (`against:`), with its folder."""
    ref: str
    path: Path


@dataclass
class DecideContext:
    keys_glob: str  # this run's keys, one Parquet file per task
    decisions_path: Path  # where decide() writes DECISIONS_SCHEMA rows
    work_dir: Path  # scratch space (DuckDB spills here)
    earlier: list[EarlierVersion] = field(default_factory=list)
    memory_limit: str = "2GB"
    report: list[str] = field(default_factory=list)  # lines decide() wants shown to the user

    def connect(self):
        import duckdb

        con = duckdb.connect()
        spill = self.work_dir / "duckdb-spill"
        spill.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET memory_limit = '{self.memory_limit}'")
        con.execute(f"SET temp_directory = '{spill}'")
        con.execute("SET preserve_insertion_order = false")
        return con


class GlobalStep:
    step_name: ClassVar[str]
    Params: ClassVar[type] = NoParams
    key_fields: ClassVar[list[tuple[str, pa.DataType]]] = []
    batch_size: ClassVar[int] = 256

    def __init__(self, params=None):
        self.params = params if params is not None else self.Params()

    def key_schema(self) -> pa.Schema:
        return pa.schema(KEY_BASE + self.key_fields)

    def keys(self, docs: list) -> list[dict]:
        """Key columns (key_fields) for each live document of a batch."""
        raise NotImplementedError

    def against_refs(self) -> list[str]:
        """Version references named by `against:` ('previous' resolves to the latest version)."""
        return []

    def decide(self, ctx: DecideContext) -> None:
        raise NotImplementedError

    def write_index(self, con, keys_glob: str, kept_ids_sql: str, index_dir: Path) -> None:
        """Store what later runs need to compare against this version (optional)."""
