#!/usr/bin/env python
"""Hall displays and phones: a reconnect storm, and the latency from an operator's call to every screen.

Runs against running servers, like bench/issue_and_call.py: `make run` (one
process, the default URL) or the production topology of bench/topology.py
(nginx in front of two processes, or both processes' URLs comma-separated:
sockets and calls are then split between them). Demo office «korocha».

    .venv/bin/python bench/display_latency.py --displays 200 --calls 100
    .venv/bin/python bench/topology.py -- bench/display_latency.py --storm --displays 1000 --phones 500

1. Sockets: D display sockets and P phone sockets (following tickets issued
   first). With --storm they are all opened at the same instant; the bench
   prints how many connected at the first attempt, how long each took to get
   its first message (the snapshot, or the phone's status: synchronised), and
   how many did within 10 s. While the storm is still going, one ticket is
   called: every socket must receive it (a display the message naming its
   number, a phone any message after the call).
2. Fan-out: K calls over HTTP, one after another, through the processes in
   turn; p50/p99/max from the HTTP request (and from its response) to each
   display, and any lost message.
3. The load client's own floor: how late its event loop ran a 5 ms timer
   while all of this went on (whatever the client adds to every figure above)
   and the CPU it spent.

Load goes to loopback only and is bounded by the socket counts, --calls and
--timeout. Exits non-zero on a failed connect, a screen the storm call missed,
or a lost message.
"""

import argparse
import asyncio
import functools
import json
import os
import resource
import ssl
import statistics
import sys
import time
from pathlib import Path

import aiohttp
import websockets
from issue_and_call import percentile, require_loopback, require_up

ROOT = Path(__file__).resolve().parent.parent
OFFICE = "korocha"
SERVICE = "fl"
USER, PASSWORD = "operator-korocha", "demo-pass-2024"
SYNC_GOAL = 10.0


@functools.cache
def tls() -> ssl.SSLContext:
    # One context for every socket: building one reads the system's CA bundle (tens of ms each).
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the bench topology's self-signed certificate
    return context


