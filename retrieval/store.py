"""The persisted index: vectors (FAISS), chunk metadata (SQLite) and a manifest.

Layout of the index folder::

    CURRENT                 name of the generation that serves (replaced atomically)
    gen-<time>-<rand>/      one complete index
        manifest.json       format, model, dimension, document hashes, file sizes and hashes
        sentences.faiss     one vector per sentence (row = sentences.id - 1)
        paragraphs.faiss    one vector per paragraph (row = paragraphs.id - 1)
        chunks.sqlite       documents, paragraphs, sentences, skipped files, people, quotes
        bm25/               the lexical index
    embeddings.sqlite       cache keyed by model and chunk text, shared by generations

A generation is written completely in its own folder, checked, and only then named in
``CURRENT`` (temp file + ``os.replace``). A crash at any point leaves the previous
generation serving; stray folders are swept on the next successful build.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from .errors import IndexUnavailable
from .models import Document, SkippedFile

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CURRENT = "CURRENT"
DATA_FILES = ("sentences.faiss", "paragraphs.faiss", "chunks.sqlite")

_SCHEMA = """
CREATE TABLE documents (id INTEGER PRIMARY KEY, doc TEXT UNIQUE NOT NULL, title TEXT NOT NULL,
    date TEXT, place TEXT, sha256 TEXT NOT NULL, paragraphs INTEGER NOT NULL, sentences INTEGER NOT NULL);
CREATE TABLE paragraphs (id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL, number INTEGER NOT NULL,
    text TEXT NOT NULL);
CREATE TABLE sentences (id INTEGER PRIMARY KEY, paragraph_id INTEGER NOT NULL, number INTEGER NOT NULL,
    text TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL);
