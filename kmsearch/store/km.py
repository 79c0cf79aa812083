"""KM plan records and the queries the indicators need: all their SQL, with their rules.

Covers announcements and acknowledgements (9.1-1), sharing sessions (9.1-2), public
channels (9.2-1), the first-seen record of documents (9.3-1), and the read-only questions
the indicators ask of the roster and the access log (9.1-4, zero-result queries).
Times are naive UTC datetimes; dates (start_date, held_on, ...) are Thai local dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from kmsearch.store import (
    access_log,
    acknowledgements,
    announcements,
    documents_seen,
    public_channels,
    sharing_sessions,
    staff,
)

MAX_TITLE = 300
MAX_ATTENDANCE = 100_000
# Dates a KM record may carry. No record predates B.E. 2500 (1957) and none is planned more
# than a year ahead: anything outside is a typing slip (0001-01-01, 9999-12-31 read as B.E.)
# that would otherwise be stored and later break the fiscal-year arithmetic of every page.
EARLIEST_DATE = date(1957, 1, 1)
FUTURE_LIMIT = timedelta(days=366)


class KMRecordError(ValueError):
    """A KM record that breaks a rule; the message says which and how to fix it."""


# --- roster and access log ---------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A roster row as the indicators see it (no password data)."""

    id: int
    username: str
    full_name: str
    division: str
    position: str
    role: str
    active: bool
    start_date: date
    end_date: date | None


_PERSON_COLUMNS = [getattr(staff.c, f) for f in Person.__dataclass_fields__]


def staff_in_period(conn: Connection, first: date, last: date) -> list[Person]:
    """Staff whose [start_date, end_date] overlaps [first, last]: an indicator's denominator.

    Someone deactivated with an end date still counts in the years they worked. A row that
    is inactive but has no end date has an unknown period and is left out (see
    undated_leavers), rather than counted in every year after it was deactivated.
    """
    query = sa.select(*_PERSON_COLUMNS).where(
        staff.c.start_date <= last,
        sa.or_(staff.c.end_date.is_(None), staff.c.end_date >= first),
        sa.or_(staff.c.active.is_(True), staff.c.end_date.is_not(None)),
    )
    return [Person(**r._mapping) for r in conn.execute(query.order_by(staff.c.id))]


def undated_leavers(conn: Connection) -> list[Person]:
    """Inactive staff without an end date: a roster gap the committee should see and fix."""
    query = sa.select(*_PERSON_COLUMNS).where(staff.c.active.is_(False), staff.c.end_date.is_(None))
    return [Person(**r._mapping) for r in conn.execute(query.order_by(staff.c.id))]


def first_staff_accesses(conn: Connection, since: datetime, until: datetime) -> dict[int, datetime]:
    """First signed-in search, view or download of each staff member in [since, until) UTC."""
    query = (
        sa.select(access_log.c.staff_id, sa.func.min(access_log.c.at))
        .where(
            access_log.c.staff_id.is_not(None),
            access_log.c.action.in_(("search", "view", "download")),
            access_log.c.at >= since,
            access_log.c.at < until,
        )
        .group_by(access_log.c.staff_id)
    )
    return {staff_id: at for staff_id, at in conn.execute(query)}


def zero_result_queries(
    conn: Connection, since: datetime, until: datetime
) -> list[tuple[str, str, int]]:
    """(audience, query, times) of searches that found nothing in [since, until) UTC."""
    times = sa.func.count().label("times")
    query = (
        sa.select(access_log.c.audience, access_log.c.query, times)
        .where(
            access_log.c.action == "search",
            access_log.c.results == 0,
            access_log.c.query.is_not(None),
            access_log.c.at >= since,
            access_log.c.at < until,
        )
        .group_by(access_log.c.audience, access_log.c.query)
        .order_by(times.desc(), access_log.c.query)
    )
    return [(a, q, n) for a, q, n in conn.execute(query)]


def oldest_access(conn: Connection) -> datetime | None:
    """The oldest access row kept; older years were purged under the retention period."""
    return conn.execute(sa.select(sa.func.min(access_log.c.at))).scalar()


# --- announcements (9.1-1) ---------------------------------------------------------------


