#!/usr/bin/env bash
# Install everything, migrate, load demo data and start sopdesk (web + worker) on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bootstrap.sh
export SOPDESK_DEMO_MODE=1
exec .venv/bin/sopdesk demo
