"""The plan's knowledge map: which division owns a topic and which job titles hold it."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from kmsearch.engine.analysis import analyze

FILENAME = "knowledge-map.csv"


class KnowledgeMapError(Exception):
    """The knowledge map file is malformed; the message names the line and column."""


@dataclass(frozen=True)
class Topic:
    no: int
    topic: str
    division: str
    experts: tuple[str, ...]


def split_experts(value: str) -> tuple[str, ...]:
    """Job titles from the map's "/"-separated form."""
    return tuple(t.strip() for t in value.split("/") if t.strip())


def load(path: str | Path) -> list[Topic]:
    """Read knowledge-map.csv (columns no, topic, division, expert); [] if it does not exist."""
    path = Path(path)
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = {"topic", "division", "expert"} - set(reader.fieldnames or [])
        if missing:
            raise KnowledgeMapError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        topics = []
        for line, row in enumerate(reader, start=2):
            if not (row.get("topic") or "").strip():
                raise KnowledgeMapError(f"{path}, line {line}: empty topic")
            no = (row.get("no") or "").strip()
            topics.append(
                Topic(
                    no=int(no) if no.isdigit() else line - 1,
                    topic=row["topic"].strip(),
                    division=(row["division"] or "").strip(),
                    experts=split_experts(row["expert"] or ""),
                )
            )
    return topics


def by_topic(topics: list[Topic]) -> dict[str, Topic]:
    return {t.topic: t for t in topics}


def nearest(query: str, topics: list[Topic], n: int = 3) -> list[Topic]:
    """Topics sharing the most words (or compound parts) with the query, best first."""
    terms = {term for term, *_ in analyze(query)}
    scored = []
    for t in topics:
        topic_terms = {term for term, *_ in analyze(t.topic)}
        overlap = len(terms & topic_terms)
        if overlap:
            scored.append((-overlap, t.no, t))
    return [t for *_, t in sorted(scored)[:n]]
