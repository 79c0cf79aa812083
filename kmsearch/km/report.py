"""The monitoring committee's yearly report to the mayor (KM plan section 10): PDF, HTML, CSV.

The report is built once as a list of blocks (headings, paragraphs, tables, charts) from
indicators.KMResults, then rendered: the PDF with fpdf2 and the Sarabun font, text
shaping on (HarfBuzz places Thai tone marks and vowels) and lines broken at Thai word
boundaries (charts.break_lines); the HTML as one standalone page with inline SVG charts.
The CSV carries the same figures for a spreadsheet. No one is named in any of them: the
list of staff who have not used kmsearch stays on the admin's dashboard.
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from fpdf import FPDF

from kmsearch.km import charts, fiscal
from kmsearch.km.indicators import KMResults, percent_text

ORGANISATION = "เทศบาลตำบลประจันตคาม"
FORMATS = ("pdf", "html", "csv")
MEDIA_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8",
               "csv": "text/csv; charset=utf-8"}  # fmt: skip
REPORT_TITLE = "รายงานผลการติดตามและประเมินผลแผนการจัดการความรู้"
COMMITTEE = "คณะกรรมการติดตามและประเมินผลแผนการจัดการความรู้"
AUDIENCE_LABELS = {"public": "ประชาชน", "staff": "บุคลากร"}
NO_RECOMMENDATIONS = "(คณะกรรมการยังไม่ได้ระบุข้อเสนอแนะ)"
MAX_RECOMMENDATIONS_BYTES = 200_000


class ReportError(ValueError):
    """A report that cannot be made as asked; the message says what to change."""


# --- inputs ------------------------------------------------------------------------------------


def read_recommendations(path: str | Path) -> str:
    """The committee's recommendations from a text file: UTF-8, or Windows Thai (cp874)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ReportError(f"cannot read recommendations file {path}: {err.strerror}") from err
    return decode_recommendations(data, str(path))


