#!/usr/bin/env python
"""Issue N tickets from C concurrent kiosk clients, then call them from several counters.

Runs against a running server (by default the demo on 127.0.0.1:8000, office
«korocha», operator «operator-korocha»). Only loopback addresses are accepted,
and the run is bounded by N and by --timeout.

    .venv/bin/python bench/issue_and_call.py --url http://127.0.0.1:8000 -n 1000 -c 20

Prints throughput and p50/p99 latency for issuing and for calling.

Tickets are issued the way staff issue them (the operator's token), so that the
rate limit on remote tickets does not apply. The client is aiohttp: httpx
spends ~3 ms of CPU per request, which on two cores caps a closed loop of 20
clients at ~300 requests/s with p99 ~300 ms against a server that does nothing.
"""

import argparse
import asyncio
import ipaddress
import random
import statistics
import sys
import time
from urllib.parse import urlparse

import aiohttp


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def report(name: str, latencies: list[float], elapsed: float, errors: int) -> None:
    ms = [x * 1000 for x in latencies]
    print(
        f"{name:<13} n={len(ms):>5}  errors={errors:<3} throughput={len(ms) / elapsed:8.1f}/s  "
        f"p50={statistics.median(ms):7.1f} ms  p99={percentile(ms, 99):7.1f} ms  max={max(ms):7.1f} ms"
    )


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


def session(args, connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        base_url=args.url,
        timeout=aiohttp.ClientTimeout(total=30),
        connector=aiohttp.TCPConnector(limit=connections),
    )


async def post(client: aiohttp.ClientSession, path: str, body: dict | None = None, **kwargs) -> tuple[int, dict]:
    async with client.post(path, json=body, **kwargs) as response:
        data = await response.json() if response.status != 204 else {}
        return response.status, data


async def run(args) -> int:
    async with session(args, 1) as client:
        _, token = await post(client, "/api/v1/auth/token/", {"username": args.user, "password": args.password})
        if "token" not in token:
            sys.exit(f"cannot sign in as {args.user}: {token}")
        auth = {"Authorization": f"Token {token['token']}"}
        async with client.get(f"/api/v1/offices/{args.office}/") as response:
            office = await response.json()
        counters = [c for c in office["counters"] if args.service in c["services"] + c["backup_services"]]
        if not counters:
            sys.exit(f"no counter of {args.office} serves {args.service}")
        for counter in counters:
            await post(client, f"/api/v1/counters/{counter['id']}/state/", {"state": "open"}, headers=auth)

    deadline = time.monotonic() + args.timeout

    # Phase 1: issue. Closed loop by default: each client sends its next
    # request as soon as the last one is answered (saturation). With --rate,
    # tickets arrive as a Poisson stream at that rate, like people at kiosks,
    # with at most C requests in flight.
    issue_lat: list[float] = []
    issue_errors = 0
    remaining = iter(range(args.n))

    async def issue_one(client: aiohttp.ClientSession):
        nonlocal issue_errors
        started = time.perf_counter()
        status, _ = await post(
            client, f"/api/v1/offices/{args.office}/tickets/", {"service": args.service}, headers=auth
        )
        issue_lat.append(time.perf_counter() - started)
        if status != 201:
            issue_errors += 1

    async def kiosk(client: aiohttp.ClientSession):
        for _ in remaining:
            if time.monotonic() > deadline:
                return
            await issue_one(client)

    async def paced(client: aiohttp.ClientSession):
        rng = random.Random(1)
        slots = asyncio.Semaphore(args.concurrency)
        at = time.perf_counter()

        async def arrive(moment):
            await asyncio.sleep(max(0.0, moment - time.perf_counter()))
            async with slots:
                await issue_one(client)

        moments = []
        for _ in range(args.n):
            at += rng.expovariate(args.rate)
            moments.append(at)
        await asyncio.gather(*(arrive(m) for m in moments))

    async with session(args, args.concurrency) as client:
        began = time.perf_counter()
        if args.rate:
            await paced(client)
        else:
            await asyncio.gather(*(kiosk(client) for _ in range(args.concurrency)))
        mode = f"issue@{args.rate:g}/s" if args.rate else "issue"
        report(mode, issue_lat, time.perf_counter() - began, issue_errors)

    # Phase 2: call and finish from every counter at once until the queue is empty.
    call_lat: list[float] = []
    call_errors = 0
    called = 0

    async def operator(client: aiohttp.ClientSession, counter: dict):
        nonlocal call_errors, called
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status, ticket = await post(client, f"/api/v1/counters/{counter['id']}/call-next/", headers=auth)
            call_lat.append(time.perf_counter() - started)
            if status == 204:
                return
            if status != 200:
                call_errors += 1
                continue
            called += 1
            await post(client, f"/api/v1/tickets/{ticket['id']}/finish/", {"counter": counter["id"]}, headers=auth)

    # One connection per counter: a shared pool smaller than the number of
    # counters would let one counter starve the others.
    async with session(args, len(counters)) as client:
        began = time.perf_counter()
        await asyncio.gather(*(operator(client, c) for c in counters))
        report("call", call_lat, time.perf_counter() - began, call_errors)
    print(f"counters={len(counters)} issued={len(issue_lat) - issue_errors} called={called}")
    return 0 if not issue_errors and not call_errors else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("-n", type=int, default=1000, help="tickets to issue")
    parser.add_argument("-c", "--concurrency", type=int, default=20, help="concurrent kiosk clients")
    parser.add_argument("--office", default="korocha")
    parser.add_argument("--service", default="fl")
    parser.add_argument("--user", default="operator-korocha")
    parser.add_argument("--password", default="demo-pass-2024")
    parser.add_argument("--timeout", type=float, default=300, help="stop after this many seconds")
    parser.add_argument(
        "--rate", type=float, default=0, help="tickets per second as a Poisson stream (default: as fast as possible)"
    )
    args = parser.parse_args()
    require_loopback(args.url)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
