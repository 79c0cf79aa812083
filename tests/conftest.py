"""Shared fixtures: a small Thai corpus indexed once, and per test a fresh home, app and client.

The corpus is written here rather than taken from corpus/ so the web tests know exactly
which documents are public, which are staff-only, and which supersede which.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kmsearch.home import Home

KNOWLEDGE_MAP = """no,topic,division,expert
1,เบี้ยยังชีพผู้สูงอายุ,สำนักปลัด,หัวหน้าสำนักปลัด/นักพัฒนาชุมชน
2,ภาษีป้าย,กองคลัง,ผู้อำนวยการกองคลัง/เจ้าพนักงานจัดเก็บรายได้
3,ภาษีที่ดินและสิ่งปลูกสร้าง,กองคลัง,ผู้อำนวยการกองคลัง/เจ้าพนักงานจัดเก็บรายได้
4,ภาษีบำรุงท้องที่,กองคลัง,ผู้อำนวยการกองคลัง/เจ้าพนักงานจัดเก็บรายได้
5,การจัดซื้อจัดจ้าง,กองคลัง,ผู้อำนวยการกองคลัง/นักวิชาการพัสดุ
6,การขออนุญาตก่อสร้างอาคาร,กองช่าง,ผู้อำนวยการกองช่าง/นายช่างโยธา
7,แผนพัฒนาท้องถิ่น,กองยุทธศาสตร์และงบประมาณ,ผู้อำนวยการกองยุทธศาสตร์และงบประมาณ/นักวิเคราะห์นโยบายและแผน
8,การบริหารงานบุคคล,สำนักปลัด,หัวหน้าสำนักปลัด/นักทรัพยากรบุคคล
"""

# A word that appears only in staff documents: a citizen must never be led to it.
STAFF_ONLY_WORD = "กระทบยอดลูกหนี้"
STAFF_TITLE = "คู่มือการปฏิบัติงานการจัดเก็บภาษีป้าย (เจ้าหน้าที่)"


def _md(meta: dict, body: str) -> str:
    lines = ["---"]
    for key, value in meta.items():
        lines.append(f"{key}: {value}")
    lines += ["---", "", body.strip(), ""]
    return "\n".join(lines)


def _corpus() -> dict[str, str]:
    """Relative path -> file text of the test corpus."""
    docs = {
        "สำนักปลัด/เบี้ยยังชีพ.md": _md(
            dict(title="คำแนะนำการขอรับเบี้ยยังชีพผู้สูงอายุ", topic="เบี้ยยังชีพผู้สูงอายุ",
                 audience="public", doc_type="guide", updated="2025-03-14"),
            """# คำแนะนำการขอรับเบี้ยยังชีพผู้สูงอายุ

ผู้สูงอายุที่มีอายุหกสิบปีบริบูรณ์ขึ้นไป ยื่นคำขอรับเบี้ยยังชีพผู้สูงอายุได้ที่สำนักปลัด

เอกสารที่ต้องใช้ ได้แก่ บัตรประจำตัวประชาชน ทะเบียนบ้าน และสมุดบัญชีเงินฝากธนาคาร""",
        ),
        "กองคลัง/ภาษีป้าย-ประชาชน.md": _md(
            dict(title="คำแนะนำการชำระภาษีป้าย", topic="ภาษีป้าย", audience="public",
                 doc_type="guide", updated="2025-01-20"),
            """# คำแนะนำการชำระภาษีป้าย

เจ้าของป้ายยื่นแบบแสดงรายการภาษีป้าย ภ.ป.๑ ภายในเดือนมีนาคมของทุกปี ที่กองคลัง""",
        ),
        "กองคลัง/ภาษีป้าย-คู่มือ.md": _md(
            dict(title=STAFF_TITLE, topic="ภาษีป้าย", audience="staff", doc_type="manual",
                 updated="2025-01-21"),
            f"""# {STAFF_TITLE}

ขั้นตอนการ{STAFF_ONLY_WORD}ภาษีป้ายค้างชำระ สำหรับเจ้าพนักงานจัดเก็บรายได้

