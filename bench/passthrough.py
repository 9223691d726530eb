"""Pass-through cost of the spine: read → ledger → versioned write, against datatrove read → write.

Both read the same JSONL files with datatrove's LocalPipelineExecutor (same tasks, same
workers) and write zstd Parquet; ours also writes the ledger, fingerprints the inputs, hashes
the content and publishes a version. Each variant runs in a fresh process (imports count for
both); runs alternate and median wall times are compared, since machines here are noisy.

    .venv/bin/python bench/passthrough.py [--docs 100000] [--files 8] [--workers 2] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import write_documents  # noqa: E402

DATATROVE = """
from datatrove.executor.local import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import ParquetWriter
from corpus.runner import quiet_datatrove_logs
if __name__ == "__main__":
    quiet_datatrove_logs()
    LocalPipelineExecutor([JsonlReader({raw!r}), ParquetWriter({out!r} + "/data", compression="zstd")],
                          tasks={files}, workers={workers}, logging_dir={out!r} + "/logs",
                          skip_completed=False).run()
"""

CORPUSMILL = """
from corpus.config import parse_config
from corpus.runner import run_pipeline
from corpus.store import Store
if __name__ == "__main__":
    config = parse_config({{"dataset": "bench", "input": {{"paths": [{raw!r}], "id_field": "id"}},
                           "executor": {{"workers": {workers}}}}})
    assert run_pipeline(config, Store({out!r})).published
"""


def timed_run(script: str) -> float:
    """Wall seconds of one fresh process (forkserver workers included)."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", script], check=True)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="corpus-bench-"))
    try:
        raw = work / "raw"
        nbytes, source = write_documents(raw, args.docs, args.files)
        print(f"{args.docs:,} documents of ~2 KB ({nbytes / 1e6:.0f} MB JSONL) in {args.files} files, "
              f"{args.workers} workers; text: {source}")
        variants = {"datatrove read→write": DATATROVE, "corpusmill run (pass-through)": CORPUSMILL}
        results = {name: [] for name in variants}
        for i in range(args.repeat):
            for name, template in variants.items():
                out = work / f"out-{i}-{name[:4]}"
                results[name].append(timed_run(template.format(raw=str(raw), out=str(out), files=args.files,
                                                               workers=args.workers)))
                shutil.rmtree(out)
        print(f"\n{'':32}{'wall s':>8}{'docs/s':>10}{'MB/s':>8}   each run")
        medians = {}
        for name, runs in results.items():
            wall = medians[name] = statistics.median(runs)
            print(f"{name:32}{wall:8.2f}{args.docs / wall:10,.0f}{nbytes / 1e6 / wall:8.1f}   "
                  + " ".join(f"{r:.2f}" for r in runs))
        base, ours = medians.values()
        print(f"\ncorpusmill / datatrove wall time: {ours / base:.2f} (ledger + versioning cost "
              f"{(ours / base - 1) * 100:+.0f}%)")
        print(json.dumps({"docs": args.docs, "bytes": nbytes, "workers": args.workers,
                          "docs_per_s": {k: round(args.docs / v) for k, v in medians.items()},
                          "wall_ratio": round(ours / base, 3)}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
