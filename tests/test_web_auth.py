"""Staff sign-in: passwords, sessions and cookies, CSRF, rate limits, the guard decorators."""

import re

import pytest
from conftest import PASSWORD, csrf_token, login
from kmsearch.web.auth import login_required, role_required

from kmsearch.store import login_attempts, roster, staff


def test_login_page_is_thai_and_has_csrf(client):
    html = client.get("/login").get_data(as_text=True)
    assert "เจ้าหน้าที่เข้าสู่ระบบ" in html and 'name="csrf_token"' in html


def test_sign_in_and_out(client, make_staff):
    make_staff()
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    html = client.get("/").get_data(as_text=True)
    assert "สมศรี ใจดี" in html and "ออกจากระบบ" in html
    token = csrf_token(client, "/")  # the logout form carries one
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert "สมศรี ใจดี" not in client.get("/").get_data(as_text=True)


def test_wrong_password_same_message_as_unknown_user(client, make_staff):
    make_staff()
    wrong = login(client, password="wrong-password").get_data(as_text=True)
    unknown = login(client, username="nobody").get_data(as_text=True)
    message = "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"
    assert message in wrong and message in unknown
    assert "สมศรี ใจดี" not in client.get("/").get_data(as_text=True)


def test_next_goes_back_but_never_off_site(client, make_staff):
    make_staff()
    assert login(client, next="/browse/").headers["Location"] == "/browse/"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        assert login(client, next=target).headers["Location"] == "/"
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_session_cookie_flags(client, make_staff):
    make_staff()
    cookie = login(client).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookies_setting(home, monkeypatch):
    from kmsearch.web import create_app

    monkeypatch.setenv("KMSEARCH_SECURE_COOKIES", "1")
    app = create_app(home, {"TESTING": True})
    try:
        client = app.test_client()
        cookie = client.get("/login").headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie
    finally:
        app.extensions["kmsearch"].close()


def test_citizen_pages_set_no_cookie(client):
    for path in ("/", "/?q=ภาษีป้าย", "/browse/", "/privacy"):
        assert "Set-Cookie" not in client.get(path).headers, path


def test_sign_in_rotates_csrf_token(client, make_staff):
    make_staff()
    before = csrf_token(client)
    login(client)
    assert csrf_token(client, "/") != before


def test_deactivated_staff_lose_access_at_next_request(app, client, make_staff):
    make_staff()
    login(client)
    with app.extensions["kmsearch"].engine.begin() as conn:
        roster.deactivate(conn, "somsri")
    html = client.get("/").get_data(as_text=True)
    assert "สมศรี ใจดี" not in html and "ออกจากระบบ" not in html


def test_roster_entry_without_password_cannot_sign_in(client, make_staff):
    make_staff(password=None)
    assert login(client, password="").status_code == 200
    assert "ออกจากระบบ" not in client.get("/").get_data(as_text=True)


# --- CSRF ----------------------------------------------------------------------------------


def test_post_without_csrf_token_is_refused(client, make_staff):
    make_staff()
    client.get("/login")
    response = client.post("/login", data={"username": "somsri", "password": PASSWORD})
    assert response.status_code == 400
    assert "แบบฟอร์มหมดอายุ" in response.get_data(as_text=True)
    response = client.post("/login", data={"username": "somsri", "password": PASSWORD,
                                           "csrf_token": "forged"})
    assert response.status_code == 400


def test_logout_needs_csrf(staff_client):
    assert staff_client.post("/logout").status_code == 400
    assert "ออกจากระบบ" in staff_client.get("/").get_data(as_text=True)


def test_token_from_another_session_is_refused(app, make_staff):
    make_staff()
    other = app.test_client()
    stolen = csrf_token(other)
    victim = app.test_client()
    victim.get("/login")
    response = victim.post("/login", data={"username": "somsri", "password": PASSWORD,
                                           "csrf_token": stolen})
    assert response.status_code == 400


def test_every_post_form_carries_a_token(staff_client):
    for path in ("/", "/?q=ภาษีป้าย", "/browse/", "/login", "/privacy"):
        html = staff_client.get(path).get_data(as_text=True)
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S | re.I):
            assert 'name="csrf_token"' in form, path


# --- rate limit ----------------------------------------------------------------------------


def test_five_failures_per_username_then_429(app, make_staff):
    make_staff()
    for n in range(5):
        client = app.test_client()  # a different client each time: the username counts
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{n}"
        assert login(client, password="wrong-password").status_code == 200
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.99"
    response = login(client)  # even the right password is not checked now
    assert response.status_code == 429
    assert "กรุณารอ 15 นาที" in response.get_data(as_text=True)
    assert "ออกจากระบบ" not in client.get("/").get_data(as_text=True)


def test_five_failures_per_client_then_429(client, make_staff):
    make_staff()
    for n in range(5):
        login(client, username=f"guess{n}", password="wrong-password")
    assert login(client).status_code == 429


