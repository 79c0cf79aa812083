"""Charts of the KM indicators, laid out once and drawn as inline SVG or with fpdf2.

A chart is a list of plain shapes (lines, rectangles, text...) in abstract units; the
dashboard turns them into SVG (no JavaScript library) and the PDF report into fpdf2
drawing calls, so a page and the printed report show the same picture.

Thai has no spaces between words, so text is broken into lines at word boundaries
(PyThaiNLP newmm), never inside a word nor between a consonant and its marks:
break_lines() is shared by chart labels and the PDF report.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from kmsearch.km.fiscal import MONTHS_ABBR, be_year

FONT_FAMILY = "Sarabun, 'TH Sarabun New', 'Noto Sans Thai', Tahoma, sans-serif"
BLUE = "#1f5fa8"
RED = "#c0392b"
GREEN = "#2e7d32"
ORANGE = "#d35400"
GREY = "#d0d4da"
INK = "#222222"
MUTED = "#5f6670"

CHART_WIDTH = 640.0  # every chart is this many units wide; renderers scale it
Measure = Callable[[str, float], float]  # (text, font size) -> width, same units


# --- Thai line breaking ---------------------------------------------------------------------

_CLOSING = set(")]}»”’,.;:!?%ๆฯ")
_OPENING = set("([{«“‘")


def estimate_width(text: str, size: float) -> float:
    """Rough advance width for a Thai/Latin sans font: marks above/below take no space."""
    return sum(0 if unicodedata.combining(c) or _is_thai_mark(c) else 0.55 for c in text) * size


def _is_thai_mark(ch: str) -> bool:
    """Thai vowels and tone marks written above or below a consonant (zero advance)."""
    return ch in "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a" or "\u0e47" <= ch <= "\u0e4e"


def _is_thai_letter(ch: str) -> bool:
    return "\u0e01" <= ch <= "\u0e2e" or "\u0e40" <= ch <= "\u0e44"  # consonants, lead vowels


def _glue(tokens: list[str]) -> list[str]:
    """Join tokens that must not be split across lines.

    Closing punctuation and ๆ stay with the word before, opening brackets with the word
    after, and a number with the Thai word that follows it (its classifier: 7 คน, 2 ครั้ง).
    """
    out: list[str] = []
    carry = ""
    for tok in tokens:
        if tok and all(c in _OPENING for c in tok):
            carry += tok
            continue
        tok = carry + tok
        carry = ""
        if out and tok and tok[0] in _CLOSING and not out[-1].isspace():
            out[-1] += tok
        elif (
            len(out) >= 2
            and out[-1] == " "
            and out[-2][-1:].isdigit()
            and tok[:1]
            and _is_thai_letter(tok[0])
        ):
            out[-2:] = [out[-2] + " " + tok]
        else:
            out.append(tok)
    if carry:
        out.append(carry)
    return out


def _clusters(word: str) -> list[str]:
    """Thai character clusters: the smallest pieces a too-long word may be cut into."""
    from pythainlp.tokenize import tcc

    return tcc.segment(word)


def break_lines(text: str, max_width: float, measure: Callable[[str], float]) -> list[str]:
    """Lines of text no wider than max_width, broken at Thai word boundaries.

    measure gives a string's width. Newlines in text are kept. A single word wider than
    a line is cut between character clusters, never between a consonant and its marks.
    """
    from pythainlp.tokenize import word_tokenize

    lines: list[str] = []
    for paragraph in text.split("\n"):
        tokens = _glue(word_tokenize(paragraph, engine="newmm", keep_whitespace=True))
        line = ""
        for tok in tokens:
            if measure(line + tok) <= max_width:
                line += tok
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = tok.lstrip()
            while measure(line) > max_width:  # one word wider than a whole line
                head = ""
                rest = _clusters(line)
                while rest and (not head or measure(head + rest[0]) <= max_width):
                    head += rest.pop(0)
                lines.append(head)
                line = "".join(rest)
        lines.append(line.rstrip())
    return lines


# --- shapes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    color: str = GREY
    width: float = 1.0
    dashed: bool = False


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str = BLUE


@dataclass(frozen=True)
class Polyline:
    points: tuple[tuple[float, float], ...]
    color: str = BLUE
    width: float = 2.5


@dataclass(frozen=True)
class Dot:
    cx: float
    cy: float
    r: float
    fill: str = BLUE


@dataclass(frozen=True)
class Text:
    """Text whose baseline starts (anchor start), centres or ends at x."""

    x: float
    y: float
    text: str
    size: float = 12.0
    anchor: str = "start"  # start | middle | end
    color: str = INK
    bold: bool = False


@dataclass
class Chart:
    """A picture in abstract units, with a title and a text description for screen readers."""

    width: float
    height: float
    title: str
    description: str
    shapes: list = field(default_factory=list)


def _pct(value: Decimal | float | None) -> str:
    return "-" if value is None else f"{float(value):.1f}%"


# --- the two charts --------------------------------------------------------------------------


def access_line_chart(
    points: Sequence,
    target: int = 70,
    title: str = "ร้อยละบุคลากรที่เข้าถึงฐานความรู้ (สะสมรายเดือน)",
) -> Chart:
    """Monthly cumulative access share against the target: points are indicators.MonthPoint."""
    width, height = CHART_WIDTH, 300.0
    left, right, top, bottom = 48.0, 28.0, 40.0, 50.0
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)

    def y_of(pct: float) -> float:
        return top + plot_h * (1 - pct / 100)

    shapes: list = [Text(0, 18, title, 16, bold=True)]
    for pct in range(0, 101, 20):
        shapes.append(Line(left, y_of(pct), left + plot_w, y_of(pct), GREY, 0.8))
        shapes.append(Text(left - 6, y_of(pct) + 4, f"{pct}%", 12, "end", MUTED))
    shapes.append(Line(left, y_of(target), left + plot_w, y_of(target), RED, 1.6, dashed=True))
    # Above the line at the left: the year's line starts low, so nothing collides there.
    shapes.append(Text(left + 6, y_of(target) - 6, f"เป้าหมาย มากกว่า {target}%", 12,
                       color=RED, bold=True))  # fmt: skip
    plotted = []
    for i, p in enumerate(points):
        x = left + i * step
        # Month on the axis; the B.E. year under October and January only, as on a calendar.
        shapes.append(Text(x, height - bottom + 19, MONTHS_ABBR[p.month - 1], 12, "middle", MUTED))
        if p.month in (10, 1):
            shapes.append(Text(x, height - bottom + 35, str(be_year(p.year)), 11, "middle", MUTED))
        if not p.future and p.percent is not None:
            plotted.append((x, y_of(float(p.percent)), p))
    if len(plotted) > 1:
        shapes.append(Polyline(tuple((x, y) for x, y, _ in plotted)))
    for x, y, p in plotted:
        shapes.append(Dot(x, y, 4.0, GREEN if p.met else BLUE))
    if plotted:
        x, y, p = plotted[-1]
        shapes.append(Text(x, y - 10, _pct(p.percent), 12.5, "middle", INK, bold=True))
    described = ", ".join(f"{p.label} {_pct(p.percent)}" for _, _, p in plotted)
    description = f"{title}: {described or 'ยังไม่มีข้อมูล'}; เป้าหมายมากกว่า {target}%"
    return Chart(width, height, title, description, shapes)


def division_bar_chart(
    shares: Sequence,
    target: int = 70,
    title: str = "ร้อยละการเข้าถึงฐานความรู้ แยกตามส่วนราชการ",
    measure: Measure = estimate_width,
) -> Chart:
    """One horizontal bar per division (indicators.Share), the target as a dashed line."""
    width = CHART_WIDTH
    label_w, value_w, top, row_h = 200.0, 108.0, 56.0, 38.0
    x0 = label_w + 8
    bar_max = width - x0 - value_w
    height = top + row_h * max(len(shares), 1) + 12
    shapes: list = [Text(0, 18, title, 16, bold=True)]
    target_x = x0 + bar_max * target / 100
    shapes.append(
        Text(target_x, top - 10, f"เป้าหมาย มากกว่า {target}%", 12, "middle", RED, bold=True)
    )
    for i, s in enumerate(shares):
        y = top + i * row_h
        lines = break_lines(s.label, label_w, lambda t: measure(t, 12.5))[:2]
        first_baseline = y + row_h / 2 + 4 - 7.5 * (len(lines) - 1)
        for n, text in enumerate(lines):
            shapes.append(Text(label_w, first_baseline + 15 * n, text, 12.5, "end"))
        shapes.append(Rect(x0, y + 8, bar_max, row_h - 16, "#eef1f4"))
        pct = float(s.percent or 0)
        if pct > 0:
            shapes.append(
                Rect(x0, y + 8, bar_max * pct / 100, row_h - 16, GREEN if s.met else ORANGE)
            )
        value = f"{_pct(s.percent)} ({s.accessed}/{s.total})"
        shapes.append(Text(x0 + bar_max + 6, y + row_h / 2 + 4, value, 11.5, color=INK))
    shapes.append(Line(target_x, top - 4, target_x, height - 8, RED, 1.6, dashed=True))
    if not shares:
        shapes.append(Text(width / 2, top + row_h / 2, "ยังไม่มีข้อมูลบุคลากร", 12, "middle", MUTED))
    described = ", ".join(f"{s.label} {_pct(s.percent)}" for s in shares)
    description = f"{title}: {described or 'ยังไม่มีข้อมูล'}; เป้าหมายมากกว่า {target}%"
    return Chart(width, height, title, description, shapes)


# --- SVG -------------------------------------------------------------------------------------------


def _svg_shape(shape) -> str:
    if isinstance(shape, Line):
        dash = ' stroke-dasharray="6 4"' if shape.dashed else ""
        return (
            f'<line x1="{shape.x1:.1f}" y1="{shape.y1:.1f}" x2="{shape.x2:.1f}" '
            f'y2="{shape.y2:.1f}" stroke="{shape.color}" stroke-width="{shape.width}"{dash}/>'
        )
    if isinstance(shape, Rect):
        return (
            f'<rect x="{shape.x:.1f}" y="{shape.y:.1f}" width="{shape.w:.1f}" '
            f'height="{shape.h:.1f}" fill="{shape.fill}" rx="2"/>'
        )
    if isinstance(shape, Polyline):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in shape.points)
        return (
            f'<polyline points="{pts}" fill="none" stroke="{shape.color}" '
            f'stroke-width="{shape.width}" stroke-linejoin="round"/>'
        )
    if isinstance(shape, Dot):
        return (
            f'<circle cx="{shape.cx:.1f}" cy="{shape.cy:.1f}" r="{shape.r}" fill="{shape.fill}"/>'
        )
    if isinstance(shape, Text):
        weight = ' font-weight="bold"' if shape.bold else ""
        return (
            f'<text x="{shape.x:.1f}" y="{shape.y:.1f}" font-size="{shape.size}" '
            f'text-anchor="{shape.anchor}" fill="{shape.color}"{weight}>{escape(shape.text)}</text>'
        )
    raise TypeError(f"unknown shape {shape!r}")


def to_svg(chart: Chart, element_id: str = "chart") -> str:
    """The chart as an inline <svg> element, titled for screen readers.

    No style attribute: the web app's Content-Security-Policy forbids inline styles, so
    sizing (svg.chart) belongs to a stylesheet.
    """
    body = "\n".join(_svg_shape(s) for s in chart.shapes)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {chart.width:.0f} '
        f'{chart.height:.0f}" width="100%" class="chart" role="img" '
        f'aria-labelledby="{element_id}-title {element_id}-desc" '
        f"font-family={quoteattr(FONT_FAMILY)}>\n"
        f'<title id="{element_id}-title">{escape(chart.title)}</title>\n'
        f'<desc id="{element_id}-desc">{escape(chart.description)}</desc>\n'
        f"{body}\n</svg>"
    )
