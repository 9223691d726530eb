"""Readers for the four input formats, as datatrove disk readers that never lose a record.

datatrove's own readers skip what they cannot parse with a log line; ours yield a quarantine
document instead (see `corpus.ledger.quarantined`), so the ledger has a row for every input
record. Files come from a paths file (relative to one root folder, local or fsspec), and each
datatrove task reads every world_size-th file.
"""

from __future__ import annotations

import re
from typing import Callable

import orjson
from datatrove.data import Document
from datatrove.pipeline.readers.base import BaseDiskReader

from corpus.ledger import INPUT_FIELDS, IS_HTML, json_text, quarantined

CHARSET = re.compile(rb"charset=[\"']?([A-Za-z0-9_.:-]+)", re.I)
HTML_TYPES = ("text/html", "application/xhtml+xml")


def _short(e: Exception) -> str:
    msg = str(e).splitlines()[0] if str(e) else ""
    return f"{type(e).__name__}: {msg}"[:300]


def _utf8_error(raw: bytes) -> str | None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return f"invalid UTF-8 at byte {e.start}"
    return None


_INVALID = object()


def _stdlib_json(line: bytes):
    """The stdlib's reading of a line orjson refused: big integers pass, lone surrogates do not."""
    import json

    try:
        record = json.loads(line)
        json.dumps(record, ensure_ascii=False).encode("utf-8")  # unpaired surrogates cannot be stored
        return record
    except (ValueError, RecursionError, UnicodeEncodeError):
        return _INVALID


