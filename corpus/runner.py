"""`corpus run`: raw input → datatrove pipeline → staged version → published version.

The pipeline is [reader, extract (HTML inputs), configured steps..., VersionWriter], run by a
datatrove executor with one task per input file. A global step (dedup) splits it into
segments, with one decision over all documents between them (see corpus.global_step).
Publishing happens only after every task finished; the per-step funnel and the content hash
are computed from what the tasks wrote.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from datatrove.executor.local import LocalPipelineExecutor
from loguru import logger

from corpus import process_guard
from corpus.config import ExecutorConfig, PipelineConfig
from corpus.content_hash import of_digests
from corpus.errors import UserError
from corpus.global_step import DecideContext, EarlierVersion, GlobalStep
from corpus.html_text import HtmlExtract
from corpus.inputs import expand_inputs, fingerprints
from corpus.ledger import DATA_SCHEMA, LEDGER_SCHEMA
from corpus.manifest import build_manifest, ledger_counts, run_key, same_run
from corpus.readers import READERS
from corpus.stages import ApplyDecisions, KeyWriter, StageReader, StageWriter
from corpus.step_registry import step_class
from corpus.store import Store, VersionRef
from corpus.task_progress import docs_seen, tasks_done
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


@dataclass
class Segment:
    """One executor pass: a datatrove pipeline, and the global step (if any) that follows it."""
    pipeline: list
    global_step: GlobalStep | None = None
    keys_dir: Path | None = None
    decisions: Path | None = None
    earlier: list[EarlierVersion] | None = None  # versions the global step compares against


def build_segments(config: PipelineConfig, root, paths_file: str, staging_dir: str, work_dir: Path,
                   owner_lock: str) -> list[Segment]:
    """Split the configured steps at each global step; each piece is one datatrove pass."""
    inp = config.input
    head = [READERS[inp.format](root, paths_file, text_field=inp.text_field, id_field=inp.id_field,
                                url_field=inp.url_field)]
    if inp.format in HTML_FORMATS:
        head.append(HtmlExtract())
    segments, current = [], head
    for step_config in config.steps:
        step = step_class(step_config.name)(step_config.params)
        if not isinstance(step, GlobalStep):
            current.append(step)
            continue
        k = len(segments)
        keys_dir, stage_dir = work_dir / f"keys-{k}", work_dir / f"stage-{k}"
        decisions = work_dir / f"decisions-{k}.parquet"
        current += [KeyWriter(step, str(keys_dir)), StageWriter(str(stage_dir), str(work_dir), owner_lock, k)]
        segments.append(Segment(current, step, keys_dir, decisions))
        current = [StageReader(str(stage_dir)), ApplyDecisions(str(decisions), step.step_name)]
    current.append(VersionWriter(staging_dir, str(work_dir), owner_lock, len(segments)))
    segments.append(Segment(current))
    return segments


def resolve_against(step: GlobalStep, store: Store, dataset: str) -> list[EarlierVersion]:
    """The published versions a step compares against, each with the index the step needs."""
    earlier = []
    for ref_text in step.against_refs():
        if ref_text == "previous":
            ref = store.latest(dataset)
            if ref is None:
                continue  # the first version has nothing before it
        else:
            ref = store.resolve(ref_text if "@" in ref_text else f"{dataset}@{ref_text}")
        index = store.path(ref) / "index" / f"{step.step_name}.parquet"
        if not index.is_file():
            raise UserError(f"steps.{step.step_name}.against: {ref} has no {step.step_name} index "
                            f"(it was not built with {step.step_name}); dedup against it is not possible")
        earlier.append(EarlierVersion(str(ref), store.path(ref)))
    return earlier


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


def _execute(executor, work_dir: Path, logs: Path, tasks: int, total_tasks: int, progress) -> None:
    """Run the executor in this (main) thread while a helper thread reports progress."""
    stop = threading.Event()
    done_before = tasks_done(work_dir)

    def report():
        progress(docs=docs_seen(work_dir), tasks_done=tasks_done(work_dir), tasks=total_tasks)

    def poll():
        while not stop.wait(0.3):
            report()

    poller = threading.Thread(target=poll, daemon=True) if progress else None
    if poller:
        poller.start()
    try:
        executor.run()
    except Exception as e:
        raise RunFailed(f"{type(e).__name__}: {e}; task logs are in {logs}") from e
    finally:
        stop.set()
        if poller:
            poller.join()
    if progress:
        report()
    done = tasks_done(work_dir) - done_before
    if done != tasks:
        raise RunFailed(f"only {done} of {tasks} tasks finished; task logs are in {logs}")


def _ensure_readable_parts(staging_dir: Path) -> None:
    """data/ and ledger/ always hold at least one (maybe empty) part, so every reader can open them."""
    import pyarrow.parquet as pq

    for part, schema in (("data", DATA_SCHEMA), ("ledger", LEDGER_SCHEMA)):
        folder = staging_dir / part
        folder.mkdir(exist_ok=True)
        if not any(folder.glob("*.parquet")):
            pq.write_table(schema.empty_table(), folder / "part-00000.parquet")


def _write_indexes(segments: list[Segment], version_dir: Path, work_dir: Path) -> None:
    """Each global step stores its index of the documents this version kept (for `against:`)."""
    steps = [seg for seg in segments if seg.global_step]
    if not steps:
        return
    kept = f"SELECT id FROM read_parquet('{version_dir / 'data' / '*.parquet'}')"
    ctx = DecideContext(keys_glob="", decisions_path=Path(), work_dir=work_dir)
    con = ctx.connect()
    for seg in steps:
        seg.global_step.write_index(con, str(seg.keys_dir / "*.parquet"), kept, version_dir / "index")


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
    for step_config in config.steps:  # steps that need the store first (decontaminate's index)
        prepare = getattr(step_config.params, "prepare", None)
        if prepare:
            prepare(store, say)
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
        segments = build_segments(config, files.folder, str(paths_file), str(staging.dir), staging.work_dir,
                                  str(staging.lock_path))
        tasks = len(files.relpaths)
        for seg in segments:  # before any work: a missing index is a user error
            if seg.global_step:
                seg.earlier = resolve_against(seg.global_step, store, config.dataset)
        for k, seg in enumerate(segments):
            logs = staging.work_dir / f"logs-{k}"
            executor = make_executor(config.executor, seg.pipeline, tasks, str(logs))
            _execute(executor, staging.work_dir, logs, tasks, tasks * len(segments), progress)
            if seg.global_step:
                say(f"{seg.global_step.step_name}: deciding over all documents")
                ctx = DecideContext(keys_glob=str(seg.keys_dir / "*.parquet"), decisions_path=seg.decisions,
                                    work_dir=staging.work_dir, earlier=seg.earlier)
                seg.global_step.decide(ctx)
                for line in ctx.report:
                    say(line)

        say("computing the funnel and content hash")
        _ensure_readable_parts(staging.dir)
        _write_indexes(segments, staging.dir, staging.work_dir)
        digests = b"".join(p.read_bytes() for p in sorted((staging.work_dir / "digests").glob("*.bin")))
        content_hash = of_digests(digests)
        counts = ledger_counts(str(staging.dir / "ledger" / "*.parquet"))
        step_names = (["extract"] if config.input.format in HTML_FORMATS else []) + [s.name for s in config.steps]
        run_info = {"executor": config.executor.type, "workers": min(config.executor.workers, tasks),
                    "tasks": tasks, "seconds": None}

        def make_manifest(parent):
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
