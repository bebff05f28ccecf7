"""People and quotes: who the documents name, who said what, and looking them up.

Modules, lowest first (each imports only those before it):
``words`` (word lists), ``names`` (comparing names), ``tokens``, ``nlp`` (spaCy and its
annotation cache), ``candidates`` (capitalised runs split by titles), ``roles`` (roles
written around a name), ``evidence`` (person or not, pooled over the collection),
``aliases`` (finding aliases in text), ``merge`` (document consistency: which person each
name is), ``quotes`` (quotations and their speakers), ``reported`` (reported speech),
``extras`` (the people index as the index stores it), ``extract`` (the whole extraction),
``lookup`` (who is NAME, quotes by topic and speaker).
"""

from .aliases import AliasMatcher
from .extract import build_extras, extract_all, extract_people, find_people
from .extras import PeopleIndex
from .lookup import PersonMatch, QuoteResult, check_name, find_person, find_quotes
from .nlp import AnnotationCache, get_nlp
from .quotes import attach_quotes, extract_quotes, quote_spans
from .reported import ReportedSpeech, reported_speech

__all__ = [
    "AliasMatcher",
    "AnnotationCache",
    "PeopleIndex",
    "PersonMatch",
    "QuoteResult",
    "ReportedSpeech",
    "attach_quotes",
    "build_extras",
    "check_name",
    "extract_all",
    "extract_people",
    "extract_quotes",
    "find_people",
    "find_person",
    "find_quotes",
    "get_nlp",
    "quote_spans",
    "reported_speech",
]
