"""CLI start-up (issue 8): `kmsearch --help` and the search command import only what they
use. Checked by the modules loaded, not by time."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("sqlalchemy", "whoosh", "pythainlp", "nlpo3", "werkzeug", "flask", "alembic")


def _heavy_modules_after(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport json, sys\n"
         f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_help_imports_no_database_engine_or_web_layer():
    code = ("import sys\nfrom kmsearch.cli import main\nsys.argv = ['kmsearch', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass")
    assert _heavy_modules_after(code) == []


def test_the_search_command_loads_neither_the_database_nor_the_web_layer(tmp_path):
    code = (f"import sys\nfrom kmsearch.cli import main\n"
            f"sys.argv = ['kmsearch', '--home', {str(tmp_path)!r}, 'search', 'ภาษี']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass")
    loaded = _heavy_modules_after(code)
    assert not {"sqlalchemy", "werkzeug", "flask", "alembic"} & set(loaded), loaded


def test_the_cli_lists_the_roster_roles():
    from kmsearch.cli import staff as cli_staff
    from kmsearch.store import roster

    assert cli_staff.ROLES == roster.ROLES
