#!/usr/bin/env python
"""A year of tickets at the published report's scale: import, report and export timings.

Generates about 700,000 done tickets (plus no-shows and cancellations) for one
year over six bench offices, imports them with import_tickets, then times each
report API call for the whole company and year, and the XLSX exports.

    DATABASE_URL=postgres://... .venv/bin/python bench/reports.py [--tickets 700000] [--year 2023]

It works in its own offices («bench-1» … «bench-6»), whose tickets it replaces
on every run.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "queue_system.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from offices import config  # noqa: E402
from tickets.models import Ticket  # noqa: E402

OFFICES = [f"bench-{n}" for n in range(1, 7)]
SEASON = [22038, 30585, 19750, 22703, 25225, 25556, 24884, 26523, 26679, 29038, 26967, 27066]


def setup_offices():
    config.apply(
        {
            "offices": [
                {
                    "code": code,
                    "name": f"ЦОК нагрузочного теста {code[-1]}",
                    "hours": {d: "08:00-20:00" for d in ["mon", "tue", "wed", "thu", "fri", "sat"]},
                    "services": [
                        {"code": "fl", "name": "Физические лица", "prefix": "А", "channel": "individuals"},
                        {"code": "ul", "name": "Юридические лица", "prefix": "Б", "channel": "legal_entities"},
                        {"code": "cash", "name": "Касса", "prefix": "К", "channel": "cashier"},
                    ],
                    "counters": [{"number": str(n), "services": ["fl", "ul", "cash"]} for n in range(1, 9)],
                }
                for code in OFFICES
            ]
        }
    )
    Ticket.objects.filter(office__code__in=OFFICES).delete()


def generate(path: Path, year: int, done: int, rng: random.Random) -> int:
    """Rows per office, day and service with consecutive numbers; about 5 % are not done."""
    total_weight = sum(SEASON)
    rows = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write("office,service,number,issued_at,called_at,started_at,finished_at,status,counter\n")
        day = datetime(year, 1, 1, 5, 0, tzinfo=UTC)  # 08:00 in Moscow
        days = [day + timedelta(days=i) for i in range(366) if (day + timedelta(days=i)).year == year]
        days = [d for d in days if d.weekday() < 6]
        per_month_days = {m: sum(1 for d in days if d.month == m) for m in range(1, 13)}
        for d in days:
            per_day = done * SEASON[d.month - 1] / total_weight / per_month_days[d.month] / 0.95
            for code in OFFICES:
                count = int(per_day / len(OFFICES) + rng.random())
                numbers = {"А": 0, "Б": 0, "К": 0}
                step = 43200 / max(count, 1)
                for i in range(count):
                    service, prefix = rng.choices([("fl", "А"), ("ul", "Б"), ("cash", "К")], [38, 5, 57])[0]
                    numbers[prefix] += 1
                    issued = d + timedelta(seconds=int(i * step))
                    called = issued + timedelta(seconds=rng.randint(20, 600))
                    finished = called + timedelta(seconds=rng.randint(60, 900))
                    status = "done" if rng.random() < 0.95 else rng.choice(["no_show", "cancelled"])
                    number = f"{prefix}{numbers[prefix]:03d}"
                    if status == "done":
                        line = (
                            f"{code},{service},{number},{issued.isoformat()},{called.isoformat()},,"
                            f"{finished.isoformat()},done,{rng.randint(1, 8)}"
                        )
                    elif status == "no_show":
                        line = f"{code},{service},{number},{issued.isoformat()},{called.isoformat()},,,no_show,"
                    else:
                        line = f"{code},{service},{number},{issued.isoformat()},,,,cancelled,"
                    out.write(line + "\n")
                    rows += 1
    return rows


def timed(label: str, func):
    started = time.perf_counter()
    result = func()
    elapsed = time.perf_counter() - started
    print(f"{label:<58} {elapsed:8.2f} s")
    return result, elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=700_000, help="done tickets to generate")
    parser.add_argument("--year", type=int, default=2023)
    args = parser.parse_args()
    print(f"database: {connection.vendor}")
    if connection.vendor != "postgresql":
        print("warning: the targets are for PostgreSQL; set DATABASE_URL=postgres://...")
    call_command("migrate", verbosity=0)
    setup_offices()
    rng = random.Random(args.year)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"tickets-{args.year}.csv"
        rows, _ = timed(
            f"generate CSV ({args.tickets:,} done tickets)", lambda: generate(path, args.year, args.tickets, rng)
        )
        print(f"rows in file: {rows:,} ({path.stat().st_size / 1e6:.0f} MB)")
        _, import_seconds = timed("import_tickets", lambda: call_command("import_tickets", str(path), verbosity=0))
        _, reimport_seconds = timed(
            "import_tickets again (nothing new)", lambda: call_command("import_tickets", str(path), verbosity=0)
        )
    stored = Ticket.objects.filter(office__code__in=OFFICES, local_date__year=args.year).count()
    print(
        f"tickets stored: {stored:,}; done: {Ticket.objects.filter(office__code__in=OFFICES, status='done').count():,}"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics after a bulk load, as autovacuum would do

    from django.contrib.auth import get_user_model

    admin, _ = get_user_model().objects.get_or_create(username="bench-admin", defaults={"is_superuser": True})
    client = Client()
    client.force_login(admin)
    report_times = []
    for name, url in [
        ("service-times, whole company", f"/api/v1/reports/service-times/?year={args.year}"),
        ("service-times, channel=cashier", f"/api/v1/reports/service-times/?year={args.year}&channel=cashier"),
        ("service-times, one office", f"/api/v1/reports/service-times/?year={args.year}&office=bench-1"),
        ("channels, whole company", f"/api/v1/reports/channels/?year={args.year}"),
        ("personal-account", f"/api/v1/reports/personal-account/?year={args.year}"),
        ("contact-center", f"/api/v1/reports/contact-center/?year={args.year}"),
        ("/reports/ page (all tables)", f"/reports/?year={args.year}"),
    ]:
        response, seconds = timed(f"GET {name}", lambda url=url: client.get(url))
        assert response.status_code == 200, response.content[:300]
        report_times.append(seconds)
    export_times = []
    for name in ["service-times", "channels"]:
        response, seconds = timed(
            f"XLSX export {name}", lambda name=name: client.get(f"/api/v1/reports/{name}/?year={args.year}&format=xlsx")
        )
        assert response.status_code == 200
        export_times.append(seconds)
    print()
    print(f"import: {import_seconds:.1f} s (target < 60 s)  {'OK' if import_seconds < 60 else 'MISSED'}")
    print(f"slowest report: {max(report_times):.2f} s (target < 1 s)  {'OK' if max(report_times) < 1 else 'MISSED'}")
    print(f"slowest export: {max(export_times):.2f} s (target < 5 s)  {'OK' if max(export_times) < 5 else 'MISSED'}")


if __name__ == "__main__":
    main()