def empty_the_day() -> None:
    """Expire what an earlier run left in the demo office, through the server's own database settings."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "queue_system.settings")
    import django

    django.setup()
    from offices.models import Office
    from tickets.services import close_day

    close_day(office=Office.objects.get(code=OFFICE), include_today=True)


class Screen:
    """One socket: when it connected and synchronised, and every message after that, with its arrival time."""

    def __init__(self, kind: str, url: str, path: str):
        self.kind, self.path = kind, path
        self.url = url.replace("https://", "wss://").replace("http://", "ws://") + path
        self.origin = url
        self.failed: str | None = None
        self.synced: float | None = None
        self.messages: list[tuple[float, str]] = []

    async def run(self, began: float, stop: asyncio.Event) -> None:
        try:
            async with websockets.connect(
                self.url,
                additional_headers={"Origin": self.origin},
                ssl=tls() if self.url.startswith("wss") else None,
                open_timeout=120,  # a browser waits as long: no timeout of its own
                max_queue=None,
                ping_interval=None,
            ) as socket:
                # The snapshot (or the phone's status): one that comes after a call already shows it.
                self.messages.append((time.perf_counter(), await socket.recv()))
                self.synced = time.perf_counter() - began
                while not stop.is_set():
                    try:
                        raw = await asyncio.wait_for(socket.recv(), timeout=0.5)
                    except TimeoutError:
                        continue
                    self.messages.append((time.perf_counter(), raw))
        except Exception as error:  # a refused or dropped socket is a result, not a crash
            if self.synced is None:
                self.failed = type(error).__name__

    def got(self, number: str, after: float, *, snapshot: bool = True) -> float | None:
        """When this screen heard of the call of `number` sent at `after` (from its snapshot too, if asked)."""
        quoted = (f'"{number}"', json.dumps(number))  # as sent, with or without \\u escapes
        for at, raw in self.messages if snapshot else self.messages[1:]:
            if at < after:
                continue
            if self.kind == "phone" or any(q in raw for q in quoted):
                return at
        return None


class Floor:
    """How late the client's own event loop runs a 5 ms timer: the client's share of every latency."""

    def __init__(self):
        self.lags: list[float] = []
        self.task: asyncio.Task | None = None

    async def watch(self) -> None:
        while True:
            expected = time.perf_counter() + 0.005
            await asyncio.sleep(0.005)
            self.lags.append(max(0.0, time.perf_counter() - expected) * 1000)

    def start(self) -> None:
        self.task = asyncio.create_task(self.watch())

    def report(self) -> None:
        self.task.cancel()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        print(
            f"client floor: event loop late by p50={statistics.median(self.lags):.1f} ms "
            f"p99={percentile(self.lags, 99):.1f} ms max={max(self.lags):.1f} ms; "
            f"client CPU {usage.ru_utime + usage.ru_stime:.1f} s",
            flush=True,
        )


class Api:
    def __init__(self, urls: list[str]):
        self.urls = urls
        self.turn = 0
        self.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=60), connector=aiohttp.TCPConnector(ssl=tls())
        )
        self.auth: dict = {}

    async def post(self, path: str, body: dict | None = None) -> tuple[int, dict]:
        self.turn += 1
        url = self.urls[self.turn % len(self.urls)] + path
        async with self.session.post(url, json=body, headers=self.auth) as response:
            return response.status, (await response.json() if response.status != 204 else {})

    async def get(self, path: str) -> dict:
        async with self.session.get(self.urls[0] + path) as response:
            return await response.json()

    async def sign_in(self) -> dict:
        _, token = await self.post("/api/v1/auth/token/", {"username": USER, "password": PASSWORD})
        self.auth = {"Authorization": f"Token {token['token']}"}
        office = await self.get(f"/api/v1/offices/{OFFICE}/")
        counter = next(c for c in office["counters"] if SERVICE in c["services"])
        await self.post(f"/api/v1/counters/{counter['id']}/state/", {"state": "open"})
        return counter

    async def call(self, counter: dict) -> tuple[str, float, float]:
        """Call the next ticket and finish it; its number, when the request was sent and answered."""
        sent = time.perf_counter()
        status, ticket = await self.post(f"/api/v1/counters/{counter['id']}/call-next/")
        answered = time.perf_counter()
        if status != 200:
            raise SystemExit(f"call-next answered {status}: {ticket}")
        await self.post(f"/api/v1/tickets/{ticket['id']}/finish/")
        return ticket["number"], sent, answered


async def run(args, urls: list[str]) -> int:
    floor = Floor()
    floor.start()
    api = Api(urls)
    counter = await api.sign_in()
    followed = max(1, min(args.phones, 100))
    tokens = []
    for _ in range(args.calls + 1 + (followed if args.phones else 0)):
        status, ticket = await api.post(f"/api/v1/offices/{OFFICE}/tickets/", {"service": SERVICE})
        if status != 201:
            raise SystemExit(f"issue answered {status}: {ticket}")
        tokens.append(ticket["token"])
    # Phones follow the last tickets, which stay waiting through the calls.
    phone_tokens = tokens[-followed:] if args.phones else []

    screens = [
        Screen("display", urls[i % len(urls)], f"/ws/offices/{OFFICE}/display/") for i in range(args.displays)
    ] + [Screen("phone", urls[i % len(urls)], f"/ws/tickets/{phone_tokens[i % followed]}/") for i in range(args.phones)]
    stop = asyncio.Event()
    ok = True
    began = time.perf_counter()
    if args.storm:
        tasks = [asyncio.create_task(s.run(began, stop)) for s in screens]
        await asyncio.sleep(args.call_at)
        storm_call = await api.call(counter)
    else:
        # Steady: a few at a time, as screens come on in the morning.
        tasks = []
        for start in range(0, len(screens), 50):
            batch = screens[start : start + 50]
            tasks += [asyncio.create_task(s.run(time.perf_counter(), stop)) for s in batch]
            while any(s.synced is None and s.failed is None for s in batch):
                await asyncio.sleep(0.05)
        storm_call = None
    deadline = time.monotonic() + args.timeout
    while any(s.synced is None and s.failed is None for s in screens) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)

    failed = [s for s in screens if s.failed or s.synced is None]
    synced = [s.synced for s in screens if s.synced is not None]
    for kind in ("display", "phone"):
        of_kind = [s for s in screens if s.kind == kind]
        if not of_kind:
            continue
        times = [s.synced for s in of_kind if s.synced is not None] or [float("nan")]
        print(
            f"{kind}s: {len(of_kind)} opened, {sum(1 for s in of_kind if s.synced is not None)} connected at the "
            f"first attempt, {sum(1 for t in times if t <= SYNC_GOAL)} synchronised within {SYNC_GOAL:.0f} s "
            f"(p50={statistics.median(times):.2f} s p99={percentile(times, 99):.2f} s max={max(times):.2f} s)",
            flush=True,
        )
    if failed:
        reasons = sorted({s.failed or "timeout" for s in failed})
        print(f"failed sockets: {len(failed)} ({', '.join(reasons)})")
        ok = False
    if args.storm and synced and max(synced) > SYNC_GOAL:
        ok = False

    if storm_call:
        await asyncio.sleep(3)
        number, sent, _ = storm_call
        missed = [s for s in screens if s.synced is not None and s.got(number, sent) is None]
        reached = len(screens) - len(failed) - len(missed)
        print(f"call during the storm ({number}): reached {reached}, missed {len(missed)}")
        ok &= not missed

    calls = []
    for _ in range(args.calls):
        calls.append(await api.call(counter))
        await asyncio.sleep(args.interval)
    await asyncio.sleep(2)  # let the last messages arrive
    stop.set()
    await asyncio.gather(*tasks)
    await api.session.close()

    if calls:
        displays = [s for s in screens if s.kind == "display" and s.synced is not None]
        from_request, from_response, lost = [], [], 0
        for number, sent, answered in calls:
            for screen in displays:
                at = screen.got(number, sent, snapshot=False)
                if at is None:
                    lost += 1
                    continue
                from_request.append((at - sent) * 1000)
                # A message can beat the HTTP response (it is sent on commit): that counts as zero.
                from_response.append(max(0.0, at - answered) * 1000)
        print(f"fan-out: {len(calls)} calls to {len(displays)} displays, {len(from_request)} deliveries, lost {lost}")
        for name, values in (("HTTP request sent", from_request), ("HTTP response", from_response)):
            if values:
                print(
                    f"  from {name} to display: p50={statistics.median(values):.1f} ms "
                    f"p99={percentile(values, 99):.1f} ms max={max(values):.1f} ms"
                )
        ok &= lost == 0
    floor.report()
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("BENCH_URL", "http://127.0.0.1:8000"),
        help="the server, or several processes' URLs comma-separated (default: $BENCH_URL or make run's)",
    )
    parser.add_argument("--displays", type=int, default=200)
    parser.add_argument("--phones", type=int, default=0, help="phone sockets, following up to 100 tickets")
    parser.add_argument("--storm", action="store_true", help="open every socket at the same instant")
    parser.add_argument("--call-at", type=float, default=2.0, help="storm: seconds after the start to call")
    parser.add_argument("--calls", type=int, default=100, help="calls for the fan-out figures")
    parser.add_argument("--interval", type=float, default=0.05, help="pause between calls, seconds")
    parser.add_argument("--timeout", type=float, default=60, help="give up on sockets not synchronised by then")
    args = parser.parse_args()
    urls = [u.strip().rstrip("/") for u in args.url.split(",") if u.strip()]
    for url in urls:
        require_loopback(url)
    require_up(urls)
    empty_the_day()
    return asyncio.run(run(args, urls))


if __name__ == "__main__":
    sys.exit(main())
