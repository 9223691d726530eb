"""The report's tables, each one query over the views (see quality_reports.views).

The first table is data → eval: per version, the data (documents, tokens, what each step
removed, what changed in the config) next to the eval scores of the runs trained on it, and
the change of both against the version before. Scores compare only on one eval set: the
one most versions were scored on.
"""

from __future__ import annotations

import json

from corpus.store_queries import config_changes

MAX_SAMPLE_CHARS = 400


def rows(con, sql: str, params=None) -> list[dict]:
    rel = con.execute(sql, params or [])
    names = [d[0] for d in rel.description]
    return [dict(zip(names, r)) for r in rel.fetchall()]


def _where_dataset(dataset: str | None, alias: str = "") -> tuple[str, list]:
    col = f"{alias}.dataset" if alias else "dataset"
    return (f"WHERE {col} = ?", [dataset]) if dataset else ("", [])


def common_eval_set(con, dataset: str | None = None) -> tuple[str, str] | None:
    where, params = _where_dataset(dataset, "v")
    found = rows(con, f"""
        SELECT e.eval_data, e.split, count(DISTINCT r.data_ref) AS versions
        FROM runs r JOIN evals e USING (run_id) JOIN versions v ON v.ref = r.data_ref
        {where + " AND" if where else "WHERE"} e.perplexity IS NOT NULL
        GROUP BY 1, 2 ORDER BY versions DESC, max(e.at) DESC LIMIT 1""", params)
    return (found[0]["eval_data"], found[0]["split"]) if found else None


def summarize_changes(changes: list[tuple[str, object, object]]) -> list[dict]:
    """Config changes with an added or dropped step collapsed into one row for that step."""
    steps: dict[str, dict] = {}
    out = []
    for key, before, after in changes:
        parts = key.split(".")
        if parts[0] == "steps" and len(parts) >= 3 and (before == "(absent)" or after == "(absent)"):
            entry = steps.setdefault(parts[1], {"change": "added" if before == "(absent)" else "dropped", "settings": {}})
            entry["settings"][".".join(parts[2:])] = after if before == "(absent)" else before
            continue
        out.append({"key": key, "before": before, "after": after})
    for name, entry in steps.items():
        settings = ", ".join(f"{k}: {v}" for k, v in entry["settings"].items())
        row = {"key": f"steps.{name}", "before": "(absent)", "after": f"added ({settings})"}
        if entry["change"] == "dropped":
            row = {"key": f"steps.{name}", "before": f"({settings})", "after": "dropped"}
        out.insert(0, row)
    return out


def _change_label(row: dict) -> str:
    if row["after"] == "dropped":
        return "−" + row["key"].removeprefix("steps.")
    if row["before"] == "(absent)" and row["key"].startswith("steps."):
        return "+" + row["key"].removeprefix("steps.")
    return row["key"]


