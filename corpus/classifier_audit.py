"""`corpus classifier audit`: the kept and removed documents closest to the classifier threshold.

Kept texts come from the version's data; removed ones are read again from the recorded input
files (the store does not keep removed text). Every text shown has its PII replaced first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import duckdb

from corpus.errors import UserError
from corpus.store import Store, VersionRef

STEP = "quality_classifier"


@dataclass
class AuditRow:
    id: str
    score: float
    kept: bool
    text: str


def classifier_settings(manifest: dict) -> dict:
    for step in manifest["config"]["steps"]:
        if STEP in step:
            return step[STEP]
    raise UserError(f"this version has no {STEP} step (steps: "
                    f"{', '.join(next(iter(s)) for s in manifest['config']['steps']) or 'none'})")


def audit(store: Store, ref: VersionRef, n: int = 5) -> tuple[float, list[AuditRow]]:
    """min_score, then up to n kept and n removed documents nearest to it, kept first."""
    manifest = store.manifest(ref)
    min_score = float(classifier_settings(manifest)["min_score"])
    vdir = store.path(ref)
    con = duckdb.connect()
    ledger = f"read_parquet('{vdir / 'ledger' / '*.parquet'}')"
    kept = con.execute(f"SELECT id, quality_score FROM {ledger} WHERE kept AND quality_score IS NOT NULL "
                       f"ORDER BY quality_score ASC, id LIMIT {int(n)}").fetchall()
    removed = con.execute(f"SELECT id, quality_score, source FROM {ledger} WHERE removed_by = '{STEP}' "
                          f"ORDER BY quality_score DESC, id LIMIT {int(n)}").fetchall()
    kept_text = {}
    if kept:
        data = f"read_parquet('{vdir / 'data' / '*.parquet'}')"
        kept_text = dict(con.execute(f"SELECT id, text FROM {data} WHERE id IN (SELECT unnest(?))",
                                     [[r[0] for r in kept]]).fetchall())
    removed_text = _reread(manifest, {r[0]: r[2] for r in removed})
    rows = [AuditRow(i, s, True, kept_text.get(i, "")) for i, s in kept]
    rows += [AuditRow(i, s, False, removed_text.get(i, "(input file changed or gone)")) for i, s, _ in removed]
    return min_score, _scrubbed(rows)


def _reread(manifest: dict, wanted: dict[str, str]) -> dict[str, str]:
    """Texts of the wanted ids, read again from the version's input files (extracted if HTML)."""
    from corpus.html_text import HtmlExtract
    from corpus.readers import READERS
    from corpus.runner import HTML_FORMATS

    if not wanted:
        return {}
    inp = manifest["config"]["input"]
    root = manifest["inputs"]["root"]
    sources = set(wanted.values())
    reader = READERS[inp["format"]](root, None, text_field=inp["text_field"], id_field=inp["id_field"],
                                    url_field=inp["url_field"])
    extract = HtmlExtract() if inp["format"] in HTML_FORMATS else None
    found = {}
    for f in manifest["inputs"]["files"]:
        if f["path"] not in sources or not os.path.exists(f["path"]) or os.path.getsize(f["path"]) != f["size"]:
            continue
        for doc in reader.read_file(f["relpath"]):
            if doc.id in wanted:
                if extract is not None:
                    extract.filter(doc)
                found[doc.id] = doc.text
    return found


def _scrubbed(rows: list[AuditRow]) -> list[AuditRow]:
    from filters.pii import scrub_for_display

    for row in rows:
        row.text = scrub_for_display(row.text)
    return rows
