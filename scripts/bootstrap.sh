# Sourced by the other scripts: make sure uv exists and the virtualenv matches the lock file.
# Usage: . scripts/bootstrap.sh [--dev]
set -euo pipefail

if command -v uv >/dev/null 2>&1; then
    UV=(uv)
else
    if ! python3 -m uv --version >/dev/null 2>&1; then
        echo "==> installing uv (package manager) with pip"
        python3 -m pip install --quiet --disable-pip-version-check uv
    fi
    UV=(python3 -m uv)
fi

export UV_PYTHON_DOWNLOADS=never
sync_args=(sync --frozen --quiet)
if [[ "${1:-}" != "--dev" ]]; then
    sync_args+=(--no-dev)
fi
echo "==> installing Python dependencies from uv.lock"
"${UV[@]}" "${sync_args[@]}"
. scripts/assets.sh
