#!/bin/sh
# Start Chromium as a hall display (TV): full screen, and allowed to play the chime and the
# voice without anyone tapping the screen, so that it speaks again after a reboot.
#
#   deploy/tv.sh https://queue.example.ru/display/belgorod/
#   DISPLAY_URL=https://queue.example.ru/display/belgorod/ deploy/tv.sh
#
# The display needs no pairing and keeps nothing: FRESH_PROFILE=0 keeps a profile in PROFILE_DIR
# instead of a throw-away one. DRY_RUN=1 prints the command, one argument per line, instead of
# running it. CHROMIUM names the browser (default: chromium).
set -eu

URL="${1:-${DISPLAY_URL:-}}"
if [ -z "$URL" ]; then
    echo "usage: $0 DISPLAY_URL   (or set DISPLAY_URL), e.g. https://queue.example.ru/display/belgorod/" >&2
    exit 2
fi
CHROMIUM="${CHROMIUM:-chromium}"
if [ "${FRESH_PROFILE:-1}" = 1 ]; then
    # A dry run shows the template and creates nothing.
    PROFILE="${TMPDIR:-/tmp}/queue-tv.XXXXXX"
    [ "${DRY_RUN:-0}" = 1 ] || PROFILE="$(mktemp -d "$PROFILE")"
else
    PROFILE="${PROFILE_DIR:-$HOME/.config/queue-tv}"
fi

set -- "$CHROMIUM" \
    --kiosk \
    --autoplay-policy=no-user-gesture-required \
    --user-data-dir="$PROFILE" \
    --no-first-run \
    --no-default-browser-check \
    --disable-background-networking \
    --disable-component-update \
    --disable-sync \
    --disable-translate \
    --disable-features=Translate \
    --disable-session-crashed-bubble \
    --noerrdialogs \
    "$URL"

if [ "${DRY_RUN:-0}" = 1 ]; then
    printf '%s\n' "$@"
    exit 0
fi
exec "$@"
