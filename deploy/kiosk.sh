#!/bin/sh
# Start Chromium as a ticket kiosk: full screen, printing straight to the default printer.
#
#   deploy/kiosk.sh https://queue.example.ru/kiosk/belgorod/
#   KIOSK_URL=https://queue.example.ru/kiosk/belgorod/ deploy/kiosk.sh
#
# The kiosk keeps its pairing (a signed cookie) in its own profile, PROFILE_DIR, so that it stays
# paired after a reboot. FRESH_PROFILE=1 starts from an empty, throw-away profile instead (a demo
# office with `kiosk: open`, or a test): a paired kiosk would then need a new pairing link.
# DRY_RUN=1 prints the command, one argument per line, instead of running it.
# CHROMIUM names the browser (default: chromium).
set -eu

URL="${1:-${KIOSK_URL:-}}"
if [ -z "$URL" ]; then
    echo "usage: $0 KIOSK_URL   (or set KIOSK_URL), e.g. https://queue.example.ru/kiosk/belgorod/" >&2
    exit 2
fi
CHROMIUM="${CHROMIUM:-chromium}"
if [ "${FRESH_PROFILE:-0}" = 1 ]; then
    # A dry run shows the template and creates nothing.
    PROFILE="${TMPDIR:-/tmp}/queue-kiosk.XXXXXX"
    [ "${DRY_RUN:-0}" = 1 ] || PROFILE="$(mktemp -d "$PROFILE")"
else
    PROFILE="${PROFILE_DIR:-$HOME/.config/queue-kiosk}"
fi

set -- "$CHROMIUM" \
    --kiosk \
    --kiosk-printing \
    --user-data-dir="$PROFILE" \
    --no-first-run \
    --no-default-browser-check \
    --disable-background-networking \
    --disable-component-update \
    --disable-sync \
    --disable-translate \
    --disable-features=Translate \
    --disable-pinch \
    --overscroll-history-navigation=0 \
    --disable-session-crashed-bubble \
    --noerrdialogs \
    "$URL"

if [ "${DRY_RUN:-0}" = 1 ]; then
    printf '%s\n' "$@"
    exit 0
fi
exec "$@"
