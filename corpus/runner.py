"""`corpus run`: raw input → datatrove pipeline → staged version → published version.

The pipeline is [reader, extract (HTML inputs), configured steps..., VersionWriter], run by a
datatrove executor with one task per input file. Publishing happens only after every task
finished, and the per-step funnel and content hash are computed from what the tasks wrote.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from datatrove.executor.local import LocalPipelineExecutor
from loguru import logger

from corpus.config import ExecutorConfig, PipelineConfig
from corpus.content_hash import of_digests
from corpus.errors import UserError
from corpus.html_text import HtmlExtract
from corpus.inputs import expand_inputs, fingerprints
from corpus.ledger import DATA_SCHEMA, LEDGER_SCHEMA
from corpus import process_guard
from corpus.manifest import build_manifest, ledger_counts, run_key, same_run
from corpus.readers import READERS
from corpus.step_registry import step_class
from corpus.store import Store, VersionRef
from corpus.version_writer import VersionWriter

HTML_FORMATS = ("warc", "html")


class RunFailed(Exception):
    """A pipeline task crashed; nothing was published."""


@dataclass
class RunResult:
    ref: VersionRef
    published: bool
    manifest: dict


def quiet_datatrove_logs() -> None:
    """datatrove logs every task to stderr; keep its files, show only failures (we report them)."""
    logger.remove()
    logger.add(sys.stderr, level="CRITICAL")


class QuietLocalExecutor(LocalPipelineExecutor):
    """datatrove's local executor, with each task's stderr log level raised (its log file keeps all)."""

    def _run_for_rank(self, rank: int, local_rank: int = 0, node_rank: int = -1):
        try:
            return super()._run_for_rank(rank, local_rank=1, node_rank=node_rank)
        finally:
            quiet_datatrove_logs()


def build_pipeline(config: PipelineConfig, root, paths_file: str, staging_dir: str, work_dir: str,
                   owner_lock: str) -> list:
    inp = config.input
    reader = READERS[inp.format](root, paths_file, text_field=inp.text_field, id_field=inp.id_field,
                                 url_field=inp.url_field)
    steps = [HtmlExtract()] if inp.format in HTML_FORMATS else []
    steps += [step_class(s.name)(s.params) for s in config.steps]
    return [reader, *steps, VersionWriter(staging_dir, work_dir, owner_lock)]


def make_executor(cfg: ExecutorConfig, pipeline: list, tasks: int, logging_dir: str):
    workers = max(1, min(cfg.workers, tasks))
    if cfg.type == "local":
        return QuietLocalExecutor(pipeline, tasks=tasks, workers=workers, logging_dir=logging_dir,
                                  skip_completed=False)
    if cfg.type == "ray":
        try:
            import ray
            from datatrove.executor.ray import RayPipelineExecutor
        except ImportError:
            raise UserError("executor.type ray needs Ray: pip install 'corpusmill[ray]'") from None
        if not ray.is_initialized():
            import logging

            ray.init(address=cfg.address, num_cpus=None if cfg.address else cfg.workers,
                     include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
        return RayPipelineExecutor(pipeline, tasks=tasks, workers=workers, logging_dir=logging_dir,
                                   skip_completed=False)
    raise UserError(f"executor.type {cfg.type} is not available in this version of corpusmill yet "
                    "(use local or ray)")


def _read_progress(work_dir: Path) -> int:
    total = 0
    for p in (work_dir / "progress").glob("*"):
        try:
            total += int(p.read_text() or 0)
        except (ValueError, OSError):
            pass
    return total


def _tasks_done(work_dir: Path) -> int:
    return len(list((work_dir / "digests").glob("*.bin")))


def _execute(executor, work_dir: Path, tasks: int, progress) -> None:
    """Run the executor in this (main) thread while a helper thread reports progress."""
    stop = threading.Event()

    def poll():
        while not stop.wait(0.3):
            progress(docs=_read_progress(work_dir), tasks_done=_tasks_done(work_dir), tasks=tasks)

    poller = threading.Thread(target=poll, daemon=True) if progress else None
    if poller:
        poller.start()
    try:
        executor.run()
    except Exception as e:
        raise RunFailed(f"{type(e).__name__}: {e}; task logs are in {work_dir / 'logs'}") from e
    finally:
        stop.set()
        if poller:
            poller.join()
    if progress:
        progress(docs=_read_progress(work_dir), tasks_done=_tasks_done(work_dir), tasks=tasks)
    done = _tasks_done(work_dir)
    if done != tasks:
        raise RunFailed(f"only {done} of {tasks} tasks finished; task logs are in {work_dir / 'logs'}")


def _ensure_readable_parts(staging_dir: Path) -> None:
    """data/ and ledger/ always hold at least one (maybe empty) part, so every reader can open them."""
    import pyarrow.parquet as pq

    for part, schema in (("data", DATA_SCHEMA), ("ledger", LEDGER_SCHEMA)):
        folder = staging_dir / part
        folder.mkdir(exist_ok=True)
        if not any(folder.glob("*.parquet")):
            pq.write_table(schema.empty_table(), folder / "part-00000.parquet")


def _existing_version(store: Store, dataset: str, key: dict) -> VersionRef | None:
    """The newest version this exact run (config, input content, code version) already produced."""
    for v in reversed(store.versions(dataset)):
        ref = VersionRef(dataset, v)
        if same_run(store.manifest(ref), key):
            return ref
    return None


def run_pipeline(config: PipelineConfig, store: Store, progress=None, status=None) -> RunResult:
    """Run a pipeline and publish the next version (or nothing, when inputs and config are unchanged).

    `progress(docs=, tasks_done=, tasks=)` and `status(message)` are optional UI callbacks.
    """
    process_guard.refuse_in_worker_import()
    say = status or (lambda msg: None)
    files = expand_inputs(config.input, str(config.base_dir))
    say(f"{len(files.relpaths)} input files under {files.root}")
    prints = fingerprints(files)
    key = run_key(config.config_hash(), prints)
    existing = _existing_version(store, config.dataset, key)
    if existing:
        return RunResult(existing, False, store.manifest(existing))

    started = time.time()
    quiet_datatrove_logs()
    process_guard.install()
    with store.staging(config.dataset) as staging:
        paths_file = staging.work_dir / "paths.txt"
        paths_file.write_text("".join(f"{p}\n" for p in files.relpaths))
        pipeline = build_pipeline(config, files.folder, str(paths_file), str(staging.dir), str(staging.work_dir),
                                  str(staging.lock_path))
        tasks = len(files.relpaths)
        executor = make_executor(config.executor, pipeline, tasks, str(staging.work_dir / "logs"))
        _execute(executor, staging.work_dir, tasks, progress)

        say("computing the funnel and content hash")
        _ensure_readable_parts(staging.dir)
        digests = b"".join(p.read_bytes() for p in sorted((staging.work_dir / "digests").glob("*.bin")))
        content_hash = of_digests(digests)
        counts = ledger_counts(str(staging.dir / "ledger" / "*.parquet"))
        step_names = (["extract"] if config.input.format in HTML_FORMATS else []) + [s.name for s in config.steps]
        run_info = {"executor": config.executor.type, "workers": min(config.executor.workers, tasks),
                    "tasks": tasks, "seconds": None}

        def make_manifest(parent, _parent_manifest):
            if _existing_version(store, config.dataset, key):  # an identical run published meanwhile
                return None
            run_info["seconds"] = round(time.time() - started, 2)
            return build_manifest(parent=parent, config=config, key=key, content_hash=content_hash,
                                  inputs={"root": files.location, "files": prints}, counts=counts,
                                  step_names=step_names, run_info=run_info)

        ref, published = store.publish(staging, config.dataset, make_manifest)
    if not published:
        ref = _existing_version(store, config.dataset, key)
    return RunResult(ref, published, store.manifest(ref))
