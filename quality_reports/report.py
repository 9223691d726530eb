"""Everything one report shows, gathered from the views: the data → eval table first, then per
version the funnel and distributions, then the diff of each pair of consecutive versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from quality_reports import sections
from quality_reports.views import connect

MAX_VERSIONS_IN_DETAIL = 6


@dataclass
class VersionDetail:
    ref: str
    funnel: list[dict]
    reasons: list[dict]
    languages: list[dict]
    quality: list[dict]
    lengths: list[dict]
    clusters: list[dict]
    pii: list[dict]
    domains: list[dict]
    sources: list[dict]
    contamination: list[dict]
    samples: list[dict]


@dataclass
class Report:
    store: str
    dataset: str | None
    data_to_eval: list[dict]
    eval_set: tuple[str, str] | None  # of the named dataset, or of the first one
    task_scores: list[dict] = field(default_factory=list)  # lm-eval tasks of runs on these versions
    versions: list[VersionDetail] = field(default_factory=list)
    diffs: list[dict] = field(default_factory=list)


def build(store_root: str | Path, dataset: str | None = None) -> Report:
    from corpus.errors import UserError
    from corpus.store import Store
    from corpus.store_queries import diff

    con = connect(store_root)
    refs = sections.version_refs(con, dataset)
    if not refs:
        raise UserError(f"no versions{' of ' + repr(dataset) if dataset else ''} in the store {store_root}")
    report = Report(str(store_root), dataset, sections.data_to_eval(con, dataset), sections.common_eval_set(con, dataset),
                    task_scores=sections.task_scores(con, dataset))
    for ref in refs[-MAX_VERSIONS_IN_DETAIL:]:
        report.versions.append(VersionDetail(
            ref=ref, funnel=sections.funnel(con, ref), reasons=sections.removal_reasons(con, ref),
            languages=sections.language_mix(con, ref), quality=sections.quality_histogram(con, ref),
            lengths=sections.length_histogram(con, ref), clusters=sections.duplicate_clusters(con, ref),
            pii=sections.pii_found(con, ref), domains=sections.domains(con, ref), sources=sections.sources(con, ref),
            contamination=sections.contamination(con, ref),
            samples=sections.samples(con, ref)))
    store = Store(store_root)
    for a, b in sections.consecutive_pairs(con, dataset)[-MAX_VERSIONS_IN_DETAIL:]:
        report.diffs.append(diff(store, store.resolve(a), store.resolve(b)))
    return report
