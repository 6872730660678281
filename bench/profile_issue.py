#!/usr/bin/env python
"""Where an issue's CPU goes: the issue request in-process (Django's test client, no Daphne), then profiled.

Runs against the database of DATABASE_URL (PostgreSQL for meaningful figures)
in the bench office of bench/issue_and_call.py, with its day emptied first.
Each request is followed by its announcements, as a request's flush runs them
after the response. Prints the queries of one issue, the CPU per request, and
the request's time split into its parts (wall time under the profiler, so
database waits count where they happen).

Then it measures the call path the same way: call-next and finish from 4
counters until the queue is empty, CPU per ticket (this process and its
PostgreSQL backend, read from /proc). With --webhook a subscription to every
event type exists (no worker runs: only what the transitions pay), so runs
with and without it show what the outbox adds to the call path.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/profile_issue.py [-n 300] [--webhook]
"""

import argparse
import cProfile
import importlib.util
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "queue_system.settings")

# (label, function as pstats names it: file suffix and function name)
PARTS = [
    ("token authentication and DRF", "rest_framework/authentication.py", "authenticate"),
    ("office, its hours", "tickets/api.py", "office_or_404"),
    ("kiosk or staff check", "offices/kiosks.py", "issuer"),
    ("service lookup", "tickets/api.py", "service_of"),
    ("the issue transaction (number, insert, log, outbox, rollup)", "tickets/services.py", "ticket_issue"),
    ("  of which the outbox check", "tickets/webhooks.py", "record_ticket"),
    ("  of which the monthly rollup", "tickets/rollups.py", "record"),
    ("the response: place, estimate, serializer", "tickets/api.py", "ticket_response"),
    ("announcements after the response (queue counts, sends)", "tickets/dispatch.py", "flush"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="issues to profile")
    parser.add_argument("--webhook", action="store_true", help="with a subscription to every event type")
    parser.add_argument("--no-profile", action="store_true", help="only the CPU figures, no profile")
    parser.add_argument(
        "--compare",
        type=int,
        metavar="BLOCKS",
        help="what the outbox adds: BLOCKS blocks of -n/BLOCKS issues (then as many calls), the subscription "
        "switched on in every other one; alternating within one run keeps the host's drift out of the ratio",
    )
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("issue_and_call", ROOT / "bench" / "issue_and_call.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    operators = bench.prepare(4)

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Token {operators[0]['token']}"}
    for who in operators:
        client.post(
            f"/api/v1/counters/{who['counter']}/state/",
            {"state": "open"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {who['token']}",
        )

    def issue():
        response = client.post(
            f"/api/v1/offices/{bench.OFFICE}/tickets/",
            {"service": bench.SERVICE},
            content_type="application/json",
            **auth,
        )
        assert response.status_code == 201, response.content

    subscription = None
    if args.webhook or args.compare:
        from events.models import EVENT_TYPES, Subscription

        subscription = Subscription.objects.create(
            url="http://127.0.0.1:9/", secret="bench-secret-0123", events=sorted(EVENT_TYPES)
        )
    try:
        if args.compare:
            compare(args, client, issue, operators, connection, subscription)
            return 0
        measure(args, bench, client, issue, operators, connection, CaptureQueriesContext)
    finally:
        if subscription is not None:
            subscription.delete()  # its deliveries and their events' rows go with it
    return 0


def backend_cpu(connection) -> float:
    """CPU seconds of this connection's PostgreSQL backend so far (same machine, /proc)."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(args, bench, client, issue, operators, connection, CaptureQueriesContext) -> None:
    for _ in range(20):
        issue()
    with CaptureQueriesContext(connection) as queries:
        issue()
    print(f"queries per issue (the announcements included): {len(queries)}")
    started, database = time.process_time(), backend_cpu(connection)
    for _ in range(args.n):
        issue()
    per_request = (time.process_time() - started) / args.n * 1000
    in_database = (backend_cpu(connection) - database) / args.n * 1000
    print(f"CPU per issue: {per_request:.1f} ms in-process + {in_database:.1f} ms in PostgreSQL")
    calls = call_all(client, operators)
    started, database = time.process_time(), backend_cpu(connection)
    for _ in range(args.n):
        issue()
    calls = call_all(client, operators)
    per_call = (time.process_time() - started) / calls * 1000 - per_request
    in_database = (backend_cpu(connection) - database) / calls * 1000 - in_database
    print(
        f"CPU per call-next + finish: {per_call:.1f} ms in-process + {in_database:.1f} ms in PostgreSQL ({calls} calls)"
    )
    if args.no_profile:
        return

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.n):
        issue()
    profile.disable()
    stats = pstats.Stats(profile).stats
    total = sum(tt for (_, _, tt, _, _) in stats.values()) / args.n * 1000
    print(f"profiled time per issue: {total:.1f} ms (wall time in this process, the profiler's own cost included)")
    for label, path, name in PARTS:
        cumulative = sum(v[3] for (file, _, func), v in stats.items() if file.endswith(path) and func == name)
        print(f"  {label:<62} {cumulative / args.n * 1000:5.1f} ms  {cumulative / args.n * 1000 / total:4.0%}")


def compare(args, client, issue, operators, connection, subscription) -> None:
    """CPU per issue and per call-next + finish (this process and its PostgreSQL backend), in blocks
    with the subscription off and on by turns; the medians of each and their ratio."""
    size = max(args.n // args.compare, 1)
    for _ in range(20):
        issue()
    call_all(client, operators)
    figures = {("issue", False): [], ("issue", True): [], ("call", False): [], ("call", True): []}
    walls = {key: [] for key in figures}
    for block in range(args.compare):
        on = block % 2 == 1
        subscription.active = on
        subscription.save(update_fields=["active"])
        started, wall = time.process_time() + backend_cpu(connection), time.perf_counter()
        for _ in range(size):
            issue()
        figures["issue", on].append((time.process_time() + backend_cpu(connection) - started) / size * 1000)
        walls["issue", on].append((time.perf_counter() - wall) / size * 1000)
        started, wall = time.process_time() + backend_cpu(connection), time.perf_counter()
        calls = call_all(client, operators)
        figures["call", on].append((time.process_time() + backend_cpu(connection) - started) / calls * 1000)
        walls["call", on].append((time.perf_counter() - wall) / calls * 1000)
    for kind, label in [("issue", "issue"), ("call", "call-next + finish")]:
        off, on = statistics.median(figures[kind, False]), statistics.median(figures[kind, True])
        print(
            f"CPU per {label}: {off:.1f} ms without the outbox, {on:.1f} ms with it: {on / off - 1:+.1%} "
            f"(medians of {len(figures[kind, False])} blocks each; blocks off "
            + ", ".join(f"{v:.1f}" for v in figures[kind, False])
            + "; on "
            + ", ".join(f"{v:.1f}" for v in figures[kind, True])
            + ")"
        )
        off, on = statistics.median(walls[kind, False]), statistics.median(walls[kind, True])
        print(f"  wall time per {label}: {off:.1f} ms without, {on:.1f} ms with: {on / off - 1:+.1%}")


def call_all(client, operators) -> int:
    """Call and finish from each counter in turn until the queue is empty; how many were called."""
    calls, idle = 0, 0
    while idle < len(operators):
        idle = 0
        for who in operators:
            auth = {"HTTP_AUTHORIZATION": f"Token {who['token']}"}
            response = client.post(f"/api/v1/counters/{who['counter']}/call-next/", **auth)
            if response.status_code == 204:
                idle += 1
                continue
            assert response.status_code == 200, response.content
            ticket = response.json()
            finished = client.post(
                f"/api/v1/tickets/{ticket['id']}/finish/",
                {"counter": who["counter"]},
                content_type="application/json",
                **auth,
            )
            assert finished.status_code == 200, finished.content
            calls += 1
    return calls


if __name__ == "__main__":
    sys.exit(main())
