"""The Flask front end of kmsearch: search, browse, documents, staff sign-in.

`create_app(home)` builds the app the same way for `kmsearch serve`, the tests and the load
benchmark (the app-factory pattern of Flask's flaskr tutorial).
"""

from __future__ import annotations

import os
import weakref

from flask import Flask

from kmsearch.home import Home

PRIVACY_CONTACT = (
    "เจ้าหน้าที่คุ้มครองข้อมูลส่วนบุคคล (DPO) สำนักปลัด เทศบาลตำบลประจันตคาม อำเภอประจันตคาม จังหวัดปราจีนบุรี"
)


def create_app(home: Home | str | os.PathLike | None = None, test_config: dict | None = None):
    """Build the web app over a kmsearch home (default: KMSEARCH_HOME or ./var)."""
    from kmsearch.web import auth, browse, csrf, dashboard, documents, labels, pages, search
    from kmsearch.web.converters import RegexConverter
    from kmsearch.web.services import EXTENSION, Services

    home = home if isinstance(home, Home) else Home(home)
    home.validate().ensure()  # a bad setting stops the start with its name, not a traceback later
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=home.secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=home.setting("secure_cookies") == "1",
        SESSION_COOKIE_NAME="kmsearch_session",
        PERMANENT_SESSION_LIFETIME=auth.SESSION_LIFETIME,
        MAX_CONTENT_LENGTH=64 * 1024,  # the only uploads are two small forms
        PRIVACY_CONTACT=PRIVACY_CONTACT,
    )
    app.json.ensure_ascii = False  # Thai stays readable in /api/search
    if test_config:
        app.config.from_mapping(test_config)

    _trust_proxies(app, home)
    services = Services(home, app.logger)
    app.extensions[EXTENSION] = services
    # Flush queued access-log rows when the app goes away or the interpreter exits.
    weakref.finalize(app, services.close)
    _purge_old_rows(app, services)

    app.url_map.converters["regex"] = RegexConverter
    csrf.init_app(app)
    labels.register(app)
    for module in (search, browse, documents, auth, pages):
        app.register_blueprint(module.bp)
    app.register_blueprint(dashboard.bp, url_prefix="/dashboard")

    app.context_processor(
        lambda: {"current_staff": auth.current_staff}
    )
    app.after_request(_security_headers)
    return app


def _trust_proxies(app: Flask, home: Home) -> None:
    """Take the client address from X-Forwarded-For when N trusted proxies are in front.

    Behind a reverse proxy (needed for HTTPS) every request comes from the proxy's address,
    and the per-client sign-in limit would lock everyone out at once. `kmsearch serve` has
    waitress do this (it only trusts the proxy's address) and turns this off with PROXY_FIX;
    it stays for other WSGI servers.
    """
    if app.config.get("PROXY_FIX") is False:
        return
    count = int(app.config.get("TRUSTED_PROXIES") or home.setting("trusted_proxies") or 0)
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def _purge_old_rows(app: Flask, services) -> None:
    """Apply the retention period at start-up, so an unattended server still forgets on time."""
    from kmsearch.store import accesslog, roster

    try:
        with services.engine.begin() as conn:
            removed = accesslog.purge(conn, services.home.log_retention_days)
            roster.purge_login_attempts(conn)
        if removed:
            app.logger.info("access log: removed %d row(s) past retention", removed)
    except Exception:  # a locked or read-only database must not stop the search from starting
        app.logger.exception("access log: purge at start-up failed")


def _security_headers(response):
    """No inline script anywhere, so a strict policy costs nothing; staff pages are not cached.

    A staff session cookie is enough to forbid caching: asking the roster here would make
    every answer to a signed-in browser (static files, /healthz) read the database.
    """
    from flask import g, session

    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")  # queries stay off other sites' logs
    headers.setdefault("X-Frame-Options", "DENY")
    staff = g.staff if "staff" in g else session.get("staff_id")
    if staff is not None:
        headers["Cache-Control"] = "private, no-store"
    return response
