#!/usr/bin/env python
"""Webhook delivery: delay from a transition to its delivery at a steady rate, and the drain of an outage's backlog.

Issues tickets in the demo office «korocha» at --rate per second (the
transition: ticket.issued, in this process through tickets.services), with one
subscription pointing at a fake receiver on 127.0.0.1 and one
`manage.py deliver_events` worker. Phase 1 runs --seconds at that rate and
prints p50/p99/max of (receiver got it − event occurred_at). Phase 2 takes the
receiver down for --outage-seconds while tickets keep coming at the same rate,
brings it back and prints how long the backlog took to drain (from the
receiver's return to the last pending delivery sent).

    DATABASE_URL=postgres://... .venv/bin/python bench/events.py --rate 50 --seconds 30 --outage-seconds 120

Load goes to loopback only and is bounded by the durations; the subscription,
its deliveries and this run's events are deleted at the end (the tickets stay).
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "queue_system.settings")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def issue_at_rate(issue, rate: float, seconds: float) -> tuple[int, float]:
    """Issue at ``rate`` per second for ``seconds``; behind schedule it issues back to back.
    Returns how many were issued and the rate achieved (a loaded machine may not reach the target)."""
    start = time.monotonic()
    n = 0
    while time.monotonic() < start + seconds:
        pause = start + n / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        issue()
        n += 1
    return n, n / (time.monotonic() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50, help="tickets per second")
    parser.add_argument("--seconds", type=float, default=30, help="steady phase length")
    parser.add_argument("--outage-seconds", type=float, default=120, help="how long the receiver is down")
    parser.add_argument("--timeout", type=float, default=900, help="give up draining after this many seconds")
    args = parser.parse_args()

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )

    import django

    django.setup()
    from django.conf import settings

    from events.models import Delivery, Event, Subscription
    from offices.models import Office
    from tests.receiver import FakeReceiver
    from tickets import services

    office = Office.objects.get(code="korocha")
    service = office.services.get(code="fl")
    # Earlier runs leave thousands of waiting tickets, and every issue's broadcast
    # reads the whole queue: start from an empty one, as an office does each morning.
    services.close_day(office=office, include_today=True)
    receiver = FakeReceiver().start()
    subscription = Subscription.objects.create(url=receiver.url, secret="bench-secret-0123", events=["ticket.issued"])
    first_event = (Event.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    worker = subprocess.Popen([sys.executable, "manage.py", "deliver_events"], cwd=ROOT, env=env)
    pending = Delivery.objects.filter(subscription=subscription, status=Delivery.Status.PENDING)

    def issue():
        services.ticket_issue(office=office, service=service)

    def wait_drained(limit: float) -> float:
        start = time.monotonic()
        while pending.exists():
            if time.monotonic() - start > limit:
                raise SystemExit(f"not drained after {limit} s: {pending.count()} pending")
            time.sleep(0.05)
        return time.monotonic() - start

    try:
        print(f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, load: {os.getloadavg()}")
        sent, achieved = issue_at_rate(issue, args.rate, args.seconds)
        wait_drained(args.timeout)
        occurred = {
            str(uid): at.timestamp()
            for uid, at in Event.objects.filter(id__gte=first_event).values_list("uid", "occurred_at")
        }
        arrived: dict[str, float] = {}
        for r in receiver.accepted():
            arrived.setdefault(r.event_id, r.wall)
        delays = [(arrived[uid] - at) * 1000 for uid, at in occurred.items()]
        assert len(delays) == sent, (len(delays), sent)
        print(
            f"steady   {sent} tickets at {achieved:.1f}/s (target {args.rate:g}): transition→delivery "
            f"p50={statistics.median(delays):.0f} ms p99={percentile(delays, 99):.0f} ms max={max(delays):.0f} ms"
        )

        receiver.stop()
        backlog, achieved = issue_at_rate(issue, args.rate, args.outage_seconds)
        waiting = pending.count()
        receiver.start()
        drain = wait_drained(args.timeout)
        print(
            f"outage   {args.outage_seconds:g} s at {achieved:.1f}/s: {backlog} events issued, {waiting} pending at "
            f"recovery, drained in {drain:.1f} s ({waiting / drain if drain else 0:.0f}/s); "
            f"duplicates: {len(receiver.accepted()) - len({r.event_id for r in receiver.accepted()})}"
        )
        print(f"load: {os.getloadavg()}")
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
        receiver.stop()
        subscription.delete()
        Event.objects.filter(id__gte=first_event).delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