def data_to_eval(con, dataset: str | None = None) -> list[dict]:
    """One row per version: data, the latest run on it scored on its dataset's common eval set, and deltas."""
    if dataset is None:
        names = [r["dataset"] for r in rows(con, "SELECT DISTINCT dataset FROM versions ORDER BY 1")]
        return [row for name in names for row in data_to_eval(con, name)]
    where, params = _where_dataset(dataset, "v")
    target = common_eval_set(con, dataset)
    eval_data, split = target if target else (None, None)
    versions = rows(con, f"""
        WITH scored AS (
            SELECT r.data_ref, r.run_id, r.kind, r.steps, e.perplexity, e.bits_per_byte
            FROM runs r JOIN evals e USING (run_id)
            WHERE e.eval_data IS NOT DISTINCT FROM ? AND e.split IS NOT DISTINCT FROM ?
            QUALIFY row_number() OVER (PARTITION BY r.data_ref ORDER BY e.at DESC) = 1)
        SELECT v.dataset, v.version, v.ref, v.docs_in, v.docs_kept, v.tokens_kept, v.manifest,
               s.run_id, s.kind, s.steps, s.perplexity, s.bits_per_byte,
               (SELECT count(*) FROM runs r2 WHERE r2.data_ref = v.ref) AS runs
        FROM versions v LEFT JOIN scored s ON s.data_ref = v.ref {where}
        ORDER BY v.dataset, v.version""", [eval_data, split, *params])
    steps_where, _ = _where_dataset(dataset)
    removals = rows(con, f"""SELECT ref, step, removed FROM steps {steps_where}
                             ORDER BY dataset, version, position""", params)
    by_ref: dict[str, list[str]] = {}
    for r in removals:
        if r["removed"]:
            step = "quarantine" if r["step"] == "read" else r["step"]
            by_ref.setdefault(r["ref"], []).append(f"{step} −{r['removed']:,}")
    out, previous = [], {}
    for v in versions:
        manifest = json.loads(v["manifest"])
        prev = previous.get(v["dataset"])
        changes = config_changes(prev["config"], manifest["config"]) if prev else []
        row = {
            "version": v["ref"], "docs": v["docs_kept"], "tokens": v["tokens_kept"],
            "Δ tokens": (v["tokens_kept"] - prev["tokens"]) if prev else None,
            "removed by": ", ".join(by_ref.get(v["ref"], [])) or "-",
            "config change": ", ".join(_change_label(c) for c in summarize_changes(changes)
                                       if c["key"] != "steps[order]") or "-" if prev else "-",
            "run": v["run_id"] or ("-" if not v["runs"] else
                                   f"{v['runs']} run(s), none scored on {eval_data}" if eval_data else
                                   f"{v['runs']} run(s), none scored"),
            "eval set": f"{eval_data} ({split})" if v["run_id"] else "-",
            "perplexity": v["perplexity"], "bits/byte": v["bits_per_byte"],
            "Δ perplexity": None,
        }
        if prev and prev["perplexity"] is not None and v["perplexity"] is not None:
            row["Δ perplexity"] = round(v["perplexity"] - prev["perplexity"], 4)
        out.append(row)
        previous[v["dataset"]] = {"config": manifest["config"], "tokens": v["tokens_kept"],
                                  "perplexity": v["perplexity"]}
    return out


def task_scores(con, dataset: str | None = None) -> list[dict]:
    """Scores of other evaluations (lm-evaluation-harness tasks) of runs on the versions shown."""
    where, params = _where_dataset(dataset, "v")
    return rows(con, f"""SELECT v.ref AS version, e.run_id AS run, e.eval_data AS task, e.score,
                                CAST(e.metrics AS VARCHAR) AS metrics
                         FROM runs r JOIN evals e USING (run_id) JOIN versions v ON v.ref = r.data_ref
                         {where + " AND" if where else "WHERE"} e.score IS NOT NULL
                         ORDER BY v.dataset, v.version, e.eval_data, e.at""", params)


def funnel(con, ref: str) -> list[dict]:
    return rows(con, """SELECT step, docs_in, removed, docs_out, tokens_in, tokens_out - tokens_in AS tokens_change,
                        tokens_out FROM steps WHERE ref = ? ORDER BY position""", [ref])


def language_mix(con, ref: str) -> list[dict]:
    return rows(con, """SELECT coalesce(lang, '(not measured)') AS lang, count(*) FILTER (WHERE kept) AS kept,
                        count(*) AS docs_in FROM ledger WHERE ref = ? AND removed_by IS DISTINCT FROM 'quarantine'
                        GROUP BY 1 ORDER BY docs_in DESC LIMIT 15""", [ref])


def quality_histogram(con, ref: str) -> list[dict]:
    return rows(con, """SELECT least(floor(quality_score * 10), 9) / 10 AS bin, count(*) FILTER (WHERE kept) AS kept,
                        count(*) FILTER (WHERE NOT kept) AS removed
                        FROM ledger WHERE ref = ? AND quality_score IS NOT NULL GROUP BY 1 ORDER BY 1""", [ref])


def length_histogram(con, ref: str) -> list[dict]:
    """Kept documents by token count, in power-of-two buckets."""
    return rows(con, """SELECT CAST(pow(2, floor(log2(greatest(n_tokens, 1)))) AS BIGINT) AS tokens_from,
                        count(*) AS docs, sum(n_tokens) AS tokens
                        FROM data WHERE ref = ? GROUP BY 1 ORDER BY 1""", [ref])


