"""What the corpus knows, word by word: typo repair for questions and the checks that let
``Searcher`` say "the documents don't answer that" when similarity alone can't tell.

Everything here is built from the indexed text when a ``Searcher`` loads (a few ms at seed
scale) and needs no model: the checks are about words and names, not vectors.

* ``Vocabulary.correct``: a question word the corpus doesn't have, that is one or two edits
  from a corpus word ("anounce", "ceasfire", "tens"), is read as that word.
* ``Vocabulary.unknown_names``: names in the question ("Qatar", "Turkey") that appear
  nowhere in the corpus. A question about an absent entity can't be answered from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..index.lexical import tokenize

# Words that carry no topic: never corrected, never taken as names.
FUNCTION_WORDS = frozenset(
    """a about above after again against all along also am an and any anyone are as at be been before being
    below besides between both but by can could did do does doing done down during each else even ever every
    few for from further get gets go goes going got had has have having he her here hers him his how i if in
    into is it its itself just like many may me might more most much must my no nor not now of off on once
    only or other our out over own per please same shall she should so some someone something still such than
    that the their them then there these they this those through to too under until up upon us very was
    we were what whats when where whether which while who whom whose why will with within without would yet
    you your who's what's where's when's how's whos""".split()
)
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_QUESTION_OPENERS = frozenset(
    "who whom whose what when where which why how is are was were do does did can could will would should "
    "has have had any tell please".split()
)


