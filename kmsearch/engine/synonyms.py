"""Everyday terms: what people say (เงินคนแก่) for what the documents call it (เบี้ยยังชีพผู้สูงอายุ).

The list is data, kept by the administrator in the corpus as ``everyday-terms.txt`` beside
``knowledge-map.csv``; ``kmsearch index`` checks it and copies it into the home, and searches
read the home's copy (reloaded when it changes). Each line is::

    everyday words => official term[, another official term]

A query that contains the everyday words also searches the official terms, weighted below the
words typed (WEIGHT), and a result found through an official term says which (Expansion).
Nothing here can widen what an audience sees: the expansion is one more optional clause of the
same query, under the same audience filter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from whoosh import query as q

from kmsearch.engine import query as querymod
from kmsearch.engine.analysis import word_spans
from kmsearch.engine.thai import normalize

FILENAME = "everyday-terms.txt"
# Below the typed words: an everyday term only lifts the official document among those the
# typed words find, or finds it when they find nothing; it never outranks a document that has
# the words the person actually typed.
WEIGHT = 0.5
_ARROW = "=>"
_LATIN = re.compile(r"^[a-z0-9 .\-']+$")


class EverydayTermsError(ValueError):
    """The list has a line that is not `everyday words => official term`."""


@dataclass(frozen=True)
class Entry:
    typed: str  # as written in the list
    key: str  # normalised, spaces removed: what is looked for in a query
    official: tuple[str, ...]


@dataclass(frozen=True)
class Expansion:
    """One entry that a query met: its words are searched as well."""

    typed: str
    official: str

    def label(self) -> str:
        return f"{self.typed} → {self.official}"


def parse(text: str, source: str = FILENAME) -> list[Entry]:
    """The entries of a list; a malformed line raises EverydayTermsError naming it."""
    entries = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        left, arrow, right = line.partition(_ARROW)
        official = tuple(t.strip() for t in right.split(",") if t.strip())
        if not arrow or not left.strip() or not official:
            raise EverydayTermsError(
                f"{source}, line {n}: write `everyday words => official term`, not {line!r}"
            )
        key = _key(left)
        if not key:
            raise EverydayTermsError(f"{source}, line {n}: {left.strip()!r} has no words")
        entries.append(Entry(left.strip(), key, official))
    return entries


def _key(text: str) -> str:
    return "".join(normalize(text).split())


def load(path: Path) -> list[Entry]:
    """The list at path, [] when there is none (reloaded when the file changes)."""
    try:
        stat = path.stat()
    except OSError:
        return []
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load(path: str, _mtime: int, _size: int) -> list[Entry]:
    try:
        return parse(Path(path).read_text(encoding="utf-8-sig"), path)
    except (OSError, UnicodeDecodeError, EverydayTermsError):
        # The indexer refuses a bad list before copying it; a hand-edited copy in the home
        # that is broken must not break searching: search without it.
        return []


def find(entries: list[Entry], text: str) -> list[Expansion]:
    """The entries whose everyday words appear in text (one Expansion per official term)."""
    if not entries:
        return []
    norm = normalize(text)
    squeezed = "".join(norm.split())
    latin_words = None
    out: dict[str, Expansion] = {}
    for e in entries:
        if _LATIN.match(e.key):
            if latin_words is None:
                latin_words = {s.text for s in word_spans(norm)}
            met = e.key.replace("-", "") in latin_words  # HIV: a whole word, not inside one
        else:
            met = e.key in squeezed  # Thai is written without spaces: any part of the text
        if met:
            for term in e.official:
                out.setdefault(term, Expansion(e.typed, term))
    return list(out.values())


def expansion_query(expansions: list[Expansion]) -> q.Query | None:
    """The optional clause searching the official terms, weighted below the typed words."""
    clauses = [c for c in (_official_query(x.official) for x in expansions) if c is not None]
    if not clauses:
        return None
    # Whoosh does not apply the boost of a compound query to its score: weight each leaf.
    return q.Or(clauses).accept(_weighted)


@lru_cache(maxsize=1024)
def _official_query(official: str) -> q.Query | None:
    # The same few official terms come back on every search that meets them: build once.
    parsed = querymod.parse(official)
    return None if parsed.empty else querymod.build(parsed)


@lru_cache(maxsize=1024)
def _official_groups(official: str) -> tuple:
    return tuple(querymod.parse(official).highlight_groups())


@lru_cache(maxsize=1024)
def _official_key(official: str) -> str:
    return "".join(normalize(official).split())


def _weighted(node: q.Query) -> q.Query:
    if isinstance(node, (q.Term, q.Phrase)):
        return node.with_boost(node.boost * WEIGHT)
    return node


def highlight_groups(expansions: list[Expansion]) -> list[tuple[str, tuple[str, ...]]]:
    """Words of the official terms to mark in snippets, as query.highlight_groups gives them."""
    groups = []
    for x in expansions:
        groups += _official_groups(x.official)
    return groups


def mark(hit, fields: dict, expansions: list[Expansion]) -> None:
    """Add to hit.via_terms each everyday term whose official term its stored text contains."""
    if not expansions:
        return
    text = (fields.get("title", "") + "\n" + fields.get("content", "")).lower()
    squeezed = "".join(text.split())
    for x in expansions:
        key = _official_key(x.official)
        if key and key in squeezed and x.label() not in hit.via_terms:
            hit.via_terms.append(x.label())
