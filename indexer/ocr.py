"""Reading scanned pages and photographs with Tesseract's Thai model, cached by file content.

Tools: the `tesseract` binary with the `tha` model (Debian tesseract-ocr, tesseract-ocr-tha;
`osd` for page orientation comes with tesseract-ocr) and poppler's `pdftoppm` to render PDF
pages. Chosen by measurement on a 3-page Thai PDF at 300 dpi (notes/ocr.md): calling the binary
costs the same as pytesseract (which only wraps it) and OCRmyPDF took 1.5x the time (it also
builds a new PDF we do not need) with pikepdf and more to install. Pillow (already installed
with fpdf2) reads images and straightens pages.

Each page: orientation from Tesseract's OSD (pages scanned upside down or sideways), then a
deskew by projection profile (a page scanned 3 degrees off lost a quarter of its characters),
then Tesseract with Thai and English (the documents quote English terms).

OCR costs seconds of CPU per page, so the text of every page read is cached in the home under
the file's SHA-256: an unchanged scan is never read twice, whatever the index run (--rebuild
too), and a file stopped by its time budget continues where it stopped on the next run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kmsearch.indexer.document import Extracted, ExtractionError
from kmsearch.indexer.pool import kill_with_parent

from kmsearch.engine.schema import file_sha256

LANGS = "tha+eng"
# Thai body text read best from 200-225 dpi here (CER 5.7 % at 200, 8.2 % at 150, 6.6 % at
# 300 on two pages of a bundled PDF): at 300 dpi the marks above large bold headings were
# read as a line of their own.
DPI = 200
PIPELINE = "1"  # bump when the steps below change: cached texts are read again
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
DEFAULT_BUDGET = 900.0  # seconds of OCR per file (~90 pages)

# Tesseract's OpenMP threads fight the extraction workers for the cores: with one thread a
# 300-dpi page took 3.0 s instead of 10.5 s of wall time here.
_ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}
_MAX_SKEW = 5.0  # degrees searched by the deskew


@dataclass(frozen=True)
class Tools:
    """What OCR needs and what this machine has."""

    tesseract: str | None
    version: str
    langs: frozenset[str]
    pdftoppm: str | None

    def missing(self) -> list[str]:
        """Debian packages to install, as a person would name them (empty: OCR works)."""
        out = []
        if self.tesseract is None:
            out.append("tesseract-ocr")
        if self.tesseract is None or "tha" not in self.langs:
            out.append("tesseract-ocr-tha")
        if self.pdftoppm is None:
            out.append("poppler-utils")
        return out

    @property
    def signature(self) -> str:
        """Changes when the OCR would read differently (new tools, models or pipeline)."""
        if self.missing():
            return "no-ocr"
        return f"{self.version}|{LANGS}|{'osd' in self.langs}|{DPI}|{PIPELINE}"


@lru_cache(maxsize=1)
def tools() -> Tools:
    """Look for tesseract, its models and pdftoppm once per process."""
    tesseract = shutil.which("tesseract")
    version, langs = "", frozenset()
    if tesseract:
        try:
            out = subprocess.run([tesseract, "--version"], capture_output=True, text=True,
                                 timeout=30, env=_ENV)
            version = (out.stdout or out.stderr).splitlines()[0].strip()
            out = subprocess.run([tesseract, "--list-langs"], capture_output=True, text=True,
                                 timeout=30, env=_ENV)
            langs = frozenset(line.strip() for line in out.stdout.splitlines()[1:] if line.strip())
        except (OSError, subprocess.SubprocessError, IndexError):
            tesseract = None
    return Tools(tesseract, version, langs, shutil.which("pdftoppm"))


def missing_message() -> str:
    """Why OCR cannot run here, in plain words, or "" when it can."""
    missing = tools().missing()
    if not missing:
        return ""
    return f"OCR is not available: install {' '.join(missing)} (Debian/Ubuntu: apt-get install {' '.join(missing)})"


@dataclass(frozen=True)
class OcrOptions:
    """How an index run reads scans; picklable, so worker processes get it with each file."""

    cache_dir: Path | None
    budget: float = DEFAULT_BUDGET


class PageReader:
    """OCR of one file's pages within the file's time budget, through the cache."""

    def __init__(self, options: OcrOptions, path: Path):
        self.options = options
        self.path = path
        self.started = time.monotonic()
        self.read_now = 0  # pages OCR'd in this run (not from the cache)
        self._cache_file = None
        self._cached: dict[str, str] = {}
        if options.cache_dir is not None:
            key = hashlib.sha256(f"{tools().signature}\0{file_sha256(path)}".encode()).hexdigest()
            self._cache_file = options.cache_dir / key[:2] / f"{key}.json"
            try:
                self._cached = json.loads(self._cache_file.read_text(encoding="utf-8"))["pages"]
            except (OSError, ValueError, KeyError, TypeError):
                self._cached = {}

    # --- the budget and the cache --------------------------------------------------------
    def _remaining(self, page: int, total: int) -> float:
        left = self.options.budget - (time.monotonic() - self.started)
        if left <= 0:
            raise self._over_budget(page, total)
        return left

    def _over_budget(self, page: int, total: int) -> ExtractionError:
        self._save()
        return ExtractionError(
            f"OCR stopped at page {page} of {total}: reading the scan took longer than its "
            f"time budget of {self.options.budget:g} s (KMSEARCH_OCR_BUDGET); the pages "
            "read so far are kept and the next index run continues from there"
        )

    def _save(self) -> None:
        if self._cache_file is None or not self.read_now:
            return
        self._cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._cache_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"file": self.path.name, "pages": self._cached},
                                  ensure_ascii=False), encoding="utf-8")
        tmp.replace(self._cache_file)

    def _page(self, key: str, page: int, total: int, image_fn) -> str:
        if key in self._cached:
            return self._cached[key]
        self._remaining(page, total)
        try:
            text = _read_image(image_fn(), lambda: self._remaining(page, total))
        except _Timeout:
            raise self._over_budget(page, total) from None
        self._cached[key] = text
        self.read_now += 1
        return text

    # --- what extractors call ------------------------------------------------------------
    def pdf_pages(self, pages: list[int], total: int) -> dict[int, str]:
        """Text of the given PDF pages (1-based), rendered by pdftoppm at DPI."""
        out = {}
        try:
            with tempfile.TemporaryDirectory(prefix="kmsearch-ocr-") as tmp:
                for number in pages:
                    out[number] = self._page(
                        f"pdf:{number}", number, total,
                        lambda n=number, d=tmp: self._render(n, total, d),
                    )
        finally:
            self._save()
        return out

    def image_pages(self) -> list[str]:
        """Text of every frame of an image file (a multi-page TIFF has several)."""
        from PIL import Image, ImageSequence, UnidentifiedImageError

        try:
            frames = []
            with Image.open(self.path) as image:
                for frame in ImageSequence.Iterator(image):
                    frame.load()  # decode now: a truncated file fails here, not in Tesseract
                    frames.append(_at_dpi(frame.copy(), frame.info.get("dpi")))
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
                Image.DecompressionBombError) as e:
            raise ExtractionError(f"damaged image: cannot be read ({_short(e)})") from None
        try:
            return [
                self._page(f"img:{n}", n, len(frames), lambda f=frame: f)
                for n, frame in enumerate(frames, start=1)
            ]
        finally:
            self._save()

    def _render(self, number: int, total: int, folder: str):
        from PIL import Image

        prefix = os.path.join(folder, f"p{number}")
        try:
            subprocess.run(
                [tools().pdftoppm, "-r", str(DPI), "-gray", "-f", str(number), "-l", str(number),
                 str(self.path), prefix],
                capture_output=True, check=True, timeout=self._remaining(number, total),
                preexec_fn=kill_with_parent,
            )
        except subprocess.TimeoutExpired:
            raise _Timeout() from None
        except subprocess.CalledProcessError as e:
            raise ExtractionError(
                f"page {number} could not be rendered for OCR: {e.stderr.decode(errors='replace')[:200].strip()}"
            ) from None
        rendered = sorted(Path(folder).glob(f"p{number}-*.pgm"))
        if not rendered:
            raise ExtractionError(f"page {number} could not be rendered for OCR")
        with Image.open(rendered[-1]) as image:
            image.load()
            rendered[-1].unlink()
            return image.copy()


def _at_dpi(image, dpi):
    """A scan declared at more than 250 dpi, brought down to DPI (see DPI for why)."""
    try:
        declared = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        declared = 0.0
    if declared <= 250:
        return image  # photos declare 72 dpi or nothing: their real resolution is unknown
    from PIL import Image

    scale = DPI / declared
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.convert("L").resize(size, Image.Resampling.LANCZOS)


def _short(e: Exception) -> str:
    return (str(e) or type(e).__name__).splitlines()[0][:160]


# --- one page ------------------------------------------------------------------------------
def _read_image(image, remaining) -> str:
    """Straighten one page image and read its text with Tesseract."""
    from PIL import Image

    image = _grey(image)
    with tempfile.TemporaryDirectory(prefix="kmsearch-ocr-") as tmp:
        path = os.path.join(tmp, "page.pgm")  # uncompressed: quick to write and to read
        image.save(path)
        turn = _orientation(path, remaining())
        if turn:
            image = image.rotate(-turn, expand=True, fillcolor=255)
        angle = skew_angle(image)
        if abs(angle) >= 0.2:
            image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True,
                                 fillcolor=255)
        if turn or abs(angle) >= 0.2:
            image.save(path)
        # psm 11 (sparse text): in the block modes Tesseract read the tone marks and upper
        # vowels of Sarabun-like fonts (the fonts of Thai official documents) as a line of
        # their own above a line stripped of them; this mode kept them (CER on two bundled
        # pages: 4.4 % vs 4.5 %, and the marks of a short test page all kept). It loses the
        # paragraphs, so lines are joined again by their boxes (tsv, same run).
        base = os.path.join(tmp, "out")
        _tesseract([path, base, "-l", LANGS, "--psm", "11", "txt", "tsv"], remaining())
        with open(base + ".txt", encoding="utf-8", errors="replace") as f:
            text = f.read()
        with open(base + ".tsv", encoding="utf-8", errors="replace") as f:
            tsv = f.read()
    return join_lines(text, tsv)


def _line_boxes(tsv: str) -> list[tuple[int, int, int, int]]:
    """(left, top, right, bottom) of each text line Tesseract found, in its output order."""
    boxes, current, has_text = [], None, False
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12:
            continue
        level = cols[0]
        if level == "4":
            if current is not None and has_text:
                boxes.append(current)
            left, top, width, height = (int(c) for c in cols[6:10])
            current, has_text = (left, top, left + width, top + height), False
        elif level == "5" and cols[11].strip():
            has_text = True
    if current is not None and has_text:
        boxes.append(current)
    return boxes


def join_lines(text: str, tsv: str) -> str:
    """Tesseract's lines -> paragraphs separated by a blank line, by the lines' geometry.

    A line continues the paragraph of the line above when that line is full (it reaches
    near the right edge of the page's text) and stands right below it; joined like the PDF
    extractor joins lines: no space where a Thai line wraps inside Thai text (a wrap is not
    a word boundary), one space otherwise.
    """
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    boxes = _line_boxes(tsv)
    if len(boxes) != len(lines) or not lines:
        return tidy_ocr_text(text)
    left = min(b[0] for b in boxes)
    # The text's right edge and line height as most lines have them: a speck read as text
    # widens the page, and marks above and below make boxes of consecutive lines overlap.
    rights = sorted(b[2] for b in boxes)
    right = rights[int(0.9 * (len(rights) - 1))]
    heights = sorted(b[3] - b[1] for b in boxes)
    height = max(1, heights[len(heights) // 2])
    paragraphs: list[str] = []
    for n, (line, box) in enumerate(zip(lines, boxes, strict=True)):
        if n:
            above = boxes[n - 1]
            full = above[2] - left >= 0.85 * (right - left)
            below = 0 < box[1] - above[1] <= 1.6 * height
            if full and below:
                joined = paragraphs[-1]
                thai_wrap = _THAI.match(joined[-1]) and _THAI.match(line[0])
                paragraphs[-1] = joined + line if thai_wrap else f"{joined} {line}"
                continue
        paragraphs.append(line)
    return "\n\n".join(paragraphs)


def _grey(image):
    """8-bit grey on white: transparent areas of a PNG become paper, not black."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGBA", image.size, "white")
        background.alpha_composite(image.convert("RGBA"))
        image = background
    return image.convert("L")


