#!/usr/bin/env python
"""A working day through the production topology, with no fault injected.

nginx runs deploy/nginx.conf with TLS in front of two Daphne processes set up
as docker-compose.yml sets them up (tests/topology.py), on PostgreSQL and a
private Redis of its own (no groups left over from other runs). The day,
08:00 to 17:00, is compressed into --minutes (the real run is 20 minutes or
more): a quiet start, a busier late morning, a lunch break from
12:00 to 13:30 with no calls at all, and a busy afternoon. Three offices with
four counters each; two hall displays per office (one is switched off over
lunch); an operator screen per counter, closed over lunch and reloaded now and
then; kiosks; and phones that follow their tickets, lock and wake up. Every
client has its own loopback address (127.0.0.2, …), as distinct people behind
nginx.

It prints, each with zero as the target:

* sockets closed by the server (any close the client did not ask for), and
  sockets that went silent for 30 s (the pages' own dead-socket rule);
* announcements missed or doubled: each display's log of calls against the
  called and recalled events in the database;
* 5xx responses, and requests that got no answer at all;

and each process's RSS at the start and the end of the day, and the
invariants bench/soak.py checks.

    DATABASE_URL=postgres://... .venv/bin/python bench/workday.py --minutes 20

Everything runs on 127.0.0.1 and stops by itself after the day. Because a day
passes in minutes, the per-client limit on remote tickets (N per real hour)
is lifted for the kiosks, which take tickets as remote clients.
"""

import argparse
import asyncio
import json
import logging
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter as Tally
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "queue_system.settings")

import django  # noqa: E402

django.setup()
logging.getLogger("httpx").setLevel(logging.WARNING)

import httpx  # noqa: E402
import websockets  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db.models import Count  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from bench.invariants import ticket_invariants  # noqa: E402
from offices import config  # noqa: E402
from offices.models import Counter, Membership, Office  # noqa: E402
from tests.servers import RedisServer  # noqa: E402
from tests.topology import Topology, client_address, collect_static, make_certificate  # noqa: E402
from tickets.models import Ticket, TicketEvent  # noqa: E402
from tickets.services import close_day  # noqa: E402

OFFICES = ["day-1", "day-2", "day-3"]
COUNTERS = 4
SERVICES = ["fl", "fl", "ul", "cash"]  # each counter's main service; all serve the others as backup
PASSWORD = "workday-pass-2024"
OPEN, LUNCH, BACK, CLOSE = 8 * 60, 12 * 60, 13 * 60 + 30, 17 * 60  # minutes since midnight
# Clients per office per hour of the day, by part of the day.
ARRIVALS = [(OPEN, 10 * 60, 12), (10 * 60, LUNCH, 30), (LUNCH, BACK, 6), (BACK, CLOSE, 40)]
FINAL = {"done", "no_show", "cancelled", "expired"}
HEARTBEAT, SILENCE = 10, 30  # seconds, as static/js/live.js
WALK_UP_SECONDS = 5  # real seconds at least between a call and the client at the counter


class Day:
    """The day's clock: --minutes of real time for 08:00-17:00."""

    def __init__(self, minutes: float):
        self.speed = (CLOSE - OPEN) * 60 / (minutes * 60)  # day seconds per real second
        self.start = time.monotonic()
        self.wall_start = time.time()

    def now(self) -> float:
        """Minutes since midnight, on the day's clock."""
        return OPEN + (time.monotonic() - self.start) * self.speed / 60

    def label(self, wall: float | None = None) -> str:
        """The day's time now, or at a wall-clock time."""
        now = self.now() if wall is None else OPEN + (wall - self.wall_start) * self.speed / 60
        minutes = int(now)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    async def sleep(self, day_minutes: float) -> None:
        await asyncio.sleep(max(0.0, day_minutes * 60 / self.speed))

    async def until(self, day_minute: float) -> None:
        await self.sleep(day_minute - self.now())


