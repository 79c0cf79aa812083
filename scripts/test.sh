#!/usr/bin/env bash
# Set up kmsearch with its test tools and run the whole test suite (what CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
# The browser test drives Debian's Chromium with Thai fonts; install them where we may.
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi garuda; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && apt-get install -y -qq chromium fonts-thai-tlwg >/dev/null) \
      || echo "note: could not install chromium; the browser test will be skipped" >&2
  else
    echo "note: chromium or Thai fonts missing and not root; the browser test will be skipped" >&2
  fi
fi
# The store tests run on PostgreSQL too, in a throw-away cluster the tests start (initdb in a
# temporary folder, 127.0.0.1 on a free port); Debian's postgresql package provides it.
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && apt-get install -y -qq postgresql >/dev/null) \
      || echo "note: could not install postgresql; the PostgreSQL tests will be skipped" >&2
  else
    echo "note: postgresql missing and not root; the PostgreSQL tests will be skipped" >&2
  fi
fi
scripts/setup.sh test
.venv/bin/ruff check .
.venv/bin/python -m pytest -q "$@"
# The tests use an editable install; this checks the wheel as a user installs it.
scripts/smoke_wheel.sh
