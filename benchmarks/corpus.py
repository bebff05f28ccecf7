"""A corpus of real English prose for the scale benchmarks, built offline and deterministically.

    python benchmarks/corpus.py 10k            # prints the folder of a 10k-sentence corpus

Sources (Debian packages, fetched with ``apt-get download`` and unpacked with ``dpkg-deb``;
nothing is installed and no hub is asked):

* ``r-cran-janeaustenr`` — Jane Austen's six novels (R's lazy-load data: a gzip index and
  zlib-compressed R serialisations of character vectors, read here by a 60-line reader).
  Literary prose, dialogue and long sentences.
* ``python3.11-doc`` — the Python documentation's reStructuredText sources: only prose
  paragraphs are kept (no code, directives, tables, lists or headings) and inline markup is
  reduced to its text. Technical prose with names in it.

Paragraphs are taken in a fixed interleaving (one Austen chapter, then one documentation
page, ...) until the corpus holds the asked number of sentences (counted with a cheap regex:
the benchmark reports the loader's own count). Each chapter or page becomes one ``.txt``
document with a ``title:`` header, so the real loader, splitter and indexer do the work.
The seed article is copied in as well, so the seed evaluation questions stay answerable.

Everything lands in ``benchmarks/.cache/`` (git-ignored): the packages, the extracted
paragraphs, and one folder per corpus size. A second call returns the folder at once.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
PACKAGES = {"austen": "r-cran-janeaustenr", "pydocs": "python3.11-doc", "handbook": "debian-handbook", "jargon": "jargon-text"}
VERSION = 5  # bump when the corpus changes: folders are keyed by it

AUSTEN_TITLES = {
    "prideprejudice": "Pride and Prejudice",
    "sensesensibility": "Sense and Sensibility",
    "emma": "Emma",
    "mansfieldpark": "Mansfield Park",
    "persuasion": "Persuasion",
    "northangerabbey": "Northanger Abbey",
}


def parse_size(text: str) -> int:
    text = text.strip().lower().replace("_", "").replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


# ---- fetching --------------------------------------------------------------------------


def _package_files(package: str) -> Path:
    """Unpack a Debian package (downloaded once) into the cache; returns its root."""
    root = CACHE / "pkg" / package
    if (root / ".done").exists():
        return root
    debs = CACHE / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{package}_*.deb"))
    if not found:
        try:
            subprocess.run(["apt-get", "download", package], cwd=debs, check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            raise SystemExit(
                f"cannot fetch the Debian package {package} ({exc}; {detail.decode(errors='replace').strip()[:200]}); "
                "the corpus needs apt-get and dpkg-deb (run 'apt-get update' once first)"
            ) from exc
        found = sorted(debs.glob(f"{package}_*.deb"))
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    subprocess.run(["dpkg-deb", "-x", str(found[-1]), str(root)], check=True)
    (root / ".done").write_text("ok")
    return root


# ---- Jane Austen: R lazy-load data ------------------------------------------------------


class _RReader:
    """Just enough of R's XDR serialisation for named lists and character vectors."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos, self.refs = data, 0, []

    def _int(self) -> int:
        (value,) = struct.unpack_from(">i", self.data, self.pos)
        self.pos += 4
        return value

    def read(self):
        assert self.data[:2] == b"X\n", "not an XDR serialisation"
        self.pos = 2
        version = self._int()
        self._int(), self._int()
        if version == 3:
            length = self._int()  # native encoding name
            self.pos += length
        return self._object()

    def _object(self):
        flags = self._int()
        kind, has_attr, has_tag = flags & 0xFF, flags & (1 << 9), flags & (1 << 10)
        if kind == 254:  # NILVALUE
            return None
        if kind == 255:  # reference to an earlier symbol
            return self.refs[(flags >> 8) - 1]
        if kind == 1:  # SYMSXP
            symbol = ("sym", self._object())
            self.refs.append(symbol)
            return symbol
        if kind == 9:  # CHARSXP
            n = self._int()
            if n == -1:
                return None
            text = self.data[self.pos : self.pos + n].decode("utf-8", "replace")
            self.pos += n
            return text
        if kind == 2:  # pairlist (attributes)
            attr = self._object() if has_attr else None
            tag = self._object() if has_tag else None
            return ("pairlist", tag, self._object(), self._object(), attr)
        if kind in (10, 13, 14, 16, 19):  # logical, integer, double, character, list
            n = self._int()
            if kind in (10, 13):
                values = list(struct.unpack_from(f">{n}i", self.data, self.pos))
                self.pos += 4 * n
            elif kind == 14:
                values = list(struct.unpack_from(f">{n}d", self.data, self.pos))
                self.pos += 8 * n
            else:
                values = [self._object() for _ in range(n)]
            attr = self._object() if has_attr else None
            names = None
            while attr:
                _, tag, car, attr, _ = attr
                if tag == ("sym", "names"):
                    names = car
            return dict(zip(names, values)) if names else values
        raise ValueError(f"R type {kind} not supported")


