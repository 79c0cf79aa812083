"""Text helpers of the indexer and the Thai analyzer stay linear on long adversarial lines
(issue 12, item 5): a 5 KB heading of spaces took 275 s in first_heading, holding the index
lock, and a 40 KB line of "[" 14 s in markdown_to_text.

Each input runs in a child process with a generous deadline (GUARD seconds for at most
~100,000 characters, where linear helpers take well under a second): a helper that
backtracks catastrophically misses it by far, whatever the machine's speed, and the child
is killed instead of hanging the suite.
"""

from __future__ import annotations

import json
import re
import select
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from kmsearch.indexer.textfiles import first_heading, markdown_to_text

GUARD = 15.0  # seconds

CHILD = r"""
import json, sys
from kmsearch.engine.analysis import word_spans
from kmsearch.engine.thai import normalize, tidy_whitespace
from kmsearch.indexer import textfiles
from kmsearch.indexer.document import ExtractionError

def front_matter(text):
    try:
        textfiles.split_front_matter(text)
    except ExtractionError:
        pass

def html(text):
    textfiles._read_html(text, textfiles._VisibleText())

HELPERS = {
    "first_heading": textfiles.first_heading,
    "markdown_to_text": textfiles.markdown_to_text,
    "split_front_matter": front_matter,
    "html": html,
    "normalize": normalize,
    "tidy_whitespace": tidy_whitespace,
    "word_spans": lambda text: word_spans(normalize(text)),
}
print("ready", flush=True)
for line in sys.stdin:
    name, text = json.loads(line)
    HELPERS[name](text)
    print("done", flush=True)
"""

HELPERS = ["first_heading", "markdown_to_text", "split_front_matter", "html", "normalize",
           "tidy_whitespace", "word_spans"]


class Child:
    """A Python process that runs helpers on texts sent to it, each within GUARD seconds."""

    def __init__(self):
        self.proc = None

    def _start(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, encoding="utf-8",
        )
        self._wait("ready", 120)

    def _wait(self, word: str, seconds: float) -> bool:
        ready, _, _ = select.select([self.proc.stdout], [], [], seconds)
        if not ready:
            return False
        assert self.proc.stdout.readline().strip() == word, "the helper child failed"
        return True

    def run(self, name: str, text: str) -> None:
        if self.proc is None:
            self._start()
        self.proc.stdin.write(json.dumps([name, text]) + "\n")
        self.proc.stdin.flush()
        if not self._wait("done", GUARD):
            self.close()
            pytest.fail(
                f"{name} did not finish within {GUARD:.0f} s on {len(text):,} characters "
                f"starting {text[:40]!r}: it is not linear in its input"
            )

    def close(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc.stdin.close()
            self.proc.stdout.close()
            self.proc = None


@pytest.fixture(scope="module")
def child():
    runner = Child()
    yield runner
    runner.close()


# Pieces that steer the patterns into their worst cases, repeated thousands of times.
PIECES = ["[", "]", "](", "(", ")", "![", "[a](", "#", "# ", "# ก", " ", "\t", "ก", "x", "*",
          "**", "`", "---", "---\n", "\n", "\r\n", "<", "<a", "<a\n", '<a b=">"\n', "</", "<!--",
          "-->", "'", '"', ">", "&#", "ก.", "1", "1,", "1.", "a-", "เเ", "\u0e4d", "\u0e48",
          "\u200b", "ํา"]

adversarial = st.lists(
    st.tuples(st.sampled_from(PIECES), st.integers(1, 20_000)), min_size=1, max_size=4
).map(lambda parts: "".join(piece * n for piece, n in parts)[:100_000])


@pytest.mark.slow
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],  # shrinking timeouts would take hours
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=adversarial)
@example(text="# ก" + " " * 5000 + "x")  # 275 s in first_heading before
@example(text="[" * 100_000)  # about 90 s in markdown_to_text before
@example(text="![" * 50_000)
@example(text="[a](" * 25_000)
@example(text='<a b=">"\n' * 10_000)  # 6 s per 45 KB in html.parser, quadratic
@example(text="<a\n" * 30_000)
def test_text_helpers_are_linear_on_long_adversarial_lines(child, text):
    for name in HELPERS:
        child.run(name, text)


def old_first_heading(md: str) -> str | None:
    """The regex first_heading used, as the reference for what a heading is."""
    m = re.search(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", md, re.M)
    return m.group(1).strip() if m else None


@settings(max_examples=2000, deadline=None, derandomize=True, database=None)
@given(line=st.text(alphabet=[" ", "\t", "#", "ก", "x", "\r", "\x0b", "\u3000"], max_size=12))
def test_first_heading_finds_what_the_regex_found_on_any_line(line):
    assert first_heading(line) == old_first_heading(line)


def test_first_heading_examples():
    assert first_heading("---\n\n# คู่มือการจัดเก็บภาษี ##\n\n# อื่น") == "คู่มือการจัดเก็บภาษี"
    assert first_heading("## รอง\n    # code\n#ไม่ใช่\n") is None
    assert first_heading("  #  หัวเรื่อง  \n") == "หัวเรื่อง"


def test_links_and_images_keep_their_text():
    assert markdown_to_text("ดู [ระเบียบ](https://x.example/a_(b)) และ ![แผนที่](map.png)") == (
        "ดู ระเบียบ และ แผนที่"
    )
    assert markdown_to_text("[ไม่ใช่ลิงก์] [ก](") == "[ไม่ใช่ลิงก์] [ก]("