class Stats:
    def __init__(self):
        self.requests = 0
        self.server_errors: list[str] = []
        self.unanswered: list[str] = []
        self.issued: set[int] = set()
        self.transitions = Tally()
        self.opened = Tally()
        self.connected: list[str] = []  # when each socket opened, for the displays
        self.server_closed: list[str] = []
        self.silent: list[str] = []
        self.display_logs: dict[str, list] = {}  # display name -> [(ticket, counter, called at)] announced
        self.resyncs = Tally()  # why displays asked for a fresh snapshot
        self.call_latency: list[float] = []  # seconds from a call's commit time to a display
        self.display_waiting: dict[str, dict] = {}


def setup() -> dict:
    config.apply(
        {
            "offices": [
                {
                    "code": code,
                    "name": f"ЦОК рабочего дня {code[-1]}",
                    "remote_tickets": True,
                    "stop_issuing_minutes": 0,
                    # Open around the clock: the bench keeps its own day.
                    "hours": {d: "00:00-24:00" for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
                    "services": [
                        {"code": "fl", "name": "Физические лица", "prefix": "А", "channel": "individuals"},
                        {"code": "ul", "name": "Юридические лица", "prefix": "Б", "channel": "legal_entities"},
                        {"code": "cash", "name": "Касса", "prefix": "К", "channel": "cashier"},
                    ],
                    "counters": [
                        {"number": str(n + 1), "services": [SERVICES[n]], "backup_services": ["fl", "ul", "cash"]}
                        for n in range(COUNTERS)
                    ],
                }
                for code in OFFICES
            ]
        }
    )
    User = get_user_model()
    operators = []
    for office in Office.objects.filter(code__in=OFFICES).order_by("code"):
        # Start from an empty day in these offices: expire what an earlier run left.
        close_day(office=office, include_today=True)
        Counter.objects.filter(office=office).update(state=Counter.State.CLOSED, operator=None)
        for counter in office.counters.order_by("number"):
            user, created = User.objects.get_or_create(username=f"{office.code}-op{counter.number}")
            if created or not user.check_password(PASSWORD):
                user.set_password(PASSWORD)
                user.save()
            Membership.objects.get_or_create(user=user, office=office, role=Membership.Role.OPERATOR)
            token = Token.objects.get_or_create(user=user)[0].key
            operators.append({"office": office.code, "counter": counter.pk, "user": user.username, "token": token})
    return {"operators": operators}


def rss_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match[1]) if match else 0


def processes(topology: Topology) -> dict[str, int]:
    named = {f"daphne web{n + 1}": d.process.pid for n, d in enumerate(topology.daphnes)}
    pids = topology.nginx.pids()
    named["nginx master"] = pids[0]
    for n, pid in enumerate(pids[1:]):
        named[f"nginx worker {n + 1}"] = pid
    return named


class Page:
    """What a screen's page does with its socket (static/js/live.js), minus drawing."""

    def opened(self) -> None:
        pass

    def received(self, message: dict) -> list[dict]:
        """Handle a message; returns what the page sends back."""
        return []

    def tick(self, now: float) -> list[dict]:
        return []


