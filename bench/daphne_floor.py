#!/usr/bin/env python
"""The latency floor under the product: the same closed loop as issue_and_call.py
against two apps that answer every request with a constant 201 -- a bare ASGI
app on Daphne ("asgi"), and a plain Django view behind the product's own
settings and middleware ("django", in floor_django.py; no database query).

Starts Daphne on 127.0.0.1 (a free port) for each, sends N requests from C
concurrent clients, prints throughput and p50/p99, and stops Daphne. Whatever
an endpoint of the product does comes on top of these figures.

    .venv/bin/python bench/daphne_floor.py -n 4000 -c 20
"""

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from issue_and_call import report

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import free_port  # noqa: E402

BODY = b'{"id": 1, "number": "\xd0\x90001", "position": 0}'


async def application(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 201, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": BODY})


async def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as client:
        while server.poll() is None:
            try:
                async with client.post(url, json={}) as response:
                    if response.status == 201:
                        return
            except aiohttp.ClientConnectionError:
                if time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.2)
    sys.exit(f"Daphne exited with {server.returncode}")


async def closed_loop(name: str, url: str, n: int, concurrency: int) -> None:
    latencies: list[float] = []
    errors = 0
    remaining = iter(range(n))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as client:

        async def one_client():
            nonlocal errors
            for _ in remaining:
                started = time.perf_counter()
                async with client.post(url, json={"service": "fl"}) as response:
                    await response.read()
                latencies.append(time.perf_counter() - started)
                errors += response.status != 201

        began = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        report(name, latencies, time.perf_counter() - began, errors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=4000, help="requests per round")
    parser.add_argument("-c", "--concurrency", type=int, default=20, help="concurrent clients")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    env = {
        **os.environ,
        # Run from the project, bench last: bench/reports.py would shadow the reports app.
        "PYTHONPATH": str(ROOT / "bench"),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "floor-benchmark-" + "x" * 40,
        "SECURE_SSL_REDIRECT": "0",
    }
    for name, app in (("asgi", "daphne_floor:application"), ("django", "floor_django:application")):
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        command = [sys.executable, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port), app]
        server = subprocess.Popen(command, cwd=ROOT, env=env)
        try:
            asyncio.run(wait_until_up(url, server))
            for _ in range(args.rounds):
                asyncio.run(closed_loop(name, url, args.n, args.concurrency))
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
