"""What a version's manifest.json says: inputs, config, code, the per-step funnel, hashes."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import orjson

from corpus.ledger import QUARANTINE, TOKEN_ESTIMATE


@lru_cache(maxsize=1)
def code_version() -> dict:
    """The package version decides 'unchanged'; the git commit and datatrove version are recorded."""
    from importlib.metadata import version

    import corpus

    commit = None
    try:
        git = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=Path(corpus.__file__).parent,
                             capture_output=True, text=True, timeout=5)
        commit = git.stdout.strip() if git.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        pass
    return {"corpusmill": corpus.__version__, "git_commit": commit, "datatrove": version("datatrove")}


def inputs_hash(files: list[dict]) -> str:
    """Of each file's path relative to the input root, size and content hash (not mtime or location)."""
    key = [(f["relpath"], f["size"], f["xxh3_128"]) for f in files]
    return hashlib.sha256(orjson.dumps(key)).hexdigest()[:16]


def run_key(config_hash: str, files: list[dict]) -> dict:
    """Equal keys mean the run would publish what the latest version already holds."""
    return {"config_hash": config_hash, "inputs_hash": inputs_hash(files),
            "corpusmill": code_version()["corpusmill"]}


def same_run(manifest: dict | None, key: dict) -> bool:
    if not manifest:
        return False
    return (manifest.get("config_hash"), manifest.get("inputs_hash"), manifest.get("code_version", {}).get(
        "corpusmill")) == (key["config_hash"], key["inputs_hash"], key["corpusmill"])


def ledger_counts(ledger_glob: str) -> dict:
    """{removed_by or None: (docs, tokens, chars)} and the number of repeated ids, by DuckDB."""
    import duckdb

    con = duckdb.connect()
    rows = con.execute(
        "SELECT removed_by, count(*), coalesce(sum(n_tokens), 0), coalesce(sum(n_chars), 0) "
        "FROM read_parquet(?) GROUP BY removed_by", [ledger_glob]).fetchall()
    repeated = con.execute("SELECT count(*) - count(DISTINCT id) FROM read_parquet(?)", [ledger_glob]).fetchall()[0][0]
    return {"by_step": {r[0]: (r[1], r[2], r[3]) for r in rows}, "repeated_ids": repeated}


def funnel(by_step: dict, step_names: list[str]) -> list[dict]:
    """Docs and tokens into and out of each step, in pipeline order; `read` removes quarantined input."""
    docs = sum(v[0] for v in by_step.values())
    tokens = sum(v[1] for v in by_step.values())
    out = []
    for name in ["read", *step_names]:
        removed = by_step.get(QUARANTINE if name == "read" else name, (0, 0, 0))
        out.append({"name": name, "docs_in": docs, "docs_out": docs - removed[0],
                    "tokens_in": tokens, "tokens_out": tokens - removed[1]})
        docs, tokens = docs - removed[0], tokens - removed[1]
    return out


def build_manifest(*, parent, config, key: dict, inputs: dict, counts: dict, step_names: list[str],
                   content_hash: str, run_info: dict) -> dict:
    by_step = counts["by_step"]
    kept = by_step.get(None, (0, 0, 0))
    warnings = []
    if counts["repeated_ids"]:
        warnings.append(f"{counts['repeated_ids']} input documents repeat an id already seen; "
                        "`corpus why` shows every row with that id")
    return {
        "version": None,  # set by Store.publish
        "dataset": config.dataset,
        "parent": str(parent) if parent else None,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "inputs": inputs,
        "inputs_hash": key["inputs_hash"],
        "config": config.resolved(),
        "config_hash": key["config_hash"],
        "code_version": code_version(),
        "steps": funnel(by_step, step_names),
        "totals": {
            "docs_in": sum(v[0] for v in by_step.values()),
            "docs_kept": kept[0],
            "docs_quarantined": by_step.get(QUARANTINE, (0, 0, 0))[0],
            "tokens_kept": kept[1],
            "chars_kept": kept[2],
            "token_estimate": TOKEN_ESTIMATE,
        },
        "content_hash": content_hash,
        "warnings": warnings,
        "run": run_info,
    }
