"""The `corpus` command line. A user mistake is one sentence on stderr and exit code 2."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from corpus.errors import UserError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _store(args):
    from corpus.store import Store

    return Store(args.store or os.environ.get("CORPUS_STORE") or "store")


def _table(rows: list[dict], title: str | None = None) -> Table:
    table = Table(title=title, show_edge=False, header_style="bold")
    for key in rows[0] if rows else []:
        table.add_column(escape(key), justify="right" if isinstance(rows[0][key], (int, float)) else "left")
    for row in rows:
        table.add_row(*(f"{v:,}" if isinstance(v, int) else escape(str(v)) for v in row.values()))
    return table


class RunProgress:
    """A rich bar over tasks with a live document count; shown from the first update on."""

    def __init__(self):
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                                   TimeElapsedColumn)

        self.bar = Progress(SpinnerColumn(), TextColumn("processing"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("tasks · {task.fields[docs]:,} docs"), TimeElapsedColumn(), console=err)
        self.task = None

    def __call__(self, docs: int, tasks_done: int, tasks: int):
        if self.task is None:
            self.bar.start()
            self.task = self.bar.add_task("processing", total=tasks, docs=0)
        self.bar.update(self.task, completed=tasks_done, total=tasks, docs=docs)

    def status(self, message: str):
        (self.bar.console if self.task is not None else err).log(message)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.bar.stop()


def cmd_run(args) -> int:
    from corpus.config import load_config
    from corpus.runner import run_pipeline

    config = load_config(args.pipeline)
    store = _store(args)
    with RunProgress() as progress:
        result = run_pipeline(config, store, progress=progress, status=progress.status)
    m = result.manifest
    if not result.published:
        err.print(f"{result.ref} already holds this run (same config and input content): nothing new published")
    else:
        t = m["totals"]
        err.print(f"published {result.ref} in {escape(str(store.path(result.ref)))}: kept {t['docs_kept']:,} of "
                  f"{t['docs_in']:,} documents ({t['docs_quarantined']:,} quarantined), "
                  f"{t['tokens_kept']:,} tokens")
        for w in m["warnings"]:
            err.print(f"[yellow]warning:[/] {escape(w)}")
    print(result.ref)
    return 0


def cmd_ls(args) -> int:
    from corpus.store_queries import versions_table

    store = _store(args)
    if args.dataset and not store.versions(args.dataset):
        raise UserError(f"no dataset '{args.dataset}' in the store {store.root}")
    rows = versions_table(store, args.dataset)
    if not rows:
        err.print(f"the store {store.root} holds no datasets yet")
        return 0
    out.print(_table(rows))
    return 0


def cmd_show(args) -> int:
    store = _store(args)
    ref = store.resolve(args.version)
    m = store.manifest(ref)
    t = m["totals"]
    out.print(f"[bold]{ref}[/]  created {m['created_at']}  parent {m['parent'] or '-'}")
    out.print(f"path      {escape(str(store.path(ref)))}")
    out.print(f"inputs    {len(m['inputs']['files'])} files under {escape(m['inputs']['root'])}")
    out.print(f"config    {m['config_hash']}    content {m['content_hash']}")
    out.print(f"code      corpusmill {m['code_version']['corpusmill']} ({m['code_version']['git_commit'] or 'no git'})")
    out.print(f"kept      {t['docs_kept']:,} of {t['docs_in']:,} documents, {t['tokens_kept']:,} tokens "
              f"({t['token_estimate']} estimate)")
    rows = [{"step": s["name"], "docs in": s["docs_in"], "removed": s["docs_in"] - s["docs_out"],
             "docs out": s["docs_out"], "tokens in": s["tokens_in"], "tokens out": s["tokens_out"]}
            for s in m["steps"]]
    out.print(_table(rows, "funnel"))
    for w in m["warnings"]:
        out.print(f"[yellow]warning:[/] {escape(w)}")
    return 0


def cmd_diff(args) -> int:
    from corpus.store_queries import diff

    store = _store(args)
    d = diff(store, store.resolve(args.a), store.resolve(args.b))
    out.print(f"[bold]{d['a']} → {d['b']}[/]: documents {d['docs_a']:,} → {d['docs_b']:,}, "
              f"tokens {d['tokens_a']:,} → {d['tokens_b']:,}"
              + ("  (same content)" if d["same_content"] else ""))
    if d["removed"]:
        out.print(_table(d["removed"], f"removed from {d['a']}"))
    if d["added"]:
        out.print(_table(d["added"], f"added in {d['b']}"))
    out.print(f"in both: {d['unchanged']:,} unchanged, {d['text_changed']:,} with changed text")
    if d["config_changes"]:
        rows = [{"config key": k, d["a"]: str(a), d["b"]: str(b)} for k, a, b in d["config_changes"]]
        out.print(_table(rows, "config changes"))
    return 0


def cmd_why(args) -> int:
    from corpus.store_queries import why

    store = _store(args)
    ref = store.resolve(args.version)
    rows = why(store, ref, args.doc_id)
    if not rows:
        raise UserError(f"no document with id '{args.doc_id}' in the input of {ref} "
                        "(records that could not be parsed have the id FILE:LINE or FILE#ROW)")
    for row in rows:
        verdict = "[green]kept[/]" if row["kept"] else f"[red]removed by {escape(row['removed_by'])}[/]"
        out.print(f"[bold]{escape(row['id'])}[/] in {ref}: {verdict}")
        out.print(f"  source {escape(str(row['source']))}  ({row['n_chars']:,} chars, {row['n_tokens']:,} tokens)")
        for name, what in row["path"]:
            out.print(f"  {name:<20} {escape(what)}")
        signals = {k: row[k] for k in ("lang", "lang_score", "quality_score", "dup_cluster") if row[k] is not None}
        if row["pii_found"]:
            signals["pii_found"] = {k: v for k, v in row["pii_found"].items() if v}
        if signals:
            out.print(f"  signals {escape(str(signals))}")
    return 0


def cmd_classifier_train(args) -> int:
    from corpus.text_sources import iter_texts
    from filters.classifier_training import TrainParams, train_classifier

    store = _store(args)
    positives = [t for spec in args.positive for t in iter_texts(spec, args.field, store)]
    negatives = [t for spec in args.negative for t in iter_texts(spec, args.field, store)]
    err.log(f"training on {len(positives):,} positive and {len(negatives):,} negative documents "
            f"({args.holdout:.0%} held out)")
    params = TrainParams(holdout=args.holdout, epoch=args.epoch, seed=args.seed)
    card = train_classifier(positives, negatives, args.out, params,
                            sources={"positive": args.positive, "negative": args.negative})
    if card["thresholds"]:
        split = card["split"]
        out.print(_table([{k.replace("_", " "): v for k, v in row.items()} for row in card["thresholds"]],
                         title=f"held-out: {split['heldout_positive']} positive, "
                               f"{split['heldout_negative']} negative"))
    out.print(f"model: {args.out}  card: {args.out}.json")
    return 0


def cmd_classifier_audit(args) -> int:
    from corpus.classifier_audit import audit

    store = _store(args)
    min_score, rows = audit(store, store.resolve(args.version), n=args.n)
    out.print(f"[bold]{args.version}[/]: quality_classifier min_score {min_score}; "
              f"the {args.n} kept and {args.n} removed documents nearest to it (PII replaced)")
    for row in rows:
        verdict = "[green]kept[/]   " if row.kept else "[red]removed[/]"
        text = " ".join(row.text.split())
        snippet = text[:args.width] + ("…" if len(text) > args.width else "")
        out.print(f"{verdict} {row.score:.3f}  {escape(row.id)}\n    {escape(snippet)}")
    if not rows:
        out.print("no scored documents in this version")
    return 0


def cmd_report(args) -> int:
    from quality_reports.report import build

    store = _store(args)
    report = build(store.root, args.dataset)
    if args.html:
        from quality_reports.html import render

        path = Path(args.html)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(render(report), encoding="utf-8")
        os.replace(tmp, path)
        out.print(f"report: {path}")
        return 0
    from quality_reports.terminal import print_report

    print_report(report, out)
    return 0


def cmd_sql(args) -> int:
    import duckdb

    from quality_reports.views import connect

    con = connect(_store(args).root)
    try:
        rel = con.execute(args.query)
    except duckdb.Error as e:
        raise UserError(f"SQL: {str(e).splitlines()[0]} (views: versions, steps, ledger, data, runs, evals)") from None
    if rel.description is None:
        return 0
    names = [d[0] for d in rel.description]
    rows = [dict(zip(names, r)) for r in rel.fetchmany(args.limit)]
    if args.format == "json":
        import orjson

        out.print(orjson.dumps(rows, default=str).decode(), markup=False)
    elif rows:
        out.print(_table(rows))
    else:
        out.print("(no rows)")
    return 0


def cmd_demo(args) -> int:
    from corpus.demo import DemoBudget, run_demo

    summary = run_demo(Path(args.out), console=err, budget=DemoBudget(steps=args.steps))
    if "headline" in summary:
        out.print(summary["headline"])
    out.print(summary["report"])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="corpus", description="Raw domain text to versioned Parquet datasets.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    store_opt = argparse.ArgumentParser(add_help=False)
    store_opt.add_argument("--store", help="store folder (default: $CORPUS_STORE, else ./store)")

    p = sub.add_parser("run", parents=[store_opt], help="process raw input into the next version")
    p.add_argument("pipeline", help="pipeline YAML file")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("ls", parents=[store_opt], help="list datasets and versions")
    p.add_argument("dataset", nargs="?")
    p.set_defaults(func=cmd_ls)
    p = sub.add_parser("show", parents=[store_opt], help="one version's manifest and funnel")
    p.add_argument("version", metavar="DATASET@vN")
    p.set_defaults(func=cmd_show)
    p = sub.add_parser("diff", parents=[store_opt], help="what changed between two versions, and why")
    p.add_argument("a", metavar="DATASET@vA")
    p.add_argument("b", metavar="DATASET@vB")
    p.set_defaults(func=cmd_diff)
    p = sub.add_parser("why", parents=[store_opt], help="one document's path through the steps")
    p.add_argument("version", metavar="DATASET@vN")
    p.add_argument("doc_id", metavar="DOC_ID")
    p.set_defaults(func=cmd_why)
    p = sub.add_parser("classifier", help="train and audit a quality/domain classifier on your own seeds")
    csub = p.add_subparsers(dest="classifier_command", required=True, metavar="ACTION")
    c = csub.add_parser("train", parents=[store_opt], help="fastText classifier from positive/negative seeds")
    c.add_argument("--positive", action="append", required=True,
                   help="JSONL/Parquet/text file, folder, glob or DATASET@vN (repeatable)")
    c.add_argument("--negative", action="append", required=True, help="as --positive (repeatable)")
    c.add_argument("--out", required=True, help="model file to write (a .json card is written beside it)")
    c.add_argument("--field", default="text", help="text field of JSONL/Parquet seeds (default text)")
    c.add_argument("--holdout", type=float, default=0.2, help="share of each class held out for scores")
    c.add_argument("--epoch", type=int, default=25)
    c.add_argument("--seed", type=int, default=0)
    c.set_defaults(func=cmd_classifier_train)
    c = csub.add_parser("audit", parents=[store_opt], help="documents nearest the threshold, for a human check")
    c.add_argument("version", metavar="DATASET@vN")
    c.add_argument("-n", type=int, default=5, help="documents on each side (default 5)")
    c.add_argument("--width", type=int, default=300, help="characters of text shown per document")
    c.set_defaults(func=cmd_classifier_audit)
    p = sub.add_parser("report", parents=[store_opt], help="quality report: data changes next to eval scores")
    p.add_argument("dataset", nargs="?")
    p.add_argument("--html", metavar="FILE", help="write one self-contained HTML file instead")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("sql", parents=[store_opt], help="SQL over the views versions, steps, ledger, data, runs, evals")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=200, help="rows shown (default 200)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_sql)
    from corpus.train_cli import add_parsers as add_training_parsers

    add_training_parsers(sub, store_opt)
    p = sub.add_parser("demo", help="the whole job on a built-in sample (no network)")
    p.add_argument("--out", default="corpus-demo", help="folder for the sample input and store (default ./corpus-demo)")
    p.add_argument("--steps", type=int, default=120, help="training steps per version (default 120)")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    from corpus.runner import RunFailed

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as e:
        err.print(f"[red]error:[/] {escape(str(e))}")
        return 2
    except RunFailed as e:
        err.print(f"[red]run failed, nothing published:[/] {escape(str(e))}")
        return 1
    except KeyboardInterrupt:
        err.print("interrupted; nothing published")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
