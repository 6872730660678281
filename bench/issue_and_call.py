#!/usr/bin/env python
"""Issue tickets at C concurrent clients, then call them from C counters, one client each.

Runs against running servers: `make run` (one process, the default URL) or the
production topology started by bench/topology.py (nginx in front of two
processes: pass its URL, or both processes' URLs comma-separated, requests then
alternate between them). Only loopback addresses are accepted, and every phase
is bounded by N and by --timeout.

    .venv/bin/python bench/issue_and_call.py                      # make run, C=16 and C=50
    .venv/bin/python bench/topology.py -- bench/issue_and_call.py  # nginx + two processes

For each C in --concurrency, in an office of its own («bench», open around the
clock, C counters serving one service, one operator per counter, all created
here through the server's own database settings):

1. issue: N tickets from C clients in a closed loop (each sends its next
   request as soon as the last is answered), with an operator's token so the
   limit on remote tickets does not apply;
2. call: C operators, one client each, call the next ticket and finish it, as
   an operator serves one client at a time, until the queue is empty. The call
   latency leaves the finish out; throughput counts distinct tickets called.
3. check: no number issued twice, no ticket called twice (in the answers and in
   the database's event log), every issued ticket called once.

With --webhook, a subscription to every event type points at a fake receiver
(a process of its own: it stands for the CRM, and in this process its threads
would slow the load client) and a `manage.py deliver_events` worker runs
beside the servers, so the outbox's whole cost (its rows in each transition,
the worker's CPU) shows in the figures. With --webhook after, the worker
starts only when the rounds are over and then drains the backlog: the figures
show what the transitions themselves pay. (bench/topology.py runs a worker of
its own, as docker-compose.yml does: after and alternate pause it with SIGSTOP
during the rounds.) Alternate runs with and without it to compare; or, since
this host's speed drifts by ±20 % over minutes, use --webhook alternate: the
subscription is switched on and off every --period seconds during each phase,
each request counts under the state it began in, and each window with the
subscription is also set against the two without it around it (paired
windows: a trend over the phase cancels). --issue-only skips the call phase.

The client is aiohttp: httpx spends ~3 ms of CPU per request, which on two
cores caps a closed loop of 20 clients at ~300 requests/s.
"""

import argparse
import asyncio
import bisect
import contextlib
import functools
import ipaddress
import multiprocessing
import os
import signal
import ssl
import statistics
import subprocess
import sys
import time
from collections import Counter as Tally
from pathlib import Path
from urllib.parse import urlparse

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
OFFICE = "bench"
SERVICE = "fl"
PASSWORD = "bench-pass-2024"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def report(name: str, latencies: list[float], elapsed: float, errors: int, count: int | None = None) -> None:
    ms = [x * 1000 for x in latencies] or [0.0]
    done = len(latencies) if count is None else count
    print(
        f"{name:<13} n={done:>5}  errors={errors:<3} throughput={done / elapsed:8.1f}/s  "
        f"p50={statistics.median(ms):7.1f} ms  p99={percentile(ms, 99):7.1f} ms  max={max(ms):7.1f} ms",
        flush=True,
    )


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU of the server processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def server_cpu(pids: list[int], since: float, requests: int) -> str:
    if not pids or not requests:
        return ""
    return f"  server CPU per request={(cpu_seconds(pids) - since) * 1000 / requests:.1f} ms"


def require_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    sys.exit(f"refusing to send load to {host}: only loopback addresses are allowed")


def require_up(urls: list[str]) -> None:
    """Before touching the database: a server still starting (make run seeds first) is left alone."""
    import urllib.error
    import urllib.request

    for url in urls:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=10, context=insecure_tls())
        except urllib.error.HTTPError:
            pass  # it answers
        except OSError as error:
            sys.exit(f"no server at {url}: {error}")


def insecure_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the bench topology's self-signed certificate
    return context


