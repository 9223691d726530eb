"""Questions the CLI answers about stored versions (ls, show, diff, why), in DuckDB over the files."""

from __future__ import annotations

import duckdb

from corpus.store import Store, VersionRef


def _glob(store: Store, ref: VersionRef, part: str) -> str:
    return str(store.path(ref) / part / "*.parquet")


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def versions_table(store: Store, dataset: str | None) -> list[dict]:
    rows = []
    for name in [dataset] if dataset else store.datasets():
        for v in store.versions(name):
            ref = VersionRef(name, v)
            m = store.manifest(ref)
            t = m["totals"]
            rows.append({"version": str(ref), "created": m["created_at"][:16].replace("T", " "),
                         "docs in": t["docs_in"], "kept": t["docs_kept"], "tokens": t["tokens_kept"],
                         "parent": m["parent"] or "-", "config": m["config_hash"][:8]})
    return rows


def _flatten(value, prefix=""):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else k))
        return out
    if prefix == "steps" and isinstance(value, list):
        out = {}
        for item in value:  # steps: keyed by step name, so reordering shows as a change of order only
            (k, v), = item.items()
            out.update(_flatten(v, f"{prefix}.{k}"))
        out[f"{prefix}[order]"] = [next(iter(item)) for item in value]
        return out
    return {prefix: value}


def config_changes(old: dict, new: dict) -> list[tuple[str, object, object]]:
    """Config keys whose value differs between two resolved configs (executor settings excluded)."""
    a = _flatten({k: v for k, v in old.items() if k != "executor"})
    b = _flatten({k: v for k, v in new.items() if k != "executor"})
    return [(k, a.get(k, "(absent)"), b.get(k, "(absent)")) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def diff(store: Store, a: VersionRef, b: VersionRef) -> dict:
    """Documents and tokens added and removed from a to b, each attributed to its cause."""
    con = duckdb.connect()
    # views cannot take prepared parameters, so the paths go in as quoted literals
    con.execute(f"""
        CREATE TEMP VIEW a AS SELECT id, n_tokens, text FROM read_parquet({_sql_str(_glob(store, a, "data"))});
        CREATE TEMP VIEW b AS SELECT id, n_tokens, text FROM read_parquet({_sql_str(_glob(store, b, "data"))});
        CREATE TEMP VIEW la AS SELECT id, any_value(removed_by) AS removed_by
            FROM read_parquet({_sql_str(_glob(store, a, "ledger"))}) GROUP BY id;
        CREATE TEMP VIEW lb AS SELECT id, any_value(removed_by) AS removed_by
            FROM read_parquet({_sql_str(_glob(store, b, "ledger"))}) GROUP BY id;
    """)
    removed = con.execute("""
        SELECT CASE WHEN lb.id IS NULL THEN 'not in the input of B' ELSE 'removed by ' || lb.removed_by END AS cause,
               count(*), coalesce(sum(a.n_tokens), 0)
        FROM a LEFT JOIN b USING (id) LEFT JOIN lb USING (id)
        WHERE b.id IS NULL GROUP BY cause ORDER BY 2 DESC""").fetchall()
    added = con.execute("""
        SELECT CASE WHEN la.id IS NULL THEN 'new input' ELSE 'was removed by ' || la.removed_by || ' in A' END AS cause,
               count(*), coalesce(sum(b.n_tokens), 0)
        FROM b LEFT JOIN a USING (id) LEFT JOIN la USING (id)
        WHERE a.id IS NULL GROUP BY cause ORDER BY 2 DESC""").fetchall()
    common, changed = con.execute("""
        SELECT count(*), count(*) FILTER (WHERE a.text <> b.text) FROM a JOIN b USING (id)""").fetchall()[0]
    ma, mb = store.manifest(a), store.manifest(b)
    return {
        "a": str(a), "b": str(b),
        "docs_a": ma["totals"]["docs_kept"], "docs_b": mb["totals"]["docs_kept"],
        "tokens_a": ma["totals"]["tokens_kept"], "tokens_b": mb["totals"]["tokens_kept"],
        "removed": [{"cause": c, "docs": n, "tokens": t} for c, n, t in removed],
        "added": [{"cause": c, "docs": n, "tokens": t} for c, n, t in added],
        "unchanged": common - changed, "text_changed": changed,
        "config_changes": config_changes(ma["config"], mb["config"]),
        "same_content": ma["content_hash"] == mb["content_hash"],
    }


def why(store: Store, ref: VersionRef, doc_id: str) -> list[dict]:
    """Ledger rows for one id (usually one), with the path through the version's steps."""
    con = duckdb.connect()
    rows = con.execute("SELECT * FROM read_parquet(?) WHERE id = ?", [_glob(store, ref, "ledger"), doc_id])
    names = [d[0] for d in rows.description]
    found = [dict(zip(names, r)) for r in rows.fetchall()]
    steps = [s["name"] for s in store.manifest(ref)["steps"]]
    for row in found:
        path, stopped = [], False
        for name in steps:
            by = "quarantine" if name == "read" else name
            if stopped:
                path.append((name, "not reached"))
            elif row["removed_by"] == by:
                path.append((name, f"removed: {row['reason']}"))
                stopped = True
            else:
                path.append((name, "passed"))
        row["path"] = path
    return found
