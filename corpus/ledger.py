"""Per-document state carried through the pipeline, and the ledger/data row schemas.

Steps never drop a document: they mark it removed (step name and reason) and pass it on,
so the writer at the end can give every input document its ledger row.
"""

from __future__ import annotations

import pyarrow as pa
from datatrove.data import Document

QUARANTINE = "quarantine"
PII_ENTITIES = ("email", "phone", "ip", "credit_card", "iban", "ssn", "secret")

# metadata keys the pipeline owns; everything else a reader found goes under INPUT_FIELDS
REMOVED_BY = "_removed_by"
REASON = "_reason"
IS_HTML = "_is_html"
INPUT_FIELDS = "input_fields"

PII_TYPE = pa.struct([(name, pa.int32()) for name in PII_ENTITIES])

LEDGER_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("source", pa.string()),
        ("kept", pa.bool_()),
        ("removed_by", pa.string()),
        ("reason", pa.string()),
        ("lang", pa.string()),
        ("lang_score", pa.float64()),
        ("quality_score", pa.float64()),
        ("pii_found", PII_TYPE),
        ("dup_cluster", pa.string()),
        ("n_chars", pa.int64()),
        ("n_tokens", pa.int64()),
    ]
)

DATA_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("text", pa.string()),
        ("source", pa.string()),
        ("url", pa.string()),
        ("lang", pa.string()),
        ("lang_score", pa.float64()),
        ("quality_score", pa.float64()),
        ("dup_cluster", pa.string()),
        ("n_chars", pa.int64()),
        ("n_tokens", pa.int64()),
        ("metadata", pa.string()),  # JSON of the input's other fields
    ]
)


def mark_removed(doc: Document, step: str, reason: str) -> None:
    doc.metadata[REMOVED_BY] = step
    doc.metadata[REASON] = reason


def removed_by(doc: Document) -> str | None:
    return doc.metadata.get(REMOVED_BY)


def quarantined(doc_id: str, source: str, error: str) -> Document:
    """A stand-in for an input record that could not be read, so the ledger still counts it."""
    return Document(text="", id=doc_id, metadata={"source": source, REMOVED_BY: QUARANTINE, REASON: error})


TOKEN_ESTIMATE = "whitespace"


def json_text(value) -> str:
    """Metadata as JSON text: sorted keys, anything orjson cannot write as its str()."""
    import orjson

    return orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


def count_tokens(text: str) -> int:
    """Word estimate (whitespace characters + 1), until training/ brings a real tokenizer.

    str.count runs at memory speed; len(text.split()) is exact but cost 12 us per 2 KB document,
    most of the ledger's overhead (bench/passthrough.py). Runs of whitespace count more than once,
    so the estimate is a little high on text with blank lines.
    """
    stripped = text.strip()
    if not stripped:
        return 0
    return stripped.count(" ") + stripped.count("\n") + stripped.count("\t") + 1
