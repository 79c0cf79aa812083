"""Everyday terms (issue 11): a list kept as data in the corpus, checked and copied into the home
by `kmsearch index`, applied at query time below the words typed, shown on the results."""

from __future__ import annotations

import json
import os

import pytest
from kmsearch.indexer.run import index_paths

from kmsearch.cli import main
from kmsearch.engine import synonyms
from kmsearch.engine.search import SearchService
from kmsearch.home import Home
from tests.core_fixtures import BUNDLED_CORPUS, front_matter_doc, write_tree

TERMS = """# everyday => official
เงินคนแก่ => เบี้ยยังชีพผู้สูงอายุ
ค่าขยะ => ค่าธรรมเนียมเก็บขนมูลฝอย
HIV => เอชไอวี, ผู้ป่วยเอดส์
"""


def _doc(title: str, body: str, audience: str = "public") -> str:
    return front_matter_doc({"title": title, "audience": audience, "doc_type": "guide"}, body)


def _corpus(tmp_path, terms: str | None = TERMS):
    files = {
        "elderly.md": _doc("คำแนะนำการขอรับเบี้ยยังชีพผู้สูงอายุ",
                           "ผู้สูงอายุยื่นคำขอรับเบี้ยยังชีพผู้สูงอายุได้ที่สำนักปลัด"),
        "waste.md": _doc("คำแนะนำค่าธรรมเนียมเก็บขนมูลฝอย",
                         "ชำระค่าธรรมเนียมเก็บขนมูลฝอยรายเดือนที่กองคลัง"),
        # holds the words typed (เงิน, คนแก่) but not the official term
        "money.md": _doc("เงินช่วยเหลือคนแก่ในชุมชน", "กองทุนชุมชนให้เงินคนแก่ที่ยากจน"),
        # A second public document using the official term: with one alone among three public
        # documents, the official words would be as rare as the typed ones (a citizen's scores
        # count public documents only), which is not what the bundled corpus is like.
        "calendar.md": _doc("ปฏิทินลงทะเบียนผู้สูงอายุ",
                            "ลงทะเบียนรับเบี้ยยังชีพผู้สูงอายุรายใหม่ทุกเดือนพฤศจิกายน"),
        "staff.md": _doc("คู่มือเบี้ยยังชีพผู้สูงอายุ (เจ้าหน้าที่)",
                         "ขั้นตอนภายในการจ่ายเบี้ยยังชีพผู้สูงอายุ", audience="staff"),
    }
    if terms is not None:
        files[synonyms.FILENAME] = terms
    return write_tree(tmp_path / "kb", files)


def _search(home: Home, text: str, audience: str = "public"):
    service = SearchService(home)
    try:
        return service.search(text, audience=audience)
    finally:
        service.close()


def test_the_list_is_parsed_and_a_bad_line_is_named():
    entries = synonyms.parse(TERMS)
    assert [(e.typed, e.official) for e in entries] == [
        ("เงินคนแก่", ("เบี้ยยังชีพผู้สูงอายุ",)),
        ("ค่าขยะ", ("ค่าธรรมเนียมเก็บขนมูลฝอย",)),
        ("HIV", ("เอชไอวี", "ผู้ป่วยเอดส์")),
    ]
    with pytest.raises(synonyms.EverydayTermsError, match="line 3"):
        synonyms.parse("# c\nเงินคนแก่ => เบี้ยยังชีพผู้สูงอายุ\nค่าขยะ ค่าธรรมเนียม\n")
    with pytest.raises(synonyms.EverydayTermsError, match="line 1"):
        synonyms.parse("ค่าขยะ =>\n")


def test_everyday_words_are_found_inside_a_question_and_latin_as_whole_words():
    entries = synonyms.parse(TERMS)
    found = synonyms.find(entries, "แม่อายุหกสิบไปขอเงินคนแก่ที่ไหน")
    assert [x.official for x in found] == ["เบี้ยยังชีพผู้สูงอายุ"]
    assert [x.official for x in synonyms.find(entries, "เงินช่วยเหลือ hiv")] == ["เอชไอวี", "ผู้ป่วยเอดส์"]
    assert synonyms.find(entries, "archive") == []  # hiv inside another word: no