@dataclass
class Vocabulary:
    words: set[str] = field(default_factory=set)  # lower-case surface words
    stems: set[str] = field(default_factory=set)  # tokenize() output over the corpus
    names: set[str] = field(default_factory=set)  # lower-case words seen capitalised mid-sentence
    acronyms: set[str] = field(default_factory=set)  # initials of capitalised runs: "PM", "JI"
    # What each acronym stands for in the corpus: "pm" -> {"Prime Minister"} (runs only).
    spelled: dict[str, set[str]] = field(default_factory=dict)
    # Real words (the embedding model's whole-word tokens): never "corrected" into corpus words,
    # so "sent" stays "sent" and only non-words like "anounce" are repaired.
    dictionary: frozenset[str] = frozenset()

    @classmethod
    def from_texts(cls, texts: Iterable[str], dictionary: Iterable[str] = ()) -> "Vocabulary":
        """The vocabulary of ``texts`` (an index's: ``chunks.vocabulary_texts``)."""
        vocab = cls(dictionary=frozenset(dictionary))
        for text in texts:
            vocab.stems.update(tokenize(text))
            run: list[str] = []
            for m in _WORD.finditer(text):
                word = m.group(0)
                lower = word.lower().replace("’", "'")
                vocab.words.add(lower)
                for part in lower.split("-"):
                    vocab.words.add(part)
                if word[:1].isupper():
                    vocab.names.add(lower)
                    run.append(word)
                else:
                    vocab._add_acronyms(run)
                    run = []
                if word.isupper() and len(word) >= 2:
                    vocab.acronyms.add(lower)
            vocab._add_acronyms(run)
        return vocab

    def to_json(self) -> dict[str, Any]:
        """Stored with the index: rebuilding it from a million sentences took ~50 s a start."""
        return {
            "words": sorted(self.words),
            "stems": sorted(self.stems),
            "names": sorted(self.names),
            "acronyms": sorted(self.acronyms),
            "spelled": {k: sorted(v) for k, v in self.spelled.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], dictionary: Iterable[str] = ()) -> "Vocabulary":
        return cls(
            words=set(data["words"]),
            stems=set(data["stems"]),
            names=set(data["names"]),
            acronyms=set(data["acronyms"]),
            spelled={k: set(v) for k, v in data["spelled"].items()},
            dictionary=frozenset(dictionary),
        )

    def _add_acronyms(self, run: list[str]) -> None:
        # Every stretch of two to four capitalised words: "Pakistan's Prime Minister" gives "PM".
        for size in range(2, 5):
            for start in range(0, len(run) - size + 1):
                words = run[start : start + size]
                acronym = "".join(w[0] for w in words).lower()
                self.acronyms.add(acronym)
                self.spelled.setdefault(acronym, set()).add(" ".join(w.replace("’s", "").replace("'s", "") for w in words))

    def knows(self, word: str) -> bool:
        lower = word.lower().replace("’", "'")
        if lower in self.words or lower in FUNCTION_WORDS or lower in self.acronyms:
            return True
        stems = tokenize(lower)
        if stems and set(stems) <= self.stems:
            return True
        # A demonym or derived form of a known name: "Gazans", "Pakistani(s)".
        return any(lower.startswith(n) and len(n) >= 4 and len(lower) - len(n) <= 4 for n in self.names)

    def correct_word(self, word: str) -> str | None:
        """The corpus word a misspelt question word stands for, or ``None``."""
        from rapidfuzz import fuzz, process

        lower = word.lower()
        if len(lower) < 3 or not self.dictionary or lower in self.dictionary or self.knows(lower):
            return None
        # Function words first ("wher" -> "where"), then the corpus.
        for pool, cutoff in ((FUNCTION_WORDS, 86), (self.words, 84 if len(lower) >= 5 else 85)):
            hit = process.extractOne(lower, pool, scorer=fuzz.ratio, score_cutoff=cutoff)
            if hit is not None and abs(len(hit[0]) - len(lower)) <= 2:
                return hit[0]
        if len(lower) >= 4:
            # Two letters swapped ("tnets" for "tents") cost a short word too much of its ratio.
            from rapidfuzz.distance import OSA

            letters = sorted(lower)
            for candidate in self.words:
                if (len(candidate) == len(lower) and candidate[0] == lower[0] and sorted(candidate) == letters
                        and OSA.distance(lower, candidate) == 1):
                    return candidate
        return None

    def correct(self, question: str) -> str:
        """The question with misspelt words replaced by the corpus words they stand for."""

        def fix(m: re.Match[str]) -> str:
            found = self.correct_word(m.group(0))
            return found if found else m.group(0)

        return _WORD.sub(fix, question)

    def expansions(self, question: str) -> list[str]:
        """Corpus words a question word stands for that BM25 can't match by itself: an
        acronym the corpus only spells out ("PM" -> "Prime Minister") and a demonym of a
        corpus name ("Gazans" -> "Gaza"). Added to the lexical query, never replacing it."""
        out: list[str] = []
        for m in _WORD.finditer(question):
            word = m.group(0)
            lower = word.lower()
            if lower in FUNCTION_WORDS or lower in self.words:
                continue
            if word.isupper() and 2 <= len(word) <= 5:
                runs = self.spelled.get(lower, set())
                if 0 < len(runs) <= 3:
                    out.extend(sorted(runs))
                continue
            # "Gazans" -> "Gaza", "Pakistanis" -> "Pakistan": a known name plus a short suffix.
            base = [lower[:cut] for cut in range(max(4, len(lower) - 4), len(lower))
                    if lower[:cut] in self.names and re.fullmatch(r"(?:i|n|an|ian|is|ns|ans|ians|ese|i?s)", lower[cut:])]
            if base:
                out.append(max(base, key=len))
        return out

    def spell_out(self, question: str) -> str:
        """The question with each acronym the corpus only spells out followed by its spelling:
        "contact the PM?" -> "contact the PM (Prime Minister)?". The embedding model reads
        "PM" as little more than two letters, so the dense query needs the words too."""

        def annotate(m: re.Match[str]) -> str:
            word = m.group(0)
            lower = word.lower()
            if not (word.isupper() and 2 <= len(word) <= 5) or lower in self.words or lower in FUNCTION_WORDS:
                return word
            runs = self.spelled.get(lower, set())
            return f"{word} ({' / '.join(sorted(runs))})" if 0 < len(runs) <= 3 else word

        return _WORD.sub(annotate, question)

    def unknown_names(self, question: str) -> list[str]:
        """Capitalised question words (names) that the corpus never mentions, e.g. "Qatar"."""
        out = []
        for i, m in enumerate(_WORD.finditer(question)):
            word = m.group(0)
            lower = word.lower()
            if not word[:1].isupper() or lower in FUNCTION_WORDS or lower in _QUESTION_OPENERS:
                continue
            if i == 0:
                continue  # every question starts with a capital
            if self.knows(word) or self.correct_word(word):
                continue
            out.append(word)
        return out
