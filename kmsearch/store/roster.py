"""The staff roster and sign-in attempts: all their SQL, with the rules that keep them valid.

Named roster.py, not staff.py: a submodule kmsearch.store.staff would replace the
package attribute kmsearch.store.staff (the Table) once imported, breaking every later
`from kmsearch.store import staff`.

The roster is the denominator of the KM indicators (9.1-1, 9.1-4), so it is kept even for
people who never sign in: a row without a password hash is a roster entry only.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from werkzeug.security import check_password_hash, generate_password_hash

from kmsearch.engine import thaidate
from kmsearch.store import login_attempts, staff

ROLES = ("staff", "committee", "admin")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 8
CSV_COLUMNS = ("username", "full_name", "division", "position", "role", "start_date", "end_date")

# Checked when the username is unknown so that a wrong username costs as much time as a
# wrong password: response timing must not tell an attacker which usernames exist.
@cache
def _dummy_hash() -> str:
    """A hash to check unknown names against (equal work for every name). Made on first use:
    computing it at import cost every CLI call about 0.2-0.4 s."""
    return generate_password_hash("not-a-real-password-" + "x" * 16)


class RosterError(ValueError):
    """A roster change that breaks a rule; the message says which and how to fix it."""


@dataclass
class RowError:
    """One problem in an imported CSV: where it is and what is wrong."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, field {self.field}: {self.message}"


@dataclass
class ImportReport:
    """What `import_csv` did, or the errors that stopped it (then nothing was written)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _now() -> datetime:
    """UTC now without tzinfo: the database stores naive UTC datetimes."""
    return datetime.now(UTC).replace(tzinfo=None)


def parse_date(value: str, what: str = "date") -> date:
    """A date as Thai offices write it (thaidate: B.E. or C.E., Thai digits or month names);
    a contract's end may lie years ahead."""
    try:
        return thaidate.parse_date((value or "").strip(), any_future=True)
    except thaidate.ThaiDateError as e:
        raise RosterError(f"{what}: {e}") from None


def check_username(username: str) -> str:
    """Usernames are short lowercase ASCII so they type the same on any keyboard layout."""
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise RosterError(
            f"username {username!r} must be 2-64 characters: lowercase a-z, digits, '.', '_', '-'"
        )
    return username


def check_role(role: str) -> str:
    role = (role or "").strip()
    if role not in ROLES:
        raise RosterError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    return role


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise RosterError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    return password


def _check_text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise RosterError(f"{what} is required")
    return value


def _public(row) -> dict:
    """A staff row as a dict without the password hash (which never leaves this module)."""
    d = dict(row._mapping)
    d["has_password"] = d.pop("password_hash", None) is not None
    return d


def add(
    conn: Connection,
    username: str,
    full_name: str,
    division: str,
    position: str = "",
    role: str = "staff",
    start_date: date | None = None,
    end_date: date | None = None,
    password: str | None = None,
) -> int:
    """Add one person to the roster; return the new id."""
    username = check_username(username)
    values = dict(
        username=username,
        full_name=_check_text(full_name, "full name"),
        division=_check_text(division, "division"),
        position=(position or "").strip(),
        role=check_role(role),
        start_date=start_date or date.today(),
        end_date=end_date,
        active=True,
        created_at=_now(),
        password_hash=generate_password_hash(check_password(password)) if password else None,
    )
    if end_date and end_date < values["start_date"]:
        raise RosterError("end date is before start date")
    if get_by_username(conn, username, with_hash=True):
        raise RosterError(f"username {username!r} already exists")
    return conn.execute(staff.insert().values(**values)).inserted_primary_key[0]


def get_by_username(conn: Connection, username: str, with_hash: bool = False) -> dict | None:
    row = conn.execute(sa.select(staff).where(staff.c.username == username)).first()
    if row is None:
        return None
    return dict(row._mapping) if with_hash else _public(row)


def get(conn: Connection, staff_id: int) -> dict | None:
    row = conn.execute(sa.select(staff).where(staff.c.id == staff_id)).first()
    return _public(row) if row else None


