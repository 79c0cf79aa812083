"""Dates as Thai offices write them: B.E. or C.E., Arabic or Thai digits, Thai month names.

One reader for every place a person types a date (document metadata, dashboard forms):

    parse_date("2025-03-12")       -> 2025-03-12   ISO, Christian era (C.E.)
    parse_date("2568-03-12")       -> 2025-03-12   a year of 2400 or more is Buddhist era (B.E.)
    parse_date("๒๕๖๘-๐๓-๑๒")       -> 2025-03-12   Thai digits
    parse_date("12 มีนาคม 2568")    -> 2025-03-12   Thai month name, full ...
    parse_date("12 มี.ค. 68")       -> 2025-03-12   ... or abbreviated, with a 2-digit B.E. year

A date that cannot be read, that lies more than a year in the future, or that is earlier than
B.E. 2400 (1857, before any document a municipality keeps) raises ThaiDateError with a message
in plain words; callers add which field it was. Dates that may lie further ahead (a staff
contract's end) are read with any_future=True.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

BE_OFFSET = 543  # B.E. year = C.E. year + 543
BE_THRESHOLD = 2400  # a year of 2400 or more is read as B.E. (2400 B.E. = 1857 C.E.)
EARLIEST = dt.date(BE_THRESHOLD - BE_OFFSET, 1, 1)

FULL_MONTHS = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)
SHORT_MONTHS = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)


def _month_key(name: str) -> str:
    # People drop or space the dots of an abbreviation (มี.ค., มีค, มี. ค.): compare without them.
    return re.sub(r"[.\s]", "", name)


_MONTHS = {_month_key(n): i for i, n in enumerate(FULL_MONTHS, start=1)}
_MONTHS.update({_month_key(n): i for i, n in enumerate(SHORT_MONTHS, start=1)})
# Common misspelling of กรกฎาคม (ฏ for ฎ), seen in real documents.
_MONTHS["กรกฏาคม"] = 7

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
# [วันที่] 12 มีนาคม [พ.ศ.] 2568 ; the month may carry dots and inner spaces (มี. ค.).
_WORDS = re.compile(
    r"(?:วันที่\s*)?(\d{1,2})\s*([\u0e01-\u0e4e][\u0e01-\u0e4e.\s]*?)\s*"
    r"(?:(พ\.?\s*ศ\.?|ค\.?\s*ศ\.?)\s*)?(\d{2}|\d{4})"
)

FORMS = "2025-03-12, 2568-03-12, ๒๕๖๘-๐๓-๑๒, 12 มีนาคม 2568 or 12 มี.ค. 68"


class ThaiDateError(ValueError):
    """The text is not a date this module can read (unreadable), or not a plausible one."""

    def __init__(self, message: str, unreadable: bool = True):
        super().__init__(message)
        self.unreadable = unreadable


def parse_date(value, *, today: dt.date | None = None, any_future: bool = False) -> dt.date:
    """The day value names (a date, or text as in the module docstring), as a C.E. date.

    today is for tests; it bounds how far in the future a date may be (one year, unless
    any_future).
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        day = value
        if day.year >= BE_THRESHOLD:  # YAML or a form gave a B.E. year as a date object
            day = _make(day.year - BE_OFFSET, day.month, day.day, str(value))
    elif isinstance(value, str):
        day = _parse_text(value)
    else:
        raise ThaiDateError(f"{value!r} is not a date: write it like {FORMS}")
    return _plausible(day, str(value), None if any_future else today or dt.date.today())


def _parse_text(raw: str) -> dt.date:
    text = " ".join(unicodedata.normalize("NFC", raw).translate(_THAI_DIGITS).split())
    m = _ISO.fullmatch(text)
    if m:
        year, month, day = (int(g) for g in m.groups())
        return _make(_ce_year(year), month, day, raw)
    m = _WORDS.fullmatch(text)
    if m:
        day_s, month_s, era, year_s = m.groups()
        month = _MONTHS.get(_month_key(month_s))
        if month is None:
            raise ThaiDateError(f"{raw!r}: {month_s.strip()!r} is not a Thai month name")
        year = int(year_s)
        era_key = _month_key(era or "")
        if len(year_s) == 2:
            if era_key == "คศ":
                raise ThaiDateError(f"{raw!r}: write a C.E. year with four digits")
            year += 2500  # a two-digit year is B.E. (68 -> 2568), as Thai offices write it
        elif era_key == "พศ" and year < BE_THRESHOLD:
            raise ThaiDateError(f"{raw!r}: B.E. {year} is before B.E. {BE_THRESHOLD}")
        elif era_key == "คศ" and year >= BE_THRESHOLD:
            raise ThaiDateError(f"{raw!r}: C.E. {year} is not a plausible year")
        return _make(_ce_year(year), month, int(day_s), raw)
    raise ThaiDateError(f"cannot read {raw!r} as a date: write it like {FORMS}")


def _ce_year(year: int) -> int:
    return year - BE_OFFSET if year >= BE_THRESHOLD else year


def _make(year: int, month: int, day: int, raw: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ThaiDateError(f"{raw!r} is not a day of the calendar (month {month}, day {day})") from None


def _plausible(day: dt.date, raw: str, today: dt.date | None) -> dt.date:
    if day < EARLIEST:
        raise ThaiDateError(
            f"{raw!r} is before B.E. {BE_THRESHOLD} ({EARLIEST.year}); "
            f"a B.E. year is written in full, e.g. 2568",
            unreadable=False,
        )
    if today is None:
        return day
    try:
        limit = today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        limit = today.replace(year=today.year + 1, day=28)
    if day > limit:
        # 2300-01-01 is read as C.E. 2300: say how years are read when it may have been meant as B.E.
        hint = f" (a year of {BE_THRESHOLD} or more is read as B.E.)" if day.year >= 2100 else ""
        raise ThaiDateError(f"{raw!r} lies more than a year in the future{hint}", unreadable=False)
    return day


def be_year(day: dt.date) -> int:
    return day.year + BE_OFFSET


def thai_date(day: dt.date, full: bool = False) -> str:
    """The day as Thai offices show it: `12 มี.ค. 2568` (or `12 มีนาคม 2568` with full)."""
    months = FULL_MONTHS if full else SHORT_MONTHS
    return f"{day.day} {months[day.month - 1]} {be_year(day)}"


def stored_date(value: str) -> dt.date | None:
    """An `updated` value read back from an index, or None.

    Indexes written before B.E. dates were understood hold `2568-03-12` as given: a stored year
    of 2400 or more is read as B.E., so those documents show the right day without a re-index.
    """
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
    if day.year >= BE_THRESHOLD:
        try:
            return day.replace(year=day.year - BE_OFFSET)
        except ValueError:  # 29 Feb of a B.E. year that is not a C.E. leap year
            return None
    return day
