"""DuckDB views over a store's files: versions, steps, ledger, data, runs, evals.

Files are the truth: every view reads the Parquet and JSON files as they are (an in-memory
connection, nothing cached), so a report is rebuilt from the store alone. A view whose files
do not exist yet is empty but has its columns, so queries work on a fresh store.
"""

from __future__ import annotations

import glob
from pathlib import Path

import duckdb

from corpus.ledger import DATA_SCHEMA, LEDGER_SCHEMA

VERSION_RE = r"/([^/]+)/v([0-9]+)/[^/]+/[^/]+$"  # …/<dataset>/v<N>/<part>/<file>
MANIFEST_RE = r"/([^/]+)/v([0-9]+)/manifest\.json$"


def _lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _empty(columns: dict[str, str]) -> str:
    return "SELECT " + ", ".join(f"NULL::{t} AS {c}" for c, t in columns.items()) + " WHERE false"


def _arrow_sql_type(t) -> str:
    import pyarrow as pa

    if pa.types.is_string(t):
        return "VARCHAR"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_integer(t):
        return "BIGINT"
    if pa.types.is_floating(t):
        return "DOUBLE"
    if pa.types.is_struct(t):
        return "STRUCT(" + ", ".join(f"{f.name} INTEGER" for f in t) + ")"
    return "VARCHAR"


