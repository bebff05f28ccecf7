"""Small linear models shipped as JSON coefficients: a dot product at run time, no library.

``benchmarks/train_reader.py`` fits them (logistic regression) and writes
``retrieval/data/reader.json``; this module only reads them. Each model standardises its
features with the training means and scales, so the coefficients say how much each feature
moves the log-odds per standard deviation.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping, Sequence

log = logging.getLogger(__name__)

READER_MODEL = "reader.json"


@dataclass(frozen=True)
class Linear:
    names: tuple[str, ...]
    weights: tuple[float, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    intercept: float = 0.0
    # The standardisation folded into one coefficient per feature and one offset, so that a
    # score is a sum over the features present (a candidate has half the span model's).
    _coefficients: dict[str, float] = field(init=False, repr=False, compare=False)
    _offset: float = field(init=False, repr=False, compare=False)
    _aligned: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        coefficients = {n: w / s for n, w, s in zip(self.names, self.weights, self.scales)}
        offset = self.intercept - sum(w * m / s for w, m, s in zip(self.weights, self.means, self.scales))
        object.__setattr__(self, "_coefficients", coefficients)
        object.__setattr__(self, "_offset", offset)
        object.__setattr__(self, "_aligned", {})

    def logit(self, features: Mapping[str, float]) -> float:
        coefficients = self._coefficients
        return self._offset + sum(coefficients.get(name, 0.0) * value for name, value in features.items())

    def aligned(self, names: Sequence[str], prefix: str = "") -> tuple[float, tuple[float, ...]]:
        """The offset and coefficients for feature dicts whose values come in ``names``' order
        (``prefix`` + name being the model's feature): a score is then one C-level dot product."""
        key = (prefix, tuple(names))
        found = self._aligned.get(key)
        if found is None:
            found = (self._offset, tuple(self._coefficients.get(prefix + n, 0.0) for n in names))
            self._aligned[key] = found
        return found

    def probability(self, features: Mapping[str, float]) -> float:
        return sigmoid(self.logit(features))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Linear":
        names = tuple(data["features"])
        n = len(names)
        means = tuple(float(x) for x in data.get("means", [0.0] * n))
        scales = tuple(float(x) or 1.0 for x in data.get("scales", [1.0] * n))
        weights = tuple(float(x) for x in data["weights"])
        if not len(weights) == len(means) == len(scales) == n:
            raise ValueError("a linear model needs one weight, mean and scale per feature")
        return cls(names, weights, means, scales, float(data.get("intercept", 0.0)))

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.names),
            "weights": [round(w, 6) for w in self.weights],
            "means": [round(m, 6) for m in self.means],
            "scales": [round(s, 6) for s in self.scales],
            "intercept": round(self.intercept, 6),
        }


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


# Kinds of answer whose confidence is calibrated apart: a number or a date read from the right
# sentence is far more often exactly right than a name, and a name than a "what" phrase, so
# each group gets the threshold at which its own short answers are right often enough. Dates
# are apart from counts and lengths: an unanswerable "When did <someone else> do it?" is
# answered by the right sentence's date as confidently as the real question, while a number
# that counts the noun asked for ("10,000 tents") is seldom wrong.
ANSWER_GROUPS = {
    "date": "date", "number": "numeric", "age": "numeric", "duration": "numeric",
    "person": "named", "place": "named", "org": "named", "group": "named", "work": "named",
    "thing": "thing",
}


def answer_group(kind: str | None) -> str:
    return ANSWER_GROUPS.get(kind or "", "thing")


@dataclass(frozen=True)
class ReaderModel:
    """The three models of reading a paragraph, and the confidence a short answer needs."""

    sentence: Linear  # which sentence holds the answer
    span: Linear  # which phrase of it is the answer
    confidence: Linear  # is the best phrase right at all
    thresholds: Mapping[str, float]  # answer group -> show a short answer only at or above this
    meta: Mapping[str, Any]

    def threshold(self, kind: str | None) -> float:
        return float(self.thresholds.get(answer_group(kind), 1.0))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ReaderModel":
        return cls(
            Linear.from_json(data["sentence"]),
            Linear.from_json(data["span"]),
            Linear.from_json(data["confidence"]),
            {str(k): float(v) for k, v in data["thresholds"].items()},
            dict(data.get("meta", {})),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "sentence": self.sentence.to_json(),
            "span": self.span.to_json(),
            "confidence": self.confidence.to_json(),
            "thresholds": {k: round(v, 4) for k, v in self.thresholds.items()},
            "meta": dict(self.meta),
        }


@lru_cache(maxsize=1)
def reader_model() -> ReaderModel | None:
    """The shipped model, or ``None`` (logged once) if the package lacks it or it is damaged:
    short answers then come from the rules alone."""
    try:
        text = resources.files("retrieval").joinpath("data", READER_MODEL).read_text(encoding="utf-8")
        return ReaderModel.from_json(json.loads(text))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("reader model unavailable (%s); short answers from rules only", exc)
        return None
