"""The command line as CLI-CONTRACT.md describes it, driven through click's CliRunner."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kmsearch.cli import main
from kmsearch.engine import indexstore
from kmsearch.home import Home
from tests import core_fixtures
from tests.core_fixtures import REPO, SMALL_DOCS, front_matter_doc, write_tree

small_kb = core_fixtures.small_kb

# The shared project documents sit beside the repository (../shared from its root).
CONTRACT = REPO.parent / "shared" / "CLI-CONTRACT.md"
README = REPO / "README.md"
HIT_KEYS = {"path", "title", "topic", "division", "expert", "audience", "doc_type", "score",
            "snippet"}


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.delenv("KMSEARCH_HOME", raising=False)
    return CliRunner()


def search_json(runner, home: Path, *args: str) -> dict:
    result = runner.invoke(main, ["--home", str(home), "search", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- index -------------------------------------------------------------------------------


def test_index_exits_0_with_the_summary_on_stderr(runner, tmp_path):
    root = write_tree(tmp_path / "kb", SMALL_DOCS)
    home = tmp_path / "home"
    result = runner.invoke(main, ["--home", str(home), "index", str(root)])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().splitlines()[-1] == (
        f"indexed {len(SMALL_DOCS)} / unchanged 0 / removed 0 / failed 0"
    )
    assert "indexed" not in result.stdout
    again = runner.invoke(main, ["--home", str(home), "index", str(root)])
    assert again.exit_code == 0
    assert f"indexed 0 / unchanged {len(SMALL_DOCS)} / removed 0 / failed 0" in again.stderr


def test_index_exits_1_on_a_damaged_pdf_and_indexes_the_rest(runner, tmp_path):
    root = write_tree(
        tmp_path / "kb",
        {
            "x.pdf": b"garbage, not a PDF \x00\x01\x02" * 20,
            "truncated.pdf": b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog",
            "ok.md": "# ภาษีป้าย\n\nยื่นแบบภายในเดือนมีนาคม\n",
        },
    )
    home = tmp_path / "home"
    result = runner.invoke(main, ["--home", str(home), "index", str(root)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2
    for name in ("x.pdf", "truncated.pdf"):
        (line,) = [e for e in errors if f"{name}:" in e]
        reason = line.split(f"{name}:", 1)[1].strip()
        assert len(reason) > 5 and "Traceback" not in reason
    assert "indexed 1 / unchanged 0 / removed 0 / failed 2" in result.stderr
    data = search_json(runner, home, "ภาษีป้าย")
    assert [h["path"] for h in data["hits"]] == [str(root / "ok.md")]


def test_index_names_skipped_files_on_stderr(runner, tmp_path):
    root = write_tree(tmp_path / "kb", {"a.md": "ข้อความ", "table.xlsx": b"PK"})
    result = runner.invoke(main, ["--home", str(tmp_path / "home"), "index", str(root)])
    assert result.exit_code == 0
    (notice,) = [line for line in result.stderr.splitlines() if "table.xlsx" in line]
    assert "not a supported type" in notice


def test_index_bad_metadata_exits_1_naming_the_field(runner, tmp_path):
    root = write_tree(
        tmp_path / "kb",
        {"good.md": "ข้อความดี", "bad.md": front_matter_doc({"audience": "everyone"}, "ข้อความ")},
    )
    result = runner.invoke(main, ["--home", str(tmp_path / "home"), "index", str(root)])
    assert result.exit_code == 1
    (line,) = [e for e in result.stderr.splitlines() if e.startswith("error:")]
    assert str(root / "bad.md") in line and "audience" in line


def test_index_while_another_run_holds_the_lock(runner, tmp_path):
    root = write_tree(tmp_path / "kb", {"a.md": "ข้อความ"})
    home = Home(tmp_path / "home")
    with indexstore.index_lock(home):
        result = runner.invoke(main, ["--home", str(home.path), "index", str(root)])
    assert result.exit_code == 1
    assert "another index run" in result.stderr
    assert "Traceback" not in result.output


def test_index_rebuild(runner, tmp_path):
    root = write_tree(tmp_path / "kb", SMALL_DOCS)
    home = tmp_path / "home"
    assert runner.invoke(main, ["--home", str(home), "index", str(root)]).exit_code == 0
    before = search_json(runner, home, "ภาษี")
    result = runner.invoke(main, ["--home", str(home), "index", str(root), "--rebuild"])
    assert result.exit_code == 0
    assert f"indexed {len(SMALL_DOCS)} / unchanged 0" in result.stderr
    after = search_json(runner, home, "ภาษี")
    assert [h["path"] for h in after["hits"]] == [h["path"] for h in before["hits"]]


def test_index_uses_no_deprecated_click_api(tmp_path):
    root = write_tree(tmp_path / "kb", {"a.md": "ข้อความ"})
    result = CliRunner().invoke(main, ["--home", str(tmp_path / "home"), "index", str(root)])
    assert result.exception is None, repr(result.exception)
    assert result.exit_code == 0


def test_index_missing_path_exits_1(runner, tmp_path):
    root = write_tree(tmp_path / "kb", {"a.md": "ข้อความ"})
    missing = tmp_path / "nope"
    result = runner.invoke(main, ["--home", str(tmp_path / "home"), "index", str(root), str(missing)])
    assert result.exit_code == 1
    assert f"error: {missing}: no such file or folder" in result.stderr
    assert "indexed 1 / unchanged 0 / removed 0 / failed 1" in result.stderr


def test_index_without_paths_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["--home", str(tmp_path / "home"), "index"])
    assert result.exit_code == 2


# --- search ------------------------------------------------------------------------------


def test_search_json_has_exactly_the_contract_keys(runner, small_kb):
    data = search_json(runner, small_kb.home.path, "ภาษีป้าย")
    # the contract's keys, plus the two README documents for corrected results (issue 11)
    assert set(data) == {"query", "total", "hits", "suggestion", "searched", "corrected"}
    assert data["query"] == "ภาษีป้าย" and data["searched"] == "ภาษีป้าย" and data["corrected"] is False
    assert isinstance(data["total"], int) and data["total"] >= len(data["hits"]) > 0
    assert data["suggestion"] is None
    for hit in data["hits"]:
        assert HIT_KEYS <= set(hit)
        assert isinstance(hit["expert"], list) and all(isinstance(e, str) for e in hit["expert"])
        assert isinstance(hit["score"], (int, float))
        assert hit["audience"] in ("public", "staff")
        assert isinstance(hit["snippet"], str) and hit["snippet"]
    first = data["hits"][0]
    assert first["path"] == small_kb.path_of("กองคลัง/คำแนะนำภาษีป้าย.md")
    assert first["title"] == "คำแนะนำการชำระภาษีป้าย"
    assert first["topic"] == "ภาษีป้าย" and first["division"] == "กองคลัง"
    assert first["expert"] == ["เจ้าพนักงานจัดเก็บรายได้"] and first["doc_type"] == "guide"


def test_search_json_path_is_the_path_as_indexed(runner, tmp_path, monkeypatch):
    write_tree(tmp_path / "kb", {"กองคลัง/a.md": "เรื่องภาษีป้าย"})
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["--home", "home", "index", "kb"]).exit_code == 0
    data = search_json(runner, Path("home"), "ภาษีป้าย")
    assert [h["path"] for h in data["hits"]] == [str(Path("kb") / "กองคลัง" / "a.md")]


def test_search_json_suggestion(runner, small_kb):
    data = search_json(runner, small_kb.home.path, "4kKuxhkp", "--audience", "public")
    assert data["suggestion"] == "ภาษีป้าย"


@pytest.mark.parametrize(
    "query",
    ["ครุภัณฑ์", "ระเบียบ", "ภาษี", "audience:staff", "audience:staff ครุภัณฑ์", "คู่มือ", "เจ้าหน้าที่"],
)
def test_audience_public_never_returns_staff_documents(runner, small_kb, query):
    data = search_json(runner, small_kb.home.path, query, "--audience", "public", "--limit", "100")
    assert all(h["audience"] == "public" for h in data["hits"])
    assert data["total"] == len(data["hits"])
    staff = search_json(runner, small_kb.home.path, query, "--limit", "100")
    assert {h["path"] for h in data["hits"]} == {
        h["path"] for h in staff["hits"] if h["audience"] == "public"
    }


def test_division_and_expert_filters(runner, small_kb):
    home = small_kb.home.path
    data = search_json(runner, home, "ภาษี", "--division", "กองคลัง", "--limit", "100")
    assert data["hits"] and {h["division"] for h in data["hits"]} == {"กองคลัง"}
    assert search_json(runner, home, "ภาษี", "--division", "กองช่าง")["hits"] == []
    data = search_json(runner, home, "คู่มือ", "--expert", "นายช่างโยธา")
    assert [h["path"] for h in data["hits"]] == [small_kb.path_of("กองช่าง/คู่มือควบคุมงานก่อสร้าง.md")]
    data = search_json(runner, home, "ภาษี", "--expert", "ผู้อำนวยการกองคลัง", "--audience", "public")
    assert data["hits"] == []  # that expert holds only a staff manual about ภาษี


def test_limit(runner, small_kb):
    home = small_kb.home.path
    everything = search_json(runner, home, "ภาษี", "--limit", "100")
    assert everything["total"] >= 4
    two = search_json(runner, home, "ภาษี", "--limit", "2")
    assert len(two["hits"]) == 2 and two["total"] == everything["total"]
    assert [h["path"] for h in two["hits"]] == [h["path"] for h in everything["hits"][:2]]
    assert runner.invoke(main, ["--home", str(home), "search", "ภาษี", "--limit", "0"]).exit_code == 2


@pytest.mark.parametrize("args", [[], [""], ["   "]])
def test_empty_query_exits_2_with_a_message(runner, small_kb, args):
    result = runner.invoke(main, ["--home", str(small_kb.home.path), "search", *args])
    assert result.exit_code == 2
    assert result.stderr.strip(), "a message says why"
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "query", ['"ภาษี (', "title:", "(", '"', "*", "ภาษี AND", "NOT", "audience:", "a:b:c", "[x TO"]
)
def test_broken_syntax_is_searched_as_words(runner, small_kb, query):
    result = runner.invoke(
        main, ["--home", str(small_kb.home.path), "search", query, "--audience", "public", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["query"] == query
    assert all(h["audience"] == "public" for h in data["hits"])


def test_broken_phrase_still_finds_its_words(runner, small_kb):
    data = search_json(runner, small_kb.home.path, '"ภาษีป้าย (', "--audience", "public")
    assert data["hits"][0]["path"] == small_kb.path_of("กองคลัง/คำแนะนำภาษีป้าย.md")


def test_readable_output(runner, small_kb):
    result = runner.invoke(main, ["--home", str(small_kb.home.path), "search", "ภาษีป้าย"])
    assert result.exit_code == 0
    out = result.stdout
    assert "1. คำแนะนำการชำระภาษีป้าย" in out
    assert "กองคลัง" in out and "เจ้าพนักงานจัดเก็บรายได้" in out
    assert "[ภาษี]" in out or "[ป้าย]" in out or "[ภาษีป้าย]" in out  # the marked snippet
    assert small_kb.path_of("กองคลัง/คำแนะนำภาษีป้าย.md") in out


def test_search_without_an_index_is_an_error_with_a_hint(runner, tmp_path):
    result = runner.invoke(main, ["--home", str(tmp_path / "empty"), "search", "ภาษี"])
    assert result.exit_code == 1
    assert "kmsearch index" in result.stderr


# --- where data lives --------------------------------------------------------------------


def test_home_option_and_environment_variable(runner, tmp_path, monkeypatch):
    root = write_tree(tmp_path / "kb", {"a.md": "เรื่องภาษีป้าย"})
    by_option = tmp_path / "home-option"
    by_env = tmp_path / "home-env"
    assert runner.invoke(main, ["--home", str(by_option), "index", str(root)]).exit_code == 0
    result = runner.invoke(main, ["index", str(root)], env={"KMSEARCH_HOME": str(by_env)})
    assert result.exit_code == 0
    assert (by_option / "indexes" / "CURRENT").exists()
    assert (by_env / "indexes" / "CURRENT").exists()
    # each home answers searches; the option wins over the environment
    for home in (by_option, by_env):
        assert len(search_json(runner, home, "ภาษีป้าย")["hits"]) == 1
    empty = tmp_path / "empty-home"
    result = runner.invoke(
        main, ["--home", str(by_option), "search", "ภาษีป้าย", "--json"], env={"KMSEARCH_HOME": str(empty)}
    )
    assert result.exit_code == 0 and json.loads(result.stdout)["total"] == 1
    result = runner.invoke(main, ["search", "ภาษีป้าย", "--json"], env={"KMSEARCH_HOME": str(by_env)})
    assert result.exit_code == 0 and json.loads(result.stdout)["total"] == 1


def test_default_home_is_var_in_the_current_directory(runner, tmp_path, monkeypatch):
    write_tree(tmp_path / "kb", {"a.md": "เรื่องภาษีป้าย"})
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["index", "kb"]).exit_code == 0
    assert (tmp_path / "var" / "indexes" / "CURRENT").exists()


# --- the documented commands exist -------------------------------------------------------


def _commands_in(text: str) -> set[str]:
    """Commands named in the indented (code) lines of a Markdown text."""
    code = "\n".join(line for line in text.splitlines() if line.startswith("    "))
    return set(re.findall(r"\bkmsearch(?: --home DIR)? ([a-z][a-z-]*)\b(?![./_])", code))


def _help_commands() -> set[str]:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = result.stdout.split("Commands:", 1)[1]
    return {line.split()[0] for line in listed.splitlines() if line.strip()}


def test_contract_commands_are_in_help():
    if not CONTRACT.exists():
        pytest.skip(f"no CLI-CONTRACT.md at {CONTRACT} (../shared beside the repository)")
    contract = _commands_in(CONTRACT.read_text(encoding="utf-8"))
    # The contract's three commands are found in it: the parsing above still reads the file.
    assert contract >= {"index", "search", "serve"}, contract
    missing = contract - _help_commands()
    assert not missing, f"commands of CLI-CONTRACT.md missing from `kmsearch --help`: {missing}"


def test_contract_options_are_accepted():
    expected = {
        "index": {"--rebuild"},
        "search": {"--limit", "--audience", "--division", "--expert", "--json"},
        "serve": {"--host", "--port"},
    }
    for name, options in expected.items():
        command = main.commands[name]
        declared = {opt for p in command.params for opt in p.opts}
        assert options <= declared, (name, options - declared)
    assert "--home" in {opt for p in main.params for opt in p.opts}


def test_readme_commands_are_in_help():
    if not README.exists():
        pytest.skip("no README.md yet: the contract's commands are checked above")
    text = README.read_text(encoding="utf-8")
    section = text.split("## Command line", 1)[-1].split("\n## ", 1)[0]
    documented = _commands_in(section)
    assert documented, "the README's command section names no command"
    missing = documented - _help_commands()
    assert not missing, f"commands in README.md missing from `kmsearch --help`: {missing}"
    # subcommands written as `kmsearch staff add|import|...`
    for group, subs in re.findall(r"\bkmsearch ([a-z-]+) ((?:[a-z-]+\|)*[a-z-]+)(?=[\s,]|$)", section):
        command = main.commands.get(group)
        if isinstance(command, click.Group):
            for sub in subs.split("|"):
                assert sub in command.commands, f"`kmsearch {group} {sub}` is documented but missing"
