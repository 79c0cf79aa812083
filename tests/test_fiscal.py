"""Fiscal years (1 Oct - 30 Sep, named by the B.E. year they end in) and Bangkok time."""

from datetime import date, datetime

import click
import pytest

from kmsearch.km import fiscal
from kmsearch.km.fiscal import FiscalYear, FiscalYearError


def test_fy_2566_is_oct_2022_to_sep_2023():
    fy = FiscalYear(2566)
    assert (fy.start, fy.end) == (date(2022, 10, 1), date(2023, 9, 30))
    assert fy.label == "ปีงบประมาณ พ.ศ. 2566"


@pytest.mark.parametrize(
    "day, be",
    [
        (date(2022, 9, 30), 2565),
        (date(2022, 10, 1), 2566),
        (date(2023, 1, 1), 2566),
        (date(2023, 9, 30), 2566),
        (date(2023, 10, 1), 2567),
        (date(2024, 2, 29), 2567),
    ],
)
def test_fiscal_year_of_local_date(day, be):
    assert fiscal.fiscal_year_of(day) == FiscalYear(be)


def test_boundary_is_bangkok_midnight_not_utc_midnight():
    # 30 Sep 23:30 in Bangkok is 16:30 UTC: still the year that ends that day.
    assert fiscal.fiscal_year_of_utc(datetime(2025, 9, 30, 16, 30)) == FiscalYear(2568)
    # 1 Oct 00:30 in Bangkok is 30 Sep 17:30 UTC: already the new year.
    assert fiscal.fiscal_year_of_utc(datetime(2025, 9, 30, 17, 30)) == FiscalYear(2569)
    # The exact instant of Bangkok midnight opens the new year.
    assert fiscal.fiscal_year_of_utc(datetime(2025, 9, 30, 17, 0)) == FiscalYear(2569)
    assert fiscal.fiscal_year_of_utc(datetime(2025, 9, 30, 16, 59, 59)) == FiscalYear(2568)


def test_utc_bounds_are_half_open_bangkok_midnights():
    since, until = FiscalYear(2569).utc_bounds()
    assert since == datetime(2025, 9, 30, 17, 0)
    assert until == datetime(2026, 9, 30, 17, 0)


def test_months_run_october_to_september():
    months = FiscalYear(2569).months()
    assert len(months) == 12
    assert months[0] == (2025, 10) and months[2] == (2025, 12) and months[3] == (2026, 1)
    assert months[-1] == (2026, 9)


def test_a_ce_year_is_refused_with_a_hint():
    with pytest.raises(FiscalYearError, match="did you mean 2569"):
        FiscalYear(2026)


def test_thai_dates_speak_buddhist_era():
    assert fiscal.thai_date(date(2022, 10, 1)) == "1 ตุลาคม 2565"
    assert fiscal.thai_date(date(2026, 3, 15), full=False) == "15 มี.ค. 2569"
    assert fiscal.thai_month(2025, 10) == "ต.ค. 68"
    assert fiscal.thai_datetime(datetime(2025, 9, 30, 17, 30)) == "1 ตุลาคม 2568 00:30 น."


def test_km_commands_read_dates_as_thai_offices_write_them():
    """--date and --as-of go through thaidate, the one reader of typed dates: B.E. years with
    their own leap days, Thai digits and month names; an unreadable one fails the option."""
    from kmsearch.cli.km import DATE

    assert DATE.convert("2026-03-15", None, None) == date(2026, 3, 15)
    assert DATE.convert("2569-03-15", None, None) == date(2026, 3, 15)
    # 2567 B.E. = 2024 C.E., a leap year, although 2567 itself is not one in Gregorian terms.
    assert DATE.convert("2567-02-29", None, None) == date(2024, 2, 29)
    assert DATE.convert("15 มี.ค. 69", None, None) == date(2026, 3, 15)
    with pytest.raises(click.BadParameter, match="15/03/2569"):
        DATE.convert("15/03/2569", None, None)


def test_month_end_handles_december_and_february():
    assert fiscal.month_end(2025, 12) == date(2025, 12, 31)
    assert fiscal.month_end(2024, 2) == date(2024, 2, 29)


def test_current_fiscal_year_uses_thai_date():
    assert fiscal.current_fiscal_year(datetime(2026, 9, 30, 18, 0)) == FiscalYear(2570)
    assert fiscal.current_fiscal_year(datetime(2026, 9, 30, 16, 0)) == FiscalYear(2569)
