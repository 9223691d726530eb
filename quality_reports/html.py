"""One self-contained HTML file: tables, and inline SVG charts (no script or font from a CDN).

Charts are drawn here as SVG so the file opens offline and renders without JavaScript; a few
lines of inline script only count the charts into `data-charts` on <body> (what the browser
test reads) and make tables sortable by a click on a header.
"""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape

from quality_reports.report import Report

PALETTE = ["#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#76b7b2", "#b07aa1", "#edc948", "#9c755f"]

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1180px;color:#222;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{margin-top:2.2rem;border-bottom:2px solid #eee;padding-bottom:.3rem}
h3{margin:1.4rem 0 .4rem} .muted{color:#666} .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1rem 2rem}
table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:13px} th,td{padding:3px 9px;border-bottom:1px solid #eee;text-align:left}
th{background:#fafafa;cursor:pointer;user-select:none} td.num{text-align:right;font-variant-numeric:tabular-nums}
.good{color:#2a7d2a}.bad{color:#b3261e} pre{white-space:pre-wrap;background:#f7f7f7;padding:.6rem;border-radius:4px;font-size:12px}
.headline{font-size:1.1rem;background:#f3f7fb;border-left:4px solid #4e79a7;padding:.6rem 1rem}
svg text{font:11px system-ui,sans-serif;fill:#333} svg.chart{max-width:100%;height:auto;display:block}
"""

SCRIPT = """
document.body.dataset.charts = document.querySelectorAll('svg.chart').length;
document.querySelectorAll('table').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var dir = th.dataset.dir === 'asc' ? -1 : 1; th.dataset.dir = dir === 1 ? 'asc' : 'desc';
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.v || a.cells[col].textContent, y = b.cells[col].dataset.v || b.cells[col].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        return (isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny) * dir;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def table(rows: list[dict], signed: tuple[str, ...] = ()) -> str:
    if not rows:
        return '<p class="muted">nothing to show</p>'
    head = "".join(f"<th>{escape(str(k))}</th>" for k in rows[0])
    body = []
    for r in rows:
        cells = []
        for k, v in r.items():
            num = isinstance(v, (int, float)) and not isinstance(v, bool)
            cls = ["num"] if num else []
            if k in signed and num and v:
                cls.append("good" if v < 0 else "bad")
            attr = f' class="{" ".join(cls)}"' if cls else ""
            data = f' data-v="{v}"' if num else ""
            cells.append(f"<td{attr}{data}>{escape(_fmt(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def bar_chart(title: str, labels: list[str], series: dict[str, list[float]], width: int = 520) -> str:
    """Horizontal bars, one group per label, one colour per series."""
    if not labels or not any(any(v for v in vals) for vals in series.values()):
        return ""
    bar_h, gap, left = 14, 8, 150
    n = len(series)
    group_h = n * bar_h + gap
    height = len(labels) * group_h + 34
    top = max(max(vals) for vals in series.values()) or 1
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>']
    for i, label in enumerate(labels):
        y0 = 24 + i * group_h
        parts.append(f'<text x="{left - 6}" y="{y0 + n * bar_h / 2 + 4}" text-anchor="end">{escape(str(label)[:24])}</text>')
        for j, (name, vals) in enumerate(series.items()):
            v = vals[i] or 0
            w = max((width - left - 70) * v / top, 0 if v == 0 else 1)
            y = y0 + j * bar_h
            parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" fill="{PALETTE[j % len(PALETTE)]}">'
                         f'<title>{escape(name)}: {_fmt(v)}</title></rect>')
            parts.append(f'<text x="{left + w + 4:.1f}" y="{y + bar_h - 4}">{escape(_fmt(v))}</text>')
    legend_x = left
    for j, name in enumerate(series):
        parts.append(f'<rect x="{legend_x}" y="6" width="10" height="10" fill="{PALETTE[j % len(PALETTE)]}"/>'
                     f'<text x="{legend_x + 14}" y="15">{escape(name)}</text>')
        legend_x += 14 + 7 * len(name) + 16
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, labels: list[str], values: list[float | None], width: int = 520, height: int = 220) -> str:
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if not points:
        return ""
    left, right, top_pad, bottom = 60, 50, 20, 40
    lo, hi = min(v for _, v in points), max(v for _, v in points)
    if hi == lo:
        lo, hi = lo * 0.9, hi * 1.1 + 1e-9
    span_x = max(len(labels) - 1, 1)

    def xy(i, v):
        x = left + (width - left - right) * (i / span_x if len(labels) > 1 else 0.5)
        y = top_pad + (height - top_pad - bottom) * (1 - (v - lo) / (hi - lo))
        return x, y

    coords = [xy(i, v) for i, v in points]
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#bbb"/>',
             f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{height - bottom}" stroke="#bbb"/>',
             f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end">{_fmt(hi)}</text>',
             f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end">{_fmt(lo)}</text>']
    if len(coords) > 1:
        path = " ".join(f"{'M' if k == 0 else 'L'}{x:.1f},{y:.1f}" for k, (x, y) in enumerate(coords))
        parts.append(f'<path d="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    for (i, v), (x, y) in zip(points, coords):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{PALETTE[0]}"><title>{escape(labels[i])}: '
                     f'{_fmt(v)}</title></circle><text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle">{_fmt(v)}</text>')
    for i, label in enumerate(labels):
        x, _ = xy(i, lo)
        parts.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def headline(report: Report) -> str:
    """The sentence people read first: tokens removed and the score change, for the last two versions."""
    rows = [r for r in report.data_to_eval if report.dataset is None or r["version"].startswith(report.dataset + "@")]
    if len(rows) < 2:
        return ""
    a, b = rows[-2], rows[-1]
    if a["version"].split("@")[0] != b["version"].split("@")[0] or not a["tokens"]:
        return ""
    change = (b["tokens"] - a["tokens"]) / a["tokens"]
    text = f"{b['version']} {'removed' if change < 0 else 'added'} {abs(change):.0%} of tokens against {a['version']}"
    if a["perplexity"] is not None and b["perplexity"] is not None:
        text += f"; held-out perplexity {a['perplexity']:,.4g} → {b['perplexity']:,.4g} on {b['eval set']}"
    return text


def render(report: Report) -> str:
    out = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>corpusmill report</title>"
           f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{CSS}</style></head><body>",
           "<h1>corpusmill quality report</h1>",
           f"<p class='muted'>store {escape(report.store)}{' · dataset ' + escape(report.dataset) if report.dataset else ''}"
           f" · generated {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}</p>"]
    line = headline(report)
    if line:
        out.append(f"<p class='headline'>{escape(line)}</p>")
    out.append("<h2>Data → eval</h2><p class='muted'>Each version's data next to the held-out score of the "
               "latest run trained on it (all scored on the same eval set); Δ against the version before.</p>")
    out.append(table(report.data_to_eval, signed=("Δ perplexity",)))
    scored = [r for r in report.data_to_eval if r["perplexity"] is not None]
    if scored:
        out.append("<div class='grid'>")
        out.append(line_chart("held-out perplexity by version", [r["version"] for r in report.data_to_eval],
                              [r["perplexity"] for r in report.data_to_eval]))
        out.append(bar_chart("tokens by version", [r["version"] for r in report.data_to_eval],
                             {"tokens": [r["tokens"] for r in report.data_to_eval]}))
        out.append("</div>")
    if report.task_scores:
        out.append("<h3>Task scores (lm-evaluation-harness)</h3>" + table(report.task_scores))
    if report.diffs:
        out.append("<h2>Version diffs</h2>")
        for d in report.diffs:
            out.append(f"<h3>{escape(d['a'])} → {escape(d['b'])}</h3>")
            out.append(f"<p>documents {d['docs_a']:,} → {d['docs_b']:,}; tokens {d['tokens_a']:,} → {d['tokens_b']:,}; "
                       f"{d['unchanged']:,} unchanged, {d['text_changed']:,} with changed text</p>")
            out.append("<div class='grid'><div><b>removed</b>" + table(d["removed"]) + "</div><div><b>added</b>"
                       + table(d["added"]) + "</div></div>")
            from quality_reports.sections import summarize_changes

            changes = [{k: _fmt(v) for k, v in c.items()} for c in summarize_changes(d["config_changes"])]
            out.append("<b>config changes</b>" + table(changes))
    for v in reversed(report.versions):
        out.append(f"<h2>{escape(v.ref)}</h2><div class='grid'>")
        if v.funnel:
            out.append("<div><h3>Funnel</h3>" + bar_chart("documents out of each step", [f["step"] for f in v.funnel],
                                                            {"docs out": [f["docs_out"] for f in v.funnel],
                                                             "removed": [f["removed"] for f in v.funnel]})
                       + table(v.funnel) + "</div>")
        if v.reasons:
            out.append("<div><h3>Removal reasons</h3>" + table(v.reasons) + "</div>")
        if v.languages:
            out.append("<div><h3>Languages</h3>" + bar_chart("documents by language", [r["lang"] for r in v.languages],
                                                               {"kept": [r["kept"] for r in v.languages],
                                                                "in": [r["docs_in"] for r in v.languages]}) + "</div>")
        if v.quality:
            out.append("<div><h3>Quality score</h3>" + bar_chart(
                "documents by quality score", [f"{r['bin']:.1f}–{r['bin'] + 0.1:.1f}" for r in v.quality],
                {"kept": [r["kept"] for r in v.quality], "removed": [r["removed"] for r in v.quality]}) + "</div>")
        if v.lengths:
            out.append("<div><h3>Length (tokens per kept document)</h3>" + bar_chart(
                "kept documents by length", [f"≥ {r['tokens_from']:,}" for r in v.lengths],
                {"docs": [r["docs"] for r in v.lengths]}) + "</div>")
        if v.contamination:
            out.append("<div><h3>Contamination removed (per eval set)</h3>" + table(v.contamination) + "</div>")
        if v.clusters:
            out.append("<div><h3>Duplicate clusters</h3>" + table(v.clusters) + "</div>")
        if v.pii:
            out.append("<div><h3>PII found (replaced)</h3>" + bar_chart(
                "PII found per type", [r["type"] for r in v.pii], {"found": [r["found"] for r in v.pii]})
                + table(v.pii) + "</div>")
        out.append("<div><h3>Sources</h3>" + table(v.sources) + "<h3>Domains</h3>" + table(v.domains) + "</div>")
        out.append("</div>")
        if v.samples:
            out.append("<h3>Sample documents (PII replaced)</h3>")
            for s in v.samples:
                out.append(f"<p class='muted'>{escape(s['id'])}</p><pre>{escape(s['text'])}</pre>")
    out.append(f"<script>{SCRIPT}</script></body></html>")
    return "\n".join(out)
