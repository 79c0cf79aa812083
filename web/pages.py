"""Pages without logic of their own (the privacy notice) and the Thai error pages."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from kmsearch.web.services import services
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

bp = Blueprint("pages", __name__)

# Thai titles and explanations for the errors a person may meet.
ERRORS = {
    400: ("คำขอไม่ถูกต้อง", "กรุณากลับไปหน้าก่อนแล้วลองใหม่อีกครั้ง"),
    403: ("ไม่มีสิทธิ์เข้าถึง", "หน้านี้สำหรับผู้มีสิทธิ์เท่านั้น"),
    404: ("ไม่พบหน้าที่ต้องการ", "เอกสารหรือหน้านี้ไม่มีอยู่ หรือไม่ได้เผยแพร่ต่อสาธารณะ"),
    405: ("คำขอไม่ถูกต้อง", "กรุณากลับไปหน้าก่อนแล้วลองใหม่อีกครั้ง"),
    408: ("หมดเวลารอคำขอ", "ไม่ได้รับข้อมูลครบถ้วนภายในเวลาที่กำหนด กรุณาลองใหม่อีกครั้ง"),
    410: ("ไม่มีไฟล์ต้นฉบับแล้ว", "ไฟล์ต้นฉบับของเอกสารนี้ถูกย้าย ลบ หรือแก้ไขหลังการจัดทำดัชนี กรุณาติดต่อผู้รู้ที่ระบุในหน้าเอกสาร"),
    413: ("ข้อมูลที่ส่งมีขนาดใหญ่เกินไป", "กรุณาส่งข้อมูลที่มีขนาดเล็กลง"),
    414: ("ที่อยู่เว็บยาวเกินไป", "กรุณาใช้คำค้นที่สั้นลง"),
    429: ("ลองบ่อยเกินไป", "กรุณารอสักครู่แล้วลองใหม่"),
    431: ("ส่วนหัวของคำขอใหญ่เกินไป", "กรุณาล้างคุกกี้ของเว็บไซต์นี้แล้วลองใหม่"),
    500: ("ระบบขัดข้อง", "ขออภัยในความไม่สะดวก กรุณาลองใหม่ภายหลัง"),
    503: ("ระบบไม่ว่างชั่วคราว", "ฐานข้อมูลกำลังถูกใช้งาน (เช่น สำรองข้อมูล) กรุณารอสักครู่แล้วลองใหม่อีกครั้ง"),
}
RETRY_AFTER = 30  # seconds; a backup or report holding the database rarely takes longer
CSRF_MESSAGE = "แบบฟอร์มหมดอายุหรือไม่ถูกต้อง กรุณาโหลดหน้าใหม่แล้วส่งอีกครั้ง"


@bp.route("/privacy")
def privacy():
    days = services().home.log_retention_days
    return render_template("privacy.html", days=days, contact=current_app.config["PRIVACY_CONTACT"])


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Thai error pages; JSON for the API so scripts get a readable body too."""
    code = error.code or 500
    title, detail = ERRORS.get(code, (error.name, ""))
    if error.description == "csrf":
        detail = CSRF_MESSAGE
    return _error_answer(code, title, detail)


@bp.app_errorhandler(OperationalError)
def database_busy(error: OperationalError):
    """The database was locked past the busy timeout, or is unreachable: the person should
    try again shortly (503 with Retry-After), not read "system error" (500)."""
    current_app.logger.warning("database unavailable for %s: %s", request.path, error.orig)
    title, detail = ERRORS[503]
    return _error_answer(503, title, detail, {"Retry-After": str(RETRY_AFTER)})


def _error_answer(code: int, title: str, detail: str, headers: dict | None = None):
    """The Thai error page, or JSON for the API so scripts get a readable body too."""
    if request.path.startswith("/api/"):
        return {"error": title, "detail": detail}, code, headers or {}
    return render_template("error.html", code=code, title=title, detail=detail), code, headers or {}
