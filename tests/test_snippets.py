"""Snippet marks (kmsearch.engine.snippets): parts of compounds are looked up only in words
that hold a query term, and the marks are still exactly the analyzer's tokens."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmsearch.engine.analysis import analyze
from kmsearch.engine.snippets import match_spans
from tests import core_fixtures


def _reference(text: str, terms: set[str]) -> list[tuple[int, int, str]]:
    """Every token analyze() gives (words and compound parts) that is a term, merged."""
    spans: list[tuple[int, int, str]] = []
    for term, _pos, start, end, is_part in analyze(text):
        if term not in terms:
            continue
        if is_part:
            offset = text.find(term, start, end)
            if offset >= 0:
                start, end = offset, offset + len(term)
        if spans and start < spans[-1][1]:
            last = spans[-1]
            spans[-1] = (min(last[0], start), max(last[1], end), last[2])
        else:
            spans.append((start, end, term))
    return spans


_TEXTS = [p.read_text(encoding="utf-8") for p in sorted(core_fixtures.bundled_corpus_root().rglob("*.md"))]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_marks_are_the_analyzers_tokens(data):
    text = data.draw(st.sampled_from(_TEXTS))
    start = data.draw(st.integers(0, max(0, len(text) - 660)))
    region = text[start : start + 660]
    tokens = sorted({t for t, *_ in analyze(region)})
    if not tokens:
        return
    terms = set(data.draw(st.lists(st.sampled_from(tokens), min_size=1, max_size=5)))
    assert match_spans(region, terms) == _reference(region, terms)