def check_date(day: date, what: str, today: date | None = None) -> date:
    """A record date inside [EARLIEST_DATE, today + a year], else KMRecordError naming it."""
    latest = (today or date.today()) + FUTURE_LIMIT
    if not EARLIEST_DATE <= day <= latest:
        raise KMRecordError(
            f"{what} must be between {EARLIEST_DATE.isoformat()} and {latest.isoformat()}, "
            f"got {day.isoformat()}"
        )
    return day


def _required(value: str | None, what: str, limit: int | None = None) -> str:
    value = (value or "").strip()
    if not value:
        raise KMRecordError(f"{what} is required")
    if limit and len(value) > limit:
        raise KMRecordError(f"{what} is longer than {limit} characters")
    return value


def publish_announcement(
    conn: Connection, title: str, body: str, published_at: datetime, created_by: int | None = None
) -> int:
    """Publish a KM announcement; the newest published one is what staff acknowledge."""
    values = dict(
        title=_required(title, "title", MAX_TITLE),
        body=_required(body, "body"),
        published_at=published_at,
        created_by=created_by,
    )
    return conn.execute(announcements.insert().values(**values)).inserted_primary_key[0]


def current_announcement(conn: Connection, at: datetime) -> dict | None:
    """The newest announcement published at or before `at` (UTC), or None."""
    row = conn.execute(
        sa.select(announcements)
        .where(announcements.c.published_at <= at)
        .order_by(announcements.c.published_at.desc(), announcements.c.id.desc())
        .limit(1)
    ).first()
    return dict(row._mapping) if row else None


def announcements_published(conn: Connection, since: datetime, until: datetime) -> list[dict]:
    """Announcements published in [since, until) UTC, oldest first."""
    rows = conn.execute(
        sa.select(announcements)
        .where(announcements.c.published_at >= since, announcements.c.published_at < until)
        .order_by(announcements.c.published_at, announcements.c.id)
    )
    return [dict(r._mapping) for r in rows]


def list_announcements(conn: Connection) -> list[dict]:
    """Every announcement, newest first, with how many staff acknowledged it."""
    acks = (
        sa.select(sa.func.count())
        .where(acknowledgements.c.announcement_id == announcements.c.id)
        .scalar_subquery()
    )
    rows = conn.execute(
        sa.select(announcements, acks.label("acknowledged")).order_by(
            announcements.c.published_at.desc(), announcements.c.id.desc()
        )
    )
    return [dict(r._mapping) for r in rows]


def acknowledge(conn: Connection, announcement_id: int, staff_id: int, at: datetime) -> bool:
    """Record that a staff member pressed รับทราบ; False if they already had (first time kept)."""
    if acknowledged_at(conn, announcement_id, staff_id) is not None:
        return False
    exists = conn.execute(
        sa.select(announcements.c.id).where(announcements.c.id == announcement_id)
    ).first()
    if exists is None:
        raise KMRecordError(f"no announcement with id {announcement_id}")
    conn.execute(
        acknowledgements.insert().values(announcement_id=announcement_id, staff_id=staff_id, at=at)
    )
    return True


def acknowledged_at(conn: Connection, announcement_id: int, staff_id: int) -> datetime | None:
    """When this staff member acknowledged this announcement, or None."""
    return conn.execute(
        sa.select(acknowledgements.c.at).where(
            acknowledgements.c.announcement_id == announcement_id,
            acknowledgements.c.staff_id == staff_id,
        )
    ).scalar()


def acknowledgers(conn: Connection, announcement_ids: Iterable[int], until: datetime) -> set[int]:
    """Staff ids who acknowledged any of these announcements before `until` (UTC)."""
    ids = list(announcement_ids)
    if not ids:
        return set()
    rows = conn.execute(
        sa.select(acknowledgements.c.staff_id)
        .where(acknowledgements.c.announcement_id.in_(ids), acknowledgements.c.at < until)
        .distinct()
    )
    return {r[0] for r in rows}


# --- sharing sessions (9.1-2) ------------------------------------------------------------


def add_session(
    conn: Connection,
    held_on: date,
    topic: str,
    division: str = "",
    attendance: int = 0,
    notes: str = "",
) -> int:
    """Record a knowledge-sharing session held on a (local) date; return its id."""
    check_date(held_on, "date held")
    if not 0 <= int(attendance) <= MAX_ATTENDANCE:
        raise KMRecordError(f"attendance must be between 0 and {MAX_ATTENDANCE}")
    values = dict(
        held_on=held_on,
        topic=_required(topic, "topic", MAX_TITLE),
        division=(division or "").strip(),
        attendance=int(attendance),
        notes=(notes or "").strip(),
    )
    return conn.execute(sharing_sessions.insert().values(**values)).inserted_primary_key[0]


