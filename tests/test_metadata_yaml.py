"""Metadata YAML is parsed by libyaml where it gives what the Python loader gives, else by
the Python loader: same values, same errors (with their line numbers), and nesting as deep
as the size limit allows fails the file cleanly instead of crashing the process."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kmsearch.indexer import limits, textfiles
from kmsearch.indexer.document import ExtractionError
from kmsearch.indexer.extract import extract
from kmsearch.indexer.metadata import read_sidecar
from kmsearch.indexer.textfiles import _FRONT_MATTER, load_yaml

ROOT = Path(__file__).resolve().parent.parent

needs_libyaml = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML built without libyaml")


def python_loader(text: str):
    """What the pure-Python loader makes of text: ("ok", repr of the value) or ("error",
    problem, line of the problem)."""
    try:
        return "ok", repr(yaml.load(text, Loader=textfiles._MetadataLoader))  # noqa: S506
    except yaml.MarkedYAMLError as e:
        return "error", e.problem, e.problem_mark.line if e.problem_mark else None
    except yaml.YAMLError as e:
        return "error", str(e), None


def our_loader(text: str):
    try:
        return "ok", repr(load_yaml(text))
    except yaml.MarkedYAMLError as e:
        return "error", e.problem, e.problem_mark.line if e.problem_mark else None
    except yaml.YAMLError as e:
        return "error", str(e), None


def bundled_metadata() -> dict[str, str]:
    """Every sidecar and front matter of the bundled corpus and the test fixtures."""
    texts = {}
    for folder in (ROOT / "corpus", ROOT / "tests"):
        for path in sorted(folder.rglob("*")):
            if path.name.endswith(".meta.yaml"):
                texts[str(path)] = path.read_text("utf-8-sig")
            elif path.suffix in (".md", ".txt") and path.is_file():
                m = _FRONT_MATTER.match(path.read_text("utf-8-sig", errors="replace"))
                if m:
                    texts[f"{path} (front matter)"] = m.group(1)
    return texts


@needs_libyaml
def test_the_bundled_metadata_takes_libyaml_and_parses_as_the_python_loader_does():
    texts = bundled_metadata()
    assert len(texts) >= 20
    for name, text in texts.items():
        assert textfiles._fits_c_loader(text), name
        assert our_loader(text) == python_loader(text), name
        assert our_loader(text)[0] == "ok", name


# Pieces of YAML: every printable ASCII character, the structure (keys, items, flow
# collections, quotes, comments, document markers), scalars the resolvers type (dates stay
# text), Thai, and the characters the two parsers read differently (tab, BOM, NEL, line
# separators), so that both routes are taken.
PIECES = [*string.printable, "ก", "ภาษีป้าย", "กองคลัง", ": ", "- ", "\n", "\n  ", "\n- ", "\r\n",
          "'", '"', "''", "? ", "{a: ", "[b, ", "2025-01-01", "12:30:00", "0x1F", "1_000", "1e3",
          ".inf", "true", "null", "~", "---", "...", "<<: ", "&a ", "*a", "!!str ", "|", ">-",
          "\\n", "\\x41", "\\u0e01", "\t", "\ufeff", "\x85", "\u2028", "\u00a0", "\u3000", "😀",
          "\x00", "title: ", "expert: [", "updated: "]


@needs_libyaml
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=40).map("".join))
def test_any_text_loads_as_the_python_loader_loads_it(text):
    assert our_loader(text) == python_loader(text)


@needs_libyaml
@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["title", "topic", "division", "expert", "audience", "doc_type", "updated"]),
        st.one_of(
            st.text(alphabet="กขคงจฉชภาษีป้ายเ่้ำะัิ abcXYZ0123456789-.,:/()#'\"", max_size=30),
            st.lists(st.text(alphabet="กขคงจนายสมชาย ,", max_size=12), max_size=4),
            st.dates().map(str),
        ),
    )
)
def test_metadata_written_by_yaml_dump_loads_as_the_python_loader_loads_it(fields):
    text = yaml.safe_dump(fields, allow_unicode=True)
    assert our_loader(text) == python_loader(text)


@pytest.mark.parametrize("char", list("\t\ufeff\x85\u2028\u2029!|>\\%&*@`?"))
def test_a_character_the_parsers_read_differently_sends_the_text_to_the_python_loader(char):
    assert textfiles._fits_c_loader("title: ภาษีป้าย")
    assert not textfiles._fits_c_loader(f"title: ภาษี{char}ป้าย")


def test_text_that_could_nest_deeply_goes_to_the_python_loader():
    assert textfiles._fits_c_loader("a: [" * 50)
    assert not textfiles._fits_c_loader("[" * (textfiles.MAX_C_NESTING + 1))
    assert not textfiles._fits_c_loader("- " * (textfiles.MAX_C_NESTING + 1))
    assert not textfiles._fits_c_loader("{a: " * 60)


def test_nesting_libyaml_would_load_fails_as_the_python_loader_fails():
    text = "[" * 600 + "]" * 600  # libyaml stops at 1,000 levels, the Python loader earlier
    with pytest.raises(textfiles.NestedTooDeeply):
        load_yaml(text)


@pytest.mark.parametrize(
    "text, line",
    [
        ("title: 'unterminated\n", 1),
        ("title: ภาษี\n  topic: x: y\n", 1),
        ("title: [unclosed\nupdated: 2025-01-01\n", 1),
        ("a: b\nc\n", 2),
        ("- a\nb: c\n", 1),
        ("title: {a: b\n\n\n", 3),
    ],
)
def test_errors_are_the_python_loaders_with_its_line(text, line):
    """libyaml words most of these differently ("did not find expected ',' or ']'"): the
    Python loader parses the text again for its own error."""
    assert our_loader(text) == python_loader(text)
    assert python_loader(text)[2] == line


# Nesting up to the size limit, in each way a collection nests: through the Python loader,
# which stops at its recursion limit with the plain-words error (libyaml would recurse in C
# and could crash the process).
DEEP = [
    "[" * limits.MAX_METADATA_BYTES,
    "{a: " * (limits.MAX_METADATA_BYTES // 4),
    "- " * (limits.MAX_METADATA_BYTES // 2),
    "[" * (limits.MAX_METADATA_BYTES // 2) + "]" * (limits.MAX_METADATA_BYTES // 2),
]


@pytest.mark.parametrize("text", DEEP, ids=["flow", "flow-mapping", "block", "closed"])
def test_nesting_up_to_the_size_limit_fails_with_plain_words(text, tmp_path):
    assert len(text) <= limits.MAX_METADATA_BYTES
    with pytest.raises(textfiles.NestedTooDeeply):
        load_yaml(text)
    doc = tmp_path / "deep.txt"
    doc.write_text("ภาษีป้าย\n", "utf-8")
    (tmp_path / "deep.txt.meta.yaml").write_text(text, "utf-8")
    with pytest.raises(ExtractionError) as e:
        read_sidecar(doc)
    assert str(e.value) == "bad metadata: deep.txt.meta.yaml is not valid YAML"


def test_front_matter_nested_to_the_size_limit_fails_the_file(tmp_path):
    path = tmp_path / "deep.md"
    front = "[" * (limits.MAX_METADATA_BYTES - 10)
    path.write_text(f"---\n{front}\n---\n# หัวเรื่อง\n", "utf-8")
    with pytest.raises(ExtractionError) as e:
        extract(path)
    assert str(e.value) == "bad metadata: front matter has values nested too deeply"


LONG_NUMBER = "1" * 5000  # int() reads at most 4,300 digits


@pytest.mark.parametrize("text", [f"title: {LONG_NUMBER}\n", f"updated: {LONG_NUMBER}\ntitle: x\n"])
def test_a_number_too_long_for_python_is_bad_metadata_not_a_crash(text, tmp_path):
    routed = text + "# a comment with ? goes to the Python loader\n"
    assert textfiles._fits_c_loader(text) and not textfiles._fits_c_loader(routed)
    for yaml_text in (text, routed):  # through libyaml, and through the Python loader
        with pytest.raises(textfiles.UnreadableValue) as e:
            load_yaml(yaml_text)
        assert str(e.value) == "a number too long to read (more than 4300 digits)"
    doc = tmp_path / "long.md"
    doc.write_text(f"---\n{text}---\n# หัวเรื่อง\n", "utf-8")
    with pytest.raises(ExtractionError) as e:
        extract(doc)
    assert str(e.value) == "bad metadata: front matter has a number too long to read (more than 4300 digits)"
    (tmp_path / "long.md.meta.yaml").write_text(text, "utf-8")
    with pytest.raises(ExtractionError) as e:
        read_sidecar(doc)
    assert str(e.value) == "bad metadata: long.md.meta.yaml has a number too long to read (more than 4300 digits)"


def test_an_index_run_fails_only_the_file_with_a_number_too_long(tmp_path):
    from kmsearch.indexer.run import index_paths

    from kmsearch.home import Home

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "long.md").write_text(f"---\ntitle: {LONG_NUMBER}\n---\n# หัวเรื่อง\n\nภาษีป้าย\n", "utf-8")
    (docs / "side.txt").write_text("ภาษีป้าย\n", "utf-8")
    (docs / "side.txt.meta.yaml").write_text(f"updated: {LONG_NUMBER}\n", "utf-8")
    (docs / "good.md").write_text("# ภาษี\n\nภาษีป้าย\n", "utf-8")
    report = index_paths(Home(tmp_path / "home"), [docs])
    assert report.indexed == 1
    assert sorted((Path(p.path).name, p.reason) for p in report.failed) == [
        ("long.md", "bad metadata: front matter has a number too long to read (more than 4300 digits)"),
        ("side.txt", "bad metadata: side.txt.meta.yaml has a number too long to read (more than 4300 digits)"),
    ]
