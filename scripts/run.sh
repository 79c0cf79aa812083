#!/usr/bin/env bash
# Set up kmsearch, index the bundled corpus and serve it on http://127.0.0.1:5000
# with the embedded defaults: SQLite and the index in ./var (KMSEARCH_HOME overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export KMSEARCH_HOME=${KMSEARCH_HOME:-var}
KM=.venv/bin/kmsearch

$KM index corpus

# The first administrator, created once, so that the staff side can be tried at once.
if [ -z "$($KM staff list 2>/dev/null | grep -w admin || true)" ]; then
  password=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(12))')
  $KM staff add admin --name "ผู้ดูแลระบบ" --division "สำนักปลัด" --position "นักทรัพยากรบุคคล" \
      --role admin --password "$password"
  echo "Staff sign-in created: user 'admin', password '$password' (change it: kmsearch staff set-password admin)"
fi

exec $KM serve --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
