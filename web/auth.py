"""Staff sign-in: who is signed in, the decorators that guard views, and the sign-in form.

Citizens never sign in; a request without a signed-in staff member is a citizen's and
sees public documents only (see `audience`). Staff are re-read from the roster on every
request, with the session epoch their cookie was issued under, so deactivating someone,
a new password or signing out ends every session at its next click.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from kmsearch.web import csrf
from kmsearch.web.services import services

from kmsearch.store import roster

bp = Blueprint("auth", __name__)

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=10)  # a working day; staff sign in again the next morning


def current_staff() -> dict | None:
    """The signed-in staff member (roster dict without the password hash), or None."""
    if "staff" not in g:
        g.staff = _load_staff()
    return g.staff


def _load_staff() -> dict | None:
    staff_id = session.get("staff_id")
    if staff_id is None:
        return None
    with services().engine.connect() as conn:
        person = roster.get(conn, staff_id)
    # The epoch in the cookie must still be the staff member's: signing out, a new password
    # or deactivation bumps it, and every cookie issued before (copies included) stops here.
    if (
        person is None
        or not roster.can_sign_in(person)
        or session.get("epoch") != person["session_epoch"]
    ):
        session.clear()
        return None
    return person


def audience() -> str:
    """'staff' for a signed-in staff member, else 'public': the one place this is decided."""
    return "staff" if current_staff() else "public"


def login_required(view):
    """Send anyone not signed in to the sign-in page, then back here."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_staff() is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def role_required(*roles: str):
    """Like login_required, and the staff member's role must be one of roles (else 403)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            person = current_staff()
            if person is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if person["role"] not in roles:
                abort(403)
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorator


def _safe_next(target: str | None) -> str:
    r"""Only a path on this site: `next` must not become an open redirect.

    Browsers drop tabs and newlines and read a backslash as a slash, so `/<tab>/evil` and
    `/\evil` would leave the site: any such character refuses the target outright.
    """
    default = url_for("search.index")
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_staff():
            return redirect(next_url)
        return render_template("login.html", next=next_url)

    username = (request.form.get("username") or "").strip().lower()[:64]
    password = request.form.get("password") or ""
    client = roster.client_key(current_app.secret_key, request.remote_addr)
    engine = services().engine
    with engine.connect() as conn:
        name = roster.attempt_name(conn, current_app.secret_key, username)
    # The attempt is counted before the password is checked, so a burst of parallel
    # attempts cannot check more than MAX_FAILURES passwords (see reserve_attempt).
    with engine.begin() as conn:
        attempt = roster.reserve_attempt(conn, name, client, WINDOW, MAX_FAILURES)
    if attempt is None:
        message = "ลงชื่อเข้าใช้ผิดหลายครั้งเกินไป กรุณารอ 15 นาทีแล้วลองใหม่"
        return render_template(
            "login.html", next=next_url, error=message, username=username
        ), 429
    # The password check (scrypt) runs outside the transaction: it must not hold a DB lock.
    with engine.connect() as conn:
        person = roster.authenticate(conn, username, password)
    with engine.begin() as conn:
        roster.settle_attempt(conn, attempt, success=person is not None)
    if person is None:
        message = "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"
        return render_template("login.html", next=next_url, error=message, username=username)

    session.clear()  # a fresh session: nothing from before sign-in carries over
    session.permanent = True
    session["staff_id"] = person["id"]
    session["epoch"] = person["session_epoch"]
    csrf.rotate()
    current_app.logger.info("sign-in: staff id %s", person["id"])
    return redirect(next_url)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out everywhere: the session cookie alone is not trusted to be forgotten (a copy
    of it would otherwise keep working for the rest of its 10 hours)."""
    person = current_staff()
    if person is not None:
        with services().engine.begin() as conn:
            roster.end_sessions(conn, person["id"])
    session.clear()
    return redirect(url_for("search.index"))
