"""Fixtures and helpers for the search-core tests (thai, analysis, search, indexer, cli).

Imported explicitly by the test modules that use them (``from tests.core_fixtures import
...``) rather than through conftest.py, which belongs to the web tests. Index builds that
several modules share are cached per process, so each is built once per test session even
though every importing module registers its own copy of the fixture. Like the other test
modules' ``from tests.test_indicators import ...``, the import needs the repository root on
sys.path: run the suite as ``python -m pytest`` from the root (scripts/test.sh does).
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from hypothesis import strategies as st
from kmsearch.indexer.run import IndexReport, index_paths

from kmsearch.engine.search import SearchService
from kmsearch.home import Home

REPO = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = REPO / "corpus"
CORPUS_SOURCES = REPO / "corpus_sources"
SUPPORTED = {".pdf", ".docx", ".md", ".txt", ".html"}


def front_matter_doc(meta: dict, body: str) -> str:
    """A Markdown file with YAML front matter (values written as given)."""
    lines = ["---"]
    for key, value in meta.items():
        if isinstance(value, list):
            value = "[" + ", ".join(value) + "]"
        lines.append(f"{key}: {value}")
    lines.append("---")
    return "\n".join(lines) + "\n\n" + textwrap.dedent(body).strip() + "\n"


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write files (relative path -> text or bytes) under root; returns root."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


# A small knowledge base whose every word is chosen for a test: one word only inside a
# compound (ระเบียบ in ตามระเบียบพัสดุ), a word only in a staff document (ครุภัณฑ์), public and
# staff documents of one division, and two supersessions across audiences.
SMALL_DOCS: dict[str, str] = {
    "สำนักปลัด/เบี้ยยังชีพผู้สูงอายุ.md": front_matter_doc(
        {
            "title": "คำแนะนำการขอรับเบี้ยยังชีพผู้สูงอายุ",
            "topic": "เบี้ยยังชีพผู้สูงอายุ",
            "expert": ["หัวหน้าสำนักปลัด", "นักพัฒนาชุมชน"],
            "audience": "public",
            "doc_type": "guide",
            "updated": "2025-01-20",
        },
        """
        # คำแนะนำการขอรับเบี้ยยังชีพผู้สูงอายุ

        ผู้สูงอายุที่มีอายุครบ ๖๐ ปีบริบูรณ์ ลงทะเบียนรับเบี้ยยังชีพได้ที่สำนักงานเทศบาล

        เอกสารที่ต้องใช้ ได้แก่ บัตรประจำตัวประชาชน ทะเบียนบ้าน และสมุดบัญชีเงินฝากธนาคาร
        """,
    ),
    "สำนักปลัด/คู่มือครุภัณฑ์.md": front_matter_doc(
        {
            "title": "คู่มือการจำหน่ายครุภัณฑ์ชำรุด",
            "expert": "หัวหน้าสำนักปลัด/เจ้าพนักงานธุรการ",
            "audience": "staff",
            "doc_type": "manual",
        },
        """
        # คู่มือการจำหน่ายครุภัณฑ์ชำรุด

        เจ้าหน้าที่สำรวจครุภัณฑ์ที่ชำรุดทุกสิ้นปีงบประมาณ แล้วเสนอขออนุมัติจำหน่ายครุภัณฑ์
        """,
    ),
    "กองคลัง/คู่มือการจัดซื้อจัดจ้าง.md": front_matter_doc(
        {
            "title": "คู่มือการจัดซื้อจัดจ้าง",
            "expert": ["ผู้อำนวยการกองคลัง", "เจ้าพนักงานพัสดุ"],
            "audience": "staff",
            "doc_type": "manual",
            "updated": "2024-08-22",
        },
        """
        # คู่มือการจัดซื้อจัดจ้าง

        เจ้าหน้าที่ดำเนินการจัดซื้อจัดจ้างตามระเบียบพัสดุ และบันทึกทุกขั้นตอนในระบบ e-GP
        """,
    ),
    "กองคลัง/คำแนะนำภาษีป้าย.md": front_matter_doc(
        {
            "title": "คำแนะนำการชำระภาษีป้าย",
            "topic": "ภาษีป้าย",
            "expert": ["เจ้าพนักงานจัดเก็บรายได้"],
            "audience": "public",
            "doc_type": "guide",
        },
        """
        # คำแนะนำการชำระภาษีป้าย

        เจ้าของป้ายยื่นแบบแสดงรายการภาษีป้าย (ภ.ป.1) ภายในเดือนมีนาคม พ.ศ. ๒๕๖๘ ทุกปี

        อัตราภาษีป้ายคิดตามขนาดของป้าย ชำระได้ที่กองคลัง สำนักงานเทศบาล
        """,
    ),
    "กองคลัง/คู่มือภาษีโรงเรือน.md": front_matter_doc(
        {
            "title": "คู่มือภาษีโรงเรือนและที่ดิน (ยกเลิกแล้ว)",
            "expert": ["เจ้าพนักงานจัดเก็บรายได้"],
            "audience": "staff",
            "doc_type": "manual",
            "updated": "2019-11-15",
            "superseded_by": "กองคลัง/คำแนะนำภาษีที่ดิน.md",
        },
        """
        # คู่มือภาษีโรงเรือนและที่ดิน

        ภาษีโรงเรือนและที่ดินยกเลิกแล้ว ใช้ภาษีที่ดินและสิ่งปลูกสร้างแทน
        """,
    ),
    "กองคลัง/คำแนะนำภาษีที่ดิน.md": front_matter_doc(
        {
            "title": "คำแนะนำการชำระภาษีที่ดินและสิ่งปลูกสร้าง",
            "expert": ["เจ้าพนักงานจัดเก็บรายได้"],
            "audience": "public",
            "doc_type": "guide",
            "updated": "2025-02-01",
        },
        """
        # คำแนะนำการชำระภาษีที่ดินและสิ่งปลูกสร้าง

        เจ้าของที่ดินและสิ่งปลูกสร้างชำระภาษีภายในเดือนเมษายนของทุกปี
        """,
    ),
    "กองคลัง/คำแนะนำภาษีบำรุงท้องที่.md": front_matter_doc(
        {
            "title": "คำแนะนำภาษีบำรุงท้องที่ (ยกเลิกแล้ว)",
            "expert": ["เจ้าพนักงานจัดเก็บรายได้"],
            "audience": "public",
            "doc_type": "guide",
            "updated": "2018-05-01",
            "superseded_by": "กองคลัง/คู่มือภาษีที่ดินสำหรับเจ้าหน้าที่.md",
        },
        """
        # คำแนะนำภาษีบำรุงท้องที่

        ภาษีบำรุงท้องที่ยกเลิกแล้วตั้งแต่ปี 2563 เคยเก็บจากเจ้าของที่ดิน ส่วนสิ่งปลูกสร้างและโรงเรือนเสียภาษีโรงเรือน
        """,
    ),
    "กองคลัง/คู่มือภาษีที่ดินสำหรับเจ้าหน้าที่.md": front_matter_doc(
        {
            "title": "คู่มือการจัดเก็บภาษีที่ดินและสิ่งปลูกสร้าง",
            "expert": ["ผู้อำนวยการกองคลัง", "เจ้าพนักงานจัดเก็บรายได้"],
            "audience": "staff",
            "doc_type": "manual",
        },
        """
        # คู่มือการจัดเก็บภาษีที่ดินและสิ่งปลูกสร้าง

        เจ้าหน้าที่สำรวจที่ดินและสิ่งปลูกสร้าง คำนวณภาษี และส่งแบบแจ้งการประเมินภาษี
        """,
    ),
    "กองช่าง/คู่มือควบคุมงานก่อสร้าง.md": front_matter_doc(
        {
            "title": "คู่มือการควบคุมงานก่อสร้าง",
            "expert": ["ผู้อำนวยการกองช่าง", "นายช่างโยธา"],
            "audience": "staff",
            "doc_type": "manual",
        },
        """
        # คู่มือการควบคุมงานก่อสร้าง

        นายช่างโยธาตรวจงานก่อสร้างถนนตามแบบแปลน แล้วรายงานผลต่อผู้อำนวยการกองช่าง
        """,
    ),
}


def small_doc_key(root: Path, rel: str) -> str:
    """The index key (absolute path) of a SMALL_DOCS file written under root."""
    return str((root / rel).resolve())


def two_public_guides(tmp_path: Path) -> tuple[Path, Home]:
    """A home with two public documents indexed: (their folder, the home). With
    make_guide_staff_only, for tests of what a running service shows after an index run."""
    root = write_tree(tmp_path / "kb", {
        "guide.md": "---\ntitle: คำแนะนำ\naudience: public\n---\nยื่นแบบภาษีป้ายภายในมีนาคม\n",
        "other.md": "---\ntitle: อื่น\naudience: public\n---\nเบี้ยยังชีพผู้สูงอายุ\n",
    })  # fmt: skip
    home = Home(tmp_path / "home")
    index_paths(home, [root])
    return root, home


def make_guide_staff_only(root: Path, home: Home) -> None:
    """Rewrite two_public_guides' guide as a staff-only note and run an incremental index."""
    (root / "guide.md").write_text(
        "---\ntitle: บันทึกภายใน\naudience: staff\n---\nยื่นแบบภาษีป้าย รายชื่อค้างชำระ\n", "utf-8"
    )
    index_paths(home, [root])