def sessions_between(conn: Connection, first: date, last: date) -> list[dict]:
    """Sessions held on dates in [first, last], oldest first."""
    rows = conn.execute(
        sa.select(sharing_sessions)
        .where(sharing_sessions.c.held_on >= first, sharing_sessions.c.held_on <= last)
        .order_by(sharing_sessions.c.held_on, sharing_sessions.c.id)
    )
    return [dict(r._mapping) for r in rows]


# --- public channels (9.2-1) -------------------------------------------------------------


def add_channel(
    conn: Connection, name: str, url: str, started_on: date, ended_on: date | None = None
) -> int:
    """Record a channel that publishes knowledge to citizens (page, board, radio...)."""
    check_date(started_on, "start date")
    if ended_on:
        check_date(ended_on, "end date")
    if ended_on and ended_on < started_on:
        raise KMRecordError("end date is before start date")
    url = (url or "").strip()
    if url and not url.lower().startswith(("https://", "http://")):
        # The dashboard links to it: no javascript: or other schemes.
        raise KMRecordError(f"url must start with https:// or http://, got {url!r}")
    values = dict(
        name=_required(name, "name", MAX_TITLE),
        url=url,
        started_on=started_on,
        ended_on=ended_on,
    )
    return conn.execute(public_channels.insert().values(**values)).inserted_primary_key[0]


def channels_between(conn: Connection, first: date, last: date) -> list[dict]:
    """Channels running at some point in [first, last], oldest first."""
    rows = conn.execute(
        sa.select(public_channels)
        .where(
            public_channels.c.started_on <= last,
            sa.or_(public_channels.c.ended_on.is_(None), public_channels.c.ended_on >= first),
        )
        .order_by(public_channels.c.started_on, public_channels.c.id)
    )
    return [dict(r._mapping) for r in rows]


# --- documents first seen (9.3-1) --------------------------------------------------------


def record_documents_seen(conn: Connection, documents: Iterable, now: datetime) -> int:
    """Remember each document the first time it is seen; return how many were new.

    `documents` are search-core Documents (doc_id, title, doc_type, audience, division,
    updated). The first `updated` date is kept for good, so a manual revised later still
    counts as produced in the year it first appeared; title and type follow the index.
    """
    fields = ("title", "doc_type", "audience", "division")
    columns = [documents_seen.c.doc_id, *(documents_seen.c[f] for f in fields)]
    known = {
        r.doc_id: {f: r._mapping[f] for f in fields} for r in conn.execute(sa.select(*columns))
    }
    new = 0
    for doc in documents:
        current = dict(
            title=doc.title or "",
            doc_type=doc.doc_type or "",
            audience=doc.audience or "staff",
            division=doc.division or "",
        )
        row = known.get(doc.doc_id)
        if row is None:
            values = dict(doc_id=doc.doc_id, first_updated=doc.updated, first_seen_at=now)
            new += _insert_if_absent(conn, {**values, **current})
            known[doc.doc_id] = current
        elif row != current:
            where = documents_seen.c.doc_id == doc.doc_id
            conn.execute(documents_seen.update().where(where).values(**current))
            known[doc.doc_id] = current
    return new


def _insert_if_absent(conn: Connection, values: dict) -> int:
    """Insert a first-seen row unless a concurrent request just did (first sighting wins)."""
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        module = sqlite if dialect == "sqlite" else postgresql
        stmt = module.insert(documents_seen).values(**values).on_conflict_do_nothing()
        # Count what RETURNING gives back: psycopg's rowcount reads -1 here through SQLAlchemy.
        return len(conn.execute(stmt.returning(documents_seen.c.doc_id)).all())
    stmt = documents_seen.insert().values(**values)
    return conn.execute(stmt).rowcount or 0


def documents_seen_rows(conn: Connection, doc_type: str | None = None) -> list[dict]:
    """The first-seen record, optionally of one doc_type."""
    query = sa.select(documents_seen).order_by(documents_seen.c.first_seen_at)
    if doc_type:
        query = query.where(documents_seen.c.doc_type == doc_type)
    return [dict(r._mapping) for r in conn.execute(query)]
