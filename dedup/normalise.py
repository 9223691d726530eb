"""Text normalisation shared by exact and MinHash dedup (configurable, documented in the README).

Defaults: lowercase, punctuation to spaces, whitespace runs collapsed; digits kept. With
`digits: true`, every digit becomes 0, so pages that differ only in dates or counters match.
"""

from __future__ import annotations

import string
from dataclasses import dataclass



@dataclass(frozen=True)
class Normalisation:
    lowercase: bool = True
    punctuation: bool = True
    digits: bool = False
    whitespace: bool = True

    def table(self) -> dict:
        table = {}
        if self.punctuation:
            table.update({ord(c): " " for c in string.punctuation + "«»“”‘’„‚…–—·•¡¿"})
        if self.digits:
            table.update({ord(d): "0" for d in string.digits})
        return table

    def describe(self) -> dict:
        return {"lowercase": self.lowercase, "punctuation": self.punctuation, "digits": self.digits,
                "whitespace": self.whitespace}


class Normaliser:
    """Callable text → normalised text, with its translation table built once."""

    def __init__(self, how: Normalisation):
        self.how = how
        self._table = str.maketrans(how.table())

    def __call__(self, text: str) -> str:
        if self.how.lowercase:
            text = text.lower()
        if self._table:
            text = text.translate(self._table)
        if self.how.whitespace:
            text = " ".join(text.split())
        return text
