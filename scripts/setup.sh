#!/usr/bin/env bash
# Create the virtual environment in .venv and install kmsearch into it.
# Usage: scripts/setup.sh [extra]   (extra = "test" installs the test tools too)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "kmsearch needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "${1:-}" = "test" ]; then
  .venv/bin/python -m pip install --quiet -e '.[test,postgres]'
else
  .venv/bin/python -m pip install --quiet -e .
fi
