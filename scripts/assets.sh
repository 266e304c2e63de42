#!/usr/bin/env bash
# Sourced by scripts/bootstrap.sh: install the web UI's front-end packages from package-lock.json
# and copy the allow-listed dist files into sopdesk/web/static/vendor/ (git-ignored; whitenoise
# serves it). Only these files reach the browser; node_modules itself is never served.
set -euo pipefail

vendor=sopdesk/web/static/vendor
# source path under node_modules → destination under $vendor
assets=(
    "@tabler/core/dist/css/tabler.min.css:tabler/tabler.min.css"
    "@tabler/core/dist/js/tabler.min.js:tabler/tabler.min.js"
    "@tabler/icons-webfont/dist/tabler-icons.min.css:tabler-icons/tabler-icons.min.css"
    "@tabler/icons-webfont/dist/fonts/tabler-icons.woff2:tabler-icons/fonts/tabler-icons.woff2"
    "@tabler/icons-webfont/dist/fonts/tabler-icons.woff:tabler-icons/fonts/tabler-icons.woff"
    "@tabler/icons-webfont/dist/fonts/tabler-icons.ttf:tabler-icons/fonts/tabler-icons.ttf"
    "axe-core/axe.min.js:axe-core/axe.min.js"
)

if ! command -v npm >/dev/null 2>&1; then
    echo "npm is needed for the web UI's front-end packages (Debian: apt-get install nodejs npm)" >&2
    exit 1
fi
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "==> installing front-end packages from package-lock.json (npm ci)"
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
fi
for entry in "${assets[@]}"; do
    source_path="node_modules/${entry%%:*}"
    target="$vendor/${entry#*:}"
    if [[ ! -f "$target" ]] || [[ "$source_path" -nt "$target" ]]; then
        mkdir -p "$(dirname "$target")"
        cp "$source_path" "$target"
    fi
done
