"""The persisted index: vectors (FAISS), chunk metadata (SQLite) and a manifest.

Layout of the index folder::

    CURRENT                 name of the generation that serves (replaced atomically)
    LOCK                    held (flock) by the one process that is building a generation
    gen-<time>-<rand>/      one complete index
        manifest.json       format, model, dimension, document hashes, file sizes and hashes
        sentences.faiss     one vector per sentence (row = sentences.id - 1)
        paragraphs.faiss    one vector per paragraph (row = paragraphs.id - 1)
        chunks.sqlite       documents, paragraphs, sentences, skipped files, people, quotes
        bm25/               the lexical index
    embeddings.sqlite       cache keyed by model and chunk text, shared by generations

A generation is written completely in its own folder, flushed to disk, checked, and only
then named in ``CURRENT`` (temp file + ``os.replace``). A crash at any point leaves the
previous generation serving; a failed build removes its own folder, and whatever a killed
process left behind is swept on the next successful build.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Callable, Iterable, Iterator, Sequence

import numpy as np

from .cache import BlobCache
from .chunks import CHUNKS_FILE, ChunkStore
from ..errors import IndexUnavailable
from ..models import Document, SkippedFile
from ..progress import ProgressFactory, track

if TYPE_CHECKING:
    from .aids import ReadingAids

log = logging.getLogger(__name__)

# 2: people and quotes stored as their records (models.to_record); 3: paragraphs keep their
# page, section and cited number, documents their URL (citations say where); 4: paragraphs
# carry their parse and sentences their typed phrases (aids.py), for reading the answer
FORMAT_VERSION = 5
MANIFEST = "manifest.json"
CURRENT = "CURRENT"
LOCK = "LOCK"
DATA_FILES = ("sentences.faiss", "paragraphs.faiss", CHUNKS_FILE)
# What a generation folder may be called; anything else in CURRENT is garbage, not a path.
_GENERATION_NAME = re.compile(r"gen-[A-Za-z0-9_.-]+")

def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file so readers see the old content or the new, never half of either."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make renames and new entries in ``folder`` durable (best effort: not every OS can)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class IndexLock:
    """One builder per index folder, across processes (the bot and ``citebot index``).

    An ``flock`` on ``LOCK``: the kernel drops it when the holder dies, so a killed build
    never leaves the index locked.
    """

    def __init__(self, index_dir: Path) -> None:
        self.path = Path(index_dir) / LOCK
        self._fh: IO[bytes] | None = None

    def acquire(self) -> bool:
        """Take the lock without waiting; False when another process holds it."""
        try:
            import fcntl
        except ImportError:  # not POSIX: the in-process lock in ``Citebot`` still applies
            return True
        fh = open(self.path, "ab")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            fh.close()
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False
            raise
        self._fh = fh
        return True

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()  # closing the descriptor releases the flock
            self._fh = None


# Texts per call to the model and per commit to the embedding cache: a commit every couple
# of seconds of embedding costs nothing next to it, and a killed build loses at most one batch.
EMBED_BATCH = 256


class EmbeddingCache(BlobCache):
    """Vectors keyed by (model, text): an unchanged sentence is never embedded twice."""

    def __init__(self, path: Path, *, clock: Callable[[], float] | None = None) -> None:
        super().__init__(path, table="vectors", column="vector", clock=clock)

    @staticmethod
    def key(model_id: str, text: str) -> str:
        return hashlib.sha1(f"{model_id}\0{text}".encode()).hexdigest()

    def embed(
        self,
        texts: Sequence[str],
        model_id: str,
        encode: Callable[[list[str]], np.ndarray],
        dim: int,
        progress: ProgressFactory | None = None,
    ) -> tuple[np.ndarray, int]:
        """Vectors for ``texts``; returns them and how many had to be computed.

        The missing texts go to ``encode`` in batches of ``EMBED_BATCH``, each committed to
        the cache as soon as it is back: a build killed part way keeps what it embedded,
        and the next one embeds only the rest."""
        keys = [self.key(model_id, t) for t in texts]
        found: dict[str, np.ndarray] = {}
        for key, blob in self.lookup(keys).items():
            vector = np.frombuffer(blob, dtype=np.float32)
            if vector.shape[0] == dim:
                found[key] = vector
        # Shortest first: the model pads each batch to its longest text, and a random order
        # (sha1 keys) made it process 2.2x the real tokens (benchmarks/RESULTS_scale.md, P7).
        missing = sorted(
            {k: t for k, t in zip(keys, texts) if k not in found}.items(), key=lambda kt: (len(kt[1]), kt[0])
        )
        batches = [missing[start : start + EMBED_BATCH] for start in range(0, len(missing), EMBED_BATCH)]
        for batch in track(batches, len(missing), progress, "embedding", weight=len):
            computed = encode([t for _, t in batch])
            self.store((k, v.astype(np.float32).tobytes()) for (k, _), v in zip(batch, computed))
            for (k, _), v in zip(batch, computed):
                found[k] = v
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = found[key]
        return out, len(missing)


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model_id: str
    dim: int
    index_kind: str
    documents: dict[str, str]  # doc -> sha256 of its bytes
    skipped: dict[str, str]  # name -> reason
    seeds: dict[str, str]  # every candidate file -> sha256, or a skipped one's stand-in (documents.seed_fingerprint)
    files: dict[str, dict[str, object]]  # file -> {"size": int, "sha256": str}
    created: float
    sentences: int
    paragraphs: int
    # Chosen by size like the sentences' index; generations written before it was recorded
    # always used an exact index.
    paragraph_index_kind: str = "flat"

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        data = json.loads(text)
        optional = {"paragraph_index_kind"}
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data or k not in optional})


def write_generation(
    folder: Path,
    documents: Sequence[Document],
    skipped: Sequence[SkippedFile],
    sentence_vectors: np.ndarray,
    paragraph_vectors: np.ndarray,
    model_id: str,
    extras: dict[str, object],
    bm25_writer: Callable[[Path], None],
    seeds: dict[str, str],
    index_kind: str | None = None,
    aids: ReadingAids | None = None,
) -> Manifest:
    """Write one complete generation into ``folder`` (which must not exist yet).

    All or nothing: if anything fails (disk full, a library error), the folder is removed
    before the error propagates, so a failed build leaves no half-written generation.
    ``aids`` are the paragraphs' parses and the sentences' typed phrases (none without spaCy).
    """
    folder.mkdir(parents=True)
    with _removed_on_failure(folder):
        from .vectors import build_index

        sentence_index = build_index(sentence_vectors, index_kind)
        sentence_index.save(folder / "sentences.faiss")
        # Above the size threshold the paragraphs get an approximate index too: an exact
        # scan of 370k paragraph vectors cost 53 ms a question (RESULTS_scale.md, P8).
        paragraph_index = build_index(paragraph_vectors)
        paragraph_index.save(folder / "paragraphs.faiss")
        bm25_writer(folder / "bm25")
        ChunkStore.write(folder / CHUNKS_FILE, documents, skipped, extras, aids)

        files = {name: _file_entry(folder / name) for name in generation_files(folder)}
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            model_id=model_id,
            dim=int(sentence_vectors.shape[1]),
            index_kind=sentence_index.kind,
            documents={d.doc: d.sha256 for d in documents},
            skipped={s.name: s.reason for s in skipped},
            seeds=dict(seeds),
            files=files,
            created=time.time(),
            sentences=int(sentence_vectors.shape[0]),
            paragraphs=int(paragraph_vectors.shape[0]),
            paragraph_index_kind=paragraph_index.kind,
        )
        # Data on disk before the manifest that vouches for it, so that after a power cut a
        # manifest never describes files the kernel had not written yet.
        for name in files:
            _fsync_file(folder / name)
        for sub in {folder, *((folder / n).parent for n in files)}:
            fsync_dir(sub)
        # The manifest goes last: a generation without one is never served.
        atomic_write_text(folder / MANIFEST, manifest.to_json())
        return manifest


@contextmanager
def _removed_on_failure(folder: Path) -> Iterator[None]:
    try:
        yield
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def generation_files(folder: Path) -> list[str]:
    """Every data file of a generation (relative, "/"-separated), the manifest excepted."""
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and path.name != MANIFEST and not path.name.startswith(".")
    )


def _file_entry(path: Path) -> dict[str, object]:
    return {"size": path.stat().st_size, "sha256": file_sha256(path)}


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def new_generation_folder(index_dir: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    return index_dir / f"gen-{stamp}-{secrets.token_hex(3)}"


def read_current(index_dir: Path) -> tuple[Path | None, str | None]:
    """The generation ``CURRENT`` names, or ``(None, why not)``.

    Only a plain ``gen-...`` name is accepted: a damaged or hand-edited ``CURRENT`` must
    never send a reader to some other path.
    """
    try:
        raw = (Path(index_dir) / CURRENT).read_bytes()
    except (FileNotFoundError, NotADirectoryError):  # no index folder, or a file in its place
        return None, "no index yet"
    except OSError as exc:  # a folder in its place, no permission: damaged, like garbage in it
        return None, f"index pointer {CURRENT} unreadable: {exc.strerror or exc}"
    try:
        name = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None, f"index pointer {CURRENT} is damaged (not text)"
    if not _GENERATION_NAME.fullmatch(name) or ".." in name:
        return None, f"index pointer {CURRENT} is damaged ({name[:40]!r} is not a generation name)"
    return Path(index_dir) / name, None


def current_generation(index_dir: Path) -> Path | None:
    return read_current(index_dir)[0]


def read_manifest(folder: Path, *, verify: bool = True) -> Manifest:
    """The manifest of a generation, checked against its files; raises ``IndexUnavailable``."""
    if not folder.is_dir():
        raise IndexUnavailable(f"index folder missing: {folder}")
    try:
        manifest = Manifest.from_json((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexUnavailable(f"partial index (no manifest) in {folder}") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexUnavailable(f"index manifest unreadable in {folder}: {exc}") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise IndexUnavailable(f"index format {manifest.format_version} is not {FORMAT_VERSION}")
    if not isinstance(manifest.files, dict) or not set(DATA_FILES) <= set(manifest.files):
        raise IndexUnavailable(f"index manifest in {folder} does not list every data file")
    if verify:
        verify_files(folder, manifest)
    return manifest


def verify_files(folder: Path, manifest: Manifest) -> None:
    """Every file the manifest lists exists with the recorded size and sha256."""
    for name, expected in manifest.files.items():
        if not isinstance(expected, dict) or ".." in Path(name).parts or Path(name).is_absolute():
            raise IndexUnavailable(f"index manifest in {folder} is damaged (entry {name!r})")
        path = folder / name
        try:
            size = path.stat().st_size
        except OSError:
            raise IndexUnavailable(f"index file missing: {path}") from None
        if size != expected.get("size") or file_sha256(path) != expected.get("sha256"):
            raise IndexUnavailable(f"index file does not match its manifest: {path}")


def publish(index_dir: Path, folder: Path) -> None:
    """Make ``folder`` the serving generation, then sweep generations nobody uses.

    Call with the ``IndexLock`` held: the sweep assumes no other build is in progress.
    """
    previous = current_generation(index_dir)
    _move_aside_if_folder(index_dir / CURRENT)
    atomic_write_text(index_dir / CURRENT, folder.name + "\n")
    try:
        sweep(index_dir, keep=(folder, previous))
    except OSError as exc:  # the new generation is published; leftovers wait for the next build
        log.warning("could not sweep old index generations: %s", exc)


def unpublish(index_dir: Path) -> None:
    """Name no generation in ``CURRENT`` any more (a library left without documents), then
    sweep as ``publish`` does. Call with the ``IndexLock`` held."""
    previous = current_generation(index_dir)
    _move_aside_if_folder(index_dir / CURRENT)
    (index_dir / CURRENT).unlink(missing_ok=True)  # atomic: readers see the old name or none
    fsync_dir(index_dir)
    try:
        sweep(index_dir, keep=(previous,))
    except OSError as exc:
        log.warning("could not sweep old index generations: %s", exc)


def _move_aside_if_folder(path: Path) -> None:
    """A folder named like the pointer (``mkdir CURRENT``) would make every publish fail with
    "Is a directory": it is moved aside, not deleted (it may hold someone's files)."""
    if path.is_dir() and not path.is_symlink():  # a symlink is replaced like a file
        aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}")
        os.replace(path, aside)
        # info: the warning that the index was unusable (and why) has been given already
        log.info("%s was a folder, not the index pointer: moved to %s", path, aside.name)


def sweep(index_dir: Path, keep: Iterable[Path | None]) -> list[str]:
    """Delete generations other than ``keep`` and leftovers of killed writes; return their names.

    The generation that served until now is kept: another process may have read
    ``CURRENT`` a moment ago and be loading it. Older ones are named nowhere, and a
    process still serving one loaded it long ago (its files stay readable while open).
    Only call while holding the ``IndexLock``: an unfinished folder is then a dead one.
    """
    kept = {Path(k).name for k in keep if k is not None}
    removed = []
    for entry in Path(index_dir).iterdir():
        try:
            if entry.name.startswith("gen-") and entry.is_dir() and entry.name not in kept:
                shutil.rmtree(entry)
            elif entry.name.startswith(f".{CURRENT}.") and entry.name.endswith(".tmp"):
                entry.unlink()  # a CURRENT replacement that a killed process never renamed
            else:
                continue
        except OSError as exc:
            log.warning("could not remove %s: %s", entry, exc)
            continue
        removed.append(entry.name)
    if removed:
        log.info("removed old or unfinished index generations: %s", ", ".join(sorted(removed)))
    return removed
