"""Small generic steps that belong to no filter family."""

from __future__ import annotations

from dataclasses import dataclass

from corpus.errors import UserError
from corpus.step import LedgerStep


@dataclass
class MinLengthParams:
    min_chars: int = 0
    min_words: int = 0

    def validate(self, where: str):
        if self.min_chars < 0 or self.min_words < 0:
            raise UserError(f"{where}: min_chars and min_words must be >= 0")


class MinLength(LedgerStep):
    """Drops documents shorter than a floor; the cheapest useful step, and the spine's test step."""

    step_name = "min_length"
    Params = MinLengthParams

    def filter(self, doc):
        if len(doc.text) < self.params.min_chars:
            return False, f"{len(doc.text)} chars < min_chars {self.params.min_chars}"
        if self.params.min_words and len(doc.text.split()) < self.params.min_words:
            return False, f"fewer than {self.params.min_words} words"
        return True