def austen_novels() -> dict[str, list[str]]:
    """Novel id -> its lines, from the ``janeaustenr`` data."""
    data = _package_files(PACKAGES["austen"]) / "usr/lib/R/site-library/janeaustenr/data"
    index = _RReader(gzip.decompress((data / "Rdata.rdx").read_bytes())).read()
    blob = (data / "Rdata.rdb").read_bytes()
    novels = {}
    for name, (offset, length) in index["variables"].items():
        chunk = blob[int(offset) : int(offset) + int(length)]
        novels[name] = _RReader(zlib.decompress(chunk[4:])).read()  # 4-byte length, then zlib
    return novels


_CHAPTER = re.compile(r"^\s*(chapter|volume)\b", re.IGNORECASE)


def austen_units() -> list[tuple[str, list[str]]]:
    """(title, paragraphs) per chapter, novels in a fixed order."""
    novels = austen_novels()
    units = []
    for key, title in AUSTEN_TITLES.items():
        chapter, paragraphs, current = 0, [], []
        for line in novels[key] + [""]:
            line = (line or "").strip()
            if _CHAPTER.match(line):
                if paragraphs:
                    units.append((f"{title}, chapter {chapter}", paragraphs))
                chapter, paragraphs, current = chapter + 1, [], []
                continue
            if line:
                current.append(line)
            elif current:
                text = " ".join(current)
                current = []
                if chapter and len(text) > 40 and not text.isupper():
                    paragraphs.append(text.replace("_", ""))
        if paragraphs:
            units.append((f"{title}, chapter {chapter}", paragraphs))
    return units


# ---- Python documentation: prose paragraphs of the reST sources -------------------------

_ROLE = re.compile(r":[\w:+-]+:`([^`]*)`")
_LINK = re.compile(r"`([^`<]+?)\s*<[^>]+>`_{1,2}")
_LITERAL = re.compile(r"``([^`]+)``")
_REF = re.compile(r"`([^`]+)`_{0,2}")
_EMPH = re.compile(r"\*{1,2}([^*\s][^*]*?)\*{1,2}")
_SKIP_START = ("..", ":", ">>>", "...", "|", "+", "=", "-", "*", "#", "~", "^", "$", "%", "(", "[", "{", "<")


def _role_text(match: re.Match) -> str:
    inner = match.group(1)
    if "<" in inner and inner.endswith(">"):
        inner = inner[: inner.index("<")].strip()
    inner = inner.lstrip("~!")
    return inner.rsplit(".", 1)[-1] if match.group(0).startswith(":") and "~" in match.group(0) else inner


def _clean_rst(text: str) -> str:
    text = _ROLE.sub(_role_text, text)
    text = _LINK.sub(r"\1", text)
    text = _LITERAL.sub(r"\1", text)
    text = _REF.sub(r"\1", text)
    text = _EMPH.sub(r"\1", text)
    text = text.replace("\\", "")
    if text.endswith("::"):
        text = text[:-1]
    return " ".join(text.split())


