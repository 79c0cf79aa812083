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
# OCR of scanned documents needs Tesseract with its Thai model and poppler's pdftoppm (Debian
# packages). Installed where we may (root with apt); elsewhere named, and scans then fail with
# "needs OCR" while everything else indexes.
ocr_missing() {
  local missing=()
  command -v tesseract >/dev/null || missing+=(tesseract-ocr)
  tesseract --list-langs 2>/dev/null | grep -qx tha || missing+=(tesseract-ocr-tha)
  command -v pdftoppm >/dev/null || missing+=(poppler-utils)
  echo "${missing[*]}"
}
missing=$(ocr_missing)
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    # shellcheck disable=SC2086  # one package a word
    (apt-get update -qq && apt-get install -y -qq $missing >/dev/null) || true
    missing=$(ocr_missing)
  fi
  if [ -n "$missing" ]; then
    echo "note: OCR of scanned documents is not available: install $missing" \
         "(as root: apt-get install $missing); scans will fail with 'needs OCR' and the OCR tests are skipped" >&2
  fi
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "${1:-}" = "test" ]; then
  .venv/bin/python -m pip install --quiet -e '.[test,postgres]'
else
  .venv/bin/python -m pip install --quiet -e .
fi
