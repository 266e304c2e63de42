#!/usr/bin/env bash
# Install the test dependencies and run every check and the whole test suite.
# The suite runs on SQLite; when SOPDESK_TEST_DATABASE_URL points at PostgreSQL it runs there too.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bootstrap.sh --dev
. scripts/system-packages.sh

export SOPDESK_DATA_DIR="${SOPDESK_DATA_DIR:-$(mktemp -d)}"
export DJANGO_SETTINGS_MODULE=sopdesk.test_settings
bin=.venv/bin

echo "==> lint and format check (ruff)"
"$bin/ruff" check .
"$bin/ruff" format --check .
echo "==> type check (mypy)"
"$bin/mypy" sopdesk
echo "==> dependency direction between apps (import-linter, docs/architecture.md)"
"$bin/lint-imports" --no-cache
echo "==> migrations are complete"
"$bin/python" manage.py makemigrations --check --dry-run
echo "==> translations are complete and compile"
scripts/check-translations.sh
"$bin/python" manage.py compiletranslations
echo "==> OpenAPI schema has no drift"
"$bin/python" manage.py export_openapi docs/api/openapi.json --check

echo "==> test suite on SQLite"
env -u DATABASE_URL "$bin/pytest" -n 2 -p no:cacheprovider

if [[ -n "${SOPDESK_TEST_DATABASE_URL:-}" ]]; then
    echo "==> test suite on PostgreSQL"
    DATABASE_URL="$SOPDESK_TEST_DATABASE_URL" "$bin/pytest" -n 2 -p no:cacheprovider
fi
