"""Training data from a dataset version (or a Parquet/JSONL file), split and shaped per trainer.

A version's kept documents are rows of `data/`; chat and preference records keep their
structured fields (`messages`, `tools`, `prompt`, `chosen`, `rejected`) in the `metadata`
JSON, scrubbed like the text. The eval split is chosen by a hash of the document id, so it
is the same documents whatever the order, the workers or the trainer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import xxhash

from corpus.errors import UserError
from corpus.eval_split import split  # noqa: F401  (training.data.split is the public name)

KINDS = ("cpt", "sft", "dpo", "grpo")


@dataclass
class TrainingData:
    ref: str  # DATASET@vN or the file path
    content_hash: str  # the version's content hash, or xxh3 of the file
    rows: list[dict]  # {"id", "text", "fields"}


def load(ref: str, store=None) -> TrainingData:
    """Rows of a version (through the store) or of a .parquet/.jsonl file."""
    from corpus.text_sources import is_version_ref

    if is_version_ref(ref):
        if store is None:
            raise UserError(f"{ref!r} looks like a dataset version but no store was given")
        import pyarrow.parquet as pq

        version = store.resolve(ref)
        manifest = store.manifest(version)
        table = pq.read_table(store.path(version) / "data", columns=["id", "text", "metadata"])
        rows = [{"id": r["id"], "text": r["text"], "fields": json.loads(r["metadata"] or "{}")}
                for r in table.to_pylist()]
        return TrainingData(str(version), manifest["content_hash"], sorted(rows, key=lambda r: r["id"]))
    return _load_file(Path(ref))


def _load_file(path: Path) -> TrainingData:
    import orjson

    if not path.is_file():
        raise UserError(f"training data not found: {path} (give DATASET@vN or a .parquet/.jsonl file)")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        records = pq.read_table(path).to_pylist()
    elif path.suffix in (".jsonl", ".json"):
        records = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    else:
        raise UserError(f"{path}: training data must be .parquet or .jsonl")
    rows = []
    for i, rec in enumerate(records):
        fields = {k: v for k, v in rec.items() if k not in ("id", "text")}
        rows.append({"id": str(rec.get("id", i)), "text": rec.get("text") or "", "fields": fields})
    return TrainingData(str(path), xxhash.xxh3_128_hexdigest(path.read_bytes()), rows)


def _json_arguments(messages: list[dict]) -> list[dict]:
    """Tool-call arguments as JSON text: dicts of varying keys do not survive Arrow columns."""
    out = []
    for m in messages:
        m = dict(m)
        if m.get("tool_calls"):
            calls = []
            for call in m["tool_calls"]:
                call = dict(call)
                fn = dict(call.get("function") or call)
                if not isinstance(fn.get("arguments"), str):
                    fn["arguments"] = json.dumps(fn.get("arguments") or {})
                calls.append({"type": "function", "function": {"name": fn.get("name"), "arguments": fn["arguments"]}})
            m["tool_calls"] = calls
        out.append(m)
    return out


def examples(kind: str, rows: list[dict]) -> list[dict]:
    """Rows in the shape TRL's trainer for `kind` reads; a UserError names a row that lacks it."""
    out = []
    for r in rows:
        f = r["fields"]
        if kind == "cpt":
            out.append({"text": r["text"]})
        elif kind == "sft":
            if not isinstance(f.get("messages"), list):
                raise UserError(f"sft needs chat records with 'messages'; document {r['id']!r} has none")
            ex = {"messages": _json_arguments(f["messages"])}
            ex["tools"] = json.dumps(f["tools"]) if f.get("tools") else None
            out.append(ex)
        elif kind == "dpo":
            if not all(k in f for k in ("prompt", "chosen", "rejected")):
                raise UserError(f"dpo needs 'prompt', 'chosen' and 'rejected'; document {r['id']!r} lacks them")
            out.append({k: f[k] for k in ("prompt", "chosen", "rejected")})
        elif kind == "grpo":
            prompt = f.get("prompt")
            if prompt is None and isinstance(f.get("messages"), list):
                prompt = [m for m in f["messages"] if m.get("role") != "assistant"][:1] or None
            if prompt is None:
                raise UserError(f"grpo needs a 'prompt' (or 'messages'); document {r['id']!r} has neither")
            out.append({"prompt": prompt})
        else:
            raise UserError(f"unknown training kind {kind!r} (one of {', '.join(KINDS)})")
    return out


def to_dataset(records: list[dict]):
    from datasets import Dataset

    if records and "tools" in records[0] and all(r["tools"] is None for r in records):
        records = [{k: v for k, v in r.items() if k != "tools"} for r in records]
    return Dataset.from_list(records)
