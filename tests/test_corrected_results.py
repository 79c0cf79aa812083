"""Corrected results (issue 11): a query typed in the wrong keyboard layout or with a typo shows
the correction's results at once, says so, and offers to search exactly what was typed -- on
the search page, in /api/search and in `kmsearch search` (text and --json)."""

from __future__ import annotations

import html as htmlmod
import json
import re

from kmsearch.cli import main
from kmsearch.engine.search import SearchService
from tests import core_fixtures
from tests.conftest import STAFF_ONLY_WORD

corpus_kb = core_fixtures.corpus_kb  # the bundled corpus, indexed once per session

LAYOUT = "4kKuxhkp"  # ภาษีป้าย typed with the keyboard in English layout
TYPO = "ภาษีป่าย"  # ภาษีป้าย with the wrong tone mark


def test_api_shows_the_corrections_results_and_says_so(client):
    for typed in (LAYOUT, TYPO):
        data = client.get("/api/search", query_string={"q": typed}).get_json()
        assert data["query"] == typed
        assert data["searched"] == "ภาษีป้าย" and data["corrected"] is True
        assert data["suggestion"] == "ภาษีป้าย"
        assert data["total"] > 0
        assert data["hits"][0]["title"] == "คำแนะนำการชำระภาษีป้าย"
        assert all(h["audience"] == "public" for h in data["hits"])


def test_api_exact_searches_what_was_typed(client):
    data = client.get("/api/search", query_string={"q": LAYOUT, "exact": "1"}).get_json()
    assert data["query"] == data["searched"] == LAYOUT and data["corrected"] is False
    assert data["total"] == 0 and data["suggestion"] == "ภาษีป้าย"


def test_a_query_whose_words_all_match_is_not_replaced(client):
    data = client.get("/api/search", query_string={"q": "ภาษีป้าย"}).get_json()
    assert data["corrected"] is False and data["searched"] == "ภาษีป้าย"


def test_page_says_whose_results_it_shows_with_a_link_to_the_typed_text(client):
    page = client.get("/", query_string={"q": LAYOUT}).get_data(as_text=True)
    assert "แสดงผลลัพธ์ของ" in page and "ภาษีป้าย" in page
    assert "คำแนะนำการชำระภาษีป้าย" in page  # the correction's results, at once
    link = re.search(r'ค้นหาตามที่พิมพ์แทน: <a href="([^"]+)">([^<]+)</a>', page)
    assert link and htmlmod.unescape(link.group(2)) == LAYOUT
    typed = client.get(htmlmod.unescape(link.group(1))).get_data(as_text=True)
    assert "แสดงผลลัพธ์ของ" not in typed
    assert "ไม่พบเอกสารที่ตรงกับ" in typed and "หมายถึง" in typed  # did-you-mean stays offered


def test_cli_text_and_json(runner, home):
    out = runner.invoke(main, ["--home", str(home.path), "search", "--audience", "public", LAYOUT])
    assert out.exit_code == 0, out.output
    assert "แสดงผลลัพธ์ของ “ภาษีป้าย”" in out.output and "--exact" in out.output
    assert "คำแนะนำการชำระภาษีป้าย" in out.output
    data = json.loads(runner.invoke(
        main, ["--home", str(home.path), "search", "--audience", "public", TYPO, "--json"]).stdout)
    assert data["query"] == TYPO and data["searched"] == "ภาษีป้าย" and data["corrected"] is True
    assert data["hits"] and data["hits"][0]["title"] == "คำแนะนำการชำระภาษีป้าย"
    exact = json.loads(runner.invoke(
        main, ["--home", str(home.path), "search", LAYOUT, "--exact", "--json"]).stdout)
    assert exact["corrected"] is False and exact["total"] == 0


def test_a_citizen_is_never_corrected_to_a_staff_only_word(client):
    typo = STAFF_ONLY_WORD[:-1] + "ด"  # one letter off a word only staff documents hold
    data = client.get("/api/search", query_string={"q": typo}).get_json()
    assert STAFF_ONLY_WORD not in json.dumps(data, ensure_ascii=False)
    assert all(h["audience"] == "public" for h in data["hits"])


def test_a_question_with_one_unknown_real_word_is_not_rewritten(corpus_kb):
    # ทุกคืน ("every night") is in no document, but it is a real word among others that find
    # the complaints guide: offered as "did you mean" (ทุกคน) at most, never shown in its place.
    typed = "ข้างบ้านเปิดเพลงเสียงดังทุกคืน จะร้องเรียนได้ที่ไหน"
    service = SearchService(corpus_kb.home)
    try:
        result = service.search(typed, audience="public")
        assert not result.corrected and result.searched == typed
        assert result.hits[0].title.endswith("การร้องเรียนร้องทุกข์ต่อเทศบาล")
        short = service.search("ร้องเรียณ", audience="public")  # one word, a typo: corrected
        assert short.corrected and short.searched == "ร้องเรียน"
    finally:
        service.close()