ตรวจสอบทะเบียนลูกหนี้ภาษีป้ายทุกสิ้นเดือน""",
        ),
        "กองคลัง/ภาษีที่ดิน.md": _md(
            dict(title="คำแนะนำการชำระภาษีที่ดินและสิ่งปลูกสร้าง",
                 topic="ภาษีที่ดินและสิ่งปลูกสร้าง", audience="public", doc_type="guide",
                 updated="2024-12-01"),
            """# คำแนะนำการชำระภาษีที่ดินและสิ่งปลูกสร้าง

ภาษีที่ดินและสิ่งปลูกสร้างใช้แทนภาษีบำรุงท้องที่และภาษีโรงเรือนและที่ดิน ตั้งแต่ปี ๒๕๖๓""",
        ),
        "กองคลัง/ภาษีบำรุงท้องที่.md": _md(
            dict(title="คำแนะนำการชำระภาษีบำรุงท้องที่ (ยกเลิกแล้ว)", topic="ภาษีบำรุงท้องที่",
                 audience="public", doc_type="guide", updated="2019-11-15",
                 superseded_by="กองคลัง/ภาษีที่ดิน.md"),
            """# คำแนะนำการชำระภาษีบำรุงท้องที่

ภาษีบำรุงท้องที่เก็บจากเจ้าของที่ดินทุกปี ยกเลิกแล้วตั้งแต่ปี ๒๕๖๓""",
        ),
        # A public guide replaced by a staff manual: a citizen must not learn the manual.
        "กองคลัง/ระเบียบพัสดุเดิม.md": _md(
            dict(title="ประกาศขั้นตอนการจัดซื้อจัดจ้างแบบเดิม", topic="การจัดซื้อจัดจ้าง",
                 audience="public", doc_type="regulation", updated="2016-05-01",
                 superseded_by="กองคลัง/พัสดุ-คู่มือ.md"),
            "# ประกาศขั้นตอนการจัดซื้อจัดจ้างแบบเดิม\n\nการจัดซื้อจัดจ้างตามระเบียบพัสดุเดิม",
        ),
        "กองคลัง/พัสดุ-คู่มือ.md": _md(
            dict(title="คู่มือการจัดซื้อจัดจ้างภายใน", topic="การจัดซื้อจัดจ้าง",
                 audience="staff", doc_type="manual", updated="2024-06-01"),
            "# คู่มือการจัดซื้อจัดจ้างภายใน\n\nการจัดซื้อจัดจ้างด้วยวิธีเฉพาะเจาะจงและ e-GP",
        ),
        "กองช่าง/ขออนุญาตก่อสร้าง.md": _md(
            dict(title="คำแนะนำการขออนุญาตก่อสร้างอาคาร", topic="การขออนุญาตก่อสร้างอาคาร",
                 audience="public", doc_type="guide", updated="2025-02-01"),
            """# คำแนะนำการขออนุญาตก่อสร้างอาคาร

ยื่นแบบคำขออนุญาตก่อสร้างอาคาร ข.๑ ที่กองช่าง

ตัวอย่างข้อความในเอกสาร: <script>alert("doc")</script> & <b>ไม่ใช่ตัวหนา</b>""",
        ),
    }
    # Enough documents on one topic for two pages of staff results (pagelen 10) but one
    # page for citizens: 8 public + 6 staff plans.
    for n in range(1, 15):
        audience = "public" if n <= 8 else "staff"
        docs[f"กองยุทธศาสตร์และงบประมาณ/แผน-{n:02d}.md"] = _md(
            dict(title=f"แผนพัฒนาท้องถิ่น ฉบับทบทวนที่ {n}", topic="แผนพัฒนาท้องถิ่น",
                 audience=audience, doc_type="plan" if n % 2 else "report",
                 updated=f"2024-{(n % 12) + 1:02d}-10"),
            f"# แผนพัฒนาท้องถิ่น ฉบับทบทวนที่ {n}\n\nแผนพัฒนาท้องถิ่นของเทศบาล โครงการที่ {n}",
        )
    return docs


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    (root / "knowledge-map.csv").write_text(KNOWLEDGE_MAP, encoding="utf-8")
    for rel, text in _corpus().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def indexed_home_template(tmp_path_factory, corpus_dir) -> Path:
    """A home with the test corpus indexed, built once and copied for each test."""
    from kmsearch.indexer.run import index_paths

    path = tmp_path_factory.mktemp("home-template")
    report = index_paths(Home(path), [corpus_dir])
    assert not report.failed, report.summary()
    return path


@pytest.fixture
def home(tmp_path, indexed_home_template, monkeypatch) -> Home:
    """A fresh home (own database and secret) with the indexed test corpus."""
    for name in ("KMSEARCH_HOME", "KMSEARCH_DATABASE_URL", "KMSEARCH_SECRET_KEY",
                 "KMSEARCH_SECURE_COOKIES", "KMSEARCH_LOG_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "home"
    shutil.copytree(indexed_home_template, path)
    return Home(path)


@pytest.fixture
def app(home):
    from kmsearch.web import create_app

    app = create_app(home, {"TESTING": True})
    yield app
    app.extensions["kmsearch"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner():
    """Click's runner for the kmsearch CLI (`runner.invoke(main, ["--home", ...])`)."""
    return CliRunner()