def _tesseract(args: list[str], timeout: float) -> str:
    """Run tesseract; its standard output (the text when the output base is stdout)."""
    try:
        out = subprocess.run([tools().tesseract, *args], capture_output=True, timeout=timeout,
                             env=_ENV, preexec_fn=kill_with_parent)
    except subprocess.TimeoutExpired:
        raise _Timeout() from None
    if out.returncode != 0:
        message = out.stderr.decode(errors="replace").strip().splitlines()
        raise ExtractionError(f"Tesseract could not read a page: {message[-1] if message else out.returncode}")
    return out.stdout.decode("utf-8", errors="replace")


class _Timeout(ExtractionError):
    def __init__(self):
        super().__init__("OCR took longer than the file's time budget (KMSEARCH_OCR_BUDGET)")


_ROTATE = re.compile(r"^Rotate:\s*(\d+)", re.M)
_CONFIDENCE = re.compile(r"^Orientation confidence:\s*([\d.]+)", re.M)


def _orientation(path: str, timeout: float) -> int:
    """Clockwise degrees (0, 90, 180, 270) that put the page upright, by Tesseract's OSD."""
    if "osd" not in tools().langs:
        return 0
    try:
        out = subprocess.run([tools().tesseract, path, "stdout", "--psm", "0"],
                             capture_output=True, timeout=timeout, env=_ENV,
                             preexec_fn=kill_with_parent)
    except subprocess.TimeoutExpired:
        raise _Timeout() from None
    text = out.stdout.decode(errors="replace")
    rotate, confidence = _ROTATE.search(text), _CONFIDENCE.search(text)
    # OSD fails on pages with little text; a weak guess is worse than none.
    if out.returncode != 0 or not rotate or not confidence or float(confidence.group(1)) < 2.0:
        return 0
    return int(rotate.group(1)) % 360


