# Sourced by scripts/test.sh: install the Debian packages the checks use when they are missing
# and this is a root shell with apt-get (as on a fresh machine); otherwise say what is skipped.
#   chromium + fonts-wqy-microhei: browser tests (CJK glyphs in screenshots)
#   gettext: the translation catalogue sync check
#   postfix + dovecot-imapd + dovecot-lmtpd: the mail tests run real SMTP and IMAP servers on loopback
#     (sopdesk/testing/mailservers.py starts them with throw-away configuration; the system services
#     are not used and are not configured here)
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-wqy-microhei)
command -v xgettext >/dev/null 2>&1 || missing+=(gettext)
[[ -x /usr/sbin/postfix ]] || missing+=(postfix)
[[ -x /usr/sbin/dovecot ]] || missing+=(dovecot-imapd dovecot-lmtpd)
if ((${#missing[@]})); then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "==> installing Debian packages: ${missing[*]}"
        # Postfix would otherwise ask which kind of mail server this is: none, the tests bring their own.
        if command -v debconf-set-selections >/dev/null 2>&1; then
            printf '%s\n' 'postfix postfix/main_mailer_type select No configuration' \
                'postfix postfix/mailname string localhost' | debconf-set-selections
        fi
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        if [[ " ${missing[*]} " == *" dovecot-imapd "* ]]; then
            # The tests start their own Dovecot on loopback; the system service the package may have
            # started (IMAP on every interface) is not wanted.
            { invoke-rc.d dovecot stop || service dovecot stop; } >/dev/null 2>&1 || true
        fi
    else
        echo "==> not installing ${missing[*]} (needs root and apt-get): the checks that use them are skipped"
    fi
fi