# --- helpers for the web tests -------------------------------------------------------------

PASSWORD = "รหัสผ่านทดสอบ-123"


@pytest.fixture
def make_staff(app):
    """Add someone to the roster: make_staff("somsri", role="admin") -> staff id."""
    from kmsearch.store import roster

    def make(username="somsri", role="staff", password=PASSWORD, **fields):
        values = dict(full_name="สมศรี ใจดี", division="กองคลัง",
                      position="เจ้าพนักงานจัดเก็บรายได้")
        values.update(fields)
        with app.extensions["kmsearch"].engine.begin() as conn:
            return roster.add(conn, username, role=role, password=password, **values)

    return make


def csrf_token(client, path="/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def login(client, username="somsri", password=PASSWORD, **extra):
    data = {"username": username, "password": password, "csrf_token": csrf_token(client)}
    data.update(extra)
    return client.post("/login", data=data)


@pytest.fixture
def staff_client(client, make_staff):
    """A client signed in as an ordinary staff member."""
    make_staff()
    response = login(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def staff_client_factory(app, make_staff):
    """Make a second, signed-in client beside the citizen's `client`."""
    made = []

    def factory():
        if not made:
            make_staff("staffer", full_name="เจ้าหน้าที่ ทดสอบ")
        made.append(True)
        other = app.test_client()
        assert login(other, username="staffer").status_code == 302
        return other

    return factory


def log_rows(app) -> list[dict]:
    """Access-log rows written so far, oldest first (after the writer thread caught up)."""
    from kmsearch.store import accesslog

    services = app.extensions["kmsearch"]
    assert services.recorder.flush(10)
    with services.engine.connect() as conn:
        return list(reversed(accesslog.recent(conn, 1000)))


# --- databases: every store test runs on SQLite and on PostgreSQL ---------------------------


@pytest.fixture(scope="session")
def postgres_admin_url():
    """Admin URL of a PostgreSQL server: KMSEARCH_TEST_POSTGRES_URL, or a throw-away cluster."""
    from tests.pgcluster import Cluster, Unavailable

    if url := os.environ.get("KMSEARCH_TEST_POSTGRES_URL"):
        yield url
        return
    try:
        cluster = Cluster()
        url = cluster.start()
    except Unavailable as exc:
        pytest.skip(f"PostgreSQL not available: {exc}")
    try:
        yield url
    finally:
        cluster.stop()


_databases = iter(range(1, 1_000_000))


@contextlib.contextmanager
def _new_postgres_database(admin_url: str):
    """A fresh database on the PostgreSQL server, dropped afterwards; yields its URL."""
    import sqlalchemy as sa

    admin_url = sa.make_url(admin_url)
    name = f"kmsearch_test_{os.getpid()}_{next(_databases)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kmsearch.db'}"
        return
    with _new_postgres_database(request.getfixturevalue("postgres_admin_url")) as url:
        yield url


@pytest.fixture
def postgres_url(postgres_admin_url):
    """A fresh, empty PostgreSQL database (skipped where PostgreSQL is not available)."""
    with _new_postgres_database(postgres_admin_url) as url:
        yield url
