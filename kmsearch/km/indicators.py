"""The KM plan's indicators (sections 9 and 10), computed from what kmsearch records.

Each indicator has a value, a target and a verdict, so the committee reads results instead
of counting by hand. The rules, stated once here:

- Period. A fiscal year (kmsearch.km.fiscal) up to `as_of`: for the year still running, the
  figures are "so far"; for a finished year, the whole year. Bangkok local time decides
  which year an access belongs to (30 Sep 23:30 in Bangkok is still the old year).
- Staff counted (denominator of 9.1-1 and 9.1-4): roster rows whose start/end dates overlap
  the period. A leaver still counts in the years they worked; an inactive row with no end
  date has no known period and is left out, and reported as a roster gap.
- 9.1-4 staff access: staff counted who, signed in, searched, viewed or downloaded at least
  once in the period. Monthly figures are cumulative; each month's denominator is the staff
  who had started by the end of that month, so a March recruit does not lower October.
  Target: strictly more than 70 %.
- 9.1-1 acknowledgement: staff counted who pressed รับทราบ, before the period ended, on an
  announcement in force during the year: the one current when the year began, or any
  published during it. Target: strictly more than 70 %.
- 9.1-2 sharing sessions: sessions recorded with a date in the period. Target: at least 2.
- 9.2-1 public channels: recorded channels running during the period, plus kmsearch's own
  citizen portal when a public document in the index was first seen before the period
  ended. Target: at least 1.
- 9.3-1 manuals produced: documents of doc_type manual whose first-published date falls in
  the period; first-published is the `updated` date the document had when kmsearch first
  saw it (documents_seen), else the day it was first seen. A later revision does not make
  an old manual count again. Target: at least 2.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Protocol

from sqlalchemy.engine import Connection

from kmsearch.engine.thai import normalize
from kmsearch.km import fiscal
from kmsearch.km.fiscal import FiscalYear
from kmsearch.store import km
from kmsearch.store.km import Person

PORTAL_NAME = "เว็บไซต์ค้นหาความรู้สำหรับประชาชน (kmsearch)"
STALE_AFTER_DAYS = 365
TOP_QUERIES = 10


class CatalogueDocument(Protocol):
    """What the indicators read of a search-core Document (SearchService.documents)."""

    doc_id: str
    title: str
    division: str
    audience: str
    doc_type: str
    updated: date | None
    superseded_by: str | None
    superseded_by_title: str | None


# --- targets and indicators ----------------------------------------------------------------


def percent(numerator: int, denominator: int) -> Decimal | None:
    """numerator/denominator as a percentage rounded half-up to 2 places (None if 0/0)."""
    if not denominator:
        return None
    exact = Fraction(numerator * 100, denominator)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def percent_text(numerator: int, denominator: int, places: int = 2) -> str:
    """'72.73' for 8/11; '-' when there is nobody to count."""
    value = percent(numerator, denominator)
    if value is None:
        return "-"
    return f"{value:.{places}f}"


@dataclass(frozen=True)
class Target:
    """A plan target: 'more than 70 %' (strict) or 'at least 2 sessions'."""

    threshold: int
    strict: bool
    unit: str  # "percent" | "count"
    noun: str = ""  # what is counted, in Thai: ครั้ง, ช่องทาง, เรื่อง

    def is_met(self, numerator: int, denominator: int | None = None) -> bool:
        """Compared in integers: 7 of 10 is exactly 70 %, which does not beat 'more than 70'."""
        if self.unit == "percent":
            if not denominator:
                return False
            lhs, rhs = numerator * 100, self.threshold * denominator
        else:
            lhs, rhs = numerator, self.threshold
        return lhs > rhs if self.strict else lhs >= rhs

    @property
    def text(self) -> str:
        if self.unit == "percent":
            return f"{'มากกว่า' if self.strict else 'ไม่น้อยกว่า'}ร้อยละ {self.threshold}"
        return f"{'มากกว่า' if self.strict else 'ไม่น้อยกว่า'} {self.threshold} {self.noun}"


ACCESS_TARGET = Target(70, strict=True, unit="percent")
ACK_TARGET = Target(70, strict=True, unit="percent")
SESSIONS_TARGET = Target(2, strict=False, unit="count", noun="ครั้ง")
CHANNELS_TARGET = Target(1, strict=False, unit="count", noun="ช่องทาง")
MANUALS_TARGET = Target(2, strict=False, unit="count", noun="เรื่อง")


@dataclass(frozen=True)
class Indicator:
    """One plan indicator for one period: value, target and whether it was met."""

    item: str  # plan item, e.g. "9.1-4"
    name: str  # Thai
    target: Target
    numerator: int
    denominator: int | None = None  # people counted, for percentage indicators
    note: str = ""

    @property
    def value(self) -> Decimal | int | None:
        if self.target.unit == "percent":
            return percent(self.numerator, self.denominator or 0)
        return self.numerator

    @property
    def met(self) -> bool:
        return self.target.is_met(self.numerator, self.denominator)

    @property
    def short_text(self) -> str:
        """'ร้อยละ 72.73' or '3 ครั้ง': the value alone, for sentences."""
        if self.target.unit == "percent":
            if not self.denominator:
                return "ไม่มีบุคลากรในช่วงนี้"
            return f"ร้อยละ {percent_text(self.numerator, self.denominator)}"
        return f"{self.numerator} {self.target.noun}"

    @property
    def value_text(self) -> str:
        """'ร้อยละ 72.73 (8 จาก 11 คน)' or '3 ครั้ง'."""
        if self.target.unit == "percent" and self.denominator:
            return f"{self.short_text} ({self.numerator} จาก {self.denominator} คน)"
        return self.short_text

    @property
    def result_text(self) -> str:
        return "บรรลุเป้าหมาย" if self.met else "ไม่บรรลุเป้าหมาย"

    def to_dict(self) -> dict:
        value = self.value
        return {
            "item": self.item,
            "name": self.name,
            "value": float(value) if isinstance(value, Decimal) else value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "unit": self.target.unit,
            "target": self.target.text,
            "target_threshold": self.target.threshold,
            "target_strict": self.target.strict,
            "met": self.met,
            "value_text": self.value_text,
            "result_text": self.result_text,
            "note": self.note,
        }


# --- the period -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """The part of a fiscal year the figures cover: [first, last] local, [since, until) UTC."""

    fy: FiscalYear
    as_of: date

    @property
    def first(self) -> date:
        return self.fy.start

    @property
    def last(self) -> date:
        """The fiscal year's last day, or as_of while the year is still running."""
        return min(self.fy.end, self.as_of)

    @property
    def started(self) -> bool:
        return self.as_of >= self.fy.start

    @property
    def complete(self) -> bool:
        return self.as_of >= self.fy.end

    @property
    def since(self) -> datetime:
        return fiscal.local_midnight_utc(self.first)

    @property
    def until(self) -> datetime:
        return fiscal.local_midnight_utc(self.last + timedelta(days=1))

    @property
    def label(self) -> str:
        """'ปีงบประมาณ พ.ศ. 2569 (ข้อมูล ณ วันที่ 15 มีนาคม 2569)' while running."""
        if self.complete:
            return self.fy.label
        return f"{self.fy.label} (ข้อมูล ณ วันที่ {fiscal.thai_date(self.as_of)})"


