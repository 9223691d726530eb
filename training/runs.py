"""`STORE/runs/<run_id>/`: what a training run used and produced.

    run.json        kind, data ref and content hash, model and tokenizer refs, resolved config,
                    code (git commit, library versions), world size, token statistics, timing
    metrics.jsonl   one line per logging step (loss, reward, learning rate, ...)
    eval.json       every evaluation of the run's model: data ref, split, perplexity, bits/byte
    model/          the trained model and its tokenizer (transformers format)

A run is written under `runs/.running-<run_id>` and renamed when it finishes, so `corpus runs`
and the reports never see half a run.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from datetime import datetime, timezone
from pathlib import Path

from corpus.errors import UserError

RUNS_DIR = "runs"
RUNNING = ".running-"


def runs_root(store_root: str | Path) -> Path:
    return Path(store_root) / RUNS_DIR


def new_run_id(kind: str, data_ref: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    name = data_ref.replace("@", "-").replace("/", "_").replace(".", "_")[-40:]
    return f"{stamp}-{kind}-{name}-{secrets.token_hex(2)}"


def start(store_root: str | Path, run_id: str) -> Path:
    path = runs_root(store_root) / f"{RUNNING}{run_id}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def finish(running: Path) -> Path:
    final = running.with_name(running.name.removeprefix(RUNNING))
    os.replace(running, final)
    return final


def abandon(running: Path) -> None:
    shutil.rmtree(running, ignore_errors=True)


def write_json(path: Path, obj) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def read_run(run_dir: Path) -> dict:
    return json.loads((run_dir / "run.json").read_text())


def resolve(store_root: str | Path, run: str) -> Path:
    """A run id (or a unique prefix, or a path to a run folder) to its folder."""
    if (Path(run) / "run.json").is_file():
        return Path(run)
    root = runs_root(store_root)
    matches = sorted(p for p in root.glob(f"{run}*") if (p / "run.json").is_file()) if root.is_dir() else []
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UserError(f"no run {run!r} in {root}")
    raise UserError(f"{run!r} matches {len(matches)} runs; give more of the id")


def record_eval(run_dir: Path, scores: dict) -> None:
    path = run_dir / "eval.json"
    evals = json.loads(path.read_text()) if path.is_file() else []
    evals.append({**scores, "at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    write_json(path, evals)


def list_runs(store_root: str | Path) -> list[dict]:
    root = runs_root(store_root)
    rows = []
    for run_dir in sorted(root.iterdir()) if root.is_dir() else []:
        if run_dir.name.startswith(".") or not (run_dir / "run.json").is_file():
            continue
        run = read_run(run_dir)
        evals = json.loads((run_dir / "eval.json").read_text()) if (run_dir / "eval.json").is_file() else []
        last = evals[-1] if evals else {}
        rows.append({"run": run["run_id"], "kind": run["kind"], "data": run["data"]["ref"],
                     "model": run["model"]["ref"], "steps": run["result"].get("steps", 0),
                     "final loss": _fmt(run["result"].get("final_loss")),
                     "reward": _fmt(run["result"].get("mean_reward_last")),
                     "eval ppl": _fmt(last.get("perplexity")), "eval bpb": _fmt(last.get("bits_per_byte"))})
    return rows


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.4g}"
