"""Texts from a user-named source: a JSONL/Parquet/text file or glob, or a `DATASET@vN` version.

Commands that take documents outside a pipeline (classifier seeds, protected eval text,
training data) read them through here, so every one accepts the same kinds of source.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from pathlib import Path

from corpus.errors import UserError

TEXT_SUFFIXES = (".txt", ".md")
JSONL_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz", ".jsonl.zst", ".json.zst")


def is_version_ref(spec: str) -> bool:
    return "@" in spec and not os.path.exists(spec)


def source_files(spec: str) -> list[str]:
    """The files a path, folder or glob names, or a UserError that says none matched."""
    if os.path.isdir(spec):
        files = sorted(str(p) for p in Path(spec).rglob("*") if p.is_file())
    else:
        files = sorted(glob.glob(spec, recursive=True)) if glob.has_magic(spec) else [spec]
    files = [f for f in files if os.path.isfile(f)]
    if not files:
        raise UserError(f"no input files match {spec!r}")
    return files


def iter_texts(spec: str, field: str = "text", store=None) -> Iterator[str]:
    """Non-empty texts of `field` from a file, folder, glob or dataset version (kept documents)."""
    if is_version_ref(spec):
        if store is None:
            raise UserError(f"{spec!r} looks like a dataset version but no store was given")
        ref = store.resolve(spec)
        yield from _parquet_texts(sorted(str(p) for p in (store.path(ref) / "data").glob("*.parquet")), field, spec)
        return
    for path in source_files(spec):
        name = path.lower()
        if name.endswith(".parquet"):
            yield from _parquet_texts([path], field, path)
        elif name.endswith(JSONL_SUFFIXES):
            yield from _jsonl_texts(path, field)
        elif name.endswith(TEXT_SUFFIXES):
            text = Path(path).read_text(encoding="utf-8", errors="replace")
            if text.strip():
                yield text
        else:
            raise UserError(f"{path}: unknown file type (expected .jsonl[.gz|.zst], .parquet, .txt or .md)")


def _parquet_texts(paths: list[str], field: str, where: str) -> Iterator[str]:
    import pyarrow.parquet as pq

    for path in paths:
        pf = pq.ParquetFile(path)
        if field not in pf.schema_arrow.names:
            raise UserError(f"{where}: no column '{field}' (columns: {', '.join(pf.schema_arrow.names)})")
        for batch in pf.iter_batches(batch_size=2048, columns=[field]):
            for text in batch.column(0).to_pylist():
                if isinstance(text, str) and text.strip():
                    yield text


def _jsonl_texts(path: str, field: str) -> Iterator[str]:
    import fsspec
    import orjson

    with fsspec.open(path, "rb", compression="infer") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                raise UserError(f"{path}:{lineno}: invalid JSON") from None
            if not isinstance(record, dict) or field not in record:
                raise UserError(f"{path}:{lineno}: no field '{field}' in the record")
            text = record[field]
            if isinstance(text, str) and text.strip():
                yield text