def make_period(fy: FiscalYear, as_of: date | None = None) -> Period:
    """The period of fy seen from as_of (default: today in Thailand)."""
    return Period(fy, as_of or fiscal.today_bangkok())


# --- 9.1-4 staff access -------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """accessed of total people; used per division and per month."""

    label: str
    accessed: int
    total: int

    @property
    def percent(self) -> Decimal | None:
        return percent(self.accessed, self.total)

    @property
    def met(self) -> bool:
        return ACCESS_TARGET.is_met(self.accessed, self.total)

    def to_dict(self) -> dict:
        pct = self.percent
        return {**asdict(self), "percent": None if pct is None else float(pct), "met": self.met}


@dataclass(frozen=True)
class MonthPoint(Share):
    """Cumulative access share at the end of one month; future months have no value."""

    year: int = 0
    month: int = 0
    future: bool = False


@dataclass
class StaffAccess:
    """Indicator 9.1-4 with its breakdowns."""

    indicator: Indicator
    by_division: list[Share]
    monthly: list[MonthPoint]
    non_users: list[Person]  # for admins only: never shown in the report to the mayor
    first_access: dict[int, datetime]


def thai_sorted(items, key):
    """Sort by a Thai string in dictionary order (plain sorted() misplaces leading vowels)."""
    from pythainlp.util import collate

    keys = collate(list({key(i) for i in items}))
    rank = {k: n for n, k in enumerate(keys)}
    return sorted(items, key=lambda i: rank[key(i)])


