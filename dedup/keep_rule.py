"""From groups of duplicates to decisions: which member stays, which go, and why.

Input: a DuckDB table with one row per group member: grp, earlier_ref (the version an indexed
earlier document belongs to, NULL for this run's documents), rank, pos, id, n_chars,
quality_score. A document from an earlier version always stays (it is published already);
otherwise the keep rule picks one, ties broken by input order, so the result is deterministic.
"""

from __future__ import annotations

from pathlib import Path

KEEP_RULES = {
    "first": "",
    "longest": "n_chars DESC,",
    "quality": "quality_score DESC NULLS LAST,",
}


def write_decisions(con, groups: str, keep: str, what: str, out: Path) -> tuple[int, int]:
    """Write DECISIONS rows for this run's documents in groups of two or more; (clusters, removed)."""
    order = f"(earlier_ref IS NULL), {KEEP_RULES[keep]} rank, pos"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ranked AS
        SELECT rank, pos, earlier_ref,
               first_value(id) OVER w AS keeper_id,
               first_value(earlier_ref) OVER w AS keeper_ref,
               row_number() OVER w AS rn,
               count(*) OVER (PARTITION BY grp) AS size
        FROM {groups}
        WINDOW w AS (PARTITION BY grp ORDER BY {order} ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
    """)
    con.execute(f"""
        COPY (
            SELECT CAST(rank AS INTEGER) AS rank, CAST(pos AS BIGINT) AS pos, keeper_id AS dup_cluster,
                   rn > 1 AS removed,
                   CASE WHEN rn = 1 THEN NULL
                        WHEN keeper_ref IS NULL THEN '{what} of ' || keeper_id
                        ELSE '{what} of ' || keeper_id || ' in ' || keeper_ref END AS reason
            FROM ranked WHERE earlier_ref IS NULL AND size > 1
            ORDER BY rank, pos
        ) TO '{out}' (FORMAT parquet)
    """)
    clusters, removed = con.execute(
        "SELECT count(DISTINCT keeper_id), count(*) FILTER (WHERE rn > 1) FROM ranked "
        "WHERE earlier_ref IS NULL AND size > 1").fetchall()[0]
    return clusters, removed