class DisplayPage(Page):
    """The hall display: numbered messages with resync, and each call announced once (display.js).

    ``announced`` is the display's log: (ticket, counter, called at) of every
    call it announced, the calls it caught up on after an outage included.
    """

    MISSED_CALL_SECONDS = 60
    SYNC_EVERY = 60  # display.js asks for a snapshot every minute
    SYNC_ANSWER_SECONDS = 15

    def __init__(self, stats: "Stats", name: str):
        self.stats, self.name = stats, name
        self.announced_keys: set = set()
        self.announced = stats.display_logs.setdefault(name, [])
        self.snapshots = 0
        self.resyncs = Tally()
        self.seq = self.snapshot_seq = self.behind = None
        self.sync_asked = self.last_sync = 0.0

    def opened(self) -> None:
        self.seq = self.snapshot_seq = self.behind = None
        self.sync_asked = 0.0

    def announce(self, ticket: str, counter: str, at: str) -> None:
        key = (ticket, counter, datetime.fromisoformat(at))
        if key not in self.announced_keys:
            self.announced_keys.add(key)
            self.announced.append(key)

    def resync(self, reason: str) -> list[dict]:
        if time.monotonic() - self.sync_asked < self.SYNC_ANSWER_SECONDS:
            return []
        self.sync_asked = time.monotonic()
        self.resyncs[reason] += 1
        return [{"type": "sync"}]

    def received(self, message: dict) -> list[dict]:
        replies = []
        seq = message.get("seq")
        if message["type"] == "pong":
            if isinstance(seq, int) and self.seq is not None:
                if seq < self.seq:
                    replies += self.resync("reset")
                elif seq > self.seq:
                    if self.behind is not None and self.seq < self.behind:
                        self.behind = None
                        replies += self.resync("behind")
                    else:
                        self.behind = seq
                else:
                    self.behind = None
            return replies
        if message["type"] == "snapshot":
            self.sync_asked = 0.0
            if isinstance(seq, int):
                self.seq = self.snapshot_seq = seq
                self.behind = None
        elif isinstance(seq, int) and self.seq is not None:
            if seq > self.seq:
                if seq > self.seq + 1:
                    replies += self.resync("gap")
                self.seq = seq
            else:
                if seq < self.seq:
                    replies += self.resync("reset")
                if not (seq < self.seq and seq > self.snapshot_seq):
                    return replies  # the snapshot covers it
        if "waiting" in message:
            self.stats.display_waiting[self.name] = message["waiting"]
        if message["type"] == "snapshot":
            self.snapshots += 1
            now = datetime.fromisoformat(message["now"])
            for call in reversed(message["calls"]):
                key = (call["ticket"], call["counter"], datetime.fromisoformat(call["called_at"]))
                recent = call["calling"] and (now - key[2]).total_seconds() < self.MISSED_CALL_SECONDS
                if self.snapshots == 1 or not recent:
                    self.announced_keys.add(key)  # on screen already, or too old to call out
                else:
                    self.announce(call["ticket"], call["counter"], call["called_at"])
        elif message["type"] == "ticket.called":
            self.announce(message["ticket"], message["counter"], message["at"])
            self.stats.call_latency.append(time.time() - datetime.fromisoformat(message["at"]).timestamp())
        return replies

    def tick(self, now: float) -> list[dict]:
        if now - self.last_sync >= self.SYNC_EVERY:
            self.last_sync = now
            return [{"type": "sync"}]
        return []


class PhonePage(Page):
    def __init__(self, gone: asyncio.Event):
        self.gone = gone

    def received(self, message: dict) -> list[dict]:
        if message.get("status") in FINAL:
            asyncio.get_running_loop().call_later(1, self.gone.set)
        return []


