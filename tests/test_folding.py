"""The folded form of OCR text (engine/folding.py): what it ignores and what it keeps apart."""

from kmsearch.engine import folding
from kmsearch.engine.folding import FoldedAnalyzer, fold, query_grams


def test_marks_dropped_by_ocr_fold_to_the_same_letters():
    # seen from Tesseract on a bundled PDF: marks above the letters lost
    assert fold("ลูกหนี้ภาษีป้าย") == fold("ลูกหนภาษปาย")
    assert fold("ที่เกี่ยวข้อง") == fold("ทีเกียวข้อง")
    # sara am as Tesseract writes it (nikhahit + sara aa), and spaces inside words
    assert fold("กำหนด") == fold("กํา หนด")
    # look-alike letters
    assert fold("ภาษีป้าย") == fold("ภาษีบ้าย")


def test_folding_keeps_different_words_apart():
    assert fold("ภาษี") != fold("ภาษา")  # sara aa is a letter of its own line, not a mark
    assert fold("ป้าย") != fold("ปลาย")


def test_query_words_meet_the_folded_text_as_trigrams():
    analyzer = FoldedAnalyzer()
    indexed = [t.text for t in analyzer("ลูกหนภาษปาย ค้างชำระ 2567 tax")]
    for word in ("ลูกหนี้", "ภาษีป้าย", "ค้างชำระ"):
        grams = query_grams(word)
        assert grams and all(g in indexed for g in grams), word
    assert query_grams("ที่") == []  # too short to search folded
    assert query_grams("tax") == []  # Latin words are not folded


def test_a_query_word_meets_folded_text_whole_and_weighted_below_exact():
    from whoosh import query as q

    exact = q.Term("content", "ภาษีป้าย")
    combined = folding.clause("ภาษีป้าย", exact)
    (folded,) = [c for c in combined.subqueries if c is not exact]
    assert isinstance(folded, q.Phrase) and folded.words == query_grams("ภาษีป้าย")
    assert folded.boost < 1.0
    assert folding.clause("ที่", exact) is exact