def index_home(home_dir: Path, paths: list[Path]) -> tuple[Home, IndexReport]:
    home = Home(home_dir)
    report = index_paths(home, paths)
    return home, report


# Builds shared across modules: each importing module gets its own FixtureDef, so the work
# itself is cached here, keyed by name, for the life of the process.
_BUILT: dict[str, object] = {}


class Indexed:
    """A home indexed from a root, with a SearchService on it."""

    def __init__(self, root: Path, home: Home, report: IndexReport):
        self.root = root
        self.home = home
        self.report = report
        self.service = SearchService(home)

    def key(self, rel: str) -> str:
        return str((self.root / rel).resolve())

    def doc_id(self, rel: str) -> str:
        from kmsearch.engine.schema import doc_id_for

        return doc_id_for(self.key(rel))

    def path_of(self, rel: str) -> str:
        """The path a hit shows for a file of the root (as given to the indexer)."""
        return str(self.root / rel)


def bundled_corpus_root() -> Path:
    """The bundled corpus when it has documents, else the sources it is generated from."""
    has_docs = BUNDLED_CORPUS.is_dir() and any(
        p.suffix.lower() in SUPPORTED for p in BUNDLED_CORPUS.rglob("*") if p.is_file()
    )
    return BUNDLED_CORPUS if has_docs else CORPUS_SOURCES


