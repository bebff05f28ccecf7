"""Roles written around a name: before it ("current head X", "JI's Director of Foreign
Affairs, X", "Jamaat-e-Islami (JI) chief X"), in apposition after it ("X, the company's chief
executive,"), and the organisation of a list a name stands in ("senior Hamas leaders,
including X")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .candidates import ParagraphContext, is_sentence_initial
from .tokens import Tok, is_honorific, is_role_word
from .words import LIST_GROUP_NOUNS, ROLE_MODIFIERS, STOP_WORDS, TITLE_ROLES


@dataclass
class RawRole:
    """A role as the text writes it, before the document's abbreviations and the collection's
    evidence decide its organisation (``merge._finish_role``)."""

    core: str  # "current head", "Director", "Emir"
    of_tail: str | None  # "Foreign Affairs" from "Director of Foreign Affairs"
    org: str | None  # organisation as written ("JI", "Hamas")
    of_phrase: str | None = None  # "of Foreign Affairs", "for the Al-Khidmat Foundation"


def _pos(ctx: ParagraphContext, tok: Tok) -> str | None:
    return ctx.pos.get(tok.start)


def _is_modifier(ctx: ParagraphContext, tok: Tok) -> bool:
    if tok.kind != "word":
        return False
    if tok.lower in ROLE_MODIFIERS:
        return True
    if tok.text.islower() and tok.lower not in STOP_WORDS and _pos(ctx, tok) in ("ADJ", "NOUN"):
        return True
    return False


def _cap_run_back(ctx: ParagraphContext, j: int) -> int:
    """First index of the run of capitalised tokens ending at ``j`` (stop words excluded)."""
    toks = ctx.toks
    k = j
    while k - 1 >= 0 and toks[k - 1].is_cap and not toks[k - 1].poss and ctx.text[toks[k - 1].end : toks[k].start] == " ":
        k -= 1
    while k <= j and toks[k].lower in STOP_WORDS and toks[k].kind == "word":
        k += 1
    return k


def role_before(ctx: ParagraphContext, first: int) -> RawRole | None:
    """A role written before a name: "current head X", "JI's Director of Foreign Affairs, X"."""
    toks, text = ctx.toks, ctx.text
    j = first - 1
    while j >= 0 and (toks[j].kind == "title" or is_honorific(toks[j])) and toks[j].lower not in TITLE_ROLES:
        j -= 1
    if j >= 0 and toks[j].text == ",":
        j -= 1
    if j < 0:
        return None
    # "... Director of [the] Foreign Affairs"
    of_tail = of_phrase = None
    k = j
    while k >= 0 and toks[k].is_cap and not is_role_word(toks[k]) and not toks[k].poss:
        k -= 1
    if k < j:
        m = k
        if m >= 0 and toks[m].lower == "the":
            m -= 1
        if m >= 1 and toks[m].lower in ("of", "for") and is_role_word(toks[m - 1]):
            of_tail = text[toks[k + 1].start : toks[j].end]
            of_phrase = text[toks[m].start : toks[j].end]
            j = m - 1
    if j < 0 or not is_role_word(toks[j]) or toks[j].poss:
        return None
    end = j
    while j - 1 >= 0 and end - j < 4:
        prev = toks[j - 1]
        if text[prev.end : toks[j].start] != " " or prev.poss:
            break
        if is_role_word(prev) and (prev.text.islower() or prev.is_cap and toks[j].is_cap):
            j -= 1
        elif _is_modifier(ctx, prev) and (prev.text.islower() or is_sentence_initial(ctx, j - 1) or toks[j].is_cap):
            j -= 1
        else:
            break
    core = text[toks[j].start : toks[end].end]
    org = None
    if j - 3 >= 0 and toks[j - 1].text == ")" and toks[j - 2].kind == "acronym" and toks[j - 3].text == "(":
        return RawRole(core, of_tail, toks[j - 2].text, of_phrase)  # "Jamaat-e-Islami (JI) chief X"
    if j - 1 >= 0 and text[toks[j - 1].end : toks[j].start] in (" ", "’s ", "'s ", "' ", "’ ") or (
        j - 1 >= 0 and toks[j - 1].poss
    ):
        prev = toks[j - 1]
        if prev.is_cap and prev.lower not in STOP_WORDS:
            start = _cap_run_back(ctx, j - 1)
            if start <= j - 1:
                org_text = text[toks[start].start : prev.end]
                if not prev.poss and all(_pos(ctx, toks[x]) == "ADJ" for x in range(start, j)):
                    core = org_text + " " + core  # "Pakistani Prime Minister": part of the title
                else:
                    org = org_text
    return RawRole(core, of_tail, org, of_phrase)


def role_after(ctx: ParagraphContext, last: int) -> RawRole | None:
    """A role in apposition after a name: "X, the company's chief executive," / "X, head of Y"."""
    toks, text = ctx.toks, ctx.text
    if toks[last].poss:
        return None
    j = last + 1
    n = len(toks)
    if j >= n:
        return None
    if toks[j].text == ",":
        j += 1
    elif toks[j].lower in ("is", "was") and j + 1 < n and toks[j + 1].lower in ("the", "a", "an"):
        j += 1
    else:
        return None
    if j < n and toks[j].lower in ("the", "a", "an"):
        j += 1
    org = None
    # organisation first: "JI's Director ...", "Hamas leader", or a lowercase "the company's"
    k = j
    while k < n and toks[k].is_cap and not is_role_word(toks[k]):
        k += 1
        if toks[k - 1].poss:
            break
    if k > j:
        if toks[k - 1].poss or (k < n and is_role_word(toks[k])):
            org = text[toks[j].start : toks[k - 1].end]
            j = k
        else:
            return None  # "Darwish, Mashal and ..." is a list, not an apposition
    elif j < n and toks[j].poss and toks[j].kind == "word":
        j += 1  # "the company's"
    start = j
    last_role = None
    while j < n and j - start < 5 and (is_role_word(toks[j]) or _is_modifier(ctx, toks[j])):
        if is_role_word(toks[j]):
            last_role = j
        j += 1
        if toks[j - 1].poss:
            break
    if last_role is None:
        return None
    j = last_role + 1
    core = text[toks[start].start : toks[last_role].end]
    of_tail = of_phrase = None
    if j < n and toks[j].lower in ("of", "for", "at"):
        m = j + 1
        if m < n and toks[m].lower == "the":
            m += 1
        e = m
        while e < n and toks[e].is_cap:
            e += 1
            if toks[e - 1].poss:
                break
        if e == m:  # "director of foreign affairs": a few lowercase words
            while e < n and e - m < 3 and toks[e].kind == "word" and toks[e].text.islower() and toks[e].lower not in STOP_WORDS:
                e += 1
        if e > m:
            of_tail = text[toks[m].start : toks[e - 1].end]
            of_phrase = text[toks[j].start : toks[e - 1].end]
            j = e
    if j < n and not (toks[j].kind == "punct" and toks[j].text in ",.;:)!?—–"):
        return None
    return RawRole(core, of_tail, org, of_phrase)


_LIST_CONTEXT = re.compile(
    r"(?P<org>[A-Z][\w’'\-]*(?:\s+[A-Z][\w’'\-]*)*)\s+(?:" + "|".join(LIST_GROUP_NOUNS) + r")\b"
    r"[^.;:]*?\b(?:including|such as|among them|namely|like)\b"
)


def list_organisation(ctx: ParagraphContext, offset: int) -> str | None:
    """"senior Hamas leaders, including current head X": the list's organisation."""
    s, _ = ctx.sentence_of(offset)
    before = ctx.text[s:offset]
    found = None
    for m in _LIST_CONTEXT.finditer(before):
        found = m.group("org")
    if found:
        parts = found.split()
        while parts and parts[0].casefold() in STOP_WORDS:
            parts = parts[1:]
        found = " ".join(parts) or None
    return found