CREATE TABLE skipped (name TEXT PRIMARY KEY, reason TEXT NOT NULL);
CREATE TABLE extras (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


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


def sentence_texts(documents: Sequence[Document]) -> list[str]:
    return [s.text for d in documents for p in d.paragraphs for s in p.sentences]


def paragraph_context(document: Document, number: int) -> str:
    """What a paragraph's vector is made from: its text, with the document's metadata on ¶1.

    The dateline paragraph carries the date and place so "when/where was the meeting"
    lands there even though the text says neither word.
    """
    text = document.paragraph(number).text
    if number == 1 and (document.date or document.place):
        when = f" on {human_date(document.date)}" if document.date else ""
        where = f" in {document.place}" if document.place else ""
        text = f"{text} (Reported{where}{when}.)"
    return text


def human_date(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return time.strftime("%d %B %Y", time.strptime(iso, "%Y-%m-%d")).lstrip("0")
    except ValueError:
        return iso


class EmbeddingCache:
    """Vectors keyed by (model, text): an unchanged sentence is never embedded twice."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        self._lock = threading.Lock()

    @staticmethod
    def key(model_id: str, text: str) -> str:
        return hashlib.sha1(f"{model_id}\0{text}".encode()).hexdigest()

    def embed(self, texts: Sequence[str], model_id: str, encode: Callable[[list[str]], np.ndarray], dim: int) -> tuple[np.ndarray, int]:
        """Vectors for ``texts``; returns them and how many had to be computed."""
        keys = [self.key(model_id, t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(chunk))})", chunk
                ).fetchall()
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape[0] == dim:
                        found[key] = vector
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in found}.items())
        if missing:
            computed = encode([t for _, t in missing])
            with self._lock, self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                    [(k, v.astype(np.float32).tobytes()) for (k, _), v in zip(missing, computed)],
                )
            for (k, _), v in zip(missing, computed):
                found[k] = v
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = found[key]
        return out, len(missing)

    def close(self) -> None:
        self._db.close()


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model_id: str
    dim: int
    index_kind: str
    documents: dict[str, str]  # doc -> sha256 of its bytes
    skipped: dict[str, str]  # name -> reason
    seeds: dict[str, str]  # every candidate file (indexed or skipped) -> sha256, for staleness
    files: dict[str, dict[str, object]]  # file -> {"size": int, "sha256": str}
    created: float
    sentences: int
    paragraphs: int

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        data = json.loads(text)
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


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
) -> Manifest:
    """Write one complete generation into ``folder`` (which must not exist yet)."""
    from .index import build_index

    folder.mkdir(parents=True)
    sentence_index = build_index(sentence_vectors, index_kind)
    sentence_index.save(folder / "sentences.faiss")
    build_index(paragraph_vectors, "flat").save(folder / "paragraphs.faiss")
    bm25_writer(folder / "bm25")

    db = sqlite3.connect(folder / "chunks.sqlite")
    try:
        with db:
            db.executescript(_SCHEMA)
            paragraph_id = sentence_id = 0
            for doc_id, d in enumerate(documents, start=1):
                db.execute(
                    "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?)",
                    (doc_id, d.doc, d.title, d.date, d.place, d.sha256, len(d.paragraphs), d.sentence_count),
                )
                for p in d.paragraphs:
                    paragraph_id += 1
                    db.execute("INSERT INTO paragraphs VALUES (?,?,?,?)", (paragraph_id, doc_id, p.number, p.text))
                    rows = []
                    for s in p.sentences:
                        sentence_id += 1
                        rows.append((sentence_id, paragraph_id, s.number, s.text, s.start, s.end))
                    db.executemany("INSERT INTO sentences VALUES (?,?,?,?,?,?)", rows)
            db.executemany("INSERT INTO skipped VALUES (?,?)", [(s.name, s.reason) for s in skipped])
            db.executemany(
                "INSERT INTO extras VALUES (?,?)", [(k, json.dumps(v)) for k, v in extras.items()]
            )
    finally:
        db.close()

    files = {}
    for name in DATA_FILES:
        path = folder / name
        files[name] = {"size": path.stat().st_size, "sha256": file_sha256(path)}
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
    )
    # The manifest goes last: a generation without one is never served.
    atomic_write_text(folder / MANIFEST, manifest.to_json())
    return manifest


def new_generation_folder(index_dir: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    return index_dir / f"gen-{stamp}-{secrets.token_hex(3)}"


def current_generation(index_dir: Path) -> Path | None:
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    return index_dir / name


def read_manifest(folder: Path, *, verify: bool = True) -> Manifest:
    """The manifest of a generation, checked against its files; raises ``IndexUnavailable``."""
    try:
        manifest = Manifest.from_json((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexUnavailable(f"no index at {folder}") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexUnavailable(f"index manifest unreadable in {folder}: {exc}") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise IndexUnavailable(f"index format {manifest.format_version} is not {FORMAT_VERSION}")
    if verify:
        for name, expected in manifest.files.items():
            path = folder / name
            try:
                size = path.stat().st_size
            except OSError:
                raise IndexUnavailable(f"index file missing: {path}") from None
            if size != expected.get("size") or file_sha256(path) != expected.get("sha256"):
                raise IndexUnavailable(f"index file does not match its manifest: {path}")
    return manifest


def publish(index_dir: Path, folder: Path) -> None:
    """Make ``folder`` the serving generation, then sweep generations nobody uses."""
    atomic_write_text(index_dir / CURRENT, folder.name + "\n")
    sweep(index_dir, keep=folder)


def sweep(index_dir: Path, keep: Path, *, grace_seconds: float = 600.0) -> None:
    """Delete old generations. Recent ones stay a while: a reader may still hold one open."""
    now = time.time()
    for entry in index_dir.glob("gen-*"):
        if entry == keep or not entry.is_dir():
            continue
        try:
            if now - entry.stat().st_mtime > grace_seconds or not (entry / MANIFEST).exists():
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            pass


def seed_fingerprint(paths: Iterable[Path]) -> dict[str, str]:
    """name -> sha256 for the files of a seeds folder, to compare against a manifest."""
    out: dict[str, str] = {}
    for path in paths:
        try:
            out[path.name] = file_sha256(path)
        except OSError:
            out[path.name] = "unreadable"
    return out
