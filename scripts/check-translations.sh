#!/usr/bin/env bash
# Check that the Simplified Chinese catalogue holds every source string and translates all of them.
# Extracting strings needs GNU gettext (xgettext); without it the check is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
catalogue=sopdesk/locale/zh_Hans/LC_MESSAGES/django.po
extract_args=(makemessages -l zh_Hans --ignore "*/tests/*" --ignore "testing/*" --no-location)

if ! command -v xgettext >/dev/null 2>&1; then
    echo "==> translation sync check skipped: xgettext (GNU gettext) is not installed"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# makemessages writes into the locale folder beside the sources, so run it on a copy of the package.
cp -R sopdesk "$tmp/sopdesk"

echo "==> translation catalogue is in sync with the source"
(cd "$tmp/sopdesk" && SOPDESK_DATA_DIR="$tmp/data" PYTHONPATH="$tmp" DJANGO_SETTINGS_MODULE=sopdesk.settings \
    "$root/.venv/bin/django-admin" "${extract_args[@]}" --verbosity 0)

if ! "$root/.venv/bin/python" - "$catalogue" "$tmp/$catalogue" <<'EOF'; then
import sys

import polib

committed, extracted = (polib.pofile(path) for path in sys.argv[1:])
known = {(entry.msgctxt, entry.msgid) for entry in committed if not entry.obsolete}
missing = [entry.msgid for entry in extracted if not entry.obsolete and (entry.msgctxt, entry.msgid) not in known]
untranslated = [entry.msgid for entry in committed if not entry.obsolete and not entry.translated()]
for title, msgids in (("missing from", missing), ("untranslated or fuzzy in", untranslated)):
    if msgids:
        print(f"{len(msgids)} message(s) {title} {sys.argv[1]}:")
        print("".join(f"  {msgid!r}\n" for msgid in msgids), end="")
sys.exit(1 if missing or untranslated else 0)
EOF
    printf -v update '%q ' "${extract_args[@]}"
    echo "Run (cd sopdesk && PYTHONPATH=.. ../.venv/bin/django-admin ${update}--settings=sopdesk.settings)"
    echo "to update the catalogue, then translate every new or fuzzy entry and remove its fuzzy flag."
    exit 1
fi
echo "catalogue is complete"
