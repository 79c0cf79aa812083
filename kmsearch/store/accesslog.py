"""The access log: one row per search, document view or download (KM plan indicator 9.1-4).

Privacy (PDPA B.E. 2562) is enforced here rather than trusted to callers: a citizen's row
never carries a staff id, no row carries an IP address, and identifiers people type into
the search box (national id, phone numbers, e-mail addresses) are masked before storage.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kmsearch.store import access_log

ACTIONS = ("search", "view", "download")
AUDIENCES = ("public", "staff")

_DIGIT = r"[0-9๐-๙]"
# Longest first: a 13-digit id must not be half-eaten by the phone pattern.
_PERSONAL = [
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[อีเมล]"),
    (re.compile(rf"(?<!{_DIGIT}){_DIGIT}(?:[\s-]?{_DIGIT}){{12}}(?!{_DIGIT})"), "[เลขประจำตัว]"),
    (re.compile(rf"(?<!{_DIGIT}){_DIGIT}(?:[\s-]?{_DIGIT}){{8,9}}(?!{_DIGIT})"), "[โทรศัพท์]"),
]
MAX_QUERY = 500


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def redact(query: str | None) -> str | None:
    """Mask personal identifiers a person may type into a search box; keep the words."""
    if query is None:
        return None
    for pattern, label in _PERSONAL:
        query = pattern.sub(label, query)
    return query[:MAX_QUERY]


@dataclass
class Access:
    """One logged action. `at` is UTC; a citizen's access has staff_id None."""

    action: str
    audience: str
    staff_id: int | None = None
    query: str | None = None
    results: int | None = None
    doc_id: str | None = None
    doc_title: str | None = None
    at: datetime = field(default_factory=_now)

    def row(self) -> dict:
        """The row to insert, with the privacy rules applied."""
        if self.action not in ACTIONS:
            raise ValueError(f"unknown action {self.action!r}")
        if self.audience not in AUDIENCES:
            raise ValueError(f"unknown audience {self.audience!r}")
        row = asdict(self)
        if self.audience == "public":
            row["staff_id"] = None
        row["query"] = redact(self.query)
        return row


def record(conn: Connection, accesses: list[Access]) -> int:
    """Insert accesses in one statement (the web batches them); return how many."""
    if not accesses:
        return 0
    conn.execute(access_log.insert(), [a.row() for a in accesses])
    return len(accesses)


def purge(conn: Connection, retention_days: int, now: datetime | None = None) -> int:
    """Delete rows older than the retention period (PDPA: keep no longer than needed)."""
    cutoff = (now or _now()) - timedelta(days=retention_days)
    return conn.execute(access_log.delete().where(access_log.c.at < cutoff)).rowcount


def count(conn: Connection, action: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(access_log)
    if action:
        query = query.where(access_log.c.action == action)
    return conn.execute(query).scalar()


def recent(conn: Connection, limit: int = 100) -> list[dict]:
    """The newest rows first (for tests, checks and the admin)."""
    rows = conn.execute(sa.select(access_log).order_by(access_log.c.id.desc()).limit(limit)).all()
    return [dict(r._mapping) for r in rows]