def skew_angle(image) -> float:
    """Counter-clockwise degrees that make the text lines of a grey page horizontal.

    Projection profile: rotated by the right angle, the rows of a page alternate sharply
    between ink (text lines) and paper, so the row darkness varies most. Searched on a small
    copy, first coarsely then around the best coarse angle.
    """
    from PIL import Image, ImageOps

    small = image.copy()
    small.thumbnail((800, 800))
    ink = ImageOps.invert(small).point(lambda v: 255 if v > 96 else 0)  # text white on black

    def sharpness(angle: float) -> float:
        rotated = ink.rotate(angle, resample=Image.Resampling.BILINEAR, expand=False)
        rows = rotated.resize((1, rotated.height), Image.Resampling.BOX).tobytes()
        return sum((a - b) ** 2 for a, b in zip(rows, rows[1:], strict=False))

    coarse = [a / 2 for a in range(int(-_MAX_SKEW * 2), int(_MAX_SKEW * 2) + 1)]
    best = max(coarse, key=lambda a: (sharpness(a), -abs(a)))
    fine = [best + d / 10 for d in range(-5, 6)]
    return max(fine, key=lambda a: (sharpness(a), -abs(a)))


_THAI = re.compile(r"[\u0e00-\u0e7f]")


def tidy_ocr_text(text: str) -> str:
    """Tesseract's text -> paragraphs separated by a blank line (without line boxes).

    Lines of a paragraph are joined like the PDF extractor does: no space where a Thai line
    wraps inside Thai text (a wrap is not a word boundary), one space otherwise.
    """
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.replace("\f", "\n\n")):
        current = ""
        for line in block.splitlines():
            line = " ".join(line.split())
            if not line:
                continue
            if current and _THAI.match(current[-1]) and _THAI.match(line[0]):
                current += line
            else:
                current = f"{current} {line}" if current else line
        if current:
            paragraphs.append(current)
    return "\n\n".join(paragraphs)


# --- images as documents ------------------------------------------------------------------
def extract_image(path: Path, options: OcrOptions | None) -> Extracted:
    """The text of a scanned or photographed page (every frame of a multi-page TIFF)."""
    if options is None or missing_message():
        reason = missing_message() or "OCR is not enabled for this run"
        raise ExtractionError(f"scanned image: needs OCR ({reason})")
    reader = PageReader(options, Path(path))
    pages = reader.image_pages()
    text = "\n\n".join(p for p in pages if p.strip())
    if not text.strip():
        raise ExtractionError("scanned image: OCR found no readable text")
    return Extracted(text=text, ocr_text=text, ocr_pages=len(pages), pages=len(pages),
                     ocr_read=reader.read_now)