def list_staff(conn: Connection) -> list[dict]:
    """Everyone on the roster, active first, by division then username."""
    rows = conn.execute(
        sa.select(staff).order_by(staff.c.active.desc(), staff.c.division, staff.c.username)
    )
    return [_public(r) for r in rows]


def _require(conn: Connection, username: str) -> dict:
    person = get_by_username(conn, username)
    if person is None:
        raise RosterError(f"no staff member with username {username!r} (see `staff list`)")
    return person


def deactivate(conn: Connection, username: str, end_date: date | None = None) -> dict:
    """Mark someone as having left: they can no longer sign in, their past rows stay counted."""
    person = _require(conn, username)
    end = end_date or date.today()
    if end < person["start_date"]:
        raise RosterError(f"end date {end} is before start date {person['start_date']}")
    conn.execute(
        staff.update()
        .where(staff.c.id == person["id"])
        .values(active=False, end_date=end, session_epoch=staff.c.session_epoch + 1)
    )
    return _require(conn, username)


def set_password(conn: Connection, username: str, password: str) -> None:
    person = _require(conn, username)
    conn.execute(
        staff.update()
        .where(staff.c.id == person["id"])
        .values(
            password_hash=generate_password_hash(check_password(password)),
            # A new password ends every session signed in with the old one.
            session_epoch=staff.c.session_epoch + 1,
        )
    )


def end_sessions(conn: Connection, staff_id: int) -> None:
    """Sign this person out everywhere: every session cookie issued so far stops working."""
    conn.execute(
        staff.update()
        .where(staff.c.id == staff_id)
        .values(session_epoch=staff.c.session_epoch + 1)
    )


def can_sign_in(person: dict, today: date | None = None) -> bool:
    """Active, not past their end date: leavers lose access on the day they leave."""
    today = today or date.today()
    return bool(person["active"]) and (person["end_date"] is None or person["end_date"] >= today)


def authenticate(conn: Connection, username: str, password: str) -> dict | None:
    """The staff member if the password is right and they may sign in, else None."""
    person = get_by_username(conn, (username or "").strip().lower(), with_hash=True)
    stored = person["password_hash"] if person and person["password_hash"] else _dummy_hash()
    ok = check_password_hash(stored, password or "")
    if not (ok and person and person["password_hash"] and can_sign_in(person)):
        return None
    person.pop("password_hash")
    person["has_password"] = True
    return person


# --- CSV import ------------------------------------------------------------------------


def _parse_row(line: int, raw: dict) -> tuple[dict, list[RowError]]:
    """Validate one CSV row; collect every field error so one run reports them all."""
    values: dict = {}
    errors: list[RowError] = []

    def take(name, fn):
        try:
            values[name] = fn(raw.get(name) or "")
        except RosterError as e:
            errors.append(RowError(line, name, str(e)))

    take("username", check_username)
    take("full_name", lambda v: _check_text(v, "full name"))
    take("division", lambda v: _check_text(v, "division"))
    take("position", lambda v: v.strip())
    take("role", lambda v: check_role(v or "staff"))
    take("start_date", lambda v: parse_date(v, "start date"))
    take("end_date", lambda v: parse_date(v, "end date") if v.strip() else None)
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end < start:
        errors.append(RowError(line, "end_date", f"end date {end} is before start date {start}"))
    return values, errors


def import_csv(engine: Engine, text: str) -> ImportReport:
    """Add or update roster rows from CSV text; all rows or none (a half import skews counts)."""
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))  # Excel writes a BOM
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        report.errors.append(RowError(1, ",".join(missing), "missing column(s) in the header"))
        return report
    rows: list[dict] = []
    seen: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            continue  # blank line
        values, errors = _parse_row(line, raw)
        name = values.get("username")
        if name in seen:
            errors.append(RowError(line, "username", f"{name!r} already on line {seen[name]}"))
        elif name:
            seen[name] = line
        report.errors.extend(errors)
        rows.append(values)
    if report.errors:
        return report
    with engine.begin() as conn:
        for values in rows:
            existing = get_by_username(conn, values["username"])
            if existing:
                # Passwords and the active flag are not in the CSV: keep them; an end date
                # in the CSV still ends sign-in through can_sign_in.
                conn.execute(staff.update().where(staff.c.id == existing["id"]).values(**values))
                report.updated.append(values["username"])
            else:
                conn.execute(staff.insert().values(**values, active=True, created_at=_now()))
                report.added.append(values["username"])
    return report