def test_index_copies_the_list_into_the_home_and_does_not_index_it(tmp_path):
    root = _corpus(tmp_path)
    home = Home(tmp_path / "home")
    report = index_paths(home, [root])
    assert not report.failed and report.indexed == 5  # the list is not a document
    assert (home.path / synonyms.FILENAME).read_text(encoding="utf-8") == TERMS


def test_a_bad_list_is_reported_and_the_previous_one_kept(tmp_path):
    root = _corpus(tmp_path)
    home = Home(tmp_path / "home")
    index_paths(home, [root])
    (root / synonyms.FILENAME).write_text(TERMS + "ค่าขยะแพง\n", encoding="utf-8")
    report = index_paths(home, [root])
    (problem,) = report.failed
    assert problem.path.endswith(synonyms.FILENAME) and "line 5" in problem.reason
    assert (home.path / synonyms.FILENAME).read_text(encoding="utf-8") == TERMS


def test_everyday_words_find_the_official_guide_and_say_which_term(tmp_path):
    home = Home(tmp_path / "home")
    index_paths(home, [_corpus(tmp_path)])
    result = _search(home, "ค่าขยะเดือนละเท่าไร")
    assert result.hits[0].title == "คำแนะนำค่าธรรมเนียมเก็บขนมูลฝอย"
    assert result.hits[0].via_terms == ["ค่าขยะ → ค่าธรรมเนียมเก็บขนมูลฝอย"]
    # a citizen never reaches a staff document through an everyday term either
    assert all(h.audience == "public" for h in _search(home, "เงินคนแก่").hits)
    assert any(h.audience == "staff" for h in _search(home, "เงินคนแก่", "staff").hits)


def test_the_words_typed_weigh_more_than_the_official_term(tmp_path):
    home = Home(tmp_path / "home")
    index_paths(home, [_corpus(tmp_path)])
    titles = [h.title for h in _search(home, "เงินคนแก่").hits]
    # the document with the words typed first, the official guide found too
    assert titles[0] == "เงินช่วยเหลือคนแก่ในชุมชน"
    assert "คำแนะนำการขอรับเบี้ยยังชีพผู้สูงอายุ" in titles


def test_without_the_list_nothing_is_expanded(tmp_path):
    home = Home(tmp_path / "home")
    index_paths(home, [_corpus(tmp_path, terms=None)])
    result = _search(home, "เงินคนแก่")
    assert all(not h.via_terms for h in result.hits)
    assert "คำแนะนำการขอรับเบี้ยยังชีพผู้สูงอายุ" not in [h.title for h in result.hits]


def test_an_edited_list_is_used_by_the_next_search(tmp_path):
    home = Home(tmp_path / "home")
    index_paths(home, [_corpus(tmp_path, terms="# none yet\n")])
    service = SearchService(home)
    try:
        elderly = "คำแนะนำการขอรับเบี้ยยังชีพผู้สูงอายุ"
        assert elderly not in [h.title for h in service.search("เงินคนแก่", audience="public").hits]
        copy = home.path / synonyms.FILENAME
        copy.write_text(TERMS, encoding="utf-8")
        os.utime(copy, ns=(1, 10**18))  # a different modification time, whatever the clock
        hits = service.search("เงินคนแก่", audience="public").hits
        assert [h.via_terms for h in hits if h.title == elderly] == [["เงินคนแก่ → เบี้ยยังชีพผู้สูงอายุ"]]
    finally:
        service.close()


def test_cli_json_and_text_show_the_term(tmp_path):
    from click.testing import CliRunner

    home = tmp_path / "home"
    runner = CliRunner()
    assert runner.invoke(main, ["--home", str(home), "index", str(_corpus(tmp_path))]).exit_code == 0
    data = json.loads(runner.invoke(main, ["--home", str(home), "search", "ค่าขยะ", "--json"]).stdout)
    assert data["hits"][0]["via_terms"] == ["ค่าขยะ → ค่าธรรมเนียมเก็บขนมูลฝอย"]
    text = runner.invoke(main, ["--home", str(home), "search", "ค่าขยะ"]).output
    assert "พบจากคำที่ใช้ทั่วไป: ค่าขยะ → ค่าธรรมเนียมเก็บขนมูลฝอย" in text


def test_the_bundled_list_is_valid_and_leaves_out_official_terms():
    entries = synonyms.parse((BUNDLED_CORPUS / synonyms.FILENAME).read_text(encoding="utf-8"))
    assert len(entries) >= 80
    assert all(e.key != synonyms._key(o) for e in entries for o in e.official)
