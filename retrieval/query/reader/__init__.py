"""Reading the best paragraph: the sentence that holds the answer and, when sure, the short answer.

Modules, lowest first: ``model`` (the shipped linear models, ``retrieval/data/reader.json``,
and the thresholds a short answer needs), ``spans`` (candidate phrases scored by what a
person weighs), ``reading`` (sentence choice, the best phrase and its confidence, the short
answer shown). What the question wants comes from ``query/wants.py`` through the one
``Question``; the paragraph's parse and phrases were stored at index time (``index/aids.py``).
"""

from .model import ReaderModel, reader_model
from .reading import RULE_CONFIDENCE, ParagraphInput, Reading, confident, read, short_for, typed_answer_missing
from .spans import kinds_fit

__all__ = [
    "RULE_CONFIDENCE",
    "ParagraphInput",
    "ReaderModel",
    "Reading",
    "confident",
    "kinds_fit",
    "read",
    "reader_model",
    "short_for",
    "typed_answer_missing",
]