def prepare(counters: int) -> list[dict]:
    """The bench office with `counters` counters and operators, its day emptied; their credentials."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "queue_system.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from offices import config
    from offices.models import Counter, Membership, Office
    from tickets.services import close_day

    config.apply(
        {
            "offices": [
                {
                    "code": OFFICE,
                    "name": "ЦОК нагрузочного теста",
                    "stop_issuing_minutes": 0,
                    "hours": {d: "00:00-24:00" for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
                    "services": [{"code": SERVICE, "name": "Физические лица", "prefix": "А", "channel": "individuals"}],
                    "counters": [{"number": str(n + 1), "services": [SERVICE]} for n in range(counters)],
                }
            ]
        }
    )
    office = Office.objects.get(code=OFFICE)
    close_day(office=office, include_today=True)
    if connection.vendor == "postgresql":
        # Every run leaves thousands of dead ticket rows (a status change is never a
        # HOT update: status is indexed). Where autovacuum is off, as on the machine
        # these figures were taken on, each run would be slower than the one before.
        with connection.cursor() as cursor:
            cursor.execute(
                "VACUUM ANALYZE tickets_ticket, tickets_ticketevent, tickets_dailysequence, tickets_servicemonth, "
                "events_event, events_delivery, events_attempt"
            )
    Counter.objects.filter(office=office).update(state=Counter.State.CLOSED, operator=None)
    User = get_user_model()
    operators = []
    for counter in Counter.objects.filter(office=office, active=True).order_by("pk")[:counters]:
        user, created = User.objects.get_or_create(username=f"bench-op{counter.number}")
        if created:
            user.set_password(PASSWORD)
            user.save()
        Membership.objects.get_or_create(user=user, office=office, role=Membership.Role.OPERATOR)
        operators.append({"counter": counter.pk, "token": Token.objects.get_or_create(user=user)[0].key})
    return operators


def database_check(numbers_issued: int) -> tuple[int, int]:
    """Numbers held by two tickets and tickets called more than once, today, in the database."""
    from django.db.models import Count

    from offices.models import Office
    from tickets.models import Ticket, TicketEvent

    office = Office.objects.get(code=OFFICE)
    today = office.local_date()
    duplicates = (
        Ticket.objects.filter(office=office, local_date=today)
        .values("number")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    called_twice = (
        TicketEvent.objects.filter(ticket__office=office, ticket__local_date=today, type=TicketEvent.Type.CALLED)
        .values("ticket")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    return duplicates, called_twice


class Client:
    """One aiohttp session over every URL in turn; self-signed certificates of the bench topology accepted."""

    def __init__(self, urls: list[str], connections: int):
        context = insecure_tls()
        self.urls = urls
        self.turn = 0
        self.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=30),
            connector=aiohttp.TCPConnector(limit=connections, ssl=context),
        )

    async def post(self, path: str, body: dict | None = None, **kwargs) -> tuple[int, dict]:
        self.turn += 1
        url = self.urls[self.turn % len(self.urls)] + path
        async with self.session.post(url, json=body, **kwargs) as response:
            data = await response.json() if response.status != 204 else {}
            return response.status, data

    async def close(self) -> None:
        await self.session.close()


class Switch:
    """--webhook alternate: the subscription on and off by turns every ``period`` seconds while a
    phase runs, each request counted under the state it started in. Both states meet the same
    host, whose speed drifts by ±20 % over minutes here: runs minutes apart cannot show 10 %."""

    def __init__(self, subscription_id: int, period: float, pids: list[int]):
        self.subscription_id = subscription_id
        self.period = period
        self.pids = pids
        self.cpu = {False: 0.0, True: 0.0}  # the servers' CPU seconds spent in each state
        self.windows: list[tuple[float, bool]] = []  # (since, on)
        self.marks: dict[str, list[tuple[float, float, bool]]] = {}

    def set(self, on: bool) -> None:
        from events.models import Subscription

        Subscription.objects.filter(pk=self.subscription_id).update(active=on)

    async def run(self) -> None:
        on = False
        while True:
            await asyncio.to_thread(self.set, on)
            self.windows.append((time.perf_counter(), on))
            cpu = cpu_seconds(self.pids) if self.pids else 0
            try:
                await asyncio.sleep(self.period)
            finally:
                if self.pids:
                    self.cpu[on] += cpu_seconds(self.pids) - cpu
            on = not on

    def state_at(self, moment: float) -> bool:
        state = False
        for since, on in self.windows:
            if since > moment:
                break
            state = on
        return state

    def mark(self, phase: str, started: float, latency: float, ok: bool) -> None:
        self.marks.setdefault(phase, []).append((started, latency, ok))

    def report_paired(self, phase: str, ended: float) -> None:
        """Each whole window with the outbox against the mean of the two without it on either side.

        A trend over the phase (the queue grows while issuing, the host drifts)
        favours whichever state comes first in a plain sum; against its own two
        neighbours a window sees a linear trend cancel. The standard error is
        that of the mean of these ratios (neighbours are shared, so it is a
        little optimistic).
        """
        edges = [since for since, _ in self.windows] + [ended]
        marks = sorted(m[0] for m in self.marks.get(phase, []) if m[2])
        rates = []
        for since, until in zip(edges, edges[1:], strict=False):
            done = bisect.bisect_left(marks, until) - bisect.bisect_left(marks, since)
            rates.append(done / (until - since))
        # The first and last windows are partial (the clients start and drain).
        ratios = [
            rates[i] / ((rates[i - 1] + rates[i + 1]) / 2) - 1
            for i in range(2, len(rates) - 2)
            if self.windows[i][1] and rates[i - 1] + rates[i + 1]
        ]
        if len(ratios) < 3:
            print(f"  {phase:<5} too few windows for a paired figure ({len(ratios)}): raise -n or lower --period")
            return
        mean, median = statistics.fmean(ratios), statistics.median(ratios)
        error = statistics.stdev(ratios) / len(ratios) ** 0.5
        print(
            f"  {phase:<5} paired windows: {mean:+.1%} ± {2 * error:.1%} (mean ± 2 standard errors of "
            f"{len(ratios)} windows with the outbox, each against the two around it; median {median:+.1%})",
            flush=True,
        )

    def report(self, phase: str) -> None:
        ended = time.perf_counter()
        spans = {False: 0.0, True: 0.0}
        edges = [*self.windows, (ended, None)]
        for (since, on), (until, _) in zip(edges, edges[1:], strict=False):
            spans[on] += until - since
        figures = {}
        for on in (False, True):
            marks = [m for m in self.marks.get(phase, []) if m[0] >= self.windows[0][0] and self.state_at(m[0]) == on]
            latencies = sorted(m[1] for m in marks)
            done = sum(1 for m in marks if m[2])
            rate = done / spans[on] if spans[on] else 0
            p50 = latencies[len(latencies) // 2] * 1000 if latencies else 0
            p99 = latencies[min(int(len(latencies) * 0.99), len(latencies) - 1)] * 1000 if latencies else 0
            figures[on] = rate
            label = "with the outbox   " if on else "without the outbox"
            cpu = f"  server CPU per request {self.cpu[on] * 1000 / len(marks):.1f} ms" if self.pids and marks else ""
            print(f"  {phase:<5} {label} {rate:7.1f}/s  p50={p50:7.1f} ms  p99={p99:7.1f} ms  ({spans[on]:.0f} s){cpu}")
        if figures[False]:
            print(f"  {phase:<5} throughput with the outbox: {figures[True] / figures[False] - 1:+.1%}", flush=True)
        self.report_paired(phase, ended)
        self.windows.clear()
        self.marks.clear()
        self.cpu = {False: 0.0, True: 0.0}


@contextlib.asynccontextmanager
async def switching(switch: Switch | None):
    if switch is None:
        yield
        return
    task = asyncio.create_task(switch.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await asyncio.to_thread(switch.set, True)


async def round_at(args, urls: list[str], concurrency: int, operators: list[dict], switch: Switch | None) -> bool:
    setup = Client(urls, 1)
    for who in operators:
        status, _ = await setup.post(
            f"/api/v1/counters/{who['counter']}/state/",
            {"state": "open"},
            headers={"Authorization": f"Token {who['token']}"},
        )
        if status != 200:
            sys.exit(f"cannot open counter {who['counter']}: HTTP {status}")
    await setup.close()
    deadline = time.monotonic() + args.timeout
    print(f"-- C={concurrency}: {args.n} tickets, {len(operators)} counters, {len(urls)} URL(s)", flush=True)

    issue_lat: list[float] = []
    issue_errors = 0
    numbers: list[str] = []
    remaining = iter(range(args.n))
    kiosk_auth = {"Authorization": f"Token {operators[0]['token']}"}

    async def kiosk(client: Client):
        nonlocal issue_errors
        for _ in remaining:
            if time.monotonic() > deadline:
                return
            started = time.perf_counter()
            status, ticket = await client.post(
                f"/api/v1/offices/{OFFICE}/tickets/", {"service": SERVICE}, headers=kiosk_auth
            )
            issue_lat.append(time.perf_counter() - started)
            if switch:
                switch.mark("issue", started, issue_lat[-1], status == 201)
            if status == 201:
                numbers.append(ticket["number"])
            else:
                issue_errors += 1

    client = Client(urls, concurrency)
    cpu = cpu_seconds(args.pids) if args.pids else 0
    began = time.perf_counter()
    async with switching(switch):
        await asyncio.gather(*(kiosk(client) for _ in range(concurrency)))
    report("issue", issue_lat, time.perf_counter() - began, issue_errors)
    if switch:
        switch.report("issue")
    if args.pids:
        print(server_cpu(args.pids, cpu, len(issue_lat)).strip(), flush=True)
    await client.close()
    duplicate_numbers = sum(n - 1 for n in Tally(numbers).values() if n > 1)
    if args.issue_only:
        print(f"issued={len(numbers)} duplicate numbers={duplicate_numbers}", flush=True)
        return not (issue_errors or duplicate_numbers)

    call_lat: list[float] = []
    call_errors = 0
    called: list[int] = []

    async def operator(who: dict):
        nonlocal call_errors
        # One connection per counter: a shared pool would let one counter starve the others.
        client = Client(urls, 1)
        client.turn = who["counter"]
        auth = {"Authorization": f"Token {who['token']}"}
        try:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                status, ticket = await client.post(f"/api/v1/counters/{who['counter']}/call-next/", headers=auth)
                call_lat.append(time.perf_counter() - started)
                if switch and status != 204:
                    switch.mark("call", started, call_lat[-1], status == 200)
                if status == 204:
                    return
                if status != 200:
                    call_errors += 1
                    continue
                called.append(ticket["id"])
                status, _ = await client.post(
                    f"/api/v1/tickets/{ticket['id']}/finish/", {"counter": who["counter"]}, headers=auth
                )
                if status != 200:
                    call_errors += 1
        finally:
            await client.close()

    cpu = cpu_seconds(args.pids) if args.pids else 0
    began = time.perf_counter()
    async with switching(switch):
        await asyncio.gather(*(operator(who) for who in operators))
    report("call", call_lat, time.perf_counter() - began, call_errors, count=len(set(called)))
    if switch:
        switch.report("call")
    if args.pids:  # a call and a finish per ticket
        print(server_cpu(args.pids, cpu, 2 * len(called)).strip() + " (call or finish)", flush=True)

    called_twice = sum(n - 1 for n in Tally(called).values() if n > 1)
    db_duplicates, db_called_twice = await asyncio.to_thread(database_check, len(numbers))
    print(
        f"issued={len(numbers)} called={len(set(called))} duplicate numbers={duplicate_numbers} (database: "
        f"{db_duplicates}) called twice={called_twice} (database: {db_called_twice})",
        flush=True,
    )
    return not (issue_errors or call_errors or duplicate_numbers or called_twice or db_duplicates or db_called_twice)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("BENCH_URL", "http://127.0.0.1:8000"),
        help="the server, or several processes' URLs comma-separated (default: $BENCH_URL or make run's)",
    )
    parser.add_argument("-n", type=int, default=1500, help="tickets to issue per round")
    parser.add_argument("-c", "--concurrency", default="16,50", help="clients and counters, one round each")
    parser.add_argument("--timeout", type=float, default=300, help="stop a round after this many seconds")
    parser.add_argument("--issue-only", action="store_true", help="only the issue phase (its tickets stay waiting)")
    parser.add_argument(
        "--pids",
        default=os.environ.get("BENCH_SERVER_PIDS", ""),
        help="server process ids, comma-separated, to print their CPU per request (default: $BENCH_SERVER_PIDS)",
    )
    parser.add_argument(
        "--webhook",
        nargs="?",
        const="during",
        choices=["during", "after", "alternate"],
        help="subscribe to every event and run a delivery worker beside the servers (during), or only once "
        "the rounds are over (after: the figures show what the transitions themselves pay), or as after with "
        "the subscription switched on and off by turns every --period seconds (alternate: both figures per run)",
    )
    parser.add_argument("--period", type=float, default=3.0, help="seconds between switches, --webhook alternate")
    args = parser.parse_args()
    args.pids = [int(p) for p in args.pids.split(",") if p.strip()]
    urls = [u.strip().rstrip("/") for u in args.url.split(",") if u.strip()]
    for url in urls:
        require_loopback(url)
    require_up(urls)
    ok = True
    with webhook(args.webhook, args.period, args.pids) as switch:
        for concurrency in [int(c) for c in args.concurrency.split(",")]:
            operators = prepare(concurrency)
            ok &= asyncio.run(round_at(args, urls, concurrency, operators, switch))
    return 0 if ok else 1


@contextlib.contextmanager
def webhook(mode: str | None, period: float, pids: list[int]):
    """With a ``mode``: a subscription to every event at a fake receiver here, and one delivery worker,
    started before the rounds (during) or after them (after, alternate). Yields the Switch of
    alternate, else None."""
    if not mode:
        yield None
        return
    prepare(1)  # sets Django up
    from events.models import EVENT_TYPES, Delivery, Subscription
    from tests.servers import free_port

    port = free_port()
    context = multiprocessing.get_context("spawn")
    stop, received = context.Event(), context.Queue()
    receiver = context.Process(target=receive, args=(port, stop, received))
    receiver.start()
    subscription = Subscription.objects.create(
        url=f"http://127.0.0.1:{port}/hook", secret="bench-secret-0123", events=sorted(EVENT_TYPES)
    )
    start_worker = functools.partial(subprocess.Popen, [sys.executable, "manage.py", "deliver_events"], cwd=ROOT)
    worker = start_worker() if mode == "during" else None
    # bench/topology.py runs a worker of its own, as docker-compose.yml does: paused
    # during the rounds of after and alternate, or its sending would count too.
    paused = int(os.environ.get("BENCH_WORKER_PID") or 0) if mode != "during" else 0
    if paused:
        os.kill(paused, signal.SIGSTOP)
    try:
        yield Switch(subscription.pk, period, pids) if mode == "alternate" else None
        if paused:
            os.kill(paused, signal.SIGCONT)
            paused = 0
        worker = worker or start_worker()
        deadline = time.monotonic() + 120
        pending = Delivery.objects.filter(subscription=subscription, status=Delivery.Status.PENDING)
        while pending.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        # The CPU the outbox's own processes took from the cores the servers run on.
        spent = f"CPU of the delivery worker {cpu_seconds([worker.pid]):.1f} s, of the fake CRM"
        spent += f" {cpu_seconds([receiver.pid]):.1f} s"
        stop.set()
        print(f"webhook: {received.get(timeout=30)} deliveries received, {pending.count()} still pending", flush=True)
        print(f"webhook: {spent}", flush=True)
    finally:
        if paused:
            os.kill(paused, signal.SIGCONT)
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
        stop.set()
        receiver.join(30)
        subscription.delete()


def receive(port: int, stop, received) -> None:
    """The fake CRM, in a process of its own: serves until ``stop``, then puts how many it accepted."""
    sys.path.insert(0, str(ROOT))
    from tests.receiver import FakeReceiver

    receiver = FakeReceiver(port=port).start()
    stop.wait()
    received.put(len(receiver.accepted()))
    receiver.stop()


if __name__ == "__main__":
    sys.exit(main())
