"""Errors the library raises; the edges (CLI, Discord) turn them into messages."""


class CitebotError(Exception):
    """Base class: its message is fit to show a user as it is."""


class SeedsFolderError(CitebotError):
    """The seeds folder is missing or cannot be read."""


class QuestionError(CitebotError):
    """A question that cannot be asked: empty, too long, or nothing but symbols."""


class IndexUnavailable(CitebotError):
    """A persisted index is missing, partial, corrupted or from another model/format."""


class IndexFolderError(CitebotError):
    """The index folder cannot be used: a file stands where it or one of its parents should be."""


class NoDocumentsError(CitebotError):
    """The seeds folder holds no readable document."""


class SettingsError(CitebotError):
    """An environment variable (or .env line) holds a value citebot cannot use."""
