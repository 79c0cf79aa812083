"""Tesseract's lines back into paragraphs (indexer/ocr.py join_lines); no Tesseract needed."""

from kmsearch.indexer.ocr import join_lines

HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"


def tsv(boxes):
    """A tsv with one line (level 4) and one word (level 5) per box (left, top, right, bottom)."""
    rows = [HEADER]
    for n, (left, top, right, bottom) in enumerate(boxes, start=1):
        rows.append(f"4\t1\t{n}\t1\t1\t0\t{left}\t{top}\t{right - left}\t{bottom - top}\t-1\t")
        rows.append(f"5\t1\t{n}\t1\t1\t1\t{left}\t{top}\t{right - left}\t{bottom - top}\t90\tx")
    return "\n".join(rows)


def test_wrapped_lines_join_and_short_lines_end_paragraphs():
    text = "หัวข้อเรื่อง\n\nภาษีโรงเรือนและที่ดินถูกยกเลิกโดย\n\nพระราชบัญญัติภาษีที่ดิน\n\nย่อหน้าใหม่ tax\n\nrate ต่อ\n"
    boxes = [
        (170, 100, 500, 150),  # heading: short, ends its paragraph
        (170, 200, 1100, 250),  # full line: wraps on (boxes of Thai lines overlap: marks)
        (170, 232, 700, 282),  # short: ends the paragraph
        (170, 330, 1090, 380),  # full, ends with Latin: joined with a space
        (170, 365, 400, 415),
    ]
    assert join_lines(text, tsv(boxes)) == (
        "หัวข้อเรื่อง\n\nภาษีโรงเรือนและที่ดินถูกยกเลิกโดยพระราชบัญญัติภาษีที่ดิน\n\nย่อหน้าใหม่ tax rate ต่อ"
    )


def test_a_speck_far_right_does_not_stop_lines_joining():
    text = "ก" * 10 + "\n" + "ข" * 10 + "\n" + "ค" * 3 + "\n" + "ง" * 4 + "\n" + "จ" * 4 + "\n" + "ฉ" * 4 + "\n" + "."
    boxes = [(100, 100, 1000, 140), (100, 140, 1000, 180), (100, 180, 300, 220),
             (100, 300, 1000, 340), (100, 340, 1000, 380), (100, 380, 1000, 420),
             (1500, 500, 1510, 510)]
    assert join_lines(text, tsv(boxes)).split("\n\n")[:2] == ["ก" * 10 + "ข" * 10 + "ค" * 3, "ง" * 4 + "จ" * 4 + "ฉ" * 4]


def test_lines_without_matching_boxes_fall_back_to_blank_line_paragraphs():
    assert join_lines("ภาษี\nป้าย\n\nอื่น", HEADER) == "ภาษีป้าย\n\nอื่น"