# --- sign-in attempts (rate limiting) ----------------------------------------------------


def client_key(secret: str, address: str | None) -> str:
    """A keyed hash of the client address: enough to count attempts, useless as an IP log."""
    digest = hmac.new(secret.encode(), (address or "?").encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def attempt_name(conn: Connection, secret: str, username: str) -> str:
    """The name an attempt is counted under: the username if it exists, else a keyed hash.

    People sometimes type their password into the username box; an unknown username is
    therefore never stored as typed.
    """
    if get_by_username(conn, username) is not None:
        return username
    return "unknown:" + client_key(secret, username)


def reserve_attempt(
    conn: Connection, username: str, client: str, window: timedelta, limit: int
) -> int | None:
    """Count a sign-in attempt as failed *before* its password is checked; its id, or None
    when the limit is already reached (nothing is then recorded).

    Checking first and recording after the password check let 40 parallel attempts all pass
    the check (issue 12 item 10). Here the insert comes first, under a lock every sign-in
    takes, so each attempt sees every earlier one, whichever process made it: on SQLite the
    insert is the transaction's first statement and takes the database's write lock (a
    later reader would hold an old snapshot); on PostgreSQL a table lock that only sign-ins
    take. Call in its own transaction; settle_attempt records the outcome.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("LOCK TABLE login_attempts IN SHARE ROW EXCLUSIVE MODE"))
    attempt = conn.execute(
        login_attempts.insert().values(
            at=_now(), username=(username or "")[:64], client=client, success=False
        )
    ).inserted_primary_key[0]
    if recent_failures(conn, username, client, window) > limit:
        conn.execute(login_attempts.delete().where(login_attempts.c.id == attempt))
        return None
    return attempt


def settle_attempt(conn: Connection, attempt: int, success: bool) -> None:
    """Record the outcome of a reserved attempt (it stays a failure unless this says not)."""
    if success:
        conn.execute(
            login_attempts.update().where(login_attempts.c.id == attempt).values(success=True)
        )


def record_login_attempt(conn: Connection, username: str, client: str, success: bool) -> None:
    conn.execute(
        login_attempts.insert().values(
            at=_now(), username=(username or "")[:64], client=client, success=success
        )
    )


def recent_failures(conn: Connection, username: str, client: str, window: timedelta) -> int:
    """The larger of failures for this username and failures from this client in the window.

    A correct password resets the username count (the owner proved who they are) but not the
    client count, so one valid account cannot be used to keep guessing others' passwords.
    """
    since = _now() - window
    last_ok = conn.execute(
        sa.select(sa.func.max(login_attempts.c.at)).where(
            login_attempts.c.username == username, login_attempts.c.success.is_(True)
        )
    ).scalar()
    user_since = max(since, last_ok) if last_ok else since
    failed = login_attempts.c.success.is_(False)
    by_user = conn.execute(
        sa.select(sa.func.count()).where(
            failed, login_attempts.c.username == username, login_attempts.c.at > user_since
        )
    ).scalar()
    by_client = conn.execute(
        sa.select(sa.func.count()).where(
            failed, login_attempts.c.client == client, login_attempts.c.at > since
        )
    ).scalar()
    return max(by_user, by_client)


def purge_login_attempts(conn: Connection, older_than: timedelta = timedelta(days=1)) -> int:
    """Attempts only matter inside the rate-limit window; keep a day for incident review."""
    result = conn.execute(login_attempts.delete().where(login_attempts.c.at < _now() - older_than))
    return result.rowcount
