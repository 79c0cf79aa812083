"""A small CSRF guard: one random token per session, required on every state-changing request.

Why not Flask-WTF: the app has two forms; a token in the session compared in constant time
is all they need, and it keeps the dependency list short.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, request, session
from markupsafe import Markup, escape

SESSION_KEY = "_csrf"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def token() -> str:
    """The session's token, created on first use (so only people who see a form get a cookie)."""
    if SESSION_KEY not in session:
        session[SESSION_KEY] = secrets.token_urlsafe(32)
    return session[SESSION_KEY]


def rotate() -> None:
    """A new token after sign-in/out: a token seen before sign-in is useless afterwards."""
    session[SESSION_KEY] = secrets.token_urlsafe(32)


def csrf_field() -> Markup:
    """The hidden input every POST form carries: `{{ csrf_field() }}` in a template."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{escape(token())}">')


def _check() -> None:
    if request.method not in UNSAFE:
        return
    expected = session.get(SESSION_KEY)
    sent = request.form.get(FIELD) or request.headers.get(HEADER) or ""
    if not expected or not hmac.compare_digest(expected.encode(), sent.encode()):
        abort(400, description="csrf")


def init_app(app: Flask) -> None:
    """Check every unsafe request before any view runs; expose csrf_field to templates."""
    app.before_request(_check)
    app.jinja_env.globals["csrf_field"] = csrf_field