def _month_points(
    period: Period, people: Sequence[Person], first_day: dict[int, date]
) -> list[MonthPoint]:
    """Cumulative share month by month: who had started, and who had used kmsearch by then."""
    points = []
    for year, month in period.fy.months():
        label = fiscal.thai_month(year, month)
        if date(year, month, 1) > period.last:
            points.append(MonthPoint(label, 0, 0, year=year, month=month, future=True))
            continue
        cutoff = min(fiscal.month_end(year, month), period.last)
        started = [p for p in people if p.start_date <= cutoff]
        used = sum(1 for p in started if p.id in first_day and first_day[p.id] <= cutoff)
        points.append(MonthPoint(label, used, len(started), year=year, month=month))
    return points


def staff_access(conn: Connection, period: Period, people: Sequence[Person]) -> StaffAccess:
    """Plan item 9.1-4: share of the staff counted who used kmsearch signed in."""
    firsts = km.first_staff_accesses(conn, period.since, period.until)
    first_day = {sid: fiscal.local_date(at) for sid, at in firsts.items() if sid}
    users = {p.id for p in people if p.id in first_day}
    per_division: dict[str, list[Person]] = defaultdict(list)
    for p in people:
        per_division[p.division].append(p)
    by_division = [
        Share(div, sum(1 for p in members if p.id in users), len(members))
        for div, members in per_division.items()
    ]
    non_users = [p for p in people if p.id not in users]
    indicator = Indicator(
        "9.1-4",
        "บุคลากรเข้าถึงฐานความรู้ (ค้นหาหรือเปิดเอกสารในระบบ)",
        ACCESS_TARGET,
        len(users),
        len(people),
    )
    return StaffAccess(
        indicator=indicator,
        by_division=thai_sorted(by_division, key=lambda s: s.label),
        monthly=_month_points(period, people, first_day),
        non_users=thai_sorted(non_users, key=lambda p: p.division + "\0" + p.full_name),
        first_access={sid: at for sid, at in firsts.items() if sid in users},
    )


# --- 9.1-1 acknowledgement ----------------------------------------------------------------


@dataclass
class Acknowledgement:
    """Indicator 9.1-1 and the announcements that were in force."""

    indicator: Indicator
    announcements: list[dict]
    acknowledged: set[int]


def announcements_in_force(conn: Connection, period: Period) -> list[dict]:
    """The announcement current when the year began, then every one published in the period."""
    at_start = km.current_announcement(conn, period.since)
    during = km.announcements_published(conn, period.since, period.until)
    return ([at_start] if at_start else []) + [a for a in during if a != at_start]


def acknowledgement(conn: Connection, period: Period, people: Sequence[Person]) -> Acknowledgement:
    """Plan item 9.1-1: share of the staff counted who acknowledged an announcement in force."""
    in_force = announcements_in_force(conn, period)
    counted = {p.id for p in people}
    acked = km.acknowledgers(conn, [a["id"] for a in in_force], period.until) & counted
    note = "" if in_force else "ยังไม่มีประกาศการจัดการความรู้ในปีงบประมาณนี้"
    indicator = Indicator(
        "9.1-1",
        "บุคลากรรับทราบประกาศการจัดการความรู้",
        ACK_TARGET,
        len(acked),
        len(people),
        note,
    )
    return Acknowledgement(indicator, in_force, acked)


# --- 9.1-2, 9.2-1, 9.3-1 --------------------------------------------------------------------


def sessions_indicator(sessions: Sequence[dict]) -> Indicator:
    """Plan item 9.1-2: knowledge-sharing sessions held in the period."""
    return Indicator("9.1-2", "การแลกเปลี่ยนเรียนรู้ที่จัดขึ้น", SESSIONS_TARGET, len(sessions))


