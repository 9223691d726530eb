"""Connected components of a candidate-pair graph, in DuckDB (label propagation, spills to disk)."""

from __future__ import annotations


def connected_components(con, edges: str, out: str, max_rounds: int = 100) -> int:
    """Create table `out`(node, label): label = smallest node of the component. Returns rounds used.

    `edges` is a table or view of (a, b) node pairs; nodes absent from it are singletons and
    are left out. Each round every node takes the smallest label among itself and neighbours.
    """
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _undirected AS
        SELECT a, b FROM {edges} UNION SELECT b, a FROM {edges}""")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT DISTINCT a AS node, a AS label FROM _undirected")
    for rounds in range(1, max_rounds + 1):
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _next AS
            SELECT l.node, least(l.label, coalesce(min(n.label), l.label)) AS label
            FROM {out} l LEFT JOIN _undirected e ON e.a = l.node LEFT JOIN {out} n ON n.node = e.b
            GROUP BY l.node, l.label""")
        changed = con.execute(f"SELECT count(*) FROM _next JOIN {out} USING (node) "
                              f"WHERE _next.label <> {out}.label").fetchall()[0][0]
        con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT * FROM _next")
        if changed == 0:
            return rounds
    raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
