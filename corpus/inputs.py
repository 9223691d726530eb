"""Input globs to a sorted file list under one root, and fingerprints of those files.

Relative paths in a pipeline file are relative to that file's folder. A glob may be a local
path or an fsspec URL; a folder stands for the files in it that fit the input format.
"""

from __future__ import annotations

import glob as globlib
import os
import posixpath
from dataclasses import dataclass

import fsspec
import xxhash

from corpus.config import InputConfig
from corpus.errors import UserError

FOLDER_SUFFIXES = {
    "jsonl": (".jsonl", ".jsonl.gz", ".jsonl.zst", ".json", ".json.gz", ".json.zst", ".ndjson"),
    "parquet": (".parquet",),
    "warc": (".warc", ".warc.gz", ".arc.gz", ".wet", ".wet.gz"),
    "text": (".txt", ".text", ".md"),
    "html": (".html", ".htm", ".xhtml"),
}


@dataclass
class InputFiles:
    root: str  # common folder (a local path, or a path inside `fs`)
    relpaths: list[str]
    fs: fsspec.AbstractFileSystem
    is_local: bool

    @property
    def folder(self):
        """What datatrove readers take as their data folder."""
        return self.root if self.is_local else (self.root, self.fs)

    @property
    def location(self) -> str:
        """The root as the user would write it (a local path or a URL)."""
        return self.root if self.is_local else self.fs.unstrip_protocol(self.root)

    def full(self, rel: str) -> str:
        return os.path.join(self.root, rel) if self.is_local else self.fs.unstrip_protocol(posixpath.join(self.root, rel))


def _expand_one(pattern: str, base_dir: str, fmt: str):
    if "://" in pattern:
        fs, path = fsspec.core.url_to_fs(pattern)
        matches = fs.glob(path) if globlib.has_magic(path) else ([path] if fs.exists(path) else [])
        files = []
        for m in matches:
            if fs.isdir(m):
                files += [f for f in fs.find(m) if f.endswith(FOLDER_SUFFIXES[fmt])]
            else:
                files.append(m)
        return fs, False, files
    path = os.path.join(base_dir, os.path.expanduser(pattern))
    files = []
    for m in sorted(globlib.glob(path, recursive=True)):
        if os.path.isdir(m):
            for dirpath, _, names in os.walk(m):
                files += [os.path.join(dirpath, n) for n in names if n.endswith(FOLDER_SUFFIXES[fmt])]
        elif os.path.isfile(m):
            files.append(m)
    return fsspec.filesystem("file"), True, [os.path.abspath(f) for f in files]


def expand_inputs(cfg: InputConfig, base_dir: str) -> InputFiles:
    """All files the input globs match, sorted and de-duplicated; a UserError if none."""
    fs, is_local, files = None, True, set()
    for pattern in cfg.paths:
        this_fs, this_local, matched = _expand_one(pattern, base_dir, cfg.format)
        if not matched:
            shown = pattern if "://" in pattern else os.path.join(base_dir, pattern)
            raise UserError(f"input.paths: '{pattern}' matches no {cfg.format} files (looked for {shown})")
        if fs is not None and (this_local != is_local or type(this_fs) is not type(fs)):
            raise UserError("input.paths: all paths must be on one filesystem (all local, or all one URL scheme)")
        fs, is_local = this_fs, this_local
        files.update(matched)
    ordered = sorted(files)
    if len(ordered) == 1:
        root = os.path.dirname(ordered[0]) if is_local else posixpath.dirname(ordered[0])
    else:
        root = os.path.commonpath(ordered) if is_local else posixpath.commonpath(ordered)
    rel = [os.path.relpath(f, root) if is_local else posixpath.relpath(f, root) for f in ordered]
    return InputFiles(root=root, relpaths=rel, fs=fs, is_local=is_local)


def fingerprints(files: InputFiles) -> list[dict]:
    """Path, size, mtime and xxh3-128 of each input file (the content hash decides 'unchanged')."""
    out = []
    for rel in files.relpaths:
        full = os.path.join(files.root, rel) if files.is_local else posixpath.join(files.root, rel)
        info = files.fs.info(full)
        h = xxhash.xxh3_128()
        with files.fs.open(full, "rb") as f:
            while chunk := f.read(1 << 22):
                h.update(chunk)
        mtime = info.get("mtime") or info.get("LastModified") or info.get("created")
        out.append({"path": files.full(rel), "relpath": rel, "size": int(info.get("size") or 0),
                    "mtime": mtime if isinstance(mtime, (int, float)) else str(mtime) if mtime else None,
                    "xxh3_128": h.hexdigest()})
    return out