def public_channels(
    conn: Connection, period: Period, documents: Sequence[CatalogueDocument]
) -> list[dict]:
    """Channels running in the period; the citizen portal counts once public documents exist."""
    channels = [
        dict(c, builtin=False) for c in km.channels_between(conn, period.first, period.last)
    ]
    public_ids = {d.doc_id for d in documents if d.audience == "public"}
    seen = {r["doc_id"]: r for r in km.documents_seen_rows(conn) if r["doc_id"] in public_ids}
    if seen:
        first_seen = min(fiscal.local_date(r["first_seen_at"]) for r in seen.values())
        if first_seen <= period.last:
            portal = dict(name=PORTAL_NAME, url="", started_on=first_seen, ended_on=None)
            channels.append(dict(portal, id=None, builtin=True, documents=len(public_ids)))
    return channels


def channels_indicator(channels: Sequence[dict]) -> Indicator:
    """Plan item 9.2-1: channels publishing knowledge to citizens."""
    return Indicator("9.2-1", "ช่องทางเผยแพร่ความรู้สู่ประชาชน", CHANNELS_TARGET, len(channels))


def first_published(row: dict) -> date:
    """A document's first-published date: its first known `updated`, else first seen."""
    return row["first_updated"] or fiscal.local_date(row["first_seen_at"])


def manuals_produced(conn: Connection, period: Period) -> list[dict]:
    """Manuals first published in the period (see the module docstring for the rule)."""
    rows = [dict(r, first_published=first_published(r)) for r in km.documents_seen_rows(conn)]
    in_period = [
        r
        for r in rows
        if r["doc_type"] == "manual" and period.first <= r["first_published"] <= period.last
    ]
    return sorted(in_period, key=lambda r: (r["first_published"], r["title"]))


def manuals_indicator(manuals: Sequence[dict]) -> Indicator:
    """Plan item 9.3-1: manuals produced in the year."""
    return Indicator("9.3-1", "คู่มือที่จัดทำขึ้นใหม่", MANUALS_TARGET, len(manuals))


# --- knowledge health -------------------------------------------------------------------------


@dataclass(frozen=True)
class StaleManual:
    doc_id: str
    title: str
    division: str
    updated: date | None
    age_days: int | None  # None: no date at all, which is worse than old


def stale_manuals(
    documents: Sequence[CatalogueDocument], today: date, max_age_days: int = STALE_AFTER_DAYS
) -> list[StaleManual]:
    """Manuals not reviewed for over a year (or never dated), undated and oldest first."""
    stale = []
    for d in documents:
        if d.doc_type != "manual":
            continue
        age = (today - d.updated).days if d.updated else None
        if age is None or age > max_age_days:
            stale.append(StaleManual(d.doc_id, d.title, d.division, d.updated, age))
    return sorted(stale, key=lambda s: (s.age_days is not None, -(s.age_days or 0), s.title))


def superseded_documents(documents: Sequence[CatalogueDocument]) -> list[dict]:
    """Documents replaced by newer knowledge: candidates to retire (the plan's 'retire' step)."""
    return [
        {
            "doc_id": d.doc_id,
            "title": d.title,
            "division": d.division,
            "superseded_by": d.superseded_by,
            "superseded_by_title": d.superseded_by_title or "",
        }
        for d in documents
        if d.superseded_by
    ]


def _query_key(query: str) -> str:
    """One spelling per query, so 'ภาษีป้าย ' and 'ภาษีป้าย' are counted together."""
    return " ".join(normalize(query).split())


def zero_result_queries(
    conn: Connection, period: Period, limit: int = TOP_QUERIES
) -> dict[str, list[tuple[str, int]]]:
    """Most frequent searches that found nothing, per audience: knowledge people lack."""
    counts: dict[str, Counter] = {"staff": Counter(), "public": Counter()}
    for audience, query, times in km.zero_result_queries(conn, period.since, period.until):
        key = _query_key(query)
        if key:
            counts.setdefault(audience, Counter())[key] += times
    return {
        audience: sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        for audience, c in counts.items()
    }


@dataclass
class Health:
    """Knowledge health: what to review, retire, or write next."""

    today: date
    stale_manuals: list[StaleManual]
    superseded: list[dict]
    zero_results: dict[str, list[tuple[str, int]]]


def knowledge_health(
    conn: Connection, period: Period, documents: Sequence[CatalogueDocument], today: date
) -> Health:
    """Stale manuals and superseded documents as of today; zero-result queries of the period."""
    return Health(
        today=today,
        stale_manuals=stale_manuals(documents, today),
        superseded=superseded_documents(documents),
        zero_results=zero_result_queries(conn, period),
    )


