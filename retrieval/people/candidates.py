"""Name candidates in a paragraph: runs of capitalised words (name particles such as "ur",
"bin", "van der" kept inside them), split where a title stands between an organisation and a
name ("Jamaat-e-Islami Emir Hafiz Naeem ur Rehman" -> "Emir" + "Hafiz Naeem ur Rehman")."""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass

from ..models import Document
from .tokens import Tok, is_honorific, is_name_part, is_title_role
from .words import HONORIFICS, PARTICLES, ROLE_MODIFIERS, STOP_WORDS, TITLE_ROLES


@dataclass
class ParagraphContext:
    """One paragraph as name-finding reads it: its words, where its sentences start, and
    what spaCy says of it."""

    doc: Document
    doc_index: int
    number: int
    text: str
    toks: list[Tok]
    sentence_starts: set[int]
    pos: dict[int, str]  # char offset -> coarse POS (spaCy), empty without spaCy
    ents: dict[tuple[int, int], str]  # (start, end) -> spaCy label

    def sentence_of(self, offset: int) -> tuple[int, int]:
        sentences = self.doc.paragraph(self.number).sentences
        # Spans are in order and disjoint: a search, not a scan (a one-line file is one
        # paragraph of tens of thousands of sentences).
        i = bisect.bisect_right(self._sentence_ends, offset)
        if i < len(sentences) and sentences[i].start <= offset:
            return sentences[i].start, sentences[i].end
        return 0, len(self.text)

    @functools.cached_property
    def _sentence_ends(self) -> list[int]:
        return [s.end for s in self.doc.paragraph(self.number).sentences]


_NON_NAME_POS = {"VERB", "AUX", "ADV", "ADP", "DET", "PRON", "SCONJ", "CCONJ", "PART", "ADJ", "NUM", "INTJ"}


def is_sentence_initial(ctx: ParagraphContext, i: int) -> bool:
    tok = ctx.toks[i]
    if tok.start in ctx.sentence_starts:
        return True
    j = i - 1
    while j >= 0 and ctx.toks[j].kind == "punct" and ctx.toks[j].text in "“\"‘(—–-":
        if ctx.toks[j].start in ctx.sentence_starts:
            return True
        j -= 1
    return j < 0


def sequences(ctx: ParagraphContext) -> list[list[int]]:
    """Runs of adjacent capitalised words, with particles between them."""
    toks, text = ctx.toks, ctx.text
    runs: list[list[int]] = []
    current: list[int] = []

    def adjacent(a: Tok, b: Tok) -> bool:
        return not a.poss and text[a.end : b.start] == " "

    i = 0
    while i < len(toks):
        tok = toks[i]
        if is_name_part(tok) or tok.kind == "title":
            if current and adjacent(toks[current[-1]], tok):
                current.append(i)
            else:
                if current:
                    runs.append(current)
                current = [i]
        elif (
            current
            and tok.kind == "word"
            and tok.lower in PARTICLES
            and adjacent(toks[current[-1]], tok)
        ):
            # particles only inside a name: look ahead for the capitalised part
            j = i
            while j < len(toks) and toks[j].kind == "word" and toks[j].lower in PARTICLES and adjacent(toks[j - 1], toks[j]):
                j += 1
            if j < len(toks) and is_name_part(toks[j]) and toks[j].kind == "word" and adjacent(toks[j - 1], toks[j]):
                current.extend(range(i, j + 1))
                i = j + 1
                continue
            runs.append(current)
            current = []
        else:
            if current:
                runs.append(current)
            current = []
        i += 1
    if current:
        runs.append(current)
    return runs


def _is_title_token(ctx: ParagraphContext, run: list[int], k: int) -> bool:
    tok = ctx.toks[run[k]]
    if tok.kind == "title" or is_honorific(tok) or is_title_role(tok):
        return True
    # "Prime Minister", "Foreign Minister", "Vice President": a capitalised modifier of a title
    if tok.is_cap and tok.lower in ROLE_MODIFIERS and k + 1 < len(run):
        return _is_title_token(ctx, run, k + 1)
    return False


def segments(ctx: ParagraphContext, run: list[int]) -> list[tuple[list[int], list[int]]]:
    """Split a capitalised run into (title tokens, name tokens) segments."""
    toks = ctx.toks
    # Leading function words: "During", "The", "Following" (sentence-initial, not a name).
    while run:
        tok = toks[run[0]]
        if tok.kind == "word" and tok.lower in STOP_WORDS and (
            tok.lower in ("the", "a", "an") or is_sentence_initial(ctx, run[0])
        ):  # mid-sentence "Will Smith" keeps its Will
            run = run[1:]
            continue
        if (
            len(run) > 1
            and is_sentence_initial(ctx, run[0])
            and ctx.pos.get(tok.start) in _NON_NAME_POS | {"NOUN"}
            and tok.lower not in HONORIFICS
            and tok.lower not in TITLE_ROLES
        ):
            run = run[1:]
            continue
        break
    segments: list[tuple[list[int], list[int]]] = []
    titles: list[int] = []
    name: list[int] = []
    k = 0
    while k < len(run):
        if _is_title_token(ctx, run, k):
            # a title only splits when a name follows it ("Martin Luther King" keeps its King)
            m = k
            while m < len(run) and _is_title_token(ctx, run, m):
                m += 1
            if m < len(run) and is_name_part(toks[run[m]]):
                if name:
                    segments.append((titles, name))
                titles, name = list(run[k:m]), []
                k = m
                continue
            if not name:  # title words with nothing after them: not a name
                break
        name.append(run[k])
        k += 1
    if name:
        segments.append((titles, name))
    # Trim particles at the edges ("de" cannot end a name).
    out = []
    for titles, name in segments:
        while name and toks[name[-1]].lower in PARTICLES and toks[name[-1]].kind == "word" and toks[name[-1]].text.islower():
            name = name[:-1]
        if name and not all(toks[i].lower in PARTICLES for i in name):
            out.append((titles, name))
    return out