def decode_recommendations(data: bytes, name: str = "recommendations") -> str:
    """Decode uploaded or read text; Thai Windows editors still save cp874 (TIS-620)."""
    if len(data) > MAX_RECOMMENDATIONS_BYTES:
        raise ReportError(f"{name} is larger than {MAX_RECOMMENDATIONS_BYTES // 1000} kB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp874", errors="strict") if _looks_thai_cp874(data) else None
        if text is None:
            raise ReportError(f"{name} is not UTF-8 text: save it as UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _looks_thai_cp874(data: bytes) -> bool:
    """cp874 bytes 0xA1-0xFB are Thai letters: accept a file that is mostly those and ASCII."""
    try:
        data.decode("cp874")
    except UnicodeDecodeError:
        return False
    high = [b for b in data if b >= 0x80]
    return bool(high) and all(0xA1 <= b <= 0xFB for b in high)


# --- the report as blocks --------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Para:
    text: str
    style: str = "body"  # body | title | subtitle | note | center


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    widths: list[float]  # fractions of the text width
    align: str = ""  # one letter per column: L C R (default L)


@dataclass(frozen=True)
class Figure:
    chart: charts.Chart


@dataclass
class Report:
    """Everything the committee sends the mayor for one fiscal year."""

    results: KMResults
    recommendations: str = ""
    organisation: str = ORGANISATION
    generated_at: datetime = field(default_factory=fiscal.utc_now)

    @property
    def mayor(self) -> str:
        """'นายกเทศมนตรีตำบลประจันตคาม' from 'เทศบาลตำบลประจันตคาม'."""
        if self.organisation.startswith("เทศบาล"):
            return "นายกเทศมนตรี" + self.organisation.removeprefix("เทศบาล")
        return "ผู้บริหาร" + self.organisation

    @property
    def filename_stem(self) -> str:
        return f"km-report-{self.results.fy.be}"


def _d(day) -> str:
    return fiscal.thai_date(day) if day else "-"


def _table_or_note(empty: str, headers: list[str], rows: list, widths: list[float], align=""):
    """rows as a table, or the note empty when there are none (every list in the report)."""
    return Table(headers, rows, widths, align) if rows else Para(empty, "note")


def _summary_blocks(report: Report) -> list:
    r = report.results
    p = r.period
    met = sum(1 for i in r.indicators if i.met)
    blocks: list = [
        Para(REPORT_TITLE, "title"),
        Para(report.organisation, "subtitle"),
        Para(r.fy.label, "subtitle"),
        Para(f"เรียน {report.mayor}", "body"),
        Para(
            f"{COMMITTEE}ขอรายงานผลการดำเนินงานตามแผนการจัดการความรู้ ระหว่างวันที่ "
            f"{_d(p.first)} ถึงวันที่ {_d(p.fy.end)} ตามตัวชี้วัดในข้อ 9 ของแผน ผลการดำเนินงาน"
            f"บรรลุเป้าหมาย {met} จาก {len(r.indicators)} ตัวชี้วัด รายละเอียดดังนี้"
        ),
    ]
    if not p.complete:
        blocks.append(Para(f"ปีงบประมาณยังไม่สิ้นสุด ข้อมูล ณ วันที่ {_d(p.last)}", "note"))
    blocks.append(Heading("1. สรุปผลตามตัวชี้วัด"))
    blocks.append(
        Table(
            ["ข้อ", "ตัวชี้วัด", "เป้าหมาย", "ผลการดำเนินงาน", "ผลการประเมิน"],
            [
                # "ร้อยละ 57.14 / (4 จาก 7 คน)": break where a reader would, not mid-phrase.
                [i.item, i.name, i.target.text, i.value_text.replace(" (", "\n("), i.result_text]
                for i in r.indicators
            ],
            [0.08, 0.32, 0.18, 0.24, 0.18],
            "CLLLC",
        )
    )
    return blocks


def _access_blocks(report: Report, measure: charts.Measure) -> list:
    r = report.results
    ind = r.access.indicator
    blocks: list = [
        Heading("2. การเข้าถึงฐานความรู้ของบุคลากร (ข้อ 9.1-4)"),
        Para(
            f"บุคลากรที่ปฏิบัติงานในช่วงปีงบประมาณ {ind.denominator} คน เข้าสู่ระบบแล้วค้นหาหรือเปิด"
            f"เอกสารอย่างน้อยหนึ่งครั้ง {ind.numerator} คน คิดเป็น{ind.short_text} "
            f"เป้าหมาย{ind.target.text} ผลการประเมิน: {ind.result_text} (นับบุคลากรที่เริ่มงานหรือ"
            "พ้นจากตำแหน่งระหว่างปีด้วย; ตัดรอบปีตามเวลาประเทศไทย)"
        ),
        Figure(charts.access_line_chart(r.access.monthly)),
        Figure(charts.division_bar_chart(r.access.by_division, measure=measure)),
    ]
    rows = [
        [s.label, str(s.total), str(s.accessed), percent_text(s.accessed, s.total),
         "บรรลุ" if s.met else "ไม่บรรลุ"]
        for s in r.access.by_division
    ]  # fmt: skip
    blocks.append(
        Table(
            ["ส่วนราชการ", "บุคลากร (คน)", "เข้าใช้ (คน)", "ร้อยละ", "ผล"],
            rows
            + [
                [
                    "รวม",
                    str(ind.denominator),
                    str(ind.numerator),
                    percent_text(ind.numerator, ind.denominator or 0),
                    ind.result_text,
                ]
            ],
            [0.36, 0.16, 0.16, 0.14, 0.18],
            "LRRRC",
        )
    )
    months = [
        [m.label, str(m.total), str(m.accessed), percent_text(m.accessed, m.total)]
        for m in r.access.monthly
        if not m.future
    ]
    if months:
        blocks.append(Para("ผลสะสมรายเดือน", "note"))
        blocks.append(
            Table(
                ["เดือน", "บุคลากร (คน)", "เข้าใช้สะสม (คน)", "ร้อยละสะสม"],
                months,
                [0.25, 0.25, 0.25, 0.25],
                "LRRR",
            )
        )
    return blocks


def _activity_blocks(report: Report) -> list:
    r = report.results
    blocks: list = [Heading("3. การรับทราบประกาศการจัดการความรู้ (ข้อ 9.1-1)")]
    ack = r.acknowledgement
    blocks.append(Para(f"ผลการดำเนินงาน: {ack.indicator.value_text} — {ack.indicator.result_text}"))
    rows = [[a["title"], fiscal.thai_datetime(a["published_at"])] for a in ack.announcements]
    blocks.append(
        _table_or_note(
            ack.indicator.note, ["ประกาศที่มีผลในปีงบประมาณ", "วันที่ประกาศ"], rows, [0.65, 0.35]
        )
    )

    blocks.append(Heading("4. การแลกเปลี่ยนเรียนรู้ (ข้อ 9.1-2)"))
    rows = [
        [_d(s["held_on"]), s["topic"], s["division"] or "-", str(s["attendance"])]
        for s in r.sessions
    ]
    blocks.append(
        _table_or_note(
            "ไม่มีการบันทึกการแลกเปลี่ยนเรียนรู้ในปีงบประมาณนี้",
            ["วันที่", "หัวข้อ", "ส่วนราชการ", "ผู้เข้าร่วม (คน)"],
            rows,
            [0.22, 0.42, 0.22, 0.14],
            "LLLR",
        )
    )

    blocks.append(Heading("5. ช่องทางเผยแพร่ความรู้สู่ประชาชน (ข้อ 9.2-1)"))
    rows = [[c["name"], c["url"] or "-", _d(c["started_on"])] for c in r.channels]
    blocks.append(
        _table_or_note(
            "ไม่มีช่องทางเผยแพร่ความรู้สู่ประชาชนในปีงบประมาณนี้",
            ["ช่องทาง", "ที่อยู่", "เริ่มเผยแพร่"],
            rows,
            [0.4, 0.38, 0.22],
        )
    )

    blocks.append(Heading("6. คู่มือที่จัดทำขึ้นใหม่ (ข้อ 9.3-1)"))
    blocks.append(
        Para(
            "นับเอกสารประเภทคู่มือที่เผยแพร่ครั้งแรกในปีงบประมาณ (วันที่ปรับปรุงเมื่อระบบพบเอกสาร"
            "ครั้งแรก) การปรับปรุงคู่มือเดิมไม่นับเป็นคู่มือใหม่",
            "note",
        )
    )
    rows = [[m["title"], m["division"] or "-", _d(m["first_published"])] for m in r.manuals]
    blocks.append(
        _table_or_note(
            "ไม่มีคู่มือที่จัดทำขึ้นใหม่ในปีงบประมาณนี้",
            ["ชื่อคู่มือ", "ส่วนราชการ", "เผยแพร่ครั้งแรก"],
            rows,
            [0.5, 0.28, 0.22],
        )
    )
    return blocks


def _health_blocks(report: Report) -> list:
    h = report.results.health
    blocks: list = [Heading(f"7. สถานะคลังความรู้ (ณ วันที่ {_d(h.today)})")]
    blocks.append(Heading("7.1 คู่มือที่ไม่ได้ทบทวนเกิน 1 ปี", 2))
    rows = [
        [s.title, s.division or "-", _d(s.updated),
         "ไม่ระบุ" if s.age_days is None else f"{s.age_days:,}"]
        for s in h.stale_manuals
    ]  # fmt: skip
    blocks.append(
        _table_or_note(
            "ไม่มี",
            ["ชื่อคู่มือ", "ส่วนราชการ", "ปรับปรุงล่าสุด", "อายุ (วัน)"],
            rows,
            [0.44, 0.22, 0.2, 0.14],
            "LLLR",
        )
    )
    blocks.append(Heading("7.2 เอกสารที่ถูกแทนที่ด้วยความรู้ใหม่", 2))
    rows = [[s["title"], s["superseded_by_title"] or "-"] for s in h.superseded]
    blocks.append(_table_or_note("ไม่มี", ["เอกสาร", "แทนที่ด้วย"], rows, [0.5, 0.5]))
    blocks.append(Heading("7.3 คำค้นที่ไม่พบผลลัพธ์บ่อยที่สุด", 2))
    for audience, label in AUDIENCE_LABELS.items():
        rows = [[q, f"{n:,}"] for q, n in h.zero_results.get(audience, [])]
        blocks.append(
            _table_or_note(
                f"คำค้นของ{label}: ไม่มี", [f"คำค้นของ{label}", "จำนวนครั้ง"], rows, [0.8, 0.2], "LR"
            )
        )
    return blocks


def _closing_blocks(report: Report) -> list:
    r = report.results
    blocks: list = []
    if r.warnings:
        blocks.append(Heading("หมายเหตุเกี่ยวกับข้อมูล", 2))
        blocks.extend(Para(f"- {w}", "note") for w in r.warnings)
    blocks.append(Heading("8. ข้อเสนอแนะของคณะกรรมการ"))
    text = report.recommendations.strip() or NO_RECOMMENDATIONS
    blocks.extend(Para(p.strip()) for p in text.split("\n\n") if p.strip())
    blocks.append(Para(""))
    blocks.append(Para("ลงชื่อ ........................................................", "center"))
    blocks.append(Para(f"ประธาน{COMMITTEE}", "center"))
    blocks.append(Para(f"วันที่ {_d(fiscal.local_date(report.generated_at))}", "center"))
    return blocks


def report_blocks(report: Report, measure: charts.Measure = charts.estimate_width) -> list:
    """The report's content in reading order, shared by the PDF and HTML renderings.

    measure gives text widths in chart units, to wrap chart labels; the PDF passes the
    real font's, the HTML an estimate.
    """
    return (
        _summary_blocks(report)
        + _access_blocks(report, measure)
        + _activity_blocks(report)
        + _health_blocks(report)
        + _closing_blocks(report)
    )


# --- PDF ----------------------------------------------------------------------------------------

FONT = "Sarabun"
BODY_PT = 11.5
LINE_MM = 6.4  # Thai needs room for stacked marks above and below
CELL_PAD_MM = 1.6
HEADER_FILL = (230, 236, 244)


def font_files() -> dict[str, Path]:
    """The Sarabun TTF files shipped by fontpkg-sarabun (regular and bold)."""
    import fontpkg_sarabun

    root = Path(fontpkg_sarabun.ROOT) / "files"
    return {"": root / "Sarabun-Regular.ttf", "B": root / "Sarabun-Bold.ttf"}


def _rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


class _FooterPDF(FPDF):
    """FPDF with the report's name and 'page n/N' at the foot of every page."""

    footer_text = ""

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, "", 8.5)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"{self.footer_text} · หน้า {self.page_no()}/{{nb}}", align="C")


