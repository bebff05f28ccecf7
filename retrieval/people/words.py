"""The word lists people-finding reads names by: name particles, honorifics and titles, role
words, what ends an organisation's name, speech verbs and stop words."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

PARTICLES = frozenset(
    "ur ul ud bin bint binti ibn al el de del della der den di da dos das du van von ter ten zu le la".split()
)
# "al-Hayya", "bin-Salman": a lowercase particle glued to a capitalised name part.
PARTICLE_PREFIX = re.compile(r"^(?:al|el|ad|an|ar|as|ash|at|az|ibn|bin|bint|abu|ul|ur|ud)-[A-Z]")
HYPHEN_PREFIX = re.compile(r"^(?:al|el|ad|an|ar|as|ash|at|az|ibn|bin|bint|abu|ul|ur|ud)-", re.IGNORECASE)

# Honorifics: part of how someone is addressed ("Dr. Khalil Al-Hayya"), not a role.
HONORIFICS = frozenset(
    "dr dr. mr mr. mrs mrs. ms ms. mx. miss prof prof. professor rev rev. reverend sir dame lady "
    "sheikh shaikh sheikha maulana mufti hon. hon madam madame mister doctor".split()
)
# Abbreviated titles written with a full stop.
ABBREVIATED_TITLES = frozenset(
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
CALENDAR = frozenset(
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
ORG_APPOSITION_NOUNS = (
    "firm company group party organisation organization movement charity foundation bank agency "
    "ministry union network newspaper broadcaster council club team militia coalition alliance "
    "institute university school hospital business corporation conglomerate startup start-up "
    "manufacturer retailer publisher outlet association body authority department consortium "
    "contractor developer operator"
).split()
# Groups of people listed after an organisation: "senior Hamas leaders, including ...".
LIST_GROUP_NOUNS = (
    "leaders officials members figures commanders executives ministers representatives officers "
    "delegates delegation leadership"
).split()

SPEECH_VERBS = (
    "said says say told tells added adds stated states noted notes explained asked announced "
    "declared insisted warned argued claimed wrote writes replied recalled remarked urged stressed "
    "emphasised emphasized acknowledged commented continued concluded posted tweeted responded "
    "admitted affirmed confirmed vowed pledged promised assured highlighted cautioned observed"
).split()
SPEECH_VERB_RE = "(?:" + "|".join(SPEECH_VERBS) + ")"


def _spacy_stop_words() -> frozenset[str]:
    """spaCy's English stop words, read from its plain data file: importing
    ``spacy.lang.en`` would import all of spaCy (~2 s), which ``/who`` lookups never need."""
    try:
        spec = importlib.util.find_spec("spacy")
        if spec is None or spec.origin is None:
            return frozenset()
        namespace: dict[str, Any] = {}
        source = Path(spec.origin).parent / "lang" / "en" / "stop_words.py"
        exec(compile(source.read_text(encoding="utf-8"), str(source), "exec"), namespace)
        return frozenset(namespace.get("STOP_WORDS", ()))
    except Exception:  # pragma: no cover - a different spaCy layout: our own list below still applies
        return frozenset()


_SPACY_STOP_WORDS = _spacy_stop_words()
STOP_WORDS = _SPACY_STOP_WORDS | frozenset(
    "the a an he she it we they i you this that these those his her its our their my your there here "
    "following during after before according meanwhile however although while since when where as "
    "at in on for with without under over among amid throughout inside outside including regarding "
    "despite unlike like earlier later last next yesterday today tomorrow speaking asked separately "
    "additionally furthermore moreover instead still now then and but or so if because also thus "
    "hence why what who whom whose which dear".split()
)
