"""The index writer's fast path gives exactly what Whoosh builds from the analyzer's tokens:
ThaiAnalyzer.term_positions, the encoded positions of segment_writer.analysed_terms, and the
regular expression that cuts text into runs (rewritten for speed; the old one is the oracle)."""

from __future__ import annotations

import re
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kmsearch.indexer.segment_writer import _encode_positions, analysed_terms
from whoosh import formats

from kmsearch.engine import analysis
from kmsearch.engine.analysis import ThaiAnalyzer
from kmsearch.engine.schema import get_schema
from tests.core_fixtures import WORDS, clean_and_mistyped

_THAI = analysis._THAI
# analysis._RUN as it was written before (a lookahead at every Thai letter): the same matches.
OLD_RUN = re.compile(
    rf"(?P<abbr>(?:[ก-ฮ]{{1,3}}\.){{2,}}(?:[ก-ฮ]{{1,3}}(?![{_THAI}])|\d{{1,2}}(?!\d))?|[ก-ฮ]{{1,2}}\.(?=\d))"
    rf"|(?P<num>(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![a-z]))"
    r"|(?P<latin>[a-z0-9\u00e0-\u00f6\u00f8-\u024f]+(?:['\-][a-z0-9\u00e0-\u00f6\u00f8-\u024f]+)*)"
    rf"|(?P<thai>(?:(?![ก-ฮ]\.[ก-ฮ\d])[{_THAI}])+)"
)

# Characters around every boundary the runs care about: consonants, vowels and marks, the
# Thai signs outside runs (ฯ ๆ ฿), dots, digits, commas, Latin with hyphens and apostrophes.
RUN_CHARS = "กขพรบศภปฮอะาำิีเแโไๅ็่้์ํฯๆ฿.,-' 0123456789aeéz\n"

# Words that recur, compounds together with their parts (ตามระเบียบพัสดุ and ระเบียบ, พัสดุ),
# so that a part is met both before and after the compound it is cut from.
REPEATED = [*WORDS, "ระเบียบ", "พัสดุ", "ตาม", "ยังชีพ", "เบี้ย", "สูงอายุ", "ที่ดิน", "ดิน"]


def texts():
    words = st.lists(st.sampled_from(REPEATED), min_size=1, max_size=60)
    seps = st.sampled_from(["", "", " ", "\n", ". ", "ๆ "])
    joined = st.tuples(words, st.lists(seps, min_size=60, max_size=60)).map(
        lambda ws: "".join(w + s for w, s in zip(ws[0], ws[1], strict=False))
    )
    return st.one_of(joined, clean_and_mistyped().map(lambda pair: pair[1]), st.text(RUN_CHARS))


def whoosh_positions(value: str) -> list[tuple[str, list[int]]]:
    """What Whoosh's Positions.word_values collects from the analyzer's tokens."""
    poses = defaultdict(list)
    for token in ThaiAnalyzer()(value, positions=True):
        poses[token.text].append(token.pos)
    return list(poses.items())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(RUN_CHARS, max_size=40))
def test_the_runs_are_those_of_the_old_expression(text):
    def runs(rx):
        return [(m.span(), m.lastgroup) for m in rx.finditer(text)]

    assert runs(analysis._RUN) == runs(OLD_RUN)


def test_the_runs_expression_has_its_four_groups_in_order():
    # _word_texts unpacks re.findall's tuples in this order
    assert analysis._RUN.groupindex == {"abbr": 1, "num": 2, "latin": 3, "thai": 4}
    assert analysis._RUN.groups == 4


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts())
def test_term_positions_are_what_whoosh_builds_from_the_tokens(text):
    assert list(ThaiAnalyzer().term_positions(text).items()) == whoosh_positions(text)


def test_term_positions_of_a_part_met_before_and_after_its_compound():
    text = "ระเบียบ ตามระเบียบพัสดุ พัสดุ ระเบียบ ตามระเบียบพัสดุ"
    got = ThaiAnalyzer().term_positions(text)
    assert list(got.items()) == whoosh_positions(text)
    # ตามระเบียบพัสดุ is cut ตามระเบียบ|พัสดุ, and ตามระเบียบ has the parts ตาม, ระเบียบ
    assert got == {"ระเบียบ": [0, 1, 4, 5], "ตามระเบียบ": [1, 5], "ตาม": [1, 5], "พัสดุ": [2, 3, 6]}
    text = "ตามระเบียบ ระเบียบ ตาม ตามระเบียบ"  # the parts first met inside the compound
    got = ThaiAnalyzer().term_positions(text)
    assert list(got.items()) == whoosh_positions(text)
    assert list(got.items()) == [("ตามระเบียบ", [0, 3]), ("ตาม", [0, 2, 3]), ("ระเบียบ", [0, 1, 3])]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts())
def test_analysed_terms_are_whooshs_word_values(text):
    field = get_schema()["content"]
    expected = [(w, freq, value) for w, freq, _weight, value in field.format.word_values(text, field.analyzer)]
    terms, counts, values = analysed_terms(field, text)
    assert list(zip(terms, counts, values, strict=True)) == expected


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.lists(st.integers(0, 2**31 - 1), max_size=30).map(sorted),
        st.lists(st.integers(-(2**40), 2**40), max_size=30),  # any list, not only positions
        st.lists(st.integers(0, 300), min_size=1, max_size=3),
    )
)
def test_encoded_positions_are_whooshs_bytes(poses):
    assert _encode_positions(poses) == formats.Positions().encode(poses)
