"""The KM dashboard: indicators at a glance for the committee, forms for the admin, and the
page where every staff member acknowledges the current KM announcement (9.1-1).

Every figure comes from kmsearch.km.indicators.compute, the function behind
`kmsearch indicators` and `kmsearch report`; charts are inline SVG drawn by
kmsearch.km.charts (no JavaScript). The list of staff who have not yet used kmsearch is
shown to admins only, who follow it up; committee members see counts.
"""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from kmsearch.web.auth import current_staff, login_required, role_required
from kmsearch.web.services import services
from markupsafe import Markup

from kmsearch.engine import thaidate
from kmsearch.engine.search import NoIndexError
from kmsearch.km import charts, fiscal, indicators
from kmsearch.km import report as km_report
from kmsearch.km.fiscal import FiscalYear
from kmsearch.store import km

bp = Blueprint("dashboard", __name__)

VIEWERS = ("committee", "admin")
MAX_TEXT = 20_000  # an announcement or the recommendations, in characters


# --- helpers ---------------------------------------------------------------------------------


def _fiscal_year() -> FiscalYear:
    """?fy=2569 (B.E.), default the current fiscal year; anything else is a bad request.

    Only years a KM record can fall in (see km.check_date) are shown: an earlier year
    would make the year picker step below the range a FiscalYear can name.
    """
    value = request.values.get("fy")
    current = fiscal.current_fiscal_year()
    if not value:
        return current
    first = fiscal.fiscal_year_of(km.EARLIEST_DATE)
    try:
        fy = FiscalYear(int(value))
    except ValueError:
        fy = None
    if fy is None or not first <= fy <= current.next():
        detail = (
            f"ปีงบประมาณต้องเป็นปี พ.ศ. ตั้งแต่ {first.be} ถึง {current.next().be} "
            f"(ได้รับ {value[:20]!r})"
        )
        abort(Response(render_template("error.html", code=400, title="ปีงบประมาณไม่ถูกต้อง",
                                       detail=detail), 400))  # fmt: skip
    return fy


def _documents() -> list:
    """Every indexed document (staff see all); none before the first indexing."""
    try:
        return services().search.documents("staff")
    except NoIndexError:
        return []


def _results(fy: FiscalYear) -> indicators.KMResults:
    with services().engine.begin() as conn:  # compute records first sightings of documents
        return indicators.compute(conn, fy, _documents())


def _years(shown: FiscalYear, current: FiscalYear) -> list[FiscalYear]:
    """The years offered in the picker: two before the one shown, up to the current one."""
    last = max(shown, current)
    return [FiscalYear(be) for be in range(min(shown, current).be - 2, last.be + 1)]


def _is_admin() -> bool:
    person = current_staff()
    return bool(person and person["role"] == "admin")


def _form_text(name: str, what: str) -> str:
    """A required form field, trimmed; too long is refused rather than cut."""
    value = (request.form.get(name) or "").strip()
    if len(value) > MAX_TEXT:
        raise km.KMRecordError(f"{what}ยาวเกิน {MAX_TEXT:,} ตัวอักษร")
    return value


def _back(fy: FiscalYear | None = None, anchor: str = ""):
    target = url_for("dashboard.index", fy=fy.be if fy else None)
    return redirect(target + (f"#{anchor}" if anchor else ""))


# --- the dashboard ------------------------------------------------------------------------


@bp.route("/dashboard.css")
def stylesheet():
    """The dashboard's styles: a template so they live with it; the CSP forbids inline CSS."""
    css = render_template("dashboard/dashboard.css")
    return Response(css, mimetype="text/css", headers={"Cache-Control": "public, max-age=3600"})


@bp.route("/")
@role_required(*VIEWERS)
def index():
    fy = _fiscal_year()
    results = _results(fy)
    line = charts.access_line_chart(results.access.monthly)
    bars = charts.division_bar_chart(results.access.by_division)
    with services().engine.connect() as conn:
        announcements = km.list_announcements(conn)
    today = fiscal.today_bangkok()
    return render_template(
        "dashboard/index.html",
        results=results,
        fy=fy,
        years=_years(fy, fiscal.fiscal_year_of(today)),
        line_svg=Markup(charts.to_svg(line, "access-line")),
        bars_svg=Markup(charts.to_svg(bars, "access-bars")),
        is_admin=_is_admin(),
        announcements=announcements[:5],
        today=today,
        thai_date=fiscal.thai_date,
        thai_datetime=fiscal.thai_datetime,
        percent_text=indicators.percent_text,
    )


@bp.route("/announcements", methods=["POST"])
@role_required("admin")
def publish_announcement():
    """Publish a KM announcement; every staff member is then asked to acknowledge it."""
    try:
        title = _form_text("title", "หัวเรื่อง")
        body = _form_text("body", "เนื้อหา")
        with services().engine.begin() as conn:
            km.publish_announcement(
                conn, title, body, fiscal.utc_now(), created_by=current_staff()["id"]
            )
    except km.KMRecordError as err:
        flash(f"ประกาศไม่สำเร็จ: {_thai_error(err)}", "error")
        return _back(anchor="announce")
    flash("เผยแพร่ประกาศแล้ว บุคลากรจะเห็นประกาศในหน้ารับทราบ", "ok")
    return _back(anchor="announce")


