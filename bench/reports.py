#!/usr/bin/env python
"""A year of tickets at the published report's scale: import, report and export timings.

Generates about 700,000 done tickets (plus no-shows and cancellations) for one
year over six bench offices, imports them with import_tickets (twice: the
second adds nothing), then times each report API call for the whole company
and year, the /reports/ page and the XLSX exports, three times each (every
bench counter gets an operator and a shift a day first, for the operator
report, and the daily rollups are recounted). The COPY
floor is a plain COPY of the same file into a bare table, measured in the same
run; the import's goal is at most 3× that. Issue 24's table (7.1 M tickets):

    DATABASE_URL=postgres://... .venv/bin/python bench/reports.py --tickets 7124130

It works in its own offices («bench-1» … «bench-6»), whose tickets it replaces
on every run, and whatever DJANGO_ALLOWED_HOSTS says.
"""

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "queue_system.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from offices import config  # noqa: E402
from offices.models import Counter, CounterEvent, Office, Service  # noqa: E402
from tickets import rollups  # noqa: E402
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
    # A bare DELETE: the ORM's delete() would load millions of tickets to collect their events
    # (imported tickets have none).
    ids = list(Office.objects.filter(code__in=OFFICES).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Ticket._meta.db_table} WHERE office_id = ANY(%s)", [ids])
        # The counters' log of earlier runs (append-only for the application, not for the bench).
        cursor.execute(
            f"DELETE FROM {CounterEvent._meta.db_table} WHERE counter_id IN "
            f"(SELECT id FROM {Counter._meta.db_table} WHERE office_id = ANY(%s))",
            [ids],
        )
    rollups.rebuild(ids)


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
    print(f"{label:<58} {elapsed:8.3f} s", flush=True)
    return result, elapsed


