"""Thai fiscal years and Buddhist-Era dates, as the KM plan counts time.

A fiscal year (ปีงบประมาณ) runs 1 October to 30 September and is named by the
Buddhist-Era year in which it ends: FY 2566 = 1 Oct 2022 - 30 Sep 2023 (B.E. = C.E. + 543).

The boundary is Thailand's local midnight. access_log rows are stored in naive UTC, so
an access at 30 Sep 23:30 Bangkok time (16:30 UTC) belongs to the fiscal year that ends
that day, and one at 1 Oct 00:30 Bangkok time (30 Sep 17:30 UTC) to the next. Thailand
has kept UTC+7 without daylight saving since 1920, so a fixed offset is exact and needs
no tz database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from kmsearch.engine import thaidate

BANGKOK = timezone(timedelta(hours=7), "Asia/Bangkok")
BE_OFFSET = thaidate.BE_OFFSET
FIRST_MONTH = 10  # October

# The month abbreviations the Thai civil service writes: the ones dates are read with.
MONTHS_ABBR = thaidate.SHORT_MONTHS


class FiscalYearError(ValueError):
    """A fiscal year that is not a plausible Buddhist-Era year (e.g. a C.E. year typed)."""


def be_year(ce_year: int) -> int:
    """Buddhist-Era year of a Gregorian year."""
    return ce_year + BE_OFFSET


def ce_year(be: int) -> int:
    """Gregorian year of a Buddhist-Era year."""
    return be - BE_OFFSET


@dataclass(frozen=True, order=True)
class FiscalYear:
    """One fiscal year, named by its Buddhist-Era year (FiscalYear(2566))."""

    be: int

    def __post_init__(self) -> None:
        if not 2400 <= self.be <= 2800:
            hint = ""
            if 1900 <= self.be <= 2300:
                hint = f" (looks like a C.E. year; did you mean {be_year(self.be)}?)"
            raise FiscalYearError(f"fiscal year must be a Buddhist-Era year{hint}: {self.be}")

    @property
    def start(self) -> date:
        """First day, 1 October of the year before (local date)."""
        return date(ce_year(self.be) - 1, FIRST_MONTH, 1)

    @property
    def end(self) -> date:
        """Last day, 30 September (local date, inclusive)."""
        return date(ce_year(self.be), FIRST_MONTH - 1, 30)

    @property
    def label(self) -> str:
        """The Thai name used on every page and report."""
        return f"ปีงบประมาณ พ.ศ. {self.be}"

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start, end) in naive UTC: Bangkok midnights, to compare with access_log.at."""
        return local_midnight_utc(self.start), local_midnight_utc(self.end + timedelta(days=1))

    def contains(self, day: date) -> bool:
        """Whether a local date falls in this fiscal year."""
        return self.start <= day <= self.end

    def months(self) -> list[tuple[int, int]]:
        """The twelve (C.E. year, month) pairs, October first."""
        y = ce_year(self.be) - 1
        return [(y + (m > 12), (m - 1) % 12 + 1) for m in range(FIRST_MONTH, FIRST_MONTH + 12)]

    def previous(self) -> FiscalYear:
        return FiscalYear(self.be - 1)

    def next(self) -> FiscalYear:
        return FiscalYear(self.be + 1)


def fiscal_year_of(day: date) -> FiscalYear:
    """The fiscal year a local (Bangkok) date belongs to."""
    return FiscalYear(be_year(day.year + (day.month >= FIRST_MONTH)))


def to_bangkok(at_utc: datetime) -> datetime:
    """A naive-UTC (or aware) datetime as an aware Bangkok datetime."""
    if at_utc.tzinfo is None:
        at_utc = at_utc.replace(tzinfo=UTC)
    return at_utc.astimezone(BANGKOK)


def local_date(at_utc: datetime) -> date:
    """The Bangkok calendar date of a stored UTC instant."""
    return to_bangkok(at_utc).date()


def fiscal_year_of_utc(at_utc: datetime) -> FiscalYear:
    """The fiscal year of a stored UTC instant (decided by Bangkok local time)."""
    return fiscal_year_of(local_date(at_utc))


def local_midnight_utc(day: date) -> datetime:
    """Bangkok midnight at the start of a local date, in naive UTC."""
    aware = datetime.combine(day, time(0), tzinfo=BANGKOK)
    return aware.astimezone(UTC).replace(tzinfo=None)


def utc_now() -> datetime:
    """Now in naive UTC, the form stored in the database."""
    return datetime.now(UTC).replace(tzinfo=None)


def today_bangkok(now_utc: datetime | None = None) -> date:
    """Today's date in Thailand."""
    return local_date(now_utc or utc_now())


def current_fiscal_year(now_utc: datetime | None = None) -> FiscalYear:
    """The fiscal year running now in Thailand."""
    return fiscal_year_of(today_bangkok(now_utc))


def month_end(year: int, month: int) -> date:
    """Last day of a Gregorian month."""
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def thai_date(day: date, full: bool = True) -> str:
    """'1 ตุลาคม 2565' (full) or '1 ต.ค. 2565': the B.E. date Thai readers expect."""
    return thaidate.thai_date(day, full=full)


def thai_datetime(at_utc: datetime) -> str:
    """A stored UTC instant as Bangkok local 'd เดือน yyyy HH:MM น.'."""
    local = to_bangkok(at_utc)
    return f"{thai_date(local.date())} {local:%H:%M} น."


def thai_month(year: int, month: int) -> str:
    """Short month label for charts: 'ต.ค. 68' (two-digit B.E. year, as on Thai forms)."""
    return f"{MONTHS_ABBR[month - 1]} {be_year(year) % 100:02d}"