def pydocs_units() -> list[tuple[str, list[str]]]:
    """(title, prose paragraphs) per documentation page, pages in path order."""
    root = _package_files(PACKAGES["pydocs"]) / "usr/share/doc/python3.11/html/_sources"
    units = []
    for path in sorted(root.rglob("*.rst.txt")):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        title = path.name.removesuffix(".rst.txt")
        for a, b in zip(lines, lines[1:]):
            if a.strip() and b.strip() and set(b.strip()) <= set("=-~*^#") and len(b.strip()) >= len(a.strip()):
                title = _clean_rst(a.strip())
                break
        paragraphs, block, code = [], [], False
        for line in lines + [""]:
            if line.strip():
                block.append(line)
                continue
            if not block:
                continue
            first = block[0]
            head = first.lstrip()
            underline = len(block) >= 2 and set(block[-1].strip()) <= set("=-~*^#\"'")
            indent = len(first) - len(head)
            same_indent = all(len(ln) - len(ln.lstrip()) == indent for ln in block)
            # A literal block follows "::" or a code directive, and is indented deeper.
            is_code = code and indent > 0
            if head.startswith(".."):
                code = any(k in head for k in ("code", "testcode", "doctest", "productionlist", "highlight", "literalinclude", "sourcecode"))
            elif not is_code:
                code = block[-1].rstrip().endswith("::")
            bullet = re.match(r"([*-]|#\.|\d+\.)\s+", head)
            if bullet and not is_code:
                block = [" " * indent + head[bullet.end():]] + [" " * indent + ln.lstrip() for ln in block[1:]]
                head, same_indent = block[0].lstrip(), True
            if is_code or underline or not same_indent or head.startswith(_SKIP_START) or ">>>" in head:
                block = []
                continue
            text = _clean_rst(" ".join(ln.strip() for ln in block))
            words = text.split()
            if len(words) >= 8 and text[-1:] in ".:?!)" and text[:1].isupper() and text.count("=") < 2 and "()" not in text[:3]:
                paragraphs.append(text)
            block = []
        if paragraphs:
            units.append((f"Python documentation: {title} ({path.relative_to(root).with_suffix('').with_suffix('')})", paragraphs))
    return units


# ---- The Debian Administrator's Handbook: <p> paragraphs of the English HTML --------------


