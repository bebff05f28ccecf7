"""citebot's retrieval core: documents, chunking, embeddings, index and search.

Nothing here knows about Discord; ``bot/`` and the CLI are thin edges over it, and they
import only the names below (``from retrieval import Citebot, Settings``), never a
submodule: what is not listed here may move without the edges noticing.

Names are loaded on first use: ``citebot --help`` or a bad setting should not pay the
0.4 s that numpy, FAISS and the search code take to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> the module (under retrieval/) that owns it.
_EXPORTS: dict[str, str] = {
    # the facade and what it returns
    "Citebot": "api",
    "ReindexFailed": "errors",
    "ReindexRunning": "errors",
    # many libraries: the shared one and each server's own
    "Libraries": "libraries",
    "Scope": "libraries",
    "LibraryId": "models",
    "check_server_id": "libraries",
    "library_label": "libraries",
    "parse_server_id": "libraries",
    "server_folder": "libraries",
    "ReadOnlyLibrary": "errors",
    "UnknownLibrary": "errors",
    "PersonMatch": "people",
    "QuoteResult": "people",
    # settings, and the parsers the edges' own settings share
    "Settings": "settings",
    "EnvReader": "settings",
    "environment": "settings",
    "env_choice": "settings",
    "env_flag": "settings",
    "env_int": "settings",
    "env_text": "settings",
    "quoted_value": "settings",
    "raw_value": "settings",
    # errors
    "CitebotError": "errors",
    "IndexFolderError": "errors",
    "IndexUnavailable": "errors",
    "NoDocumentsError": "errors",
    "QuestionError": "errors",
    "SeedsFolderError": "errors",
    "SettingsError": "errors",
    "StorageError": "errors",
    # results
    "Answer": "models",
    "Mention": "models",
    "Passage": "models",
    "Person": "models",
    "Quote": "models",
    "Role": "models",
    "SourceInfo": "models",
    "citation_for": "models",
    # questions
    "Question": "query.question",
    "clean_text": "text.clean",
    "parse_dates": "query.question",
    "parse_question": "query.question",
    # the documents folder
    "DOCUMENT_SUFFIXES": "documents.loading",
    "DocumentNotFound": "errors",
    "SeedRejected": "errors",
    "Stored": "documents.seeds",
    "add_document": "documents.seeds",
    "add_source": "documents.adding",
    "add_url": "documents.adding",
    "looks_like_url": "documents.adding",
    "store_document": "documents.seeds",
    "type_problem": "documents.formats",
    "document_key": "documents.seeds",
    "find_document": "documents.seeds",
    "list_documents": "documents.seeds",
    "remove_document": "documents.seeds",
    "safe_document_name": "documents.seeds",
    "watch_seeds": "documents.watch",
    # text shown to people, state files, progress
    "shown": "text.show",
    "web_url": "text.show",
    "atomic_write_text": "index.store",
    "open_state_db": "state",
    "split_state_file": "state",
    "ProgressFactory": "progress",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # the same names, for type checkers and editors (tests/test_layers.py keeps the two in step)
    from .api import Citebot
    from .documents.adding import add_source, add_url, looks_like_url
    from .documents.formats import type_problem
    from .documents.loading import DOCUMENT_SUFFIXES
    from .documents.seeds import (
        Stored,
        add_document,
        document_key,
        find_document,
        list_documents,
        remove_document,
        safe_document_name,
        store_document,
    )
    from .documents.watch import watch_seeds
    from .errors import (
        CitebotError,
        DocumentNotFound,
        IndexFolderError,
        IndexUnavailable,
        NoDocumentsError,
        QuestionError,
        ReadOnlyLibrary,
        ReindexFailed,
        ReindexRunning,
        SeedRejected,
        SeedsFolderError,
        SettingsError,
        StorageError,
        UnknownLibrary,
    )
    from .index.store import atomic_write_text
    from .libraries import (
        Libraries,
        Scope,
        check_server_id,
        library_label,
        parse_server_id,
        server_folder,
    )
    from .models import (
        Answer,
        LibraryId,
        Mention,
        Passage,
        Person,
        Quote,
        Role,
        SourceInfo,
        citation_for,
    )
    from .people import PersonMatch, QuoteResult
    from .progress import ProgressFactory
    from .query.question import Question, parse_dates, parse_question
    from .settings import (
        EnvReader,
        Settings,
        env_choice,
        env_flag,
        env_int,
        env_text,
        environment,
        quoted_value,
        raw_value,
    )
    from .state import open_state_db, split_state_file
    from .text.clean import clean_text
    from .text.show import shown, web_url
