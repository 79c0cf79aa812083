#!/usr/bin/env bash
# Build the wheel, install it (not editable) into a fresh virtual environment and run the smoke
# test against that installed copy from a folder outside the repository: index the bundled
# corpus, serve, fetch a search page, a document page, the dashboard stylesheet, the report.
# The tests all run on an editable install; this is what catches a file left out of the wheel.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/kmsearch-wheel.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"  # outside the repository: nothing can be imported from the source tree
echo "smoke: building the wheel"
# From a copy of the files git knows (committed or not, ignored ones left out): a stale build/
# folder in the checkout would otherwise slip old files into the wheel.
mkdir "$work/src"
git -C "$repo" ls-files -z --cached --others --exclude-standard \
  | tar -C "$repo" --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$work/src"
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$work/src" >/dev/null \
  2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
wheel=$(ls "$work"/dist/kmsearch-*.whl)
echo "smoke: $(basename "$wheel") ($(du -k "$wheel" | cut -f1) kB)"
"$PYTHON" -m venv "$work/venv"
# (grep drops the warnings a machine's pip configuration may print for every package)
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$wheel" \
  2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
# The stylesheet, templates and migrations are package data: check they are in the wheel.
"$PYTHON" - "$wheel" <<'PY'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
for needed in ("kmsearch/web/templates/dashboard/dashboard.css",
               "kmsearch/web/templates/search.html",
               "kmsearch/store/migrations/env.py",
               "kmsearch/store/migrations/versions/0001_staff_and_access_log.py"):
    assert needed in names, f"{needed} is missing from the wheel"
assert not any(n.startswith(("web/", "indexer/", "tests/")) for n in names), "stray top-level package"
print(f"smoke: the wheel holds {len(names)} files, package data included")
PY
"$work/venv/bin/python" "$repo/scripts/smoke_wheel.py" "$repo/corpus" "$work"