def connect(store_root: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the store's views defined."""
    root = Path(store_root).resolve()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    manifests = str(root / "*" / "v*" / "manifest.json")
    have_versions = bool(glob.glob(manifests))
    version_cols = {"dataset": "VARCHAR", "version": "INTEGER", "ref": "VARCHAR", "parent": "VARCHAR",
                    "created_at": "VARCHAR", "docs_in": "BIGINT", "docs_kept": "BIGINT", "docs_quarantined": "BIGINT",
                    "tokens_kept": "BIGINT", "chars_kept": "BIGINT", "config_hash": "VARCHAR",
                    "content_hash": "VARCHAR", "manifest": "JSON"}
    if have_versions:
        con.execute(f"""CREATE VIEW versions AS
            SELECT regexp_extract(filename, {_lit(MANIFEST_RE)}, 1) AS dataset,
                   CAST(regexp_extract(filename, {_lit(MANIFEST_RE)}, 2) AS INTEGER) AS version,
                   dataset || '@v' || version AS ref,
                   json->>'parent' AS parent, json->>'created_at' AS created_at,
                   CAST(json->'totals'->>'docs_in' AS BIGINT) AS docs_in,
                   CAST(json->'totals'->>'docs_kept' AS BIGINT) AS docs_kept,
                   CAST(json->'totals'->>'docs_quarantined' AS BIGINT) AS docs_quarantined,
                   CAST(json->'totals'->>'tokens_kept' AS BIGINT) AS tokens_kept,
                   CAST(json->'totals'->>'chars_kept' AS BIGINT) AS chars_kept,
                   json->>'config_hash' AS config_hash, json->>'content_hash' AS content_hash,
                   json AS manifest
            FROM read_json_objects({_lit(manifests)}, filename = true)""")
        con.execute("""CREATE VIEW steps AS
            SELECT dataset, version, ref, ordinality AS position, s->>'name' AS step,
                   CAST(s->>'docs_in' AS BIGINT) AS docs_in, CAST(s->>'docs_out' AS BIGINT) AS docs_out,
                   CAST(s->>'docs_in' AS BIGINT) - CAST(s->>'docs_out' AS BIGINT) AS removed,
                   CAST(s->>'tokens_in' AS BIGINT) AS tokens_in, CAST(s->>'tokens_out' AS BIGINT) AS tokens_out
            FROM versions, unnest(CAST(manifest->'steps' AS JSON[])) WITH ORDINALITY AS t(s, ordinality)""")
    else:
        con.execute(f"CREATE VIEW versions AS {_empty(version_cols)}")
        con.execute("CREATE VIEW steps AS " + _empty({"dataset": "VARCHAR", "version": "INTEGER", "ref": "VARCHAR",
                                                      "position": "BIGINT", "step": "VARCHAR", "docs_in": "BIGINT",
                                                      "docs_out": "BIGINT", "removed": "BIGINT",
                                                      "tokens_in": "BIGINT", "tokens_out": "BIGINT"}))
    for view, part, schema in (("ledger", "ledger", LEDGER_SCHEMA), ("data", "data", DATA_SCHEMA)):
        # only published versions (a manifest beside the part), not staging folders
        files = sorted(f for f in glob.glob(str(root / "*" / "v*" / part / "*.parquet"))
                       if (Path(f).parent.parent / "manifest.json").is_file())
        if files:
            listing = "[" + ", ".join(_lit(f) for f in files) + "]"
            con.execute(f"""CREATE VIEW {view} AS
                SELECT regexp_extract(filename, {_lit(VERSION_RE)}, 1) AS dataset,
                       CAST(regexp_extract(filename, {_lit(VERSION_RE)}, 2) AS INTEGER) AS version,
                       dataset || '@v' || version AS ref, * EXCLUDE (filename)
                FROM read_parquet({listing}, filename = true, union_by_name = true)""")
        else:
            cols = {"dataset": "VARCHAR", "version": "INTEGER", "ref": "VARCHAR"}
            cols.update({f.name: _arrow_sql_type(f.type) for f in schema})
            con.execute(f"CREATE VIEW {view} AS {_empty(cols)}")
    run_files = str(root / "runs" / "[!.]*" / "run.json")
    if glob.glob(run_files):
        con.execute(f"""CREATE VIEW runs AS
            SELECT json->>'run_id' AS run_id, json->>'kind' AS kind, json->'data'->>'ref' AS data_ref,
                   json->'data'->>'content_hash' AS data_content_hash,
                   json->'model'->>'ref' AS model, CAST(json->'model'->>'parameters' AS BIGINT) AS parameters,
                   CAST(json->'result'->>'steps' AS INTEGER) AS steps,
                   CAST(json->'result'->>'final_loss' AS DOUBLE) AS final_loss,
                   CAST(json->'result'->>'mean_reward_last' AS DOUBLE) AS reward,
                   CAST(json->>'world_size' AS INTEGER) AS world_size, json AS run
            FROM read_json_objects({_lit(run_files)})""")
    else:
        con.execute("CREATE VIEW runs AS " + _empty({"run_id": "VARCHAR", "kind": "VARCHAR", "data_ref": "VARCHAR",
                                                     "data_content_hash": "VARCHAR", "model": "VARCHAR",
                                                     "parameters": "BIGINT", "steps": "INTEGER",
                                                     "final_loss": "DOUBLE", "reward": "DOUBLE",
                                                     "world_size": "INTEGER", "run": "JSON"}))
    eval_files = str(root / "runs" / "[!.]*" / "eval.json")
    if glob.glob(eval_files):
        con.execute(f"""CREATE VIEW evals AS
            SELECT regexp_extract(filename, '/runs/([^/]+)/eval\\.json$', 1) AS run_id,
                   e->>'data' AS eval_data, e->>'split' AS split, e->>'content_hash' AS eval_content_hash,
                   CAST(e->>'perplexity' AS DOUBLE) AS perplexity, CAST(e->>'bits_per_byte' AS DOUBLE) AS bits_per_byte,
                   CAST(e->>'tokens' AS BIGINT) AS tokens, CAST(e->>'docs' AS BIGINT) AS docs, e->>'at' AS at,
                   CAST(e->>'score' AS DOUBLE) AS score, e->'metrics' AS metrics
            FROM (SELECT filename, json AS e
                  FROM read_json_objects({_lit(eval_files)}, filename = true, format = 'array'))""")
    else:
        con.execute("CREATE VIEW evals AS " + _empty({"run_id": "VARCHAR", "eval_data": "VARCHAR", "split": "VARCHAR",
                                                      "eval_content_hash": "VARCHAR", "perplexity": "DOUBLE",
                                                      "bits_per_byte": "DOUBLE", "tokens": "BIGINT", "docs": "BIGINT",
                                                      "at": "VARCHAR", "score": "DOUBLE", "metrics": "JSON"}))
    return con