def test_behind_a_proxy_clients_are_told_apart(home, make_staff, monkeypatch):
    from kmsearch.web import create_app

    monkeypatch.setenv("KMSEARCH_TRUSTED_PROXIES", "1")
    app = create_app(home, {"TESTING": True})
    try:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "127.0.0.1"  # the proxy
        for n in range(5):
            client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.1"
            login(client, username=f"guess{n}", password="wrong-password")
        assert login(client, username="guess9", password="x").status_code == 429
        client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.2"  # another citizen
        assert login(client, username="guess9", password="x").status_code == 200
    finally:
        app.extensions["kmsearch"].close()


def test_attempts_are_stored_without_the_address(app, client, make_staff):
    make_staff()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    login(client, password="wrong-password")
    login(client)
    with app.extensions["kmsearch"].engine.connect() as conn:
        rows = conn.execute(login_attempts.select()).mappings().all()
    assert [(r["username"], r["success"]) for r in rows] == [("somsri", False), ("somsri", True)]
    assert all("198.51" not in r["client"] for r in rows)


def test_unknown_usernames_are_not_stored_as_typed(app, client):
    login(client, username="my-secret-password", password="x")
    with app.extensions["kmsearch"].engine.connect() as conn:
        [row] = conn.execute(login_attempts.select()).mappings().all()
    assert "my-secret-password" not in row["username"]
    assert row["username"].startswith("unknown:")


def test_unsafe_next_targets(client, make_staff):
    make_staff()
    for target in ("/\t/evil.example", "/\n/evil.example", "/\\evil.example", "/x\x7f"):
        response = login(client, next=target)
        assert response.headers["Location"] == "/", repr(target)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_success_resets_the_username_count(client, make_staff):
    make_staff()
    for _ in range(4):
        login(client, password="wrong-password")
    assert login(client).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert login(client, password="wrong-password").status_code == 200  # 5th failure by client
    assert login(client).status_code == 429  # the client is now limited


# --- decorators for other blueprints ---------------------------------------------------------


@pytest.fixture
def guarded(app):
    app.add_url_rule("/t/staff", "t_staff", login_required(lambda: "staff ok"))
    app.add_url_rule("/t/committee", "t_committee",
                     role_required("committee", "admin")(lambda: "committee ok"))
    return app


def test_login_required(guarded, client, make_staff):
    response = client.get("/t/staff")
    assert response.status_code == 302 and "/login?next=/t/staff" in response.headers["Location"]
    make_staff()
    login(client)
    assert client.get("/t/staff").get_data(as_text=True) == "staff ok"


def test_role_required(guarded, client, make_staff):
    assert client.get("/t/committee").status_code == 302
    make_staff()
    make_staff("chair", role="committee")
    login(client)
    response = client.get("/t/committee")
    assert response.status_code == 403 and "ไม่มีสิทธิ์" in response.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, username="chair")
    assert client.get("/t/committee").get_data(as_text=True) == "committee ok"


def test_dashboard_link_only_for_committee_and_admin(app, client, make_staff):
    if "dashboard" not in app.blueprints:
        pytest.skip("web/dashboard.py is not there")
    make_staff()
    make_staff("chair", role="committee")
    login(client)
    assert "แดชบอร์ด KM" not in client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, username="chair")
    assert "แดชบอร์ด KM" in client.get("/").get_data(as_text=True)


def test_current_staff_and_csrf_field_in_templates(app, make_staff):
    from flask import render_template_string
    from kmsearch.web.auth import current_staff

    make_staff()
    with app.test_request_context("/"):
        assert current_staff() is None
        html = render_template_string("{{ csrf_field() }}")
        assert html.startswith('<input type="hidden" name="csrf_token"')


# --- sessions end for good (issue 12 item 11) -------------------------------------------------


def _copied(app, client):
    """A second browser holding a copy of client's session cookie."""
    other = app.test_client()
    other.set_cookie("kmsearch_session", client.get_cookie("kmsearch_session").value)
    return other


def _signed_in(client) -> bool:
    return "ออกจากระบบ" in client.get("/").get_data(as_text=True)


def test_a_cookie_copied_before_logout_no_longer_signs_in(app, client, make_staff):
    # Before: the copy kept signing in for up to 10 hours after the owner signed out.
    make_staff()
    login(client)
    copy = _copied(app, client)
    assert _signed_in(copy)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert not _signed_in(copy) and not _signed_in(client)
    assert login(app.test_client()).status_code == 302  # signing in again works


def test_a_new_password_or_deactivation_ends_every_session(app, client, make_staff, runner):
    from kmsearch.cli import main

    make_staff()
    make_staff("somchai", full_name="สมชาย ใจดี")
    login(client)
    copy = _copied(app, client)
    other = app.test_client()
    login(other, username="somchai")
    home = str(app.extensions["kmsearch"].home.path)
    result = runner.invoke(main, ["--home", home, "staff", "set-password", "somsri"],
                           input="another-password-1\nanother-password-1\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert not _signed_in(copy) and not _signed_in(client)
    assert _signed_in(other)  # someone else's sessions are untouched
    with app.extensions["kmsearch"].engine.begin() as conn:
        roster.deactivate(conn, "somchai")
    with app.extensions["kmsearch"].engine.begin() as conn:
        conn.execute(  # even re-activated by hand, the old session stays ended
            staff.update().where(staff.c.username == "somchai")
            .values(active=True, end_date=None)
        )  # fmt: skip
    assert not _signed_in(other)