@pytest.fixture(scope="session")
def small_kb(tmp_path_factory) -> Indexed:
    """SMALL_DOCS indexed once per session (read-only: tests must not index into it)."""
    if "small" not in _BUILT:
        base = tmp_path_factory.mktemp("small-kb")
        root = write_tree(base / "kb", SMALL_DOCS)
        home, report = index_home(base / "home", [root])
        assert report.failed == [], report.failed
        assert report.indexed == len(SMALL_DOCS)
        _BUILT["small"] = Indexed(root, home, report)
    return _BUILT["small"]


@pytest.fixture(scope="session")
def corpus_kb(tmp_path_factory) -> Indexed:
    """The bundled corpus (or corpus_sources) indexed once per session (read-only)."""
    if "corpus" not in _BUILT:
        root = bundled_corpus_root()
        base = tmp_path_factory.mktemp("corpus-kb")
        home, report = index_home(base / "home", [root])
        assert report.indexed > 0
        _BUILT["corpus"] = Indexed(root, home, report)
    return _BUILT["corpus"]


# --- Thai text as it is typed or extracted, for property tests ---------------------------

# HarfBuzz, src/hb-ot-shaper-thai.cc (thai_pua_shape): standard character, Windows PUA,
# Mac PUA, for the shift-down (SD), shift-down-left (SDL), shift-left (SL) and
# remove-descender (RD) tables.
HARFBUZZ_PUA = [
    # SD
    (0x0E48, 0xF70A, 0xF88B), (0x0E49, 0xF70B, 0xF88E), (0x0E4A, 0xF70C, 0xF891),
    (0x0E4B, 0xF70D, 0xF894), (0x0E4C, 0xF70E, 0xF897), (0x0E38, 0xF718, 0xF89B),
    (0x0E39, 0xF719, 0xF89C), (0x0E3A, 0xF71A, 0xF89D),
    # SDL
    (0x0E48, 0xF705, 0xF88C), (0x0E49, 0xF706, 0xF88F), (0x0E4A, 0xF707, 0xF892),
    (0x0E4B, 0xF708, 0xF895), (0x0E4C, 0xF709, 0xF898),
    # SL
    (0x0E48, 0xF713, 0xF88A), (0x0E49, 0xF714, 0xF88D), (0x0E4A, 0xF715, 0xF890),
    (0x0E4B, 0xF716, 0xF893), (0x0E4C, 0xF717, 0xF896), (0x0E31, 0xF710, 0xF884),
    (0x0E34, 0xF701, 0xF885), (0x0E35, 0xF702, 0xF886), (0x0E36, 0xF703, 0xF887),
    (0x0E37, 0xF704, 0xF888), (0x0E47, 0xF712, 0xF889), (0x0E4D, 0xF711, 0xF899),
    # RD
    (0x0E0D, 0xF70F, 0xF89A), (0x0E10, 0xF700, 0xF89E),
]
HARFBUZZ_PUA_MAP = {
    pua: chr(std) for std, win, mac in HARFBUZZ_PUA for pua in (win, mac)
}