class _ThaiPDF:
    """Writes report blocks with Sarabun, HarfBuzz shaping and Thai word-boundary breaks."""

    def __init__(self, report: Report):
        pdf = _FooterPDF(format="A4", unit="mm")
        pdf.footer_text = f"{REPORT_TITLE} {report.results.fy.label}"
        for style, path in font_files().items():
            pdf.add_font(FONT, style, str(path))
        pdf.set_text_shaping(use_shaping_engine=True, script="thai", language="THA")
        pdf.set_margins(20, 18, 20)
        pdf.set_auto_page_break(True, margin=18)
        pdf.set_title(f"{REPORT_TITLE} {report.results.fy.label}")
        pdf.set_author(COMMITTEE)
        pdf.set_subject(report.organisation)
        pdf.set_lang("th")
        pdf.set_creator("kmsearch")
        pdf.add_page()
        pdf.set_font(FONT, "", BODY_PT)
        self.pdf = pdf

    # -- text -----------------------------------------------------------------------------------
    def lines(self, text: str, width: float) -> list[str]:
        """text broken to width at Thai word boundaries, with the current font."""
        return charts.break_lines(text, width, self.pdf.get_string_width)

    def ensure_space(self, height: float) -> bool:
        """Start a new page if height does not fit; True if it did."""
        if self.pdf.get_y() + height > self.pdf.page_break_trigger:
            self.pdf.add_page()
            return True
        return False

    def paragraph(self, text: str, size: float = BODY_PT, style: str = "",
                  align: str = "L", color=(0, 0, 0), line: float = LINE_MM) -> None:  # fmt: skip
        pdf = self.pdf
        pdf.set_font(FONT, style, size)
        pdf.set_text_color(*color)
        for text_line in self.lines(text, pdf.epw) if text else [""]:
            self.ensure_space(line)
            pdf.cell(pdf.epw, line, text_line, align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)

    def block(self, block) -> None:
        if isinstance(block, Heading):
            self.heading(block)
        elif isinstance(block, Para):
            self.para(block)
        elif isinstance(block, Table):
            self.table(block)
        elif isinstance(block, Figure):
            self.figure(block.chart)

    def heading(self, block: Heading) -> None:
        size = 14 if block.level == 1 else 12.5
        self.ensure_space(38)  # keep a heading with a few lines or a table header after it
        self.pdf.ln(3 if block.level == 1 else 1.5)
        self.paragraph(block.text, size, "B", color=(20, 50, 100), line=LINE_MM + 1)
        self.pdf.ln(0.8)

    def para(self, block: Para) -> None:
        if block.style == "title":
            self.paragraph(block.text, 17, "B", "C", line=9)
        elif block.style == "subtitle":
            self.paragraph(block.text, 14, "B", "C", line=7.5)
        elif block.style == "note":
            self.paragraph(block.text, 10.5, color=(80, 80, 80), line=5.8)
        elif block.style == "center":
            self.paragraph(block.text, BODY_PT, "", "C")
        else:
            self.paragraph(block.text)
        if block.style in ("body", "subtitle", "note"):
            self.pdf.ln(1.5)

    # -- tables ----------------------------------------------------------------------------------
    def _row_lines(self, cells: list[str], widths: list[float], style: str) -> list[list[str]]:
        self.pdf.set_font(FONT, style, 10.5)
        return [self.lines(c, w - 2 * CELL_PAD_MM) for c, w in zip(cells, widths, strict=True)]

    def _draw_row(self, cells, widths, align, style="", fill=None) -> None:
        pdf = self.pdf
        wrapped = self._row_lines(cells, widths, style)
        line_h = 5.6
        height = max(len(w) for w in wrapped) * line_h + 2 * CELL_PAD_MM
        x, y = pdf.l_margin, pdf.get_y()
        for lines, w, a in zip(wrapped, widths, align, strict=True):
            if fill:
                pdf.set_fill_color(*fill)
            pdf.rect(x, y, w, height, style="DF" if fill else "D")
            for n, text in enumerate(lines):
                pdf.set_xy(x + CELL_PAD_MM, y + CELL_PAD_MM + n * line_h)
                pdf.cell(w - 2 * CELL_PAD_MM, line_h, text, align=a)
            x += w
        pdf.set_xy(pdf.l_margin, y + height)

    def table(self, block: Table) -> None:
        pdf = self.pdf
        widths = [f * pdf.epw for f in block.widths]
        align = (block.align or "").ljust(len(widths), "L")
        pdf.set_draw_color(170, 178, 189)
        pdf.set_line_width(0.2)
        saved_margin, pdf.c_margin = pdf.c_margin, 0
        header_h = max(len(w) for w in self._row_lines(block.headers, widths, "B")) * 5.6 + 3.2
        self.ensure_space(header_h + 12)
        self._draw_row(block.headers, widths, "C" * len(widths), "B", HEADER_FILL)
        for row in block.rows:
            row_h = max(len(w) for w in self._row_lines(row, widths, "")) * 5.6 + 3.2
            if self.ensure_space(row_h):  # repeat the header on the new page
                self._draw_row(block.headers, widths, "C" * len(widths), "B", HEADER_FILL)
            self._draw_row(row, widths, align)
        pdf.c_margin = saved_margin
        pdf.ln(3)
        pdf.set_font(FONT, "", BODY_PT)

    # -- charts ------------------------------------------------------------------------------------
    def figure(self, chart: charts.Chart) -> None:
        pdf = self.pdf
        scale = pdf.epw / chart.width
        self.ensure_space(chart.height * scale + 4)
        ox, oy = pdf.l_margin, pdf.get_y() + 2
        saved_margin, pdf.c_margin = pdf.c_margin, 0
        for shape in chart.shapes:
            self._shape(shape, ox, oy, scale)
        pdf.c_margin = saved_margin
        pdf.set_dash_pattern()
        pdf.set_text_color(0, 0, 0)
        pdf.set_xy(pdf.l_margin, oy + chart.height * scale + 4)

    def _shape(self, s, ox: float, oy: float, k: float) -> None:
        pdf = self.pdf
        if isinstance(s, charts.Line):
            pdf.set_draw_color(*_rgb(s.color))
            pdf.set_line_width(s.width * k)
            pdf.set_dash_pattern(dash=1.6, gap=1.1) if s.dashed else pdf.set_dash_pattern()
            pdf.line(ox + s.x1 * k, oy + s.y1 * k, ox + s.x2 * k, oy + s.y2 * k)
        elif isinstance(s, charts.Rect):
            pdf.set_fill_color(*_rgb(s.fill))
            pdf.rect(ox + s.x * k, oy + s.y * k, s.w * k, s.h * k, style="F")
        elif isinstance(s, charts.Polyline):
            pdf.set_draw_color(*_rgb(s.color))
            pdf.set_line_width(s.width * k)
            pdf.set_dash_pattern()
            pdf.polyline([(ox + x * k, oy + y * k) for x, y in s.points])
        elif isinstance(s, charts.Dot):
            pdf.set_fill_color(*_rgb(s.fill))
            pdf.circle(ox + s.cx * k, oy + s.cy * k, s.r * k, style="F")
        elif isinstance(s, charts.Text):
            self._chart_text(s, ox, oy, k)

    def _chart_text(self, s: charts.Text, ox: float, oy: float, k: float) -> None:
        """Chart text through cell(): pdf.text() would skip HarfBuzz shaping."""
        pdf = self.pdf
        size_mm = s.size * k
        pdf.set_font(FONT, "B" if s.bold else "", size_mm * 72 / 25.4)
        pdf.set_text_color(*_rgb(s.color))
        width = pdf.get_string_width(s.text)
        x = ox + s.x * k - {"start": 0, "middle": width / 2, "end": width}[s.anchor]
        # cell() puts the baseline 0.8 font sizes below the top when h equals the font size.
        pdf.set_xy(x, oy + s.y * k - 0.8 * size_mm)
        pdf.cell(width + 0.01, size_mm, s.text)

    def measure_for(self, scale: float) -> charts.Measure:
        """Chart-unit text widths measured with the real font, for label wrapping."""

        def measure(text: str, size: float) -> float:
            self.pdf.set_font(FONT, "", size * scale * 72 / 25.4)
            return self.pdf.get_string_width(text) / scale

        return measure