@bp.route("/sessions", methods=["POST"])
@role_required(*VIEWERS)
def add_session():
    """Record a knowledge-sharing session (9.1-2)."""
    try:
        held_on = _form_date("held_on")
        attendance = _form_int("attendance")
        with services().engine.begin() as conn:
            km.add_session(
                conn,
                held_on,
                _form_text("topic", "หัวข้อ"),
                _form_text("division", "ส่วนราชการ"),
                attendance,
                _form_text("notes", "บันทึก"),
            )
    except km.KMRecordError as err:
        flash(f"บันทึกไม่สำเร็จ: {_thai_error(err)}", "error")
        return _back(anchor="sessions")
    fy = fiscal.fiscal_year_of(held_on)
    flash(f"บันทึกการแลกเปลี่ยนเรียนรู้วันที่ {fiscal.thai_date(held_on)} แล้ว", "ok")
    return _back(fy, anchor="sessions")


def _form_date(name: str) -> date:
    """A date typed in a form (as Thai offices write them: thaidate), refused in Thai before
    anything is written if it cannot be read or lies outside what a KM record may carry."""
    text = request.form.get(name) or ""
    latest = date.today() + km.FUTURE_LIMIT
    out_of_range = km.KMRecordError(
        f"วันที่ต้องอยู่ระหว่าง {fiscal.thai_date(km.EARLIEST_DATE)} ถึง {fiscal.thai_date(latest)}"
    )
    try:
        day = thaidate.parse_date(text)
    except thaidate.ThaiDateError as err:
        if err.unreadable:
            raise km.KMRecordError(
                "วันที่ไม่ถูกต้อง (ใช้รูปแบบ ปปปป-ดด-วว หรือ 15 มีนาคม 2569)"
            ) from err
        raise out_of_range from err
    try:
        return km.check_date(day, name)
    except km.KMRecordError as err:
        raise out_of_range from err


def _form_int(name: str) -> int:
    try:
        return int(request.form.get(name) or 0)
    except ValueError as err:
        raise km.KMRecordError("จำนวนผู้เข้าร่วมต้องเป็นตัวเลข") from err


_THAI_ERRORS = {
    "title is required": "กรุณาระบุหัวเรื่อง",
    "body is required": "กรุณาระบุเนื้อหา",
    "topic is required": "กรุณาระบุหัวข้อ",
}


def _thai_error(err: Exception) -> str:
    """The store speaks English to the CLI; staff read Thai."""
    message = str(err)
    if message.startswith("attendance must be"):
        return f"จำนวนผู้เข้าร่วมต้องอยู่ระหว่าง 0 ถึง {km.MAX_ATTENDANCE:,} คน"
    return _THAI_ERRORS.get(message, message)


# --- acknowledgement (every staff member) ---------------------------------------------------


@bp.route("/announcement", methods=["GET", "POST"])
@login_required
def announcement():
    """The current KM announcement and its รับทราบ button."""
    person = current_staff()
    engine = services().engine
    now = fiscal.utc_now()
    if request.method == "POST":
        with engine.begin() as conn:
            current = km.current_announcement(conn, now)
            # Only the announcement on screen can be acknowledged, and only while current.
            if current is None or str(current["id"]) != request.form.get("announcement_id"):
                flash("ประกาศนี้ไม่ใช่ประกาศฉบับปัจจุบันแล้ว กรุณาอ่านประกาศล่าสุด", "error")
            elif km.acknowledge(conn, current["id"], person["id"], now):
                flash("ขอบคุณที่รับทราบประกาศการจัดการความรู้", "ok")
        return redirect(url_for("dashboard.announcement"))
    with engine.connect() as conn:
        current = km.current_announcement(conn, now)
        acked = km.acknowledged_at(conn, current["id"], person["id"]) if current else None
    return render_template(
        "dashboard/announcement.html",
        announcement=current,
        acknowledged_at=acked,
        thai_datetime=fiscal.thai_datetime,
        paragraphs=[p for p in (current["body"] if current else "").split("\n\n") if p.strip()],
    )


# --- the committee's report ----------------------------------------------------------------------


def _report_response(fy: FiscalYear, fmt: str, recommendations: str) -> Response:
    if fmt not in km_report.FORMATS:
        abort(404)
    results = _results(fy)
    doc = km_report.Report(results, recommendations=recommendations)
    data = km_report.render(doc, fmt)
    filename = f"{doc.filename_stem}.{fmt}"
    return Response(
        data,
        mimetype=km_report.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/report.<fmt>")
@role_required(*VIEWERS)
def report_download(fmt: str):
    """The yearly report without recommendations (a draft to discuss)."""
    return _report_response(_fiscal_year(), fmt, "")


@bp.route("/report", methods=["POST"])
@role_required(*VIEWERS)
def report_with_recommendations():
    """The yearly report with the committee's recommendations, typed or uploaded."""
    fy = _fiscal_year()
    try:
        text = _form_text("recommendations", "ข้อเสนอแนะ")
        upload = request.files.get("recommendations_file")
        if upload and upload.filename:
            text = km_report.decode_recommendations(upload.read(), upload.filename)
    except (km.KMRecordError, km_report.ReportError) as err:
        flash(f"สร้างรายงานไม่สำเร็จ: {err}", "error")
        return _back(fy, anchor="report")
    return _report_response(fy, request.form.get("format", "pdf"), text)