def decode_html(raw: bytes, content_type: bytes = b"") -> str:
    """HTML bytes to str: UTF-8, else the declared charset, else a detected one."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = CHARSET.search(content_type) or CHARSET.search(raw[:4096])
    if declared:
        try:
            return raw.decode(declared.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass
    import charset_normalizer

    best = charset_normalizer.from_bytes(raw).best()
    if best is None:
        raise UnicodeDecodeError("unknown", raw, 0, 1, "no text encoding fits these bytes")
    return str(best)


def iter_lines(f, chunk_size: int = 1 << 16):
    """Lines of a binary stream, without relying on readline (zstd streams lack it).

    Small reads: a truncated .gz raises inside the read that reaches the break, and what that
    read had decompressed is lost, so the chunk bounds how much a truncated file loses.
    """
    pending = b""
    while chunk := f.read(chunk_size):
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        yield from lines
    if pending:
        yield pending


CHAT_FIELDS = ("messages",)
PREFERENCE_FIELDS = ("prompt", "chosen", "rejected")


def is_conversational(record: dict) -> bool:
    """A chat record (`messages`) or a preference record (`prompt`/`chosen`/`rejected`)."""
    return isinstance(record.get("messages"), list) or all(k in record for k in PREFERENCE_FIELDS)


def _turns(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for m in value:
            if not isinstance(m, dict):
                parts.append(str(m))
                continue
            content = m.get("content") if isinstance(m.get("content"), str) else ""
            calls = m.get("tool_calls")
            if calls:
                content = (content + "\n" if content else "") + json_text(calls)
            parts.append(f"{m.get('role', '?')}: {content}")
        return "\n\n".join(parts)
    return "" if value is None else str(value)


def conversational_text(record: dict) -> str:
    """The text filters and dedup see for a chat or preference record: its turns, concatenated.

    The structured fields stay in the record's metadata, where training reads them back.
    """
    if isinstance(record.get("messages"), list):
        return _turns(record["messages"])
    return "\n\n".join(_turns(record.get(k)) for k in PREFERENCE_FIELDS)


class CorpusReader(BaseDiskReader):
    """Shared record → Document logic; subclasses implement `read_file`."""

    name = "read"

    def __init__(self, root, paths_file: str, text_field: str, id_field: str | None, url_field: str = "url"):
        super().__init__(root, paths_file=paths_file, text_key=text_field, id_key=id_field or "id")
        self.text_field = text_field
        self.id_field = id_field
        self.url_field = url_field

    def record_document(self, record, source: str, default_id: str) -> Document:
        """Validate one parsed record; a record that breaks the schema becomes a quarantine row."""
        if not isinstance(record, dict):
            return quarantined(default_id, source, f"record is {type(record).__name__}, not an object")
        doc_id = default_id
        if self.id_field:
            value = record.get(self.id_field)
            if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
                why = "missing" if value is None else f"{type(value).__name__}, not a string or integer"
                return quarantined(default_id, source, f"id field '{self.id_field}' is {why}")
            doc_id = str(value)
        if self.text_field not in record and is_conversational(record):
            record = dict(record, **{self.text_field: conversational_text(record)})
            keep_structure = True
        else:
            keep_structure = False
        if self.text_field not in record:
            keys = ", ".join(list(record)[:10])
            return quarantined(doc_id, source, f"missing text field '{self.text_field}' (fields: {keys})")
        text = record[self.text_field]
        if text is None:
            return quarantined(doc_id, source, f"text field '{self.text_field}' is null")
        if not isinstance(text, str):
            return quarantined(doc_id, source, f"text field '{self.text_field}' is {type(text).__name__}, not a string")
        if not text.strip():
            return quarantined(doc_id, source, "empty text")
        url = record.get(self.url_field)
        extra = {k: v for k, v in record.items() if k not in (self.text_field, self.id_field, self.url_field)}
        if keep_structure:
            extra.pop(self.text_field, None)
        metadata = {"source": source, "url": url if isinstance(url, str) else None, INPUT_FIELDS: extra}
        return Document(text=text, id=doc_id, metadata=metadata)

    def file_failure(self, source: str, filepath: str, after: int, e: Exception) -> Document:
        return quarantined(f"{filepath}#unreadable", source, f"file unreadable after {after} records: {_short(e)}")

    def source_of(self, filepath: str) -> str:
        return self.data_folder.resolve_paths(filepath)


class JsonlInput(CorpusReader):
    """One JSON object per line; .gz and .zst are inferred. Blank lines are not records."""

    def read_file(self, filepath: str):
        source = self.source_of(filepath)
        n = 0
        try:
            with self.data_folder.open(filepath, "rb", compression="infer") as f:
                for lineno, line in enumerate(iter_lines(f), start=1):
                    line = line.rstrip(b"\r\n")
                    if not line.strip():
                        continue
                    n += 1
                    default_id = f"{filepath}:{lineno}"
                    with self.track_time():
                        try:
                            record = orjson.loads(line)
                        except orjson.JSONDecodeError as e:
                            record = _stdlib_json(line)  # orjson refuses integers past 64 bits
                            if record is _INVALID:
                                why = _utf8_error(line) or f"invalid JSON: {str(e)[:200]}"
                                yield quarantined(default_id, source, why)
                                continue
                        doc = self.record_document(record, source, default_id)
                    yield doc
        except Exception as e:  # truncated or corrupt compressed file, unreadable path
            yield self.file_failure(source, filepath, n, e)


class ParquetInput(CorpusReader):
    """Parquet files read in record batches; a missing or mistyped text column quarantines rows."""

    def read_file(self, filepath: str):
        import pyarrow.parquet as pq

        source = self.source_of(filepath)
        n = 0
        try:
            with self.data_folder.open(filepath, "rb") as f:
                pf = pq.ParquetFile(f)
                for batch in pf.iter_batches(batch_size=1024):
                    for record in batch.to_pylist():
                        default_id = f"{filepath}#{n}"
                        n += 1
                        yield self.record_document(record, source, default_id)
        except Exception as e:
            yield self.file_failure(source, filepath, n, e)


class WarcInput(CorpusReader):
    """WARC/WET records: HTML responses become documents for the `extract` step.

    Request, metadata, warcinfo and revisit records are not documents. A response that is not
    HTML, or that cannot be decoded, is quarantined with the reason.
    """

    def read_file(self, filepath: str):
        from warcio.archiveiterator import ArchiveIterator

        source = self.source_of(filepath)
        n = 0
        try:
            with self.data_folder.open(filepath, "rb") as f:
                for record in ArchiveIterator(f):
                    if record.rec_type not in ("response", "resource", "conversion"):
                        continue
                    n += 1
                    yield self.warc_document(record, source, f"{filepath}#{n - 1}")
        except Exception as e:
            yield self.file_failure(source, filepath, n, e)

    def warc_document(self, record, source: str, default_id: str) -> Document:
        headers = record.rec_headers
        doc_id = headers.get_header("WARC-Record-ID") or default_id
        url = headers.get_header("WARC-Target-URI")
        raw = record.content_stream().read()
        if record.rec_type == "conversion":  # WET: already text
            content_type, is_html = "text/plain", False
        else:
            http = record.http_headers
            content_type = (http.get_header("Content-Type") if http else None) or headers.get_header(
                "WARC-Identified-Payload-Type") or headers.get_header("Content-Type") or ""
            is_html = content_type.split(";")[0].strip().lower() in HTML_TYPES
            if not is_html and not content_type.lower().startswith("text/plain"):
                return quarantined(doc_id, source, f"not an HTML page (content type '{content_type or 'none'}')")
        try:
            text = decode_html(raw, content_type.encode("latin-1", "replace")) if is_html else raw.decode("utf-8")
        except UnicodeDecodeError as e:
            return quarantined(doc_id, source, f"cannot decode the payload: {e.reason}")
        if not text.strip():
            return quarantined(doc_id, source, "empty payload")
        fields = {"date": headers.get_header("WARC-Date"), "content_type": content_type}
        metadata = {"source": source, "url": url, INPUT_FIELDS: fields, IS_HTML: is_html}
        return Document(text=text, id=doc_id, metadata=metadata)


class FileInput(CorpusReader):
    """A folder of .txt or .html files, one document per file; the id is the relative path."""

    def __init__(self, *args, is_html: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_html = is_html

    def read_file(self, filepath: str):
        source = self.source_of(filepath)
        try:
            with self.data_folder.open(filepath, "rb") as f:
                raw = f.read()
        except Exception as e:
            yield self.file_failure(source, filepath, 0, e)
            return
        try:
            text = decode_html(raw) if self.is_html else raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield quarantined(filepath, source, f"invalid UTF-8 at byte {e.start}" if not self.is_html else
                              "cannot decode the HTML")
            return
        if not text.strip():
            yield quarantined(filepath, source, "empty file")
            return
        yield Document(text=text, id=filepath, metadata={"source": source, "url": None, INPUT_FIELDS: {},
                                                         IS_HTML: self.is_html})


READERS: dict[str, Callable[..., CorpusReader]] = {
    "jsonl": JsonlInput,
    "parquet": ParquetInput,
    "warc": WarcInput,
    "text": FileInput,
    "html": lambda *a, **k: FileInput(*a, is_html=True, **k),
}