class World:
    def __init__(self, topology: Topology, day: Day, stats: Stats, rng: random.Random):
        self.topology, self.day, self.stats, self.rng = topology, day, stats, rng
        self.ssl = topology.ssl_context()
        self.next_phone = 0

    def http(self, n: int, **kwargs) -> httpx.AsyncClient:
        transport = httpx.AsyncHTTPTransport(local_address=client_address(n), verify=self.ssl)
        return httpx.AsyncClient(base_url=self.topology.url, transport=transport, timeout=30, **kwargs)

    def phone_address(self) -> int:
        self.next_phone = self.next_phone % 200 + 1
        return 50 + self.next_phone  # 127.0.0.52 … 127.0.0.251

    async def request(self, client, method: str, path: str, **kwargs):
        for _ in range(5):
            try:
                response = await client.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                self.stats.unanswered.append(f"{method} {path}: {exc!r}")
                await asyncio.sleep(0.5)
                continue
            self.stats.requests += 1
            if response.status_code >= 500:
                self.stats.server_errors.append(f"[{self.day.label()}] {response.status_code} {method} {path}")
            return response
        return None

    async def hold(self, kind: str, name: str, path: str, n: int, leave: asyncio.Event, page: Page, headers=None):
        """One socket, as a page holds it: ping every 10 s, dead after 30 s of silence.

        Returns True when the client left (``leave`` was set), False when the
        server closed the socket or it went silent (both counted).
        """
        try:
            async with connect(
                self.topology.ws_url + path,
                ssl=self.ssl,
                local_addr=(client_address(n), 0),
                additional_headers={"Origin": self.topology.url, **(headers or {})},
                open_timeout=20,
                ping_interval=None,  # browsers send no protocol pings; the page's JSON ping is below
            ) as socket:
                self.stats.opened[kind] += 1
                if kind == "display":
                    self.stats.connected.append(f"{name} at {self.day.label()}")
                page.opened()
                loop = asyncio.get_running_loop()
                heard = pinged = loop.time()
                while not leave.is_set():
                    try:
                        raw = await asyncio.wait_for(socket.recv(), timeout=1)
                    except TimeoutError:
                        now = loop.time()
                        if now - heard > SILENCE:
                            self.stats.silent.append(f"[{self.day.label()}] {name}")
                            return False
                        replies = page.tick(now)
                        if now - pinged >= HEARTBEAT:
                            replies.append({"type": "ping"})
                            pinged = now
                    else:
                        heard = loop.time()
                        replies = page.received(json.loads(raw))
                    for reply in replies:
                        await socket.send(json.dumps(reply))
                return True
        except websockets.ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else None
            self.stats.server_closed.append(f"[{self.day.label()}] {name}: code {code}")
            return False
        except (OSError, TimeoutError, websockets.InvalidHandshake) as exc:
            self.stats.server_closed.append(f"[{self.day.label()}] {name}: could not connect: {exc!r}")
            return False

    async def keep(self, kind: str, name: str, path: str, n: int, leave: asyncio.Event, page: Page, headers=None):
        """Hold a socket until ``leave``, reconnecting after a second when it is lost, as the pages do."""
        while not await self.hold(kind, name, path, n, leave, page, headers):
            await asyncio.sleep(1)

    # People and screens

    async def display(self, code: str, number: int, n: int, off_over_lunch: bool, end: asyncio.Event):
        name = f"display {code}/{number}"
        path = f"/ws/offices/{code}/display/"
        if off_over_lunch:
            # Switched off by the cleaner at ten past twelve, on again at twenty past one: a new page load.
            lunch = asyncio.Event()
            asyncio.get_running_loop().call_later(
                max(0.0, (LUNCH + 10 - self.day.now()) * 60 / self.day.speed), lunch.set
            )
            morning = DisplayPage(self.stats, name)
            await self.keep("display", name, path, n, lunch, morning)
            self.stats.resyncs.update(morning.resyncs)
            await self.day.until(BACK - 10)
        page = DisplayPage(self.stats, name)
        await self.keep("display", name, path, n, end, page)
        self.stats.resyncs.update(page.resyncs)

    async def operator_screen(self, who: dict, n: int, session: str, end_of_shift: asyncio.Event):
        """The operator's page: open from the start of the shift, closed over lunch, reloaded now and then."""
        name = f"operator screen {who['user']}"
        path = f"/ws/offices/{who['office']}/operators/"
        headers = {"Cookie": f"sessionid={session}"}
        for start, stop in ((OPEN, LUNCH), (BACK, CLOSE)):
            await self.day.until(start)
            while self.day.now() < stop and not end_of_shift.is_set():
                leave = asyncio.Event()
                # A reload after 30 to 150 minutes, or at the end of this half of the day.
                minutes = min(self.rng.uniform(30, 150), stop - self.day.now())
                asyncio.get_running_loop().call_later(max(0.0, minutes * 60 / self.day.speed), leave.set)
                await self.keep("operator screen", name, path, n, leave, Page(), headers)

    async def phone(self, ticket: dict, end: asyncio.Event):
        """A client's phone follows the ticket; the screen locks and wakes up; it leaves once served."""
        n = self.phone_address()
        name = f"phone {ticket['number']}"
        path = f"/ws/tickets/{ticket['token']}/"
        loop = asyncio.get_running_loop()
        gone = asyncio.Event()  # served, or the day is over
        page = PhonePage(gone)
        watcher = asyncio.ensure_future(end.wait())
        watcher.add_done_callback(lambda _: gone.set())
        try:
            while not gone.is_set():
                leave = asyncio.Event()
                relay = asyncio.ensure_future(gone.wait())
                relay.add_done_callback(lambda _, leave=leave: leave.set())
                if self.rng.random() < 0.3:  # the screen locks after a while
                    loop.call_later(self.rng.uniform(2, 20) * 60 / self.day.speed, leave.set)
                await self.keep("phone", name, path, n, leave, page)
                relay.cancel()
                try:  # locked, until the client looks again
                    await asyncio.wait_for(gone.wait(), timeout=self.rng.uniform(2, 15) * 60 / self.day.speed)
                except TimeoutError:
                    pass
        finally:
            watcher.cancel()

    async def kiosk(self, code: str, n: int, phones: list, end: asyncio.Event):
        async with self.http(n) as client:
            arrival = time.monotonic()
            while True:
                now = self.day.now()
                rate = next((r for start, stop, r in ARRIVALS if start <= now < stop), None)
                if rate is None:
                    return
                # Arrivals keep their own clock: a slow answer does not slow the stream of people.
                arrival += self.rng.expovariate(rate / 3600 * self.day.speed)
                await asyncio.sleep(max(0.0, arrival - time.monotonic()))
                if self.day.now() >= CLOSE:
                    return
                service = self.rng.choices(["fl", "ul", "cash"], [55, 15, 30])[0]
                response = await self.request(
                    client, "POST", f"/api/v1/offices/{code}/tickets/",
                    json={"service": service, "priority": self.rng.random() < 0.03},
                )  # fmt: skip
                if response is not None and response.status_code == 201:
                    ticket = response.json()
                    self.stats.issued.add(ticket["id"])
                    if self.rng.random() < 0.5:  # half the clients follow their ticket on a phone
                        phones.append(asyncio.create_task(self.phone(ticket, end)))

    async def operator(self, who: dict, n: int, end_of_shift: asyncio.Event):
        headers = {"Authorization": f"Token {who['token']}"}
        counter = who["counter"]
        async with self.http(n, headers=headers) as client:

            async def state(value):
                await self.request(client, "POST", f"/api/v1/counters/{counter}/state/", json={"state": value})

            await self.day.sleep(self.rng.uniform(0, 10))
            await state("open")
            on_break = False
            while self.day.now() < CLOSE:
                if LUNCH <= self.day.now() < BACK:
                    if not on_break:
                        await state("break")
                        on_break = True
                    await self.day.until(BACK + self.rng.uniform(0, 5))
                    continue
                if on_break:
                    await state("open")
                    on_break = False
                response = await self.request(client, "POST", f"/api/v1/counters/{counter}/call-next/")
                if response is None or response.status_code != 200:
                    await self.day.sleep(self.rng.uniform(1, 3))
                    continue
                await self.serve(client, response.json(), counter)
            await state("closed")
        end_of_shift.set()

    async def serve(self, client, ticket: dict, counter: int):
        self.stats.transitions["call"] += 1
        path = f"/api/v1/tickets/{ticket['id']}"
        body = {"counter": counter}
        # The client walks up once the display has called the number out; the
        # chime and the voice take a few real seconds however fast the day runs.
        await asyncio.sleep(max(WALK_UP_SECONDS, self.rng.uniform(0.5, 1.5) * 60 / self.day.speed))
        roll = self.rng.random()
        if roll < 0.05:
            await self.request(client, "POST", f"{path}/recall/", json=body)
            self.stats.transitions["recall"] += 1
            await self.day.sleep(self.rng.uniform(0.5, 1))
            roll = self.rng.random()
        if roll < 0.07:
            await self.request(client, "POST", f"{path}/no-show/", json=body)
            self.stats.transitions["no_show"] += 1
            return
        if roll < 0.11:
            await self.request(client, "POST", f"{path}/postpone/", json=body)
            self.stats.transitions["postpone"] += 1
            return
        await self.request(client, "POST", f"{path}/start/", json=body)
        await self.day.sleep(min(30, self.rng.expovariate(1 / 7)) + 1)  # service: 8 minutes on average
        if roll < 0.17:
            target = self.rng.choice(["fl", "ul", "cash"])
            await self.request(client, "POST", f"{path}/transfer/", json={**body, "service": target})
            self.stats.transitions["transfer"] += 1
        else:
            await self.request(client, "POST", f"{path}/finish/", json=body)
            self.stats.transitions["finish"] += 1

    async def sign_in(self, who: dict, n: int) -> str:
        """The sign-in form through nginx, as the operator's browser submits it; returns the session."""
        async with self.http(n, follow_redirects=True) as client:
            page = await client.get("/login/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
            response = await client.post(
                "/login/",
                data={"username": who["user"], "password": PASSWORD, "csrfmiddlewaretoken": token},
                headers={"Referer": str(page.url)},
            )
            if "sessionid" not in client.cookies:
                raise SystemExit(f"{who['user']} could not sign in: HTTP {response.status_code}")
            return client.cookies["sessionid"]


async def final_snapshot(world: World, code: str) -> dict:
    async with connect(
        world.topology.ws_url + f"/ws/offices/{code}/display/",
        ssl=world.ssl,
        local_addr=(client_address(1), 0),
        additional_headers={"Origin": world.topology.url},
    ) as socket:
        return json.loads(await socket.recv())["waiting"]


async def run_day(topology: Topology, operators: list[dict], minutes: float, rss: dict) -> tuple[Stats, dict]:
    stats = Stats()
    rng = random.Random(11)
    # Client numbers (tests.topology.client_address): kiosks 1-3, operators 9-20, displays 30-35, phones 51-250.
    world = World(topology, Day(minutes), stats, rng)
    sessions = [await world.sign_in(who, 9 + i) for i, who in enumerate(operators)]
    names = processes(topology)
    rss["start"] = {name: rss_kib(pid) for name, pid in names.items()}
    day = world.day = Day(minutes)
    print(f"[{day.label()}] the day starts: {len(OFFICES)} offices, {len(operators)} counters, "
          f"{minutes:g} min for 08:00-17:00 ({day.speed:.0f}x)", flush=True)  # fmt: skip

    end = asyncio.Event()
    phones: list[asyncio.Task] = []
    shifts = [asyncio.Event() for _ in operators]
    screens_done = asyncio.Event()
    displays = [
        asyncio.create_task(world.display(code, number, 30 + 2 * i + number - 1, number == 2, end))
        for i, code in enumerate(OFFICES)
        for number in (1, 2)
    ]
    screens = [
        asyncio.create_task(world.operator_screen(who, 9 + i, sessions[i], shifts[i]))
        for i, who in enumerate(operators)
    ]
    kiosks = [asyncio.create_task(world.kiosk(code, 1 + i, phones, end)) for i, code in enumerate(OFFICES)]
    workers = [asyncio.create_task(world.operator(who, 9 + i, shifts[i])) for i, who in enumerate(operators)]

    async def progress():
        while True:
            await day.sleep(60)
            if screens_done.is_set():
                return
            rss_now = {name: rss_kib(pid) // 1024 for name, pid in names.items()}
            print(f"[{day.label()}] {len(stats.issued)} issued, {stats.transitions['call']} calls, "
                  f"{sum(1 for p in phones if not p.done())} phones on, RSS MiB {rss_now}, "
                  f"server closes {len(stats.server_closed)}, 5xx {len(stats.server_errors)}", flush=True)  # fmt: skip

    reporter = asyncio.create_task(progress())
    await asyncio.gather(*kiosks, *workers, *screens)
    screens_done.set()
    await asyncio.sleep(3)  # let the last broadcasts land
    end.set()
    await asyncio.gather(*displays, *phones)
    reporter.cancel()
    rss["end"] = {name: rss_kib(pid) for name, pid in names.items()}
    stats.elapsed = time.monotonic() - day.start
    stats.day = day
    finals = {code: await final_snapshot(world, code) for code in OFFICES}
    return stats, finals


def announcements(stats: Stats, day: Day) -> tuple[int, int, int, list[str]]:
    """Calls each display should have announced (the database's called/recalled events) against its log."""
    expected_by_office = {}
    for code in OFFICES:
        events = TicketEvent.objects.filter(
            ticket__office__code=code, ticket__in=stats.issued, type__in=["called", "recalled"]
        ).values_list("ticket__number", "counter__number", "at")
        expected_by_office[code] = Tally(events)
    missed = doubled = total = 0
    examples = []
    for name, log in stats.display_logs.items():
        code = name.split()[1].split("/")[0]
        expected, got = expected_by_office[code], Tally(log)
        total += sum(expected.values())
        lost, extra = expected - got, got - expected
        missed += sum(lost.values())
        doubled += sum(extra.values())
        examples += [f"{name} missed {t} to {c} at {day.label(at.timestamp())}" for t, c, at in list(lost)[:2]]
        examples += [f"{name} doubled {t} to {c} at {day.label(at.timestamp())}" for t, c, at in list(extra)[:2]]
    return total, missed, doubled, examples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20, help="real minutes for 08:00-17:00 (20 or more)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL=postgres://... (the topology runs on PostgreSQL)")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )
    operators = setup()["operators"]
    workdir = Path(tempfile.mkdtemp(prefix="workday-"))
    redis = RedisServer().start()
    topology = Topology(
        workdir=workdir,
        certs=make_certificate(workdir / "certs"),
        static=collect_static(workdir / "static"),
        database_url=os.environ["DATABASE_URL"],
        redis_url=redis.url,
    ).start()
    print(f"topology: nginx {topology.url} -> daphne :{topology.daphnes[0].port}, :{topology.daphnes[1].port}; "
          f"logs in {workdir}", flush=True)  # fmt: skip
    rss: dict = {}
    try:
        stats, finals = asyncio.run(run_day(topology, operators, args.minutes, rss))
    finally:
        topology.stop()
        redis.stop()

    print("displays connected:", "; ".join(stats.connected))
    print("displays asked for a snapshot after:", dict(stats.resyncs) or "nothing (only the page's minutely sync)")
    if stats.call_latency:
        lat = sorted(stats.call_latency)
        p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print(f"call to display: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms "
              f"({len(lat)} live messages)")  # fmt: skip
    print(f"\nthe day: {len(stats.issued)} tickets issued in {stats.elapsed / 60:.1f} min, {stats.requests} requests, "
          f"transitions {dict(stats.transitions)}, sockets opened {dict(stats.opened)}")  # fmt: skip
    total, missed, doubled, examples = announcements(stats, stats.day)
    columns = [
        ("sockets closed by the server", len(stats.server_closed), stats.server_closed),
        ("sockets silent for 30 s", len(stats.silent), stats.silent),
        (f"announcements missed (of {total} due on {len(stats.display_logs)} displays)", missed, examples),
        ("announcements doubled", doubled, []),
        ("5xx responses", len(stats.server_errors), stats.server_errors),
        ("requests without an answer", len(stats.unanswered), stats.unanswered),
    ]
    print()
    for name, count, details in columns:
        print(f"{count:>6}  {name}")
        for line in details[:5]:
            print(f"          {line}")
    print("\nRSS (MiB)             start      end   change")
    for name in rss["start"]:
        start, end = rss["start"][name] / 1024, rss["end"][name] / 1024
        print(f"  {name:<18} {start:8.1f} {end:8.1f} {end - start:+8.1f}")

    offices = Office.objects.filter(code__in=OFFICES)
    tickets = Ticket.objects.filter(office__in=offices, imported=False)
    results = ticket_invariants(tickets, stats.issued)
    mismatched = []
    for office in offices:
        db_waiting = dict.fromkeys(["fl", "ul", "cash"], 0)
        db_waiting.update(
            tickets.filter(office=office, status="waiting").values_list("service__code").annotate(n=Count("id"))
        )
        for number in (1, 2):
            live = stats.display_waiting.get(f"display {office.code}/{number}")
            if live != db_waiting:
                mismatched.append(f"display {office.code}/{number}: {live}, database {db_waiting}")
        if finals[office.code] != db_waiting:
            mismatched.append(f"{office.code} snapshot: {finals[office.code]}, database {db_waiting}")
    detail = f"{len(stats.display_logs)} displays" + "".join(f"; {m}" for m in mismatched[:3])
    results.append(("every display ended with the same state as the database", not mismatched, detail))
    print()
    for name, ok, detail in results:
        print(f"{'HOLDS ' if ok else 'BROKEN'}  {name}: {detail}")
    clean = all(count == 0 for _, count, _ in columns) and all(ok for _, ok, _ in results)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
