"""Pipeline step names (as written in the YAML) and the classes that implement them.

Adding a step is one class (a `corpus.step.LedgerStep`) and one line here.
"""

from __future__ import annotations

import importlib

from corpus.errors import UserError

STEPS: dict[str, str] = {
    "language": "filters.language:LanguageFilter",
    "gopher_quality": "filters.heuristics:GopherQuality",
    "gopher_repetition": "filters.heuristics:GopherRepetition",
    "c4_quality": "filters.heuristics:C4Quality",
    "fineweb_quality": "filters.heuristics:FineWebQuality",
    "quality_classifier": "filters.quality_classifier:QualityClassifier",
    "pii": "filters.pii:PiiScrubber",
    "exact_dedup": "dedup.exact:ExactDedup",
    "minhash_dedup": "dedup.minhash_dedup:MinhashDedup",
    "min_length": "corpus.basic_steps:MinLength",
    "decontaminate": "filters.decontaminate:Decontaminate",
    "url_filter": "filters.url_filter:UrlFilter",
}


def step_class(name: str, where: str = "steps"):
    """The LedgerStep class for a step name, or a UserError that says why not."""
    if name not in STEPS:
        raise UserError(f"{where}: unknown step '{name}' (known steps: {', '.join(STEPS)})")
    module, _, cls = STEPS[name].partition(":")
    return getattr(importlib.import_module(module), cls)