WORDS = [
    "น้ำ", "ที่", "ภาษี", "ป้าย", "ทำ", "แผน", "แก้ไข", "กำหนด", "ผู้สูงอายุ", "เบี้ยยังชีพ",
    "ประจำปี", "ตามระเบียบพัสดุ", "คู่มือ", "ปู่", "ญาติ", "ฐาน", "กุ้ง", "จำนำ", "ค่ำ", "ซ้ำ",
    "ต่ำ", "นั่น", "ที่ดิน", "สิ่งปลูกสร้าง", "เจ้าหน้าที่", "บัญชี", "วุฒิ", "ธรรมเนียม",
    "โยธา", "ครุภัณฑ์", "ซึ่ง", "ถึง", "ชื่อ", "ปั๊ม", "ก๋วยเตี๋ยว", "ศักดิ์", "เพ็ญ", "แม่น้ำ",
    "e-laas", "gfmis", "2567", "60", "พ.ร.บ.", "1,000",
]
MARKS = "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d"
TONE = "\u0e48\u0e49\u0e4a\u0e4b"
VOWEL_UL = "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e47"
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\ufeff"]
PUA_FORMS: dict[str, list[str]] = {}
for _pua, _std in sorted(HARFBUZZ_PUA_MAP.items()):
    PUA_FORMS.setdefault(_std, []).append(chr(_pua))
CLUSTER = re.compile(f"[^{MARKS}\u0e33][{MARKS}\u0e33]*|[{MARKS}\u0e33]+")


@st.composite
def mistyped(draw, clean: str) -> str:
    """clean with at most one mistake per character cluster, plus zero-width characters."""
    out = []
    for cluster in CLUSTER.findall(clean):
        options = ["keep"]
        if re.search(f"[{VOWEL_UL}][{TONE}]", cluster):
            options.append("tone-first")
        if cluster.endswith("\u0e33"):
            options.append("am-split")
        if any(ch in PUA_FORMS for ch in cluster):
            options.append("pua")
        if re.search(f"[{MARKS}]", cluster):
            options.append("repeat")
        if cluster[0] == "แ":
            options.append("ee")
        if cluster.isdigit():
            options.append("thai-digit")
        if cluster.isascii() and cluster.isalpha():
            options.append("upper")
        how = draw(st.sampled_from(options))
        if how == "tone-first":
            cluster = re.sub(f"([{VOWEL_UL}])([{TONE}])", r"\2\1", cluster)
        elif how == "am-split":
            tone = cluster[-2] if len(cluster) > 1 and cluster[-2] in TONE else ""
            head = cluster[: len(cluster) - 1 - len(tone)]
            cluster = head + draw(
                st.sampled_from(
                    [tone + "\u0e4d\u0e32", "\u0e4d" + tone + "\u0e32"]
                    + (["\u0e33" + tone] if tone else [])
                )
            )
        elif how == "pua":
            cluster = "".join(
                draw(st.sampled_from(PUA_FORMS[ch])) if ch in PUA_FORMS and draw(st.booleans()) else ch
                for ch in cluster
            )
        elif how == "repeat":
            i = draw(st.sampled_from([i for i, ch in enumerate(cluster) if ch in MARKS]))
            cluster = cluster[: i + 1] + cluster[i:]
        elif how == "ee":
            cluster = "\u0e40\u0e40" + cluster[1:]
        elif how == "thai-digit":
            cluster = "".join(chr(0x0E50 + int(d)) for d in cluster)
        elif how == "upper":
            cluster = cluster.upper()
        out.append(cluster)
    text = "".join(out)
    # zero-width characters anywhere, as copy-paste from kmsearch.web pages and PDFs leaves them
    chars = list(text)
    for _ in range(draw(st.integers(0, 4))):
        chars.insert(draw(st.integers(0, len(chars))), draw(st.sampled_from(ZERO_WIDTH)))
    return "".join(chars)


@st.composite
def clean_and_mistyped(draw) -> tuple[str, str]:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8))
    seps = [draw(st.sampled_from(["", "", " ", "\n"])) for _ in words]
    clean = "".join(w + s for w, s in zip(words, seps, strict=True))
    # e-laas and พ.ร.บ. need a boundary before the next Thai letter to stay one token
    clean = re.sub(r"(e-laas|gfmis|พ\.ร\.บ\.|1,000)(?=\S)", r"\1 ", clean)
    return clean, draw(mistyped(clean))
