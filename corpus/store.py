"""The versioned store: STORE/<dataset>/v<N>/ with data/, ledger/ and manifest.json.

A version is built in a staging folder (`.staging-*`, invisible to readers) and renamed into
place under the dataset's lock, so a crash never leaves a half version and two runs never take
the same number. A staging folder whose owner died (its lock file is free) is removed by the
next run.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from corpus.errors import UserError

VERSION_DIR = re.compile(r"^v(\d+)$")
REF = re.compile(r"^(?P<dataset>[A-Za-z0-9][A-Za-z0-9_.-]*)(?:@v?(?P<version>\d+|latest))?$")


@dataclass(frozen=True)
class VersionRef:
    dataset: str
    version: int

    def __str__(self) -> str:
        return f"{self.dataset}@v{self.version}"


@contextlib.contextmanager
def file_lock(path: Path, blocking: bool = True):
    """An flock on `path`; yields False instead of waiting when blocking=False and it is taken."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class Staging:
    """A version being built. Holds its lock for as long as the owning process lives."""

    def __init__(self, dataset_dir: Path):
        token = uuid.uuid4().hex[:12]
        self.dir = dataset_dir / f".staging-{token}"
        self.work_dir = dataset_dir / f".work-{token}"
        self.lock_path = dataset_dir / f".staging-{token}.lock"
        self._lock = None

    def __enter__(self):
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        # lock under a private name, then rename: the visible lock file is never unlocked while alive
        private = self.lock_path.with_name(f".lock-{uuid.uuid4().hex}")
        self._lock = open(private, "a+")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        os.rename(private, self.lock_path)
        self.dir.mkdir()
        self.work_dir.mkdir()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:  # on failure the work folder stays for its logs; stale cleanup takes it later
            shutil.rmtree(self.work_dir, ignore_errors=True)
        shutil.rmtree(self.dir, ignore_errors=True)  # gone already if it was published
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._lock.close()
        if exc_type is None:
            self.lock_path.unlink(missing_ok=True)


class Store:
    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def dataset_dir(self, dataset: str) -> Path:
        return self.root / dataset

    def datasets(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")
                      and p.name != "runs" and self.versions(p.name))

    def versions(self, dataset: str) -> list[int]:
        d = self.dataset_dir(dataset)
        if not d.is_dir():
            return []
        found = []
        for p in d.iterdir():
            m = VERSION_DIR.match(p.name)
            if m and (p / "manifest.json").is_file():
                found.append(int(m.group(1)))
        return sorted(found)

    def latest(self, dataset: str) -> VersionRef | None:
        versions = self.versions(dataset)
        return VersionRef(dataset, versions[-1]) if versions else None

    def resolve(self, ref: str) -> VersionRef:
        """`name@vN`, `name@N` or `name` (the latest) to an existing version, or a UserError."""
        m = REF.match(ref.strip())
        if not m:
            raise UserError(f"'{ref}' is not a version reference; write DATASET@vN, e.g. legal@v2")
        dataset, version = m.group("dataset"), m.group("version")
        versions = self.versions(dataset)
        if not versions:
            raise UserError(f"no dataset '{dataset}' in the store {self.root}")
        if version in (None, "latest"):
            return VersionRef(dataset, versions[-1])
        if int(version) not in versions:
            have = ", ".join(f"v{v}" for v in versions)
            raise UserError(f"{dataset}@v{version} does not exist (versions: {have})")
        return VersionRef(dataset, int(version))

    def path(self, ref: VersionRef) -> Path:
        return self.dataset_dir(ref.dataset) / f"v{ref.version}"

    def manifest(self, ref: VersionRef) -> dict:
        return json.loads((self.path(ref) / "manifest.json").read_text())

    def staging(self, dataset: str) -> Staging:
        self.remove_stale(dataset)
        return Staging(self.dataset_dir(dataset))

    def remove_stale(self, dataset: str) -> None:
        """Remove staging and work folders (and their locks) whose run is no longer alive."""
        d = self.dataset_dir(dataset)
        if not d.is_dir():
            return
        tokens = {p.name.split("-", 1)[1].removesuffix(".lock") for p in d.glob(".staging-*")}
        tokens |= {p.name.split("-", 1)[1] for p in d.glob(".work-*")}
        for token in tokens:
            lock_path = d / f".staging-{token}.lock"
            if lock_path.exists():
                with file_lock(lock_path, blocking=False) as free:
                    if not free:
                        continue  # a live run owns it
            shutil.rmtree(d / f".staging-{token}", ignore_errors=True)
            shutil.rmtree(d / f".work-{token}", ignore_errors=True)
            lock_path.unlink(missing_ok=True)

    def publish(self, staging: Staging, dataset: str, make_manifest) -> tuple[VersionRef, bool]:
        """Number and rename the staged version into place, under the dataset lock.

        `make_manifest(parent_ref_or_None)` returns the manifest to write, or None when an existing
        version already is this result (nothing is published then).
        Returns (ref, True), or (None, False) when nothing was published.
        """
        d = self.dataset_dir(dataset)
        with file_lock(d / ".lock"):
            parent = self.latest(dataset)
            manifest = make_manifest(parent)
            if manifest is None:
                return None, False
            ref = VersionRef(dataset, parent.version + 1 if parent else 1)
            manifest["version"] = ref.version
            (staging.dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
            _fsync_tree(staging.dir)
            os.rename(staging.dir, self.path(ref))
            _fsync_dir(d)
            return ref, True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    """Flush every file of a staged version before it becomes visible."""
    for dirpath, _, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))