def render_pdf(report: Report) -> bytes:
    """The report as a Thai PDF (A4, Sarabun, shaped, word-wrapped)."""
    doc = _ThaiPDF(report)
    for block in report_blocks(report, doc.measure_for(doc.pdf.epw / charts.CHART_WIDTH)):
        doc.block(block)
    return bytes(doc.pdf.output())


# --- HTML ------------------------------------------------------------------------------------------

_HTML_STYLE = """
body{font-family:Sarabun,'TH Sarabun New','Noto Sans Thai',Tahoma,sans-serif;max-width:52rem;
margin:2rem auto;padding:0 1rem;line-height:1.7;color:#222}
h1,h2,h3{color:#143264;line-height:1.4} .title{text-align:center;font-size:1.5rem;font-weight:bold}
.subtitle{text-align:center;font-weight:bold;font-size:1.2rem;margin:.2rem 0}
.note{color:#555;font-size:.95rem} .center{text-align:center}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem} th,td{border:1px solid #aab2bd;
padding:.3rem .5rem;vertical-align:top} th{background:#e6ecf4} td.R{text-align:right}
td.C{text-align:center} figure{margin:1rem 0} svg.chart{max-width:640px;height:auto}
@media print{body{margin:0;max-width:none} figure,table{break-inside:avoid}}
"""


