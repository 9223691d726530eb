"""`corpus report` without --html: the key tables in the terminal (rich)."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from quality_reports.html import headline
from quality_reports.report import Report


def _table(rows: list[dict], title: str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, header_style="bold")
    if not rows:
        return table
    for key in rows[0]:
        numeric = any(isinstance(r[key], (int, float)) and not isinstance(r[key], bool) for r in rows)
        table.add_column(escape(str(key)), justify="right" if numeric else "left")
    for r in rows:
        table.add_row(*(escape("–" if v is None else f"{v:,}" if isinstance(v, int) else
                               f"{v:,.4g}" if isinstance(v, float) else str(v)) for v in r.values()))
    return table


def print_report(report: Report, console) -> None:
    line = headline(report)
    if line:
        console.print(f"[bold]{escape(line)}[/]")
    compact = [{"version": r["version"], "docs": r["docs"], "tokens": r["tokens"], "Δ tokens": r["Δ tokens"],
                "removed by": r["removed by"], "run": (r["run"] or "-")[:15], "perplexity": r["perplexity"],
                "bits/byte": r["bits/byte"], "Δ ppl": r["Δ perplexity"]} for r in report.data_to_eval]
    sets = sorted({r["eval set"] for r in report.data_to_eval if r["eval set"] != "-"})
    console.print(_table(compact, "data → eval" + (f" (scored on {', '.join(sets)})" if sets else "")))
    if report.task_scores:
        console.print(_table(report.task_scores, "task scores (lm-evaluation-harness)"))
    for d in report.diffs:
        rows = [{"": "removed", **r} for r in d["removed"]] + [{"": "added", **r} for r in d["added"]]
        console.print(_table(rows, f"{d['a']} → {d['b']}: tokens {d['tokens_a']:,} → {d['tokens_b']:,}"))
    if report.versions:
        v = report.versions[-1]
        console.print(_table(v.funnel, f"{v.ref}: funnel"))
        if v.reasons:
            console.print(_table(v.reasons, f"{v.ref}: removal reasons"))
        if v.contamination:
            console.print(_table(v.contamination, f"{v.ref}: contamination removed per eval set"))
        if v.pii:
            console.print(_table([r for r in v.pii if r["found"]] or v.pii, f"{v.ref}: PII found (replaced)"))
