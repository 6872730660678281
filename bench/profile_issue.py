#!/usr/bin/env python
"""Where an issue's CPU goes: the issue request in-process (Django's test client, no Daphne), profiled by CPU time.

Runs against the database of DATABASE_URL (PostgreSQL for meaningful figures)
in the bench office of bench/issue_and_call.py, with its day emptied first.
Each request is followed by its announcements, as a request's flush runs them
after the response. Prints the queries of one issue, the CPU per request, and
that CPU split into the request's parts; CPU time (not wall time) keeps the
split meaningful on a loaded machine.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/profile_issue.py [-n 300]
"""

import argparse
import cProfile
import importlib.util
import os
import pstats
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

    for _ in range(20):
        issue()
    with CaptureQueriesContext(connection) as queries:
        issue()
    print(f"queries per issue (the announcements included): {len(queries)}")
    started = time.process_time()
    for _ in range(args.n):
        issue()
    per_request = (time.process_time() - started) / args.n * 1000
    print(f"CPU per issue, in-process: {per_request:.1f} ms")

    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(args.n):
        issue()
    profile.disable()
    stats = pstats.Stats(profile).stats
    total = sum(tt for (_, _, _, tt, _) in stats.values()) / args.n * 1000
    print(f"profiled CPU per issue: {total:.1f} ms (the profiler's own cost included)")
    for label, path, name in PARTS:
        cumulative = sum(v[3] for (file, _, func), v in stats.items() if file.endswith(path) and func == name)
        print(f"  {label:<62} {cumulative / args.n * 1000:5.1f} ms  {cumulative / args.n * 1000 / total:4.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
