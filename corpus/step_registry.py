"""Pipeline step names (as written in the YAML) and the classes that implement them.

Adding a step is one class (a `corpus.step.LedgerStep`) and one line here. Names from
DESIGN.md whose implementation has not landed map to None and are rejected as not available.
"""

from __future__ import annotations

import importlib

from corpus.errors import UserError

STEPS: dict[str, str | None] = {
    "language": "filters.language:LanguageFilter",
    "gopher_quality": "filters.heuristics:GopherQuality",
    "gopher_repetition": "filters.heuristics:GopherRepetition",
    "c4_quality": "filters.heuristics:C4Quality",
    "fineweb_quality": "filters.heuristics:FineWebQuality",
    "quality_classifier": None,
    "pii": "filters.pii:PiiScrubber",
    "exact_dedup": "dedup.exact:ExactDedup",
    "minhash_dedup": "dedup.minhash_dedup:MinhashDedup",
    "min_length": "corpus.basic_steps:MinLength",
}


def step_class(name: str, where: str = "steps"):
    """The LedgerStep class for a step name, or a UserError that says why not."""
    if name not in STEPS:
        raise UserError(f"{where}: unknown step '{name}' (known steps: {', '.join(STEPS)})")
    target = STEPS[name]
    if target is None:
        raise UserError(f"{where}: step '{name}' is not available in this version of corpusmill yet")
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)
