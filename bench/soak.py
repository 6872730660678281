#!/usr/bin/env python
"""A busy day, fast-forwarded, against two Daphne processes with PostgreSQL and Redis.

10 offices with 60 counters: kiosks issue about 2,000 tickets an hour per office
(times --speed), operators call, serve, transfer, postpone and mark no-shows,
and one display per office follows over WebSockets. A third of the way in, a
private Redis is restarted; two thirds in, one Daphne process is killed and
started again. Then it checks:

* every issued ticket is in exactly one valid state;
* the numbers are unique per office and day;
* the event log agrees with the ticket states;
* no 5xx came from a live process;
* every display ended with the same state as the database.

    DATABASE_URL=postgres://... .venv/bin/python bench/soak.py [--minutes 5] [--speed 2]

Everything runs on 127.0.0.1 and stops by itself after --minutes.
"""

import argparse
import asyncio
import json
import logging
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter as Tally
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "queue_system.settings")

import django  # noqa: E402

django.setup()
logging.getLogger("httpx").setLevel(logging.WARNING)

import httpx  # noqa: E402
import websockets  # noqa: E402
from django.db.models import Count  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench.invariants import ticket_invariants  # noqa: E402
from offices import config  # noqa: E402
from offices.models import Membership, Office  # noqa: E402
from tests.servers import RedisServer, TcpProxy, free_port  # noqa: E402
from tickets.models import Ticket  # noqa: E402

OFFICES = [f"soak-{n:02d}" for n in range(1, 11)]
COUNTERS_PER_OFFICE = 6
LOG = open(ROOT / "bench" / "soak-daphne.log", "ab")  # noqa: SIM115 - kept open for the child processes


class Stats:
    def __init__(self):
        self.requests = 0
        self.server_errors: list[str] = []
        self.transport_errors = 0
        self.issued: set[int] = set()
        self.transitions = Tally()


