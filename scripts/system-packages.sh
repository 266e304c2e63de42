# Sourced by scripts/test.sh: install the Debian packages the checks use when they are missing
# and this is a root shell with apt-get (as on a fresh machine); otherwise say what is skipped.
#   chromium + fonts-wqy-microhei: browser tests (CJK glyphs in screenshots)
#   gettext: the translation catalogue sync check
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-wqy-microhei)
command -v xgettext >/dev/null 2>&1 || missing+=(gettext)
if ((${#missing[@]})); then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "==> installing Debian packages: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "==> not installing ${missing[*]} (needs root and apt-get): the checks that use them are skipped"
    fi
fi