def _html_block(block, n: int) -> str:
    e = html.escape
    if isinstance(block, Heading):
        return f"<h{block.level + 1}>{e(block.text)}</h{block.level + 1}>"
    if isinstance(block, Para):
        if block.style == "title":
            return f'<h1 class="title">{e(block.text)}</h1>'
        return f'<p class="{block.style}">{e(block.text) or "&nbsp;"}</p>'
    if isinstance(block, Table):
        align = (block.align or "").ljust(len(block.headers), "L")
        head = "".join(f'<th scope="col">{e(h)}</th>' for h in block.headers)
        body = "".join(
            "<tr>"
            + "".join(
                f'<td class="{a}">{e(c).replace(chr(10), "<br>")}</td>'
                for c, a in zip(row, align, strict=True)
            )
            + "</tr>"
            for row in block.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if isinstance(block, Figure):
        return f"<figure>{charts.to_svg(block.chart, f'chart{n}')}</figure>"
    raise TypeError(f"unknown block {block!r}")


def render_html(report: Report) -> str:
    """The report as one standalone, printable HTML page (charts inline as SVG)."""
    body = "\n".join(_html_block(b, n) for n, b in enumerate(report_blocks(report)))
    title = html.escape(f"{REPORT_TITLE} {report.results.fy.label}")
    return (
        '<!doctype html>\n<html lang="th">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{_HTML_STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


# --- CSV -----------------------------------------------------------------------------------------

CSV_HEADER = ["หมวด", "รายการ", "ชื่อ", "ค่า", "ตัวตั้ง", "ตัวหาร", "เป้าหมาย", "ผล"]


def csv_rows(report: Report) -> list[list[str]]:
    """One flat table: indicators, then the breakdowns, for a spreadsheet."""
    r = report.results
    rows = []
    for i in r.indicators:
        value = "" if i.value is None else str(i.value)
        rows.append(["ตัวชี้วัด", i.item, i.name, value, str(i.numerator),
                     "" if i.denominator is None else str(i.denominator), i.target.text,
                     i.result_text])  # fmt: skip
    target = r.access.indicator.target.text
    for s in r.access.by_division:
        rows.append(
            [
                "9.1-4 ส่วนราชการ",
                s.label,
                "",
                percent_text(s.accessed, s.total),
                str(s.accessed),
                str(s.total),
                target,
                "บรรลุ" if s.met else "ไม่บรรลุ",
            ]
        )
    for m in r.access.monthly:
        if not m.future:
            rows.append(["9.1-4 สะสมรายเดือน", f"{m.year:04d}-{m.month:02d}", m.label,
                         percent_text(m.accessed, m.total), str(m.accessed), str(m.total),
                         target, ""])  # fmt: skip
    for s in r.sessions:
        rows.append(["9.1-2 แลกเปลี่ยนเรียนรู้", s["held_on"].isoformat(), s["topic"],
                     str(s["attendance"]), "", "", "", s["division"]])  # fmt: skip
    for c in r.channels:
        rows.append(["9.2-1 ช่องทาง", c["started_on"].isoformat(), c["name"], c["url"],
                     "", "", "", ""])  # fmt: skip
    for m in r.manuals:
        rows.append(["9.3-1 คู่มือ", m["first_published"].isoformat(), m["title"], "",
                     "", "", "", m["division"]])  # fmt: skip
    for audience, who in AUDIENCE_LABELS.items():
        for q, n in r.health.zero_results.get(audience, []):
            rows.append([f"คำค้นไม่พบผล ({who})", "", q, str(n), "", "", "", ""])
    if report.recommendations.strip():
        rows.append(["ข้อเสนอแนะ", "", report.recommendations.strip(), "", "", "", "", ""])
    return rows


# A cell starting with one of these is read by Excel and LibreOffice as a formula (or, for tab
# and CR, lets one that follows be): `=HYPERLINK(...)` typed into the search box would become
# a live link in the committee's spreadsheet. Full-width forms are included because some
# spreadsheet programs fold them to ASCII.
_PLAIN = re.compile(r"-|[-+]?\d+(\.\d+)?")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def formula_safe(cell: str) -> str:
    """The cell as text a spreadsheet shows literally: a leading apostrophe when it could be a
    formula (OWASP's advice for CSV injection). Leading spaces are looked past, as Excel does.
    A plain number and the report's "-" (nobody to count) are left as they are: no formula."""
    if _PLAIN.fullmatch(cell):
        return cell
    if cell.lstrip(" ").startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell


def render_csv(report: Report) -> str:
    """CSV text with a BOM: Excel, which the committee uses, needs it to read Thai.

    Every cell goes through formula_safe: citizens' queries and typed recommendations end up
    here verbatim."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows([formula_safe(str(c)) for c in row] for row in csv_rows(report))
    return "\ufeff" + out.getvalue()


def render(report: Report, fmt: str) -> bytes:
    """The report in one of FORMATS, as bytes ready to write or send."""
    if fmt == "pdf":
        return render_pdf(report)
    if fmt == "html":
        return render_html(report).encode("utf-8")
    if fmt == "csv":
        return render_csv(report).encode("utf-8")
    raise ReportError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