def copy_floor(path: Path) -> float:
    """A plain COPY of the file into a bare table of text columns: the fastest any import can read it."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_floor")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_copy_floor (office text, service text, number text, issued_at text, "
            "called_at text, started_at text, finished_at text, status text, counter text)"
        )
        started = time.perf_counter()
        with open(path, encoding="utf-8") as source:
            with cursor.cursor.copy("COPY bench_copy_floor FROM STDIN WITH (FORMAT csv, HEADER)") as copy:
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy_floor")
    return elapsed


def insert_floor(path: Path) -> float:
    """The file's rows written into the ticket table with nothing parsed or checked by the import, then rolled back.

    The rows are first copied into a typed staging table (untimed), so the timed part is only what
    any import of these rows must pay: the heap rows of the ticket table, its indexes, and the checks
    of its foreign keys (deferred ones forced with SET CONSTRAINTS ALL IMMEDIATE). The tokens are the
    cheapest unique values, not random ones. A VACUUM afterwards clears the dead rows the rollback
    leaves, so the import that follows meets the table as it was.
    """
    ticket = Ticket._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_insert_floor (line bigint GENERATED ALWAYS AS IDENTITY, office text, "
            "service text, number text, issued timestamptz, called timestamptz, started timestamptz, "
            "finished timestamptz, status text, counter text) ON COMMIT DROP"
        )
        columns = "office, service, number, issued, called, started, finished, status, counter"
        sql = f"COPY bench_insert_floor ({columns}) FROM STDIN WITH (FORMAT csv, HEADER)"
        with open(path, encoding="utf-8") as source:
            with cursor.cursor.copy(sql) as copy:
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
        started = time.perf_counter()
        cursor.execute(
            f"""
            INSERT INTO {ticket} (
                office_id, service_id, number, local_date, priority, status, counter_id, operator_id, issued_at,
                queued_at, front, called_at, started_at, finished_at, recall_count, wait_seconds, service_seconds,
                token, imported, note)
            SELECT o.id, s.id, f.number, (f.issued AT TIME ZONE o.timezone)::date, false, f.status, c.id, NULL,
                   f.issued, f.issued, false, f.called,
                   CASE WHEN f.status = 'done' THEN coalesce(f.started, f.called) END, f.finished, 0,
                   coalesce(extract(epoch FROM f.called - f.issued)::float8, 0),
                   CASE WHEN f.status = 'done' THEN extract(epoch FROM f.finished - coalesce(f.started, f.called))
                   ::float8 ELSE 0 END,
                   'floor' || f.line, true, ''
            FROM bench_insert_floor f
            JOIN {Office._meta.db_table} o ON o.code = f.office
            JOIN {Service._meta.db_table} s ON s.office_id = o.id AND s.code = f.service
            LEFT JOIN {Counter._meta.db_table} c ON c.office_id = o.id AND c.number = f.counter
            """
        )
        inserted = time.perf_counter()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    checks = started + elapsed - inserted
    print(f"insert floor: rows and indexes {inserted - started:.1f} s, foreign-key checks {checks:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM {ticket}")
    return elapsed


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=700_000, help="done tickets to generate")
    parser.add_argument("--year", type=int, default=2023)
    parser.add_argument("--runs", type=int, default=3, help="timings of each report call")
    parser.add_argument(
        "--insert-floor",
        action="store_true",
        help="also time the file's rows written into the ticket table with no import logic (rolled back)",
    )
    parser.add_argument("--floors-only", action="store_true", help="the floors only: no import, no reports")
    parser.add_argument("--imports-only", action="store_true", help="the floors and the imports: no reports")
    parser.add_argument(
        "--reports-only", action="store_true", help="time the reports over the tickets already stored; no import"
    )
    args = parser.parse_args()
    print(f"database: {connection.vendor}; load average: {os.getloadavg()[0]:.1f}")
    if connection.vendor != "postgresql":
        print("warning: the targets are for PostgreSQL; set DATABASE_URL=postgres://...")
    if args.reports_only:
        stored = Ticket.objects.filter(office__code__in=OFFICES, local_date__year=args.year).count()
        print(f"tickets stored: {stored:,}")
        report(args, [], None)
        return
    call_command("migrate", verbosity=0)
    setup_offices()
    rng = random.Random(args.year)
    goals = []  # (step, seconds, goal seconds, note)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"tickets-{args.year}.csv"
        rows, _ = timed(
            f"generate CSV ({args.tickets:,} done tickets)", lambda: generate(path, args.year, args.tickets, rng)
        )
        print(f"rows in file: {rows:,} ({path.stat().st_size / 1e6:.0f} MB)")
        floor = None
        if connection.vendor == "postgresql":
            floor, _ = timed("COPY floor: plain COPY into a bare table", lambda: copy_floor(path))
            if args.insert_floor or args.floors_only:
                print("insert floor: the rows into the ticket table, nothing checked", flush=True)
                seconds = insert_floor(path)
                print(f"{'insert floor (timed part)':<58} {seconds:8.3f} s = {seconds / floor:.1f}× the COPY floor")
        if args.floors_only:
            return
        rss_before = peak_rss_mb()
        _, import_seconds = timed("import_tickets", lambda: call_command("import_tickets", str(path), verbosity=0))
        _, reimport_seconds = timed(
            "import_tickets again (nothing new)", lambda: call_command("import_tickets", str(path), verbosity=0)
        )
        rss_after = peak_rss_mb()
    stored = Ticket.objects.filter(office__code__in=OFFICES, local_date__year=args.year).count()
    print(
        f"tickets stored: {stored:,}; done: {Ticket.objects.filter(office__code__in=OFFICES, status='done').count():,}"
    )
    print(f"peak RSS: {rss_before:.0f} MB before the imports, {rss_after:.0f} MB after them")
    if floor is not None:
        goals.append(("import_tickets", import_seconds, 3 * floor, f"{import_seconds / floor:.1f}× the COPY floor"))
        goals.append(
            ("import_tickets again", reimport_seconds, 3 * floor, f"{reimport_seconds / floor:.1f}× the COPY floor")
        )
    if args.imports_only:
        print_goals(goals)
        return
    timed("operators: one per counter, shifts with lunch, daily rollups recounted", lambda: staff(args.year))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics after a bulk load, as autovacuum would do
    report(args, goals, floor)


def staff(year: int) -> None:
    """Who served at each bench counter, and its shifts: the operator report needs both.

    The imported tickets get the operator of their counter (one bare UPDATE), each
    counter a shift on every working day (08:00–20:00 in Moscow, lunch 12:00–12:45),
    and the daily rollups are recounted: what close_day does night by night.
    """
    from django.contrib.auth import get_user_model

    from tickets import daily

    User = get_user_model()
    offices = list(Office.objects.filter(code__in=OFFICES))
    pairs, events = [], []
    moscow = ZoneInfo("Europe/Moscow")
    days = [date(year, 1, 1) + timedelta(days=i) for i in range(366)]
    days = [d for d in days if d.year == year and d.weekday() < 6]
    for counter in Counter.objects.filter(office__in=offices).select_related("office"):
        user, _ = User.objects.get_or_create(
            username=f"bench-{counter.office.code}-{counter.number}",
            defaults={"first_name": f"Оператор окна {counter.number}", "last_name": counter.office.name},
        )
        pairs.append((counter.pk, user.pk))
        for day in days:
            at = lambda hour, minute=0, day=day: datetime.combine(day, dtime(hour, minute), tzinfo=moscow)  # noqa: E731
            events += [
                CounterEvent(counter=counter, type="opened", at=at(8), user=user, data={"from": "closed"}),
                CounterEvent(
                    counter=counter, type="break", at=at(12), user=user,
                    data={"from": "open", "reason": "lunch", "reason_label": "Обед"},
                ),
                CounterEvent(counter=counter, type="resumed", at=at(12, 45), user=user, data={"from": "break"}),
                CounterEvent(counter=counter, type="closed", at=at(20), user=user, data={"from": "open"}),
            ]  # fmt: skip
    ids = [office.pk for office in offices]
    with connection.cursor() as cursor:
        values = ", ".join(["(%s, %s)"] * len(pairs))
        cursor.execute(
            f"UPDATE {Ticket._meta.db_table} t SET operator_id = m.user_id "
            f"FROM (VALUES {values}) m(counter_id, user_id) "
            "WHERE t.counter_id = m.counter_id AND t.office_id = ANY(%s)",
            [*(v for pair in pairs for v in pair), ids],
        )
    CounterEvent.objects.bulk_create(events, batch_size=5000)
    daily.rebuild(ids)


def report(args, goals: list, floor: float | None) -> None:
    from django.contrib.auth import get_user_model

    # The test client's host is «testserver»; whatever the environment allows, the bench allows that too.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    admin, _ = get_user_model().objects.get_or_create(username="bench-admin", defaults={"is_superuser": True})
    client = Client()
    client.force_login(admin)
    secure = settings.SECURE_SSL_REDIRECT
    # One untimed request: the first one of a process imports and compiles what every later one reuses.
    client.get(f"/api/v1/reports/contact-center/?year={args.year - 1}", secure=secure)
    year = args.year
    calls = [
        ("service times, whole company, one year", f"/api/v1/reports/service-times/?year={year}", 0.1),
        ("service times, channel=cashier", f"/api/v1/reports/service-times/?year={year}&channel=cashier", 0.1),
        ("service times, one office", f"/api/v1/reports/service-times/?year={year}&office=bench-1", 0.1),
        ("channels, whole company", f"/api/v1/reports/channels/?year={year}", 0.1),
        ("personal-account", f"/api/v1/reports/personal-account/?year={year}", 0.1),
        ("contact-center", f"/api/v1/reports/contact-center/?year={year}", 0.1),
        ("/reports/ page, all tables", f"/reports/?year={year}", 0.3),
        ("XLSX export, service times", f"/api/v1/reports/service-times/?year={year}&format=xlsx", 0.3),
        ("XLSX export, channels", f"/api/v1/reports/channels/?year={year}&format=xlsx", 0.3),
        ("load by weekday and hour, whole company", f"/api/v1/reports/load/?year={year}", 0.3),
        ("load, one office, one month", f"/api/v1/reports/load/?year={year}&office=bench-1&month=3", 0.3),
        ("norm compliance, whole company", f"/api/v1/reports/norm/?year={year}", 0.3),
        ("operators by month, whole company", f"/api/v1/reports/operators/?year={year}", 0.3),
        (
            "operators, one office, one day",
            f"/api/v1/reports/operators/?year={year}&office=bench-1&day={year}-03-15",
            0.3,
        ),
        ("estimates, whole company", f"/api/v1/reports/estimates/?year={year}", 0.3),
        ("XLSX export, load", f"/api/v1/reports/load/?year={year}&format=xlsx", 0.3),
        ("XLSX export, operators", f"/api/v1/reports/operators/?year={year}&format=xlsx", 0.3),
        ("XLSX export, norm", f"/api/v1/reports/norm/?year={year}&format=xlsx", 0.3),
        (
            "/reports/ page, one office, a day of operators",
            f"/reports/?year={year}&office=bench-1&day={year}-03-15",
            0.3,
        ),
        ("topics (outcomes), whole company", f"/api/v1/reports/outcomes/?year={year}", 0.3),
        ("satisfaction, whole company", f"/api/v1/reports/satisfaction/?year={year}", 0.3),
        ("bookings, whole company", f"/api/v1/reports/bookings/?year={year}", 0.3),
        ("XLSX export, topics", f"/api/v1/reports/outcomes/?year={year}&format=xlsx", 0.3),
        ("disclosure page", f"/reports/disclosure/{year}/", 0.3),
        ("forecast page, one office", "/reports/forecast/?office=bench-1", 0.3),
        ("forecast API, one office", "/api/v1/offices/bench-1/forecast/", 0.3),
        ("public load API, one office", "/api/v1/offices/bench-1/load/", 0.3),
        ("public load page, one office", "/load/bench-1/", 0.3),
    ]
    for name, url, goal in calls:
        runs = []
        for run in range(args.runs):
            response, seconds = timed(f"GET {name} (run {run + 1})", lambda url=url: client.get(url, secure=secure))
            assert response.status_code == 200, (response.status_code, response.content[:300])
            runs.append(seconds)
        goals.append((name, max(runs), goal, "runs " + ", ".join(f"{r * 1000:.0f}" for r in runs) + " ms"))
    print()
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}; COPY floor: {floor or 0:.1f} s")
    print_goals(goals)


def print_goals(goals: list) -> None:
    print(f"{'step':<42} {'measured':>10} {'goal':>10}  result  notes")
    for name, seconds, goal, note in goals:
        verdict = "OK" if seconds <= goal else "MISSED"
        print(f"{name:<42} {_fmt(seconds):>10} {_fmt(goal):>10}  {verdict:<6}  {note}")


def _fmt(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


if __name__ == "__main__":
    main()
