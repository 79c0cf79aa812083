"""CLI commands for the KM plan: indicators, the yearly report, sessions, announcements, channels.

Thin wrappers: each calls the same core functions as the dashboard (kmsearch.km.indicators,
kmsearch.km.report, kmsearch.store.km) and turns their errors into click errors with a hint.
Fiscal years are Buddhist-Era years (2569); dates are ISO, Gregorian or B.E.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click

from kmsearch.cli.context import pass_ctx
from kmsearch.engine import thaidate
from kmsearch.km import fiscal
from kmsearch.km.fiscal import FiscalYear, FiscalYearError


class FiscalYearType(click.ParamType):
    """A B.E. fiscal year; a C.E. year typed by habit gets a hint (exit 2)."""

    name = "B.E. year"

    def convert(self, value, param, ctx):
        if isinstance(value, FiscalYear):
            return value
        try:
            return FiscalYear(int(value))
        except ValueError as err:  # FiscalYearError is a ValueError too
            message = str(err) if isinstance(err, FiscalYearError) else f"not a year: {value!r}"
            self.fail(message, param, ctx)


class DateType(click.ParamType):
    """A date as Thai offices write it (thaidate): 2569-03-15 (B.E.), 2026-03-15, ๒๕๖๙-๐๓-๑๕,
    15 มีนาคม 2569 or 15 มี.ค. 69."""

    name = "date"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return thaidate.parse_date(value)
        except thaidate.ThaiDateError as err:
            self.fail(str(err), param, ctx)


FISCAL_YEAR = FiscalYearType()
DATE = DateType()


def _fiscal_year_option(func):
    return click.option(
        "--fiscal-year",
        "fy",
        type=FISCAL_YEAR,
        default=None,
        help="Buddhist-Era fiscal year, e.g. 2569 (default: the current one).",
    )(func)


@contextmanager
def _transaction(home):
    """One database transaction on the home's database (created and migrated if needed)."""
    from kmsearch.store import connect

    home.ensure()
    engine = connect(home.database_url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def _catalogue(home) -> list:
    """Every indexed document, as staff see them; none (with a notice) before indexing."""
    from kmsearch.engine.search import NoIndexError, SearchService

    service = SearchService(home)
    try:
        return service.documents("staff")
    except NoIndexError as err:
        click.echo(f"note: {err}; document-based figures (9.2-1, 9.3-1) count none", err=True)
        return []
    finally:
        service.close()


def _km_error(err: Exception) -> click.ClickException:
    return click.ClickException(str(err))


def _compute(home, fy: FiscalYear | None, as_of: date | None = None):
    from kmsearch.km import indicators

    documents = _catalogue(home)
    with _transaction(home) as conn:
        return indicators.compute(conn, fy or fiscal.current_fiscal_year(), documents, as_of)


# --- indicators and report ---------------------------------------------------------------------


@click.command("indicators")
@_fiscal_year_option
@click.option("--as-of", type=DATE, default=None, help="Compute as of this date (default today).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_ctx
def indicators_command(ctx, fy, as_of, as_json):
    """Show the KM plan indicators of a fiscal year with their targets."""
    results = _compute(ctx.home, fy, as_of)
    if as_json:
        click.echo(json.dumps(results.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(results.period.label)
    for i in results.indicators:
        mark = "✓" if i.met else "✗"
        click.echo(f"{mark} {i.item}  {i.name}")
        click.echo(f"    ผล: {i.value_text}  เป้าหมาย: {i.target.text}  → {i.result_text}")
    for warning in results.warnings:
        click.echo(f"warning: {warning}", err=True)


@click.command("report")
@_fiscal_year_option
@click.option("--format", "fmt", type=click.Choice(["pdf", "html", "csv"]), default="pdf",
              show_default=True)  # fmt: skip
@click.option("--recommendations", type=click.Path(dir_okay=False, exists=True),
              help="Text file (UTF-8) with the committee's recommendations.")  # fmt: skip
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write ('-' for stdout; default km-report-<year>.<format>).")  # fmt: skip
@click.option("--as-of", type=DATE, default=None, help="Compute as of this date (default today).")
@pass_ctx
def report_command(ctx, fy, fmt, recommendations, output, as_of):
    """Write the committee's yearly report to the mayor (plan section 10)."""
    from kmsearch.km import report as km_report

    try:
        text = km_report.read_recommendations(recommendations) if recommendations else ""
    except km_report.ReportError as err:
        raise _km_error(err) from err
    results = _compute(ctx.home, fy, as_of)
    doc = km_report.Report(results, recommendations=text)
    data = km_report.render(doc, fmt)
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    path = Path(output or f"{doc.filename_stem}.{fmt}")
    path.write_bytes(data)
    click.echo(f"wrote {path} ({len(data):,} bytes)", err=True)


# --- sharing sessions -----------------------------------------------------------------------------


@click.group("session")
def session_group():
    """Knowledge-sharing sessions (plan item 9.1-2)."""


@session_group.command("add")
@click.option("--date", "held_on", type=DATE, required=True, help="Date held (2569-03-15, 2026-03-15 or 15 มี.ค. 2569).")
@click.option("--topic", required=True)
@click.option("--division", default="", help="Division that ran it.")
@click.option("--attendance", type=int, default=0, show_default=True, help="People attending.")
@click.option("--notes", default="")
@pass_ctx
def session_add(ctx, held_on, topic, division, attendance, notes):
    """Record a knowledge-sharing session."""
    from kmsearch.store import km

    try:
        with _transaction(ctx.home) as conn:
            sid = km.add_session(conn, held_on, topic, division, attendance, notes)
    except km.KMRecordError as err:
        raise _km_error(err) from err
    fy = fiscal.fiscal_year_of(held_on)
    click.echo(f"session {sid} recorded: {fiscal.thai_date(held_on)} ({fy.label})")


@session_group.command("list")
@_fiscal_year_option
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def session_list(ctx, fy, as_json):
    """List the sessions of a fiscal year."""
    from kmsearch.store import km

    fy = fy or fiscal.current_fiscal_year()
    with _transaction(ctx.home) as conn:
        sessions = km.sessions_between(conn, fy.start, fy.end)
    if as_json:
        rows = [dict(s, held_on=s["held_on"].isoformat()) for s in sessions]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(f"{fy.label}: {len(sessions)} ครั้ง")
    for s in sessions:
        division = f" [{s['division']}]" if s["division"] else ""
        click.echo(f"{fiscal.thai_date(s['held_on'])}  {s['topic']}{division}  "
                   f"ผู้เข้าร่วม {s['attendance']} คน")  # fmt: skip


# --- announcements ---------------------------------------------------------------------------------


@click.group("announce")
def announce_group():
    """KM announcements that staff acknowledge (plan item 9.1-1)."""


@announce_group.command("publish")
@click.option("--title", required=True)
@click.option("--body-file", type=click.File("r", encoding="utf-8-sig"), required=True,
              help="UTF-8 text file with the announcement ('-' for stdin).")  # fmt: skip
@pass_ctx
def announce_publish(ctx, title, body_file):
    """Publish an announcement; staff then press รับทราบ on the dashboard."""
    from kmsearch.store import km

    try:
        with _transaction(ctx.home) as conn:
            aid = km.publish_announcement(conn, title, body_file.read(), fiscal.utc_now())
    except km.KMRecordError as err:
        raise _km_error(err) from err
    click.echo(f"announcement {aid} published")


@announce_group.command("list")
@pass_ctx
def announce_list(ctx):
    """List announcements, newest first, with how many staff acknowledged each."""
    from kmsearch.store import km

    with _transaction(ctx.home) as conn:
        rows = km.list_announcements(conn)
    for a in rows:
        click.echo(f"{a['id']}  {fiscal.thai_datetime(a['published_at'])}  {a['title']}  "
                   f"(รับทราบ {a['acknowledged']} คน)")  # fmt: skip


# --- public channels --------------------------------------------------------------------------------


@click.group("channel")
def channel_group():
    """Channels publishing knowledge to citizens (plan item 9.2-1)."""


@channel_group.command("add")
@click.option("--name", required=True)
@click.option("--url", default="", help="Address, if it has one.")
@click.option("--start", "started_on", type=DATE, required=True, help="First day (YYYY-MM-DD).")
@click.option("--end", "ended_on", type=DATE, default=None, help="Last day, if it stopped.")
@pass_ctx
def channel_add(ctx, name, url, started_on, ended_on):
    """Record a public channel (web page, Facebook page, community radio...)."""
    from kmsearch.store import km

    try:
        with _transaction(ctx.home) as conn:
            cid = km.add_channel(conn, name, url, started_on, ended_on)
    except km.KMRecordError as err:
        raise _km_error(err) from err
    click.echo(f"channel {cid} recorded")


@channel_group.command("list")
@pass_ctx
def channel_list(ctx):
    """List recorded channels (the citizen portal counts on its own when it has documents)."""
    from kmsearch.store import km

    with _transaction(ctx.home) as conn:
        rows = km.channels_between(conn, date.min, date.max)
    for c in rows:
        until = f" - {fiscal.thai_date(c['ended_on'])}" if c["ended_on"] else ""
        click.echo(f"{c['id']}  {c['name']}  {c['url'] or '-'}  "
                   f"{fiscal.thai_date(c['started_on'])}{until}")  # fmt: skip


def register(group: click.Group) -> None:
    """Add this module's commands to the main group."""
    for command in (
        indicators_command,
        report_command,
        session_group,
        announce_group,
        channel_group,
    ):
        group.add_command(command)
