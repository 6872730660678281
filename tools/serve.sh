#!/bin/sh
# The last step of `make run`: Daphne, the webhook worker (manage.py deliver_events) and the
# client notifications' loop (manage.py notify: idle unless Telegram or SMS is configured) as
# one command. Ctrl-C or TERM stops all three; when one ends, the others are stopped too.
# Usage: tools/serve.sh HOST PORT   (BIN: the virtualenv's bin directory, .venv/bin by default)
set -u
BIN=${BIN:-.venv/bin}
HOST=${1:?usage: tools/serve.sh HOST PORT}
PORT=${2:?usage: tools/serve.sh HOST PORT}

"$BIN/python" manage.py deliver_events &
worker=$!
"$BIN/python" manage.py notify &
notify=$!
# A listen backlog of 2048 (Twisted's default is 50) and 120 s for a handshake: a
# storm of screens reconnecting at once is queued, not refused (README, Benchmarks).
"$BIN/daphne" -e "tcp:port=$PORT:interface=$HOST:backlog=2048" --websocket_connect_timeout 120 queue_system.asgi:application &
web=$!

stop() {
    kill -TERM "$web" "$worker" "$notify" 2>/dev/null
    # Daphne sometimes ignores TERM with requests queued: KILL after 10 s.
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        kill -0 "$web" 2>/dev/null || kill -0 "$worker" 2>/dev/null || kill -0 "$notify" 2>/dev/null || return 0
        sleep 1
    done
    kill -KILL "$web" "$worker" "$notify" 2>/dev/null
}
trap 'stop; exit 130' INT TERM

# Whichever ends first takes the other with it.
while kill -0 "$web" 2>/dev/null && kill -0 "$worker" 2>/dev/null && kill -0 "$notify" 2>/dev/null; do
    sleep 1
done
stop
wait "$web"
