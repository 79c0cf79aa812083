"""The KM dashboard: who may see what, the charts, the forms (CSRF), acknowledgement, report.

Runs the real app (conftest's `app`, with the indexed test corpus) over the roster and
access log of test_indicators.seed_km, whose FY 2569 answers are known: 9.1-4 is 5 of 7
(71.43 %, met), 9.1-1 is 4 of 7, non-users s2 (สมหญิง) and s6 (วิชัย).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from conftest import csrf_token
from kmsearch.indexer.pdf import extract_pdf

from kmsearch.engine.thai import normalize
from kmsearch.store import km
from tests.test_indicators import seed_km


@pytest.fixture
def ids(app):
    return seed_km(app.extensions["kmsearch"].engine, passwords=("s1", "s2", "s3"))


def sign_in(client, username):
    token = csrf_token(client, "/login")
    data = {"username": username, "password": f"password-{username}", "csrf_token": token}
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def admin(app, client, ids):
    return sign_in(client, "s1")


@pytest.fixture
def committee(app, client, ids):
    return sign_in(client, "s2")


@pytest.fixture
def staffer(app, client, ids):
    return sign_in(client, "s3")


def page(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def post(client, path, data, token_from="/dashboard/", **kw):
    data = dict(data, csrf_token=csrf_token(client, token_from))
    return client.post(path, data=data, **kw)


# --- who sees what ------------------------------------------------------------------------------


def test_citizen_is_sent_to_sign_in(client, ids):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_plain_staff_may_not_see_the_dashboard(staffer):
    assert staffer.get("/dashboard/").status_code == 403
    assert staffer.get("/dashboard/report.pdf?fy=2569").status_code == 403


def test_committee_sees_indicators_and_charts_but_no_names(committee):
    html = page(committee, "/dashboard/?fy=2569")
    assert "ปีงบประมาณ พ.ศ. 2569" in html and "1 ตุลาคม 2568" in html
    assert "71.43%" in html and "5 จาก 7 คน" in html  # 9.1-4
    assert "57.14%" in html and "4 จาก 7 คน" in html  # 9.1-1
    assert html.count("<svg") == 2
    assert "เป้าหมาย มากกว่า 70%" in html
    assert "ร้อยละการเข้าถึงฐานความรู้ แยกตามส่วนราชการ" in html
    assert "วิชัย ช่างดี" not in html and "ยังไม่เคยเข้าใช้" not in html
    # The navigation of base.html links here for the committee.
    assert 'href="/dashboard/"' in html or 'href="/dashboard"' in html


def test_admin_sees_who_has_not_used_it(admin):
    html = page(admin, "/dashboard/?fy=2569")
    block = html.split('id="non-users"')[1].split("</details>")[0]
    assert "(2 คน)" in block
    assert "วิชัย ช่างดี" in block and "สมหญิง รักงาน" in block
    assert "อนันต์ มีทรัพย์" not in block  # s3 used it
    assert "ไม่ทราบ วันออก" in html  # the undated leaver, for the admin to fix


def test_health_and_zero_result_queries_are_shown(committee):
    html = page(committee, "/dashboard/?fy=2569")
    assert "ภาษีป้าย" in html and "ระเบียบพัสดุ" in html
    assert "คำแนะนำการชำระภาษีบำรุงท้องที่ (ยกเลิกแล้ว)" in html  # superseded, from the index
    assert 'href="/?q=' in html  # each query links to a search


def test_bad_fiscal_year_is_a_bad_request(committee):
    assert committee.get("/dashboard/?fy=abc").status_code == 400
    assert committee.get("/dashboard/?fy=2026").status_code == 400  # C.E. typed


@pytest.mark.parametrize("fy", ["2400", "2398", "2800", "9999", "-1", "2569" + "0" * 40])
def test_out_of_range_fiscal_year_is_a_thai_bad_request(committee, fy):
    # Issue 12 item 16: ?fy=2400 answered 500 (the year picker stepped below FiscalYear's range).
    response = committee.get(f"/dashboard/?fy={fy}")
    assert response.status_code == 400
    assert "ปีงบประมาณต้องเป็นปี พ.ศ." in response.get_data(as_text=True)
    assert committee.get(f"/dashboard/report.csv?fy={fy}").status_code == 400


def test_no_inline_styles_or_scripts_under_the_csp(committee):
    html = page(committee, "/dashboard/?fy=2569")
    assert "<script" not in html and 'style="' not in html and "<style" not in html
    css = committee.get("/dashboard/dashboard.css")
    assert css.status_code == 200 and css.mimetype == "text/css" and "svg.chart" in css.text


# --- announcements and acknowledgement ------------------------------------------------------------


def test_admin_publishes_and_staff_acknowledge(app, client, ids):
    sign_in(client, "s1")
    response = post(client, "/dashboard/announcements",
                    {"title": "ประกาศแผนการจัดการความรู้ 2570", "body": "ย่อหน้าแรก\n\nย่อหน้าสอง"})  # fmt: skip
    assert response.status_code == 302
    assert "เผยแพร่ประกาศแล้ว" in page(client, "/dashboard/")

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, "s3")
    html = page(client, "/dashboard/announcement")
    assert "ประกาศแผนการจัดการความรู้ 2570" in html and "<p>ย่อหน้าสอง</p>" in html
    announcement_id = re.search(r'name="announcement_id" value="(\d+)"', html).group(1)
    response = post(client, "/dashboard/announcement", {"announcement_id": announcement_id},
                    token_from="/dashboard/announcement")  # fmt: skip
    assert response.status_code == 302
    html = page(client, "/dashboard/announcement")
    assert "ท่านรับทราบประกาศนี้แล้ว" in html and 'name="announcement_id"' not in html
    with app.extensions["kmsearch"].engine.connect() as conn:
        assert km.acknowledged_at(conn, int(announcement_id), ids["s3"]) is not None


def test_only_the_current_announcement_can_be_acknowledged(app, staffer, ids):
    with app.extensions["kmsearch"].engine.connect() as conn:
        old = km.list_announcements(conn)[-1]["id"]  # A1, no longer current
    response = post(staffer, "/dashboard/announcement", {"announcement_id": str(old)},
                    token_from="/dashboard/announcement")  # fmt: skip
    assert response.status_code == 302
    assert "ไม่ใช่ประกาศฉบับปัจจุบัน" in page(staffer, "/dashboard/announcement")
    with app.extensions["kmsearch"].engine.connect() as conn:
        assert km.acknowledged_at(conn, old, ids["s3"]) is None


def test_forms_need_csrf_and_the_right_role(committee):
    no_token = committee.post("/dashboard/sessions", data={"topic": "x", "held_on": "2026-11-01"})
    assert no_token.status_code == 400
    # A committee member may record sessions but not publish announcements.
    forbidden = post(committee, "/dashboard/announcements", {"title": "t", "body": "b"})
    assert forbidden.status_code == 403


def test_empty_announcement_is_refused_in_thai(admin):
    response = post(admin, "/dashboard/announcements", {"title": " ", "body": "เนื้อหา"})
    assert response.status_code == 302
    assert "กรุณาระบุหัวเรื่อง" in page(admin, "/dashboard/")


# --- sharing sessions ------------------------------------------------------------------------------


def test_committee_records_a_session(committee):
    response = post(committee, "/dashboard/sessions",
                    {"held_on": "2026-11-10", "topic": "การใช้ระบบ e-LAAS", "division": "กองคลัง",
                     "attendance": "15"})  # fmt: skip
    assert response.status_code == 302 and "fy=2570" in response.headers["Location"]
    html = page(committee, "/dashboard/?fy=2570")
    assert "การใช้ระบบ e-LAAS" in html and "10 พฤศจิกายน 2569" in html


def test_session_in_buddhist_era_and_bad_input(committee):
    post(committee, "/dashboard/sessions", {"held_on": "2569-06-01", "topic": "หัวข้อ พ.ศ."})
    assert "1 มิถุนายน 2569" in page(committee, "/dashboard/?fy=2569")
    post(committee, "/dashboard/sessions", {"held_on": "2026-06-02", "topic": "ติดลบ",
                                            "attendance": "-3"})  # fmt: skip
    html = page(committee, "/dashboard/?fy=2569")
    assert "จำนวนผู้เข้าร่วมต้องอยู่ระหว่าง 0 ถึง 100,000 คน" in html and "ติดลบ</td>" not in html
    # Thai digits and month names, as Thai offices write dates (kmsearch.engine.thaidate).
    post(committee, "/dashboard/sessions", {"held_on": "๑๕ มีนาคม ๒๕๖๙", "topic": "วันไทย"})
    assert "15 มีนาคม 2569" in page(committee, "/dashboard/?fy=2569")
    post(committee, "/dashboard/sessions", {"held_on": "1/6/2569", "topic": "วันผิด"})
    assert "วันที่ไม่ถูกต้อง" in page(committee, "/dashboard/?fy=2569")


@pytest.mark.parametrize("typed", ["0001-01-01", "9999-12-31", "2400-01-01", "3000-01-01"])
def test_implausible_session_date_is_refused_in_thai_and_not_written(app, committee, typed):
    # Issue 12 item 16: these answered 500 and still wrote the row (9999 stored as year 9456).
    response = post(committee, "/dashboard/sessions", {"held_on": typed, "topic": "วันที่ผิดปกติ"})
    assert response.status_code == 302
    assert "วันที่ต้องอยู่ระหว่าง 1 มกราคม 2500 ถึง" in page(committee, "/dashboard/")
    with app.extensions["kmsearch"].engine.connect() as conn:
        written = km.sessions_between(conn, date.min, date.max)
    assert all(s["topic"] != "วันที่ผิดปกติ" for s in written)


def test_store_refuses_implausible_record_dates(app):
    # The CLI (`kmsearch session add`, `channel add`) goes through the same check.
    with app.extensions["kmsearch"].engine.begin() as conn:
        with pytest.raises(km.KMRecordError, match="date held must be between 1957-01-01"):
            km.add_session(conn, date(9456, 12, 31), "หัวข้อ")
        with pytest.raises(km.KMRecordError, match="start date must be between"):
            km.add_channel(conn, "เพจ", "", date(1, 1, 1))


# --- the report ----------------------------------------------------------------------------------


def test_report_pdf_download(committee, tmp_path):
    response = committee.get("/dashboard/report.pdf?fy=2569")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert 'filename="km-report-2569.pdf"' in response.headers["Content-Disposition"]
    path = tmp_path / "r.pdf"
    path.write_bytes(response.data)
    text = normalize(extract_pdf(path).text)
    assert normalize("ร้อยละ 71.43") in text and normalize("สรุปผลตามตัวชี้วัด") in text


def test_report_csv_and_unknown_format(committee):
    response = committee.get("/dashboard/report.csv?fy=2569")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "9.1-4" in response.data.decode("utf-8-sig")
    assert committee.get("/dashboard/report.docx?fy=2569").status_code == 404


def test_report_with_typed_recommendations(committee, tmp_path):
    advice = "ให้ทุกกองบันทึกความรู้จากการประชุมประจำเดือนลงในระบบ"
    response = post(committee, "/dashboard/report?fy=2569",
                    {"recommendations": advice, "format": "pdf"})  # fmt: skip
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "r.pdf"
    path.write_bytes(response.data)
    assert normalize(advice) in normalize(extract_pdf(path).text).replace("\n", "")


def test_report_with_uploaded_windows_thai_file(committee):
    from io import BytesIO

    advice = "ควรจัดอบรมการค้นหาความรู้ให้บุคลากรใหม่"
    data = {"format": "html", "recommendations_file": (BytesIO(advice.encode("cp874")), "rec.txt")}
    response = post(committee, "/dashboard/report?fy=2569", data,
                    content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 200 and advice in response.get_data(as_text=True)