def duplicate_clusters(con, ref: str) -> list[dict]:
    return rows(con, """SELECT size AS cluster_size, count(*) AS clusters, sum(size) - count(*) AS removed
                        FROM (SELECT dup_cluster, count(*) AS size FROM ledger
                              WHERE ref = ? AND dup_cluster IS NOT NULL GROUP BY 1)
                        GROUP BY 1 ORDER BY 1""", [ref])


def pii_found(con, ref: str) -> list[dict]:
    from corpus.ledger import PII_ENTITIES

    sums = ", ".join(f"coalesce(sum(pii_found.{e}), 0) AS {e}" for e in PII_ENTITIES)
    found = rows(con, f"SELECT count(pii_found) AS scanned, {sums} FROM ledger WHERE ref = ?", [ref])[0]
    if not found["scanned"]:
        return []
    return [{"type": e, "found": int(found[e]),
             "docs": rows(con, f"SELECT count(*) AS n FROM ledger WHERE ref = ? AND pii_found.{e} > 0", [ref])[0]["n"]}
            for e in PII_ENTITIES]


def domains(con, ref: str) -> list[dict]:
    return rows(con, """SELECT coalesce(nullif(regexp_extract(url, '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/:?#]+)', 1), ''), '(no url)')
                               AS host, count(*) AS docs, sum(n_tokens) AS tokens
                        FROM data WHERE ref = ? GROUP BY 1 ORDER BY docs DESC LIMIT 12""", [ref])


def sources(con, ref: str) -> list[dict]:
    return rows(con, """SELECT regexp_extract(source, '[^/]+$', 0) AS source, count(*) AS docs_in,
                        count(*) FILTER (WHERE kept) AS kept FROM ledger WHERE ref = ?
                        GROUP BY 1 ORDER BY docs_in DESC LIMIT 12""", [ref])


def removal_reasons(con, ref: str) -> list[dict]:
    """The most common reasons, with numbers and ids cut off so that alike reasons group."""
    return rows(con, """SELECT removed_by AS step,
                               regexp_replace(regexp_replace(reason, '[0-9][0-9.]*', 'N', 'g'), ' of \\S+$', ' of …')
                                   AS reason, count(*) AS docs
                        FROM ledger WHERE ref = ? AND NOT kept GROUP BY 1, 2 ORDER BY docs DESC LIMIT 12""", [ref])


def contamination(con, ref: str) -> list[dict]:
    """Documents the decontaminate step removed, per protected eval set."""
    return rows(con, """SELECT regexp_extract(reason, 'shared with eval set (.*)$', 1) AS eval_set,
                        count(*) AS docs, sum(n_tokens) AS tokens
                        FROM ledger WHERE ref = ? AND removed_by = 'decontaminate' GROUP BY 1 ORDER BY docs DESC""",
                [ref])


def samples(con, ref: str, n: int = 3) -> list[dict]:
    """A few kept documents, PII replaced again whatever the pipeline did: reports carry no raw PII."""
    from filters.pii import scrub_for_display

    picked = rows(con, """SELECT id, substr(text, 1, ?) AS text FROM data WHERE ref = ?
                          ORDER BY hash(id) LIMIT ?""", [MAX_SAMPLE_CHARS * 2, ref, n])
    for r in picked:
        r["id"] = scrub_for_display(r["id"])
        text = scrub_for_display(r["text"])
        r["text"] = text[:MAX_SAMPLE_CHARS] + ("…" if len(text) > MAX_SAMPLE_CHARS else "")
    return picked


def version_refs(con, dataset: str | None = None) -> list[str]:
    where, params = _where_dataset(dataset)
    return [r["ref"] for r in rows(con, f"SELECT ref FROM versions {where} ORDER BY dataset, version", params)]


def consecutive_pairs(con, dataset: str | None = None) -> list[tuple[str, str]]:
    found = rows(con, f"""SELECT dataset, ref FROM versions {_where_dataset(dataset)[0]} ORDER BY dataset, version""",
                 _where_dataset(dataset)[1])
    return [(a["ref"], b["ref"]) for a, b in zip(found, found[1:]) if a["dataset"] == b["dataset"]]