def handbook_units() -> list[tuple[str, list[str]]]:
    """(title, paragraphs) per chapter of the English handbook, in file order."""
    import html
    from html.parser import HTMLParser

    root = _package_files(PACKAGES["handbook"]) / "usr/share/doc/debian-handbook/html/en-US"

    class Paragraphs(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.out, self.depth, self.parts, self.title, self.in_title = [], 0, [], "", False

        # DocBook output: a paragraph is <div class="para">, which may hold lists or code.
        def handle_starttag(self, tag, attrs):
            if tag == "div" and self.depth:
                self.depth += 1
            elif tag == "div" and ("class", "para") in attrs:
                self.depth, self.parts, self.skip = 1, [], 0
            elif tag in ("pre", "ul", "ol", "table") and self.depth:
                self.skip += 1
            elif tag == "title":
                self.in_title = True

        def handle_endtag(self, tag):
            if tag == "div" and self.depth:
                self.depth -= 1
                if not self.depth:
                    self.out.append(" ".join("".join(self.parts).split()))
            elif tag in ("pre", "ul", "ol", "table") and self.depth:
                self.skip -= 1
            elif tag == "title":
                self.in_title = False

        def handle_data(self, data):
            if self.depth and not self.skip:
                self.parts.append(data)
            elif self.in_title:
                self.title += data

    units = []
    for path in sorted(root.glob("*.html")):
        parser = Paragraphs()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        paragraphs = [
            html.unescape(p) for p in parser.out
            if len(p.split()) >= 8 and p[:1].isupper() and p[-1:] in ".:?!)"
        ]
        if paragraphs:
            units.append((f"Debian Administrator's Handbook: {' '.join(parser.title.split()) or path.stem}", paragraphs))
    return units


# ---- The Jargon File: entries of the hacker lexicon --------------------------------------


def jargon_units(per_unit: int = 40) -> list[tuple[str, list[str]]]:
    """(title, paragraphs) per run of ``per_unit`` lexicon entries."""
    path = _package_files(PACKAGES["jargon"]) / "usr/share/doc/jargon-text/jargon.txt.gz"
    text = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
    start = text.find("\n   :(TM): ")
    entries: list[tuple[str, list[str]]] = []
    for block in re.split(r"\n\s*\n", text[start if start > 0 else 0 :]):
        line = " ".join(block.split())
        if m := re.match(r"^:([^:]+):", line):
            entries.append((m.group(1), []))
            continue
        if not entries:
            continue
        line = re.sub(r"^\d+\.\s+", "", line)
        line = re.sub(r"\{([^}]*)\}", r"\1", line)
        if len(line.split()) >= 6 and line[-1:] in ".:?!)”\"" and not line.startswith(("[", "---")):
            entries[-1][1].append(line)
    units = []
    for i in range(0, len(entries), per_unit):
        group = [e for e in entries[i : i + per_unit] if e[1]]
        if group:
            units.append((f"The Jargon File: {group[0][0]} to {group[-1][0]}", [p for _, ps in group for p in ps]))
    return units


# ---- the corpus ------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*(?:\s+|$)")


def rough_sentences(text: str) -> int:
    return max(1, len(_SENTENCE_END.findall(text)))


def units() -> list[tuple[str, list[str]]]:
    """All units, interleaved deterministically: Austen chapter, Python page, handbook chapter, Jargon File entries, ..."""
    cache = CACHE / f"units-v{VERSION}.json"
    if cache.exists():
        return [tuple(u) for u in json.loads(cache.read_text(encoding="utf-8"))]
    sources = [austen_units(), pydocs_units(), handbook_units(), jargon_units()]
    out = []
    for i in range(max(map(len, sources))):
        out += [s[i] for s in sources if i < len(s)]
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(out), encoding="utf-8")
    return out


def available_sentences() -> int:
    return sum(rough_sentences(p) for _, paragraphs in units() for p in paragraphs)


def build(sentences: int, *, seeds: Path = ROOT / "seeds") -> Path:
    """A folder of ``.txt`` documents holding about ``sentences`` sentences (plus the seeds)."""
    folder = CACHE / f"corpus-v{VERSION}-{sentences}"
    if (folder / ".done").exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for path in sorted(seeds.glob("*")):
        if path.suffix in (".txt", ".md"):
            shutil.copy(path, folder / path.name)
    total = 0
    for number, (title, paragraphs) in enumerate(units(), start=1):
        if total >= sentences:
            break
        kept = []
        for paragraph in paragraphs:
            if total >= sentences:
                break
            kept.append(paragraph)
            total += rough_sentences(paragraph)
        slug = hashlib.sha1(title.encode()).hexdigest()[:8]
        (folder / f"c{number:05d}_{slug}.txt").write_text(f"title: {title}\n\n" + "\n\n".join(kept) + "\n", encoding="utf-8")
    if total < sentences:
        shutil.rmtree(folder)
        raise SystemExit(f"the sources hold about {total:,} sentences, fewer than {sentences:,}")
    (folder / ".done").write_text(json.dumps({"rough_sentences": total}))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("size", nargs="?", help="sentences, e.g. 10k, 100k; omitted: print what the sources hold")
    args = parser.parse_args()
    if not args.size:
        print(f"{len(units())} units, about {available_sentences():,} sentences")
        return
    print(build(parse_size(args.size)))


if __name__ == "__main__":
    sys.exit(main())
