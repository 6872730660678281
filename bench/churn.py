#!/usr/bin/env python
"""Socket churn: does a Daphne process with Redis keep its memory flat while screens come and go all day?

Runs cycles of connect → snapshot → close against one Daphne process on
127.0.0.1, alternating hall displays and phones, a few at a time, and prints
the server's RSS after every thousand cycles. The target: after a warm-up of
--warmup cycles, --cycles more grow RSS by less than 5 MB.

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/churn.py [--warmup 2000] [--cycles 20000] [--concurrency 4]

It migrates and uses the database DATABASE_URL names (an office «churn» and a
few tickets are created there) and stops its server when done. The server runs
as in production, with DJANGO_DEBUG=0: with DEBUG on, Django keeps the last
9,000 queries of each database connection (WebSocket consumers never reset
that log), about 7 MB that fill during the first ~2,000 cycles and then stay
(--debug shows it).
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "queue_system.settings")

import django  # noqa: E402

django.setup()

import websockets  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from offices import config  # noqa: E402
from offices.models import Office  # noqa: E402
from tests.servers import free_port  # noqa: E402
from tickets.services import close_day, ticket_issue  # noqa: E402

ORIGIN = {"Origin": "http://127.0.0.1"}


def setup() -> list[str]:
    """The office and a few waiting tickets; returns the paths to cycle through."""
    call_command("migrate", verbosity=0)
    config.apply(
        {
            "offices": [
                {
                    "code": "churn",
                    "name": "ЦОК нагрузки",
                    "hours": {d: "00:00-24:00" for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
                    "services": [{"code": "fl", "name": "Физические лица", "prefix": "А", "channel": "individuals"}],
                    "counters": [{"number": "1", "services": ["fl"]}],
                }
            ]
        }
    )
    office = Office.objects.get(code="churn")
    close_day(office=office, include_today=True)
    service = office.services.get(code="fl")
    phones = [f"/ws/tickets/{ticket_issue(office=office, service=service).token}/" for _ in range(10)]
    return [path for phone in phones for path in ("/ws/offices/churn/display/", phone)]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def cycle(url: str) -> None:
    async with websockets.connect(url, additional_headers=ORIGIN, open_timeout=10) as socket:
        message = json.loads(await asyncio.wait_for(socket.recv(), 10))
        assert message["type"] == "snapshot", message


async def run(base: str, paths: list[str], total: int, concurrency: int, pid: int, report_from: int) -> None:
    done = 0
    errors = 0

    async def worker(offset: int):
        nonlocal done, errors
        n = offset
        while done < total:
            try:
                await cycle(base + paths[n % len(paths)])
            except Exception as error:  # noqa: BLE001 - counted and printed
                errors += 1
                if errors <= 5:
                    print(f"error: {error!r}", flush=True)
            n += concurrency
            done += 1
            if done % 1000 == 0:
                print(f"cycles {report_from + done:>6}  rss {rss_mb(pid):7.1f} MB  errors {errors}", flush=True)

    await asyncio.gather(*(worker(i) for i in range(concurrency)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warmup", type=int, default=2000)
    parser.add_argument("--cycles", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--debug", action="store_true", help="run the server with DJANGO_DEBUG=1")
    args = parser.parse_args()
    if not settings.REDIS_URL:
        raise SystemExit("set REDIS_URL=redis://127.0.0.1:6379/0 (and DATABASE_URL): churn is measured on Redis")
    paths = setup()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "queue_system.asgi:application"],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "DJANGO_DEBUG": "1" if args.debug else "0",
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "churn-bench"),
            "SECURE_SSL_REDIRECT": "0",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"ws://127.0.0.1:{port}"
        for _ in range(100):
            try:
                asyncio.run(cycle(base + paths[0]))
                break
            except OSError:
                time.sleep(0.2)
        started = time.monotonic()
        print(f"start   rss {rss_mb(server.pid):7.1f} MB", flush=True)
        asyncio.run(run(base, paths, args.warmup, args.concurrency, server.pid, 0))
        after_warmup = rss_mb(server.pid)
        print(f"after warm-up of {args.warmup}: rss {after_warmup:.1f} MB", flush=True)
        asyncio.run(run(base, paths, args.cycles, args.concurrency, server.pid, args.warmup))
        end = rss_mb(server.pid)
        rate = (args.warmup + args.cycles) / (time.monotonic() - started)
        print(f"growth over {args.cycles} cycles after warm-up: {end - after_warmup:+.1f} MB ({rate:.0f} cycles/s)")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