def setup() -> dict[str, str]:
    """Offices, counters and one operator per office; returns office code → operator token."""
    config.apply(
        {
            "offices": [
                {
                    "code": code,
                    "name": f"ЦОК нагрузки {code[-2:]}",
                    "remote_tickets": True,
                    "stop_issuing_minutes": 0,
                    "hours": {d: "00:00-24:00" for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
                    "services": [
                        {"code": "fl", "name": "Физические лица", "prefix": "А", "channel": "individuals"},
                        {"code": "ul", "name": "Юридические лица", "prefix": "Б", "channel": "legal_entities"},
                        {"code": "cash", "name": "Касса", "prefix": "К", "channel": "cashier"},
                    ],
                    "counters": [
                        {
                            "number": str(n),
                            "services": [["fl", "fl", "ul", "cash", "fl", "cash"][n - 1]],
                            "backup_services": ["fl", "ul", "cash"],
                        }
                        for n in range(1, COUNTERS_PER_OFFICE + 1)
                    ],  # fmt: skip
                }
                for code in OFFICES
            ]
        }
    )
    from django.contrib.auth import get_user_model

    # Start from an empty day in these offices: expire what an earlier run left.
    from tickets.services import close_day

    for office in Office.objects.filter(code__in=OFFICES):
        close_day(office=office, include_today=True)
    tokens = {}
    for office in Office.objects.filter(code__in=OFFICES):
        user, _ = get_user_model().objects.get_or_create(username=f"{office.code}-op")
        Membership.objects.get_or_create(user=user, office=office, role=Membership.Role.OPERATOR)
        tokens[office.code] = Token.objects.get_or_create(user=user)[0].key
    return tokens


def start_daphne(port: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "queue_system.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=LOG,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    process.send_signal(sig)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


async def wait_ready(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(150):
            try:
                if (await client.get(url + "/healthz")).status_code in (200, 503):
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"{url} did not start")


async def request(client, stats: Stats, method: str, path: str, **kwargs):
    for _ in range(30):
        try:
            response = await getattr(client, method)(path, **kwargs)
        except httpx.TransportError:
            stats.transport_errors += 1  # the process behind this connection died; try the other
            await asyncio.sleep(0.2)
            continue
        stats.requests += 1
        if response.status_code >= 500:
            stats.server_errors.append(f"{response.status_code} {method.upper()} {path}")
        return response
    return None


async def kiosk(base: str, code: str, rate_per_second: float, deadline: float, stats: Stats, rng: random.Random):
    async with httpx.AsyncClient(base_url=base, timeout=20) as client:
        arrival = time.monotonic()
        while time.monotonic() < deadline:
            # Arrivals keep their own clock: a slow answer does not slow the stream of people.
            arrival += rng.expovariate(rate_per_second)
            await asyncio.sleep(max(0.0, arrival - time.monotonic()))
            service = rng.choices(["fl", "ul", "cash"], [50, 10, 40])[0]
            response = await request(
                client, stats, "post", f"/api/v1/offices/{code}/tickets/",
                json={"service": service, "priority": rng.random() < 0.05},
            )  # fmt: skip
            if response is not None and response.status_code == 201:
                stats.issued.add(response.json()["id"])


async def operator(base, token, counter_id, deadline, speed, stats: Stats, rng: random.Random):
    headers = {"Authorization": f"Token {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=20, headers=headers) as client:
        await request(client, stats, "post", f"/api/v1/counters/{counter_id}/state/", json={"state": "open"})
        while time.monotonic() < deadline:
            response = await request(client, stats, "post", f"/api/v1/counters/{counter_id}/call-next/")
            if response is None or response.status_code == 204:
                await asyncio.sleep(rng.uniform(1, 3) / speed)
                continue
            if response.status_code == 409:  # our last call went through before its process died
                current = await request(client, stats, "get", f"/api/v1/counters/{counter_id}/")
                ticket = current.json()["ticket"] if current is not None and current.status_code == 200 else None
                if ticket is None:
                    await asyncio.sleep(0.5)
                    continue
            elif response.status_code == 200:
                ticket = response.json()
            else:
                continue
            stats.transitions["call"] += 1
            path = f"/api/v1/tickets/{ticket['id']}"
            body = {"counter": counter_id}
            roll = rng.random()
            await asyncio.sleep(rng.uniform(0.5, 2) / speed)  # the client walks up
            if roll < 0.08:
                await request(client, stats, "post", f"{path}/no-show/", json=body)
                stats.transitions["no_show"] += 1
            elif roll < 0.13:
                await request(client, stats, "post", f"{path}/postpone/", json=body)
                stats.transitions["postpone"] += 1
            else:
                await request(client, stats, "post", f"{path}/start/", json=body)
                await asyncio.sleep(rng.uniform(2, 8) / speed)  # service, fast-forwarded
                if roll < 0.2:
                    target = rng.choice(["fl", "ul", "cash"])
                    await request(client, stats, "post", f"{path}/transfer/", json={**body, "service": target})
                    stats.transitions["transfer"] += 1
                else:
                    await request(client, stats, "post", f"{path}/finish/", json=body)
                    stats.transitions["finish"] += 1


async def display(base: str, code: str, states: dict, stop_event: asyncio.Event):
    """One hall display per office: keeps the last snapshot/update, reconnecting like the page does."""
    url = base.replace("http://", "ws://") + f"/ws/offices/{code}/display/"
    while not stop_event.is_set():
        try:
            async with websockets.connect(url, additional_headers={"Origin": "http://127.0.0.1"}) as socket:
                states[code]["connects"] += 1
                while not stop_event.is_set():
                    try:
                        raw = await asyncio.wait_for(socket.recv(), timeout=10)
                    except TimeoutError:
                        await socket.send(json.dumps({"type": "ping"}))
                        continue
                    message = json.loads(raw)
                    if message["type"] in ("snapshot", "queue.updated"):
                        states[code]["waiting"] = message["waiting"]
        except (OSError, websockets.WebSocketException):
            await asyncio.sleep(1)


async def final_sync(base: str, code: str) -> dict:
    """What a display shows right after (re)connecting: the snapshot."""
    url = base.replace("http://", "ws://") + f"/ws/offices/{code}/display/"
    async with websockets.connect(url, additional_headers={"Origin": "http://127.0.0.1"}) as socket:
        return json.loads(await socket.recv())["waiting"]


async def run(args, tokens, counters, base, faults) -> Stats:
    stats = Stats()
    rng = random.Random(7)
    deadline = time.monotonic() + args.minutes * 60
    rate = 2000 / 3600 * args.speed
    stop_event = asyncio.Event()
    states = {code: {"waiting": {}, "connects": 0} for code in OFFICES}
    tasks = [asyncio.create_task(display(base, code, states, stop_event)) for code in OFFICES]
    tasks += [
        asyncio.create_task(kiosk(base, code, rate, deadline, stats, random.Random(rng.random()))) for code in OFFICES
    ]
    tasks += [
        asyncio.create_task(operator(base, tokens[code], cid, deadline, args.speed, stats, random.Random(rng.random())))
        for code in OFFICES
        for cid in counters[code]
    ]
    tasks.append(asyncio.create_task(faults(deadline)))
    started = time.monotonic()
    await asyncio.gather(*tasks[len(OFFICES) :])
    elapsed = time.monotonic() - started
    await asyncio.sleep(3)  # let the last broadcasts land
    stop_event.set()
    await asyncio.gather(*tasks[: len(OFFICES)])
    stats.elapsed = elapsed
    stats.display_states = states
    stats.final_snapshots = {code: await final_sync(base, code) for code in OFFICES}
    return stats


def check(stats: Stats) -> list[tuple[str, bool, str]]:
    offices = Office.objects.filter(code__in=OFFICES)
    tickets = Ticket.objects.filter(office__in=offices, imported=False)
    results = ticket_invariants(tickets, stats.issued)
    detail = f"{len(stats.server_errors)} 5xx; {stats.transport_errors} connections cut by the killed process"
    results.append(("no 5xx from a live process", not stats.server_errors, detail))
    mismatched = []
    for office in offices:
        db_waiting = dict.fromkeys(["fl", "ul", "cash"], 0)
        db_waiting.update(
            tickets.filter(office=office, status="waiting").values_list("service__code").annotate(n=Count("id"))
        )
        live = stats.display_states[office.code]["waiting"]
        if live != db_waiting or stats.final_snapshots[office.code] != db_waiting:
            mismatched.append(f"{office.code}: display {live}, database {db_waiting}")
    connects = sum(s["connects"] for s in stats.display_states.values())
    detail = f"{len(OFFICES)} displays, {connects} connections in all" + "".join(f"; {m}" for m in mismatched[:3])
    results.append(("every display ended with the same state as the database", not mismatched, detail))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--speed", type=float, default=2, help="how many times faster than a real day")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL=postgres://... (the soak runs on PostgreSQL)")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )
    tokens = setup()
    counters = {o.code: list(o.counters.values_list("id", flat=True)) for o in Office.objects.filter(code__in=OFFICES)}
    redis = RedisServer().start()
    env = {
        **os.environ,
        "REDIS_URL": redis.url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "soak-only-" + "x" * 40,
        "SECURE_SSL_REDIRECT": "0",
        "REMOTE_TICKETS_PER_CLIENT": "100000/second",
        "REMOTE_TICKETS_PER_OFFICE": "100000/second",
        "PYTHONUNBUFFERED": "1",
    }
    ports = [free_port(), free_port()]
    processes = [start_daphne(port, env) for port in ports]
    proxy = TcpProxy(*ports).start()
    base = f"http://127.0.0.1:{proxy.port}"

    async def faults(deadline: float):
        total = args.minutes * 60
        await asyncio.sleep(total / 3)
        print(f"[{time.strftime('%H:%M:%S')}] restarting Redis", flush=True)
        redis.stop()
        await asyncio.sleep(3)
        redis.start()
        await asyncio.sleep(total / 3)
        print(f"[{time.strftime('%H:%M:%S')}] killing Daphne on port {ports[0]} and starting it again", flush=True)
        stop(processes[0], signal.SIGKILL)
        await asyncio.sleep(2)
        processes[0] = start_daphne(ports[0], env)

    async def main_async():
        await asyncio.gather(*(wait_ready(f"http://127.0.0.1:{p}") for p in ports))
        print(f"soak: {len(OFFICES)} offices, {len(OFFICES) * COUNTERS_PER_OFFICE} counters, "
              f"{args.minutes:g} min at {args.speed:g}× a real day", flush=True)  # fmt: skip
        return await run(args, tokens, counters, base, faults)

    try:
        stats = asyncio.run(main_async())
    finally:
        proxy.stop()
        for process in processes:
            stop(process)
        redis.stop()
    issued_per_hour = len(stats.issued) / stats.elapsed * 3600 / len(OFFICES) / args.speed
    print(
        f"load held: {len(stats.issued)} tickets issued in {stats.elapsed:.0f} s "
        f"({issued_per_hour:.0f} per office per day-hour), {stats.requests} requests "
        f"({stats.requests / stats.elapsed:.1f}/s), transitions {dict(stats.transitions)}"
    )
    for error in stats.server_errors[:10]:
        print("  5xx:", error)
    results = check(stats)
    for name, ok, detail in results:
        print(f"{'HOLDS ' if ok else 'BROKEN'}  {name}: {detail}")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
