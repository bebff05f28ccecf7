"""Finding people's aliases in text: every alias at once, through one regex shaped as a trie."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Iterable, Sequence

from ..models import Person
from .names import normalize_name


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
