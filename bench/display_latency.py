#!/usr/bin/env python
"""Latency from an operator's call to every hall display, across two Daphne processes.

Starts two Daphne processes on 127.0.0.1 sharing PostgreSQL and Redis (from
DATABASE_URL and REDIS_URL), opens D display sockets split between them, calls
K tickets over HTTP, and prints p50, p99 and max of the time from each call's
HTTP response to its arrival at each display, plus any lost messages.

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/display_latency.py --displays 200 --calls 100

It uses the demo office «korocha» (loaded with seed_demo) and stops both
processes when done: load goes to loopback only and is bounded by --calls.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "demo-pass-2024"


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def start_daphne(env, port):
    return subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "queue_system.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process):
    # TERM, wait, then KILL the same PID: daphne may ignore TERM under load.
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


async def wait_ready(url, timeout=30):
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(url + "/api/v1/offices/korocha/")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


async def display(url, arrivals, ready, stop_event):
    ws = url.replace("http://", "ws://") + "/ws/offices/korocha/display/"
    async with websockets.connect(ws, additional_headers={"Origin": "http://127.0.0.1"}, max_queue=None) as socket:
        snapshot = json.loads(await socket.recv())
        assert snapshot["type"] == "snapshot"
        ready.release()
        while not stop_event.is_set():
            try:
                raw = await asyncio.wait_for(socket.recv(), timeout=0.5)
            except TimeoutError:
                continue
            message = json.loads(raw)
            if message["type"] == "ticket.called":
                arrivals.setdefault(message["ticket"], []).append(time.perf_counter())


async def run(args, urls):
    arrivals: dict[str, list[float]] = {}
    ready = asyncio.Semaphore(0)
    stop_event = asyncio.Event()
    tasks = [
        asyncio.create_task(display(urls[i % len(urls)], arrivals, ready, stop_event)) for i in range(args.displays)
    ]
    for _ in range(args.displays):
        await asyncio.wait_for(ready.acquire(), timeout=60)
    print(f"displays connected: {args.displays} ({args.displays // len(urls)} per process)")

    responses: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=30) as client:
        token = (
            await client.post(
                urls[0] + "/api/v1/auth/token/", json={"username": "operator-korocha", "password": PASSWORD}
            )
        ).json()["token"]
        auth = {"Authorization": f"Token {token}"}
        office = (await client.get(urls[0] + "/api/v1/offices/korocha/")).json()
        counter = next(c for c in office["counters"] if "fl" in c["services"])
        await client.post(urls[0] + f"/api/v1/counters/{counter['id']}/state/", json={"state": "open"}, headers=auth)
        for _ in range(args.calls):
            await client.post(urls[0] + "/api/v1/offices/korocha/tickets/", json={"service": "fl"})
        for index in range(args.calls):
            url = urls[index % len(urls)]  # calls go through both processes in turn
            sent = time.perf_counter()
            response = await client.post(url + f"/api/v1/counters/{counter['id']}/call-next/", headers=auth)
            received = time.perf_counter()
            ticket = response.json()
            responses[ticket["number"]] = (sent, received)
            await client.post(url + f"/api/v1/tickets/{ticket['id']}/finish/", headers=auth)
            await asyncio.sleep(args.interval)
    await asyncio.sleep(2)  # let the last messages arrive
    stop_event.set()
    await asyncio.gather(*tasks)

    latencies, from_request, lost = [], [], 0
    for number, (sent, responded) in responses.items():
        got = arrivals.get(number, [])
        lost += args.displays - len(got)
        # A message can beat the HTTP response (it is sent on commit): that counts as zero.
        latencies += [max(0.0, arrived - responded) * 1000 for arrived in got]
        from_request += [(arrived - sent) * 1000 for arrived in got]
    print(f"calls: {len(responses)}  deliveries expected: {len(responses) * args.displays}  received: {len(latencies)}")
    for name, values in (("HTTP response", latencies), ("HTTP request sent", from_request)):
        print(
            f"latency from {name} to display: p50={statistics.median(values):.1f} ms  "
            f"p99={percentile(values, 99):.1f} ms  max={max(values):.1f} ms"
        )
    print(f"lost messages: {lost}")
    return 0 if lost == 0 else 1


async def start_and_run(args, urls):
    await asyncio.gather(*(wait_ready(u) for u in urls))
    return await run(args, urls)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--displays", type=int, default=200)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.05, help="pause between calls, seconds")
    parser.add_argument("--ports", default="8101,8102")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        raise SystemExit("set DATABASE_URL=postgres://... and REDIS_URL=redis://127.0.0.1:6379/0")
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only",
        "SECURE_SSL_REDIRECT": "0",
        "PYTHONUNBUFFERED": "1",
    }
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    manage(env, "close_day", "--office", "korocha", "--include-today")
    ports = [int(p) for p in args.ports.split(",")]
    processes = [start_daphne(env, port) for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        return asyncio.run(start_and_run(args, urls))
    finally:
        for process in processes:
            stop(process)


if __name__ == "__main__":
    sys.exit(main())
