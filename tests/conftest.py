"""Fixtures that build raw inputs in every format, and a helper that runs the real CLI."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import yaml

CORPUS = Path(sys.executable).with_name("corpus")


def run_cli(*args, store=None, check=None, timeout=300, **kwargs) -> subprocess.CompletedProcess:
    """Run `corpus ARGS...` as a user would; returns the completed process (text mode)."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", COLUMNS="200")
    cmd = [str(CORPUS), *map(str, args)] + (["--store", str(store)] if store else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, **kwargs)
    if check is not None:
        assert proc.returncode == check, f"exit {proc.returncode}\nstdout:{proc.stdout}\nstderr:{proc.stderr}"
    return proc


def write_pipeline(path: Path, paths, fmt="jsonl", steps=None, workers=2, dataset="ds", **input_extra) -> Path:
    config = {"dataset": dataset, "input": {"paths": paths, "format": fmt, **input_extra},
              "steps": steps or [], "executor": {"type": "local", "workers": workers}}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def good_text(i: int) -> str:
    return f"Document number {i} talks about soil, irrigation and crop rotation. " * 8


@pytest.fixture
def jsonl_input(tmp_path) -> tuple[Path, dict]:
    """Three JSONL files (plain, .gz, .zst) with 10 good records and 4 broken ones; returns (dir, facts)."""
    import zstandard

    raw = tmp_path / "raw"
    raw.mkdir()
    plain = [orjson.dumps({"id": f"p{i}", "text": good_text(i), "url": f"https://a.example/{i}", "tag": i})
             for i in range(5)]
    plain.insert(2, b'{"id": "broken", "text": "no closing quote')  # malformed JSON
    plain.insert(4, b'{"id": "latin1", "text": "caf\xe9 au lait"}')  # invalid UTF-8
    plain.insert(5, b"")  # blank line: not a record
    plain.append(b'{"id": "notext", "body": "x"}')  # missing text field
    plain.append(b'{"id": "numtext", "text": 42}')  # wrong type
    (raw / "a.jsonl").write_bytes(b"\n".join(plain) + b"\n")
    with gzip.open(raw / "b.jsonl.gz", "wb") as f:
        f.write(b"".join(orjson.dumps({"id": f"g{i}", "text": good_text(10 + i)}) + b"\n" for i in range(3)))
    zst = b"".join(orjson.dumps({"id": f"z{i}", "text": good_text(20 + i)}) + b"\n" for i in range(2))
    (raw / "c.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(zst))
    return raw, {"records": 14, "kept": 10, "quarantined": {"a.jsonl:3": "invalid JSON",
                                                            "a.jsonl:5": "invalid UTF-8",
                                                            "notext": "missing text field",
                                                            "numtext": "int, not a string"}}


@pytest.fixture
def parquet_input(tmp_path) -> tuple[Path, dict]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    raw = tmp_path / "pq"
    raw.mkdir()
    pq.write_table(pa.table({"doc": ["x", "y", "z", "w"], "content": [good_text(1), None, good_text(3), "   "],
                             "year": [2020, 2021, 2022, 2023]}), raw / "one.parquet")
    pq.write_table(pa.table({"doc": ["q"], "content": [good_text(5)], "year": [1999]}), raw / "two.parquet")
    return raw, {"records": 5, "kept": 3, "quarantined": {"y": "is null", "w": "empty text"}}


@pytest.fixture
def warc_input(tmp_path) -> tuple[Path, dict]:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    raw = tmp_path / "warc"
    raw.mkdir()
    article = ("<html><head><title>Irrigation</title></head><body><nav>Home | About</nav><article>"
               + "".join(f"<p>{good_text(i)}</p>" for i in range(3)) + "</article></body></html>").encode()
    empty = b"<html><body><div></div></body></html>"
    with open(raw / "crawl.warc.gz", "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        def response(url, body, ctype):
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            return w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
        w.write_record(w.create_warc_record("https://x.example/", "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n")))
        w.write_record(response("https://x.example/farm", article, "text/html; charset=utf-8"))
        w.write_record(response("https://x.example/empty", empty, "text/html"))
        w.write_record(response("https://x.example/logo.png", b"\x89PNG....", "image/png"))
    return raw, {"records": 3, "kept": 1, "quarantined": 1, "extract_removed": 1}


@pytest.fixture
def text_input(tmp_path) -> tuple[Path, dict]:
    raw = tmp_path / "texts"
    (raw / "sub").mkdir(parents=True)
    (raw / "one.txt").write_text(good_text(1))
    (raw / "sub" / "two.txt").write_text(good_text(2))
    (raw / "bad.txt").write_bytes(b"\xff\xfe broken \xc3")
    (raw / "ignored.bin").write_bytes(b"\x00")
    return raw, {"records": 3, "kept": 2, "quarantined": {"bad.txt": "invalid UTF-8"}}


@pytest.fixture
def html_input(tmp_path) -> tuple[Path, dict]:
    raw = tmp_path / "pages"
    raw.mkdir()
    (raw / "a.html").write_text("<html><body><article>" + "".join(f"<p>{good_text(i)}</p>" for i in range(3))
                                + "</article></body></html>")
    (raw / "b.htm").write_text("<html><body></body></html>")
    return raw, {"records": 2, "kept": 1, "extract_removed": 1}
