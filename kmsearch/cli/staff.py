"""CLI commands for the staff roster (`staff ...`) and the access log (`logs ...`).

Thin click wrappers: the rules live in kmsearch.store.roster and kmsearch.store.accesslog;
each command turns a RosterError into a click error that says what to fix.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import date

import click

from kmsearch.cli.context import Lazy, pass_ctx

# roster.ROLES, written out: importing the store (SQLAlchemy) to list them cost every CLI call
# ~0.2 s. tests/test_cli_startup.py checks that the two agree.
ROLES = ("staff", "committee", "admin")

accesslog = Lazy("kmsearch.store.accesslog")
roster = Lazy("kmsearch.store.roster")


def connect(url: str):
    from kmsearch.store import connect

    return connect(url)


@contextmanager
def _engine(ctx):
    """The home's database (schema brought up to date), disposed when the command ends."""
    ctx.home.ensure()
    engine = connect(ctx.home.database_url)
    try:
        yield engine
    except roster.RosterError as e:
        raise click.ClickException(str(e)) from None
    finally:
        engine.dispose()


def _date(_ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return roster.parse_date(value, param.name.replace("_", " "))
    except roster.RosterError as e:
        raise click.BadParameter(str(e)) from None


def _prompt_password() -> str:
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group("staff")
def staff_group() -> None:
    """Manage the staff roster (who may sign in; the denominator of the KM indicators)."""


@staff_group.command("add")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name, e.g. นางสาวสมใจ ใจดี.")
@click.option("--division", required=True, help="Division, e.g. กองคลัง.")
@click.option("--position", default="", help="Job title, e.g. นักวิชาการเงินและบัญชี.")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default="staff",
    show_default=True,
    help="committee and admin may open the KM dashboard.",
)
@click.option("--start-date", callback=_date, help="First working day (2568-10-01, 2025-10-01 or 1 ต.ค. 2568); default today.")
@click.option("--end-date", callback=_date, help="Last working day, if already known.")
@click.option("--password", help="Sign-in password; prompted for when omitted.")
@click.option("--no-password", is_flag=True, help="Roster entry only: this person cannot sign in.")
@pass_ctx
def staff_add(
    ctx, username, full_name, division, position, role, start_date, end_date, password, no_password
):
    """Add USERNAME to the roster (the first admin is created this way)."""
    if password is None and not no_password:
        password = _prompt_password()
    with _engine(ctx) as engine, engine.begin() as conn:
        roster.add(
            conn, username, full_name, division, position, role, start_date, end_date, password
        )
    click.echo(f"added {username} ({role})")


@staff_group.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
@pass_ctx
def staff_import(ctx, csv_file):
    """Add or update staff from CSV_FILE.

    Columns: username,full_name,division,position,role,start_date,end_date (dates as Thai
    offices write them: 2568-10-01 (B.E.), 2025-10-01, 1 ต.ค. 2568). Every row is checked
    first; if any row is wrong nothing is imported.
    """
    with _engine(ctx) as engine:
        report = roster.import_csv(engine, csv_file.read())
    if report.errors:
        for error in report.errors:
            click.echo(f"{csv_file.name}: {error}", err=True)
        raise click.ClickException(
            f"{len(report.errors)} error(s); nothing was imported. Fix the lines above and retry."
        )
    click.echo(f"added {len(report.added)}, updated {len(report.updated)}")


@staff_group.command("deactivate")
@click.argument("username")
@click.option("--end-date", callback=_date, help="Last working day (as --start-date); default today.")
@pass_ctx
def staff_deactivate(ctx, username, end_date):
    """Mark USERNAME as having left: no more sign-in; past activity stays counted."""
    with _engine(ctx) as engine, engine.begin() as conn:
        person = roster.deactivate(conn, username, end_date)
    click.echo(f"deactivated {username} (end date {person['end_date']})")


@staff_group.command("set-password")
@click.argument("username")
@pass_ctx
def staff_set_password(ctx, username):
    """Set or reset USERNAME's password (prompted, never taken from the command line)."""
    with _engine(ctx) as engine:
        with engine.connect() as conn:
            if roster.get_by_username(conn, username) is None:
                raise roster.RosterError(f"no staff member with username {username!r}")
        password = _prompt_password()
        with engine.begin() as conn:
            roster.set_password(conn, username, password)
    click.echo(f"password set for {username}")


@staff_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array on stdout.")
@pass_ctx
def staff_list(ctx, as_json):
    """List the roster, active staff first."""
    with _engine(ctx) as engine, engine.connect() as conn:
        people = roster.list_staff(conn)
    if as_json:
        click.echo(json.dumps(people, ensure_ascii=False, default=str, indent=1))
        return
    for p in people:
        status = "active" if p["active"] else "left"
        login = "" if p["has_password"] else " (no password)"
        end = p["end_date"] or ""
        click.echo(
            f"{p['username']}\t{p['full_name']}\t{p['division']}\t{p['position']}\t"
            f"{p['role']}\t{p['start_date']}..{end}\t{status}{login}"
        )


@click.group("logs")
def logs_group() -> None:
    """The access log (searches, views, downloads) that indicator 9.1-4 is computed from."""


@logs_group.command("purge")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    help="Keep this many days; default the home's log retention setting.",
)
@pass_ctx
def logs_purge(ctx, days):
    """Delete access-log rows older than the retention period (PDPA), and old sign-in attempts."""
    days = days or ctx.home.log_retention_days
    with _engine(ctx) as engine, engine.begin() as conn:
        removed = accesslog.purge(conn, days)
        roster.purge_login_attempts(conn)
    click.echo(f"removed {removed} access-log row(s) older than {days} days")


def register(group: click.Group) -> None:
    """Add this module's commands to the main group."""
    group.add_command(staff_group)
    group.add_command(logs_group)