# --- everything together -------------------------------------------------------------------


@dataclass
class KMResults:
    """Every indicator of one fiscal year, with the details pages and reports show."""

    period: Period
    indicators: list[Indicator]
    access: StaffAccess
    acknowledgement: Acknowledgement
    sessions: list[dict]
    channels: list[dict]
    manuals: list[dict]
    health: Health
    staff_counted: list[Person]
    undated_leavers: list[Person] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def fy(self) -> FiscalYear:
        return self.period.fy

    def indicator(self, item: str) -> Indicator:
        return next(i for i in self.indicators if i.item == item)

    def to_dict(self) -> dict:
        """The JSON form (`kmsearch indicators --json`): no personal names."""
        p = self.period
        return {
            "fiscal_year": p.fy.be,
            "start": p.first.isoformat(),
            "end": p.fy.end.isoformat(),
            "as_of": p.last.isoformat(),
            "complete": p.complete,
            "indicators": [i.to_dict() for i in self.indicators],
            "staff_access": {
                "by_division": [s.to_dict() for s in self.access.by_division],
                "monthly": [
                    {**m.to_dict(), "year": m.year, "month": m.month, "future": m.future}
                    for m in self.access.monthly
                ],
            },
            "sessions": [_jsonable(s) for s in self.sessions],
            "channels": [_jsonable(c) for c in self.channels],
            "manuals": [_jsonable(m) for m in self.manuals],
            "health": {
                "stale_manuals": [_jsonable(asdict(s)) for s in self.health.stale_manuals],
                "superseded": self.health.superseded,
                "zero_results": {
                    a: [{"query": q, "times": n} for q, n in rows]
                    for a, rows in self.health.zero_results.items()
                },
            },
            "warnings": self.warnings,
        }


def _jsonable(row: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in row.items()}


def _warnings(conn: Connection, period: Period, people: Sequence[Person]) -> list[str]:
    """Data problems that make a figure less trustworthy, in Thai for the committee."""
    warnings = []
    gaps = km.undated_leavers(conn)
    if gaps:  # names only on the admin's dashboard (KMResults.undated_leavers), not here
        warnings.append(
            f"บุคลากรที่ปิดบัญชีแล้วแต่ไม่มีวันสิ้นสุด {len(gaps)} คน ไม่ถูกนับในตัวชี้วัด กรุณาระบุวันสิ้นสุดในทะเบียนบุคลากร"
        )
    oldest = km.oldest_access(conn)
    if people and oldest is not None and oldest >= period.until:
        warnings.append("ไม่มีบันทึกการเข้าใช้ของช่วงนี้ในระบบ (อาจถูกลบตามระยะเวลาเก็บรักษาข้อมูล)")
    if not period.started:
        warnings.append("ปีงบประมาณนี้ยังไม่เริ่มต้น")
    return warnings


def compute(
    conn: Connection,
    fy: FiscalYear,
    documents: Sequence[CatalogueDocument] = (),
    as_of: date | None = None,
    now: datetime | None = None,
) -> KMResults:
    """Compute every indicator of fy, as of a local date (default today in Thailand).

    `documents` is SearchService.documents("staff"). They are first recorded in
    documents_seen (a write: run inside engine.begin()) so that 9.3-1 and 9.2-1 remember
    when each document appeared.
    """
    now = now or fiscal.utc_now()
    today = fiscal.local_date(now)
    period = make_period(fy, as_of or today)
    km.record_documents_seen(conn, documents, now)
    people = km.staff_in_period(conn, period.first, period.last) if period.started else []
    access = staff_access(conn, period, people)
    ack = acknowledgement(conn, period, people)
    sessions = km.sessions_between(conn, period.first, period.last)
    channels = public_channels(conn, period, documents) if period.started else []
    manuals = manuals_produced(conn, period)
    return KMResults(
        period=period,
        indicators=[
            ack.indicator,
            sessions_indicator(sessions),
            access.indicator,
            channels_indicator(channels),
            manuals_indicator(manuals),
        ],
        access=access,
        acknowledgement=ack,
        sessions=sessions,
        channels=channels,
        manuals=manuals,
        health=knowledge_health(conn, period, documents, today),
        staff_counted=list(people),
        undated_leavers=km.undated_leavers(conn),
        warnings=_warnings(conn, period, people),
    )
