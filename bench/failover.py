#!/usr/bin/env python
"""Beyond one machine: three nodes, a Redis failover, a node's death and a PostgreSQL switchover under load.

Starts on loopback only, in a temporary folder, everything of its own:
PostgreSQL 15 (a primary and a streaming standby made with pg_basebackup,
synchronous replication), Redis (a primary, a replica, three sentinels), three
Daphne nodes bound to 127.0.1.1, 127.0.1.2 and 127.0.1.3 behind nginx with TLS
(deploy/nginx.conf), configured as docker-compose.yml configures a node, with
DATABASE_URL naming both PostgreSQL servers (target_session_attrs=read-write)
and REDIS_SENTINELS. Then 300 display sockets and 50 phones connect, kiosks
issue and operators call at a steady bounded rate, and it
1. kills the Redis primary (the sentinels promote the replica);
2. later SIGKILLs one node;
3. later stops the PostgreSQL primary and promotes the standby.
It prints, per fault: sockets reconnected and the time to resynchronise, calls
made and how many were announced on every display of their office; then the
5xx count (503 database_unavailable apart) and the invariants of soak.py.

    .venv/bin/python bench/failover.py [--settle 20] [--displays 300] [--phones 50]

Run as root (PostgreSQL runs as the postgres user) or as a user who may run
initdb. Takes about three minutes; everything it starts is stopped at the end.
"""

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter as Tally
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_BIN = Path("/usr/lib/postgresql/15/bin")
OFFICES = [f"ha-{n:02d}" for n in range(1, 11)]
COUNTERS_PER_OFFICE = 2
NODES = ["127.0.1.1", "127.0.1.2", "127.0.1.3"]


def now() -> str:
    return time.strftime("%H:%M:%S", time.gmtime())


def say(text: str) -> None:
    print(f"[{now()}] {text}", flush=True)


# PostgreSQL: a primary and a streaming standby in a temporary folder


class PostgresPair:
    def __init__(self, workdir: Path, ports: tuple[int, int]):
        self.workdir = workdir
        self.ports = ports
        self.dirs = (workdir / "primary", workdir / "standby")
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def run(self, *command, server: bool = False):
        # A server started by pg_ctl would hold captured pipes open forever: its output goes to a log.
        output = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL} if server else {"capture_output": True}
        result = subprocess.run([*self.as_postgres, *map(str, command)], text=True, timeout=60, **output)
        if result.returncode:
            raise subprocess.CalledProcessError(result.returncode, command[0], result.stdout, result.stderr)
        return result

    def ctl(self, n: int, *args: str) -> None:
        log = self.workdir / f"pg{n}.log"
        self.run(PG_BIN / "pg_ctl", "-D", self.dirs[n], "-l", log, "-w", "-t", "30", *args, server=True)

    def start(self) -> "PostgresPair":
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres", "postgres")
        self.run(PG_BIN / "initdb", "-D", self.dirs[0], "-U", "postgres", "-A", "trust", "--no-sync")
        with open(self.dirs[0] / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {self.ports[0]}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.workdir}'\n"
                "fsync = off\nmax_connections = 200\n"
            )
        self.ctl(0, "start")
        self.run(PG_BIN / "createdb", "-h", "127.0.0.1", "-p", self.ports[0], "-U", "postgres", "queue")
        self.run(PG_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", self.ports[0], "-U", "postgres",
                 "-D", self.dirs[1], "-R", "-X", "stream", "-c", "fast", "--no-sync")  # fmt: skip
        with open(self.dirs[1] / "postgresql.conf", "a") as conf:
            conf.write(f"port = {self.ports[1]}\n")
        self.ctl(1, "start")
        # Synchronous from now on (not before: with no standby yet every commit would wait):
        # a commit the primary answered is on the standby too, so a switchover loses nothing.
        with open(self.dirs[0] / "postgresql.conf", "a") as conf:
            conf.write("synchronous_standby_names = '*'\n")
        self.ctl(0, "reload")
        return self

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.ports)
        return f"postgres://postgres@{hosts}/queue?target_session_attrs=read-write"

    def stop(self) -> None:
        for n in (0, 1):
            try:
                self.ctl(n, "-m", "immediate", "stop")
            except subprocess.CalledProcessError:
                pass  # already stopped, or never started


# The bench's own statistics


class Stats:
    def __init__(self):
        self.status = Tally()
        self.server_errors: list[str] = []
        self.documented_503 = 0
        self.cut_in_flight = 0
        self.node_killed_at: float | None = None
        self.transport_errors = 0
        self.issued: set[int] = set()
        self.calls: list[tuple[float, str, str]] = []  # (when, office, number)
        self.phase = "warm-up"
        self.phases: list[tuple[str, float]] = []  # (name, start)


class Display:
    def __init__(self, office: str):
        self.office = office
        self.seen: set[str] = set()
        self.last_seq: int | None = None
        self.connects = 0
        self.snapshots: list[float] = []
        self.disconnects: list[float] = []


async def request(client, stats: Stats, method: str, path: str, **kwargs):
    for _ in range(40):
        try:
            response = await getattr(client, method)(path, **kwargs)
        except Exception:  # httpx.TransportError and TLS errors: the node behind this connection died
            stats.transport_errors += 1
            await asyncio.sleep(0.25)
            continue
        stats.status[response.status_code] += 1
        if response.status_code == 503 and response.headers.get("content-type", "").startswith("application/json"):
            if response.json().get("error", {}).get("code") == "database_unavailable":
                stats.documented_503 += 1
                await asyncio.sleep(float(response.headers.get("Retry-After", 1)) / 5)
                continue  # the kiosk and the operator screen retry
        if (
            response.status_code == 502
            and stats.node_killed_at is not None
            and time.monotonic() - stats.node_killed_at < 3
        ):
            # A POST already sent to the node when it died: nginx does not resend a
            # non-idempotent request (deploy/nginx.conf), so it answers 502 and the
            # client retries, as it does for a cut connection.
            stats.cut_in_flight += 1
            await asyncio.sleep(0.25)
            continue
        if response.status_code >= 500:
            stats.server_errors.append(f"{now()} {response.status_code} {method.upper()} {path} ({stats.phase})")
            await asyncio.sleep(0.25)
            continue
        return response
    return None


def ws_connect(base: str, path: str, context: ssl.SSLContext):
    import websockets

    return websockets.connect(
        base.replace("https://", "wss://") + path, ssl=context, additional_headers={"Origin": base},
        open_timeout=15, ping_interval=None,
    )  # fmt: skip


async def display_loop(base, context, display: Display, stop: asyncio.Event):
    """A hall display as static/js/live.js behaves: snapshot, numbered messages, sync on a gap, reconnect."""
    import websockets

    while not stop.is_set():
        try:
            async with ws_connect(base, f"/ws/offices/{display.office}/display/", context) as socket:
                display.connects += 1
                last_ping = time.monotonic()
                while not stop.is_set():
                    try:
                        raw = await asyncio.wait_for(socket.recv(), timeout=2)
                    except TimeoutError:
                        if time.monotonic() - last_ping > 10:
                            await socket.send(json.dumps({"type": "ping"}))
                            last_ping = time.monotonic()
                        continue
                    message = json.loads(raw)
                    kind, seq = message.get("type"), message.get("seq")
                    if kind == "snapshot":
                        display.snapshots.append(time.monotonic())
                        display.last_seq = seq
                        display.seen.update(call["ticket"] for call in message["calls"])
                        continue
                    if kind == "pong":
                        if seq is not None and display.last_seq is not None and seq > display.last_seq:
                            await socket.send(json.dumps({"type": "sync"}))
                        continue
                    if kind == "ticket.called":
                        display.seen.add(message["ticket"])
                    if seq is not None:
                        if display.last_seq is not None and seq != display.last_seq + 1:
                            await socket.send(json.dumps({"type": "sync"}))  # a gap or a reset
                        display.last_seq = seq
        except (OSError, websockets.WebSocketException, TimeoutError):
            pass
        display.disconnects.append(time.monotonic())
        await asyncio.sleep(random.uniform(0.5, 1.5))  # the page's reconnect delay


async def phone_loop(base, context, office: str, stats: Stats, phones: dict, stop: asyncio.Event):
    import httpx
    import websockets

    async with httpx.AsyncClient(base_url=base, verify=context, timeout=30) as client:
        response = await request(client, stats, "post", f"/api/v1/offices/{office}/tickets/", json={"service": "fl"})
    if response is None or response.status_code != 201:
        return
    ticket = response.json()
    stats.issued.add(ticket["id"])
    phone = phones[ticket["id"]] = {"connects": 0, "status": None}
    while not stop.is_set():
        try:
            async with ws_connect(base, f"/ws/tickets/{ticket['token']}/", context) as socket:
                phone["connects"] += 1
                while not stop.is_set():
                    try:
                        message = json.loads(await asyncio.wait_for(socket.recv(), timeout=2))
                    except TimeoutError:
                        continue
                    phone["status"] = message.get("status", phone["status"])
        except (OSError, websockets.WebSocketException, TimeoutError):
            pass
        await asyncio.sleep(random.uniform(0.5, 1.5))


async def kiosk_loop(base, context, office, token, rate, stop, stats: Stats, rng):
    import httpx

    headers = {"Authorization": f"Token {token}"}
    async with httpx.AsyncClient(base_url=base, verify=context, timeout=30, headers=headers) as client:
        while not stop.is_set():
            await asyncio.sleep(rng.expovariate(rate))
            response = await request(client, stats, "post", f"/api/v1/offices/{office}/tickets/",
                                     json={"service": rng.choice(["fl", "ul"])})  # fmt: skip
            if response is not None and response.status_code == 201:
                stats.issued.add(response.json()["id"])


async def operator_loop(base, context, office, token, counter_id, stop, stats: Stats, rng):
    import httpx

    headers = {"Authorization": f"Token {token}"}
    async with httpx.AsyncClient(base_url=base, verify=context, timeout=30, headers=headers) as client:
        await request(client, stats, "post", f"/api/v1/counters/{counter_id}/state/", json={"state": "open"})
        while not stop.is_set():
            response = await request(client, stats, "post", f"/api/v1/counters/{counter_id}/call-next/")
            if response is None or response.status_code != 200:
                if response is not None and response.status_code == 409:  # a call that went through, then retried
                    current = await request(client, stats, "get", f"/api/v1/counters/{counter_id}/")
                    ticket = (current.json() or {}).get("ticket") if current is not None else None
                    if ticket:
                        await request(client, stats, "post", f"/api/v1/tickets/{ticket['id']}/finish/",
                                      json={"counter": counter_id})  # fmt: skip
                await asyncio.sleep(rng.uniform(1, 2))
                continue
            ticket = response.json()
            stats.calls.append((time.monotonic(), office, ticket["number"]))
            await asyncio.sleep(rng.uniform(2, 4))  # the client walks up and is served
            finish = f"/api/v1/tickets/{ticket['id']}/finish/"
            await request(client, stats, "post", finish, json={"counter": counter_id})
            await asyncio.sleep(rng.uniform(0.5, 1.5))


# Report


def fault_report(stats: Stats, displays: list[Display], end: float) -> None:
    phases = stats.phases + [("end", end)]
    for (name, start), (_, stop) in zip(phases, phases[1:], strict=False):
        by_office = defaultdict(list)
        for display in displays:
            by_office[display.office].append(display)
        calls = [(office, number) for when, office, number in stats.calls if start <= when < stop]
        announced = sum(all(number in d.seen for d in by_office[office]) for office, number in calls)
        dropped = [d for d in displays if any(start <= t < stop for t in d.disconnects)]
        resync = []
        for display in dropped:
            cut = min(t for t in display.disconnects if start <= t < stop)
            later = [t for t in display.snapshots if t > cut]
            if later:
                resync.append(later[0] - cut)
        timing = (f"resynchronised in median {statistics.median(resync):.1f} s, max {max(resync):.1f} s"
                  if resync else "none needed")  # fmt: skip
        errors = sum(f"({name})" in e for e in stats.server_errors)
        print(f"  {name:<28} 5xx {errors:>4}; sockets reconnected {len(dropped):>3}/{len(displays)} ({timing}); "
              f"calls {len(calls):>3}, announced on every display of their office {announced:>3}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settle", type=float, default=20, help="seconds of load after each fault")
    parser.add_argument("--displays", type=int, default=300)
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--rate", type=float, default=0.15, help="tickets a second per office from kiosks")
    parser.add_argument("--limit", type=float, default=900, help="seconds after which it stops whatever the state")
    args = parser.parse_args()
    if not (PG_BIN / "initdb").exists():
        raise SystemExit(f"needs PostgreSQL 15 server binaries in {PG_BIN}")
    # Whatever happens (Ctrl-C, kill, a hang), the cleanup below runs: bounded in time.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    signal.signal(signal.SIGALRM, lambda *_: sys.exit("over the time limit"))
    signal.alarm(int(args.limit))
    workdir = Path(tempfile.mkdtemp(prefix="failover-"))
    workdir.chmod(0o755)  # PostgreSQL runs as postgres, below this folder
    started = []
    try:
        return run(args, workdir, started)
    finally:
        # The logs outlive the run, for a look at what went wrong.
        keep = Path(tempfile.gettempdir()) / "failover-last"
        shutil.rmtree(keep, ignore_errors=True)
        keep.mkdir()
        for log in [*workdir.glob("daphne-*.log"), workdir / "nginx" / "error.log"]:
            if log.exists():
                shutil.copy(log, keep / log.name)
        for stop in reversed(started):
            try:
                stop()
            except Exception as exc:  # keep stopping the rest
                print("cleanup:", exc)
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir: Path, started: list) -> int:
    import socket as sockets

    def free_port() -> int:
        with sockets.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    pg = PostgresPair(workdir / "pg", (free_port(), free_port()))
    (workdir / "pg").mkdir()
    started.append(pg.stop)
    pg.start()
    say(f"PostgreSQL primary :{pg.ports[0]} and streaming standby :{pg.ports[1]}")
    os.environ.update(
        DATABASE_URL=pg.url, REDIS_URL="", DJANGO_SETTINGS_MODULE="queue_system.settings", DB_POOL_TIMEOUT="3"
    )
    for name in ("REDIS_SENTINELS", "REDIS_SENTINEL_MASTER"):
        os.environ.pop(name, None)
    import django

    django.setup()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from bench.invariants import ticket_invariants
    from offices import config
    from offices.models import Membership, Office
    from tests.servers import RedisSentinelSet
    from tests.topology import NginxServer, compose_web_environment, make_certificate
    from tickets.models import Ticket

    call_command("migrate", verbosity=0)
    config.apply({"offices": [{
        "code": code, "name": f"ЦОК {code}", "remote_tickets": True, "stop_issuing_minutes": 0,
        "hours": {d: "00:00-24:00" for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
        "services": [{"code": "fl", "name": "Физические лица", "prefix": "А", "channel": "individuals"},
                     {"code": "ul", "name": "Юридические лица", "prefix": "Б", "channel": "legal_entities"}],
        "counters": [{"number": str(n), "services": ["fl", "ul"]} for n in range(1, COUNTERS_PER_OFFICE + 1)],
    } for code in OFFICES]})  # fmt: skip
    tokens, counters = {}, {}
    for office in Office.objects.filter(code__in=OFFICES):
        user, _ = get_user_model().objects.get_or_create(username=f"{office.code}-op")
        Membership.objects.get_or_create(user=user, office=office, role=Membership.Role.OPERATOR)
        tokens[office.code] = Token.objects.get_or_create(user=user)[0].key
        counters[office.code] = list(office.counters.values_list("id", flat=True))

    redis = RedisSentinelSet(workdir / "redis")
    started.append(redis.stop)
    redis.start().ready()
    say(f"Redis primary :{redis.primary.port}, replica :{redis.replica.port}, sentinels {redis.sentinel_ports}")

    port = free_port()
    env = {
        **os.environ,
        **compose_web_environment(
            DATABASE_URL=pg.url, DJANGO_SECRET_KEY="failover-bench-only-" + "x" * 40,
            DJANGO_ALLOWED_HOSTS="127.0.0.1", **redis.env,
        ),
        "DJANGO_SETTINGS_MODULE": "queue_system.settings", "DB_POOL_TIMEOUT": "3", "PYTHONUNBUFFERED": "1",
        "REMOTE_TICKETS_PER_CLIENT": "100000/second", "REMOTE_TICKETS_PER_OFFICE": "100000/second",
    }  # fmt: skip
    nodes = []
    for address in NODES:
        log = open(workdir / f"daphne-{address}.log", "ab")  # noqa: SIM115 - the child writes to it
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", address, "-p", str(port), "queue_system.asgi:application"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        nodes.append(process)
        started.append(lambda p=process: stop_process(p))
    for address in NODES:
        wait_listening(address, port)
    certs = make_certificate(workdir / "certs")
    (workdir / "static").mkdir()
    nginx = NginxServer(prefix=workdir / "nginx", upstreams=[port, port], certs=certs, static=workdir / "static")
    conf = nginx.config.read_text()
    for options in ("max_fails=3 fail_timeout=5s;", "max_fails=0;"):  # the page and the WebSocket groups
        upstream = f"server 127.0.0.1:{port} {options}"
        assert conf.count(upstream) == 2
        conf = conf.replace(upstream, "\n".join(f"server {a}:{port} {options}" for a in NODES), 1)
        conf = conf.replace(upstream, "", 1)
    nginx.config.write_text(conf)
    started.append(nginx.stop)
    nginx.start()
    base = f"https://127.0.0.1:{nginx.https_port}"
    say(f"three nodes on {', '.join(NODES)}:{port} behind nginx {base}")

    context = ssl.create_default_context(cafile=str(certs / "fullchain.pem"))
    context.check_hostname = False
    stats = Stats()
    displays = [Display(OFFICES[n % len(OFFICES)]) for n in range(args.displays)]
    phones: dict = {}

    async def scenario():
        stop_load, stop_sockets = asyncio.Event(), asyncio.Event()
        rng = random.Random(27)
        sockets_tasks = []
        for n, display in enumerate(displays):
            sockets_tasks.append(asyncio.create_task(display_loop(base, context, display, stop_sockets)))
            if n % 20 == 19:
                await asyncio.sleep(0.2)  # a hall of screens switching on, not a thundering herd
        sockets_tasks += [
            asyncio.create_task(phone_loop(base, context, OFFICES[n % len(OFFICES)], stats, phones, stop_sockets))
            for n in range(args.phones)
        ]
        deadline = time.monotonic() + 120
        while sum(d.connects > 0 for d in displays) < len(displays) and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        say(f"{sum(d.connects > 0 for d in displays)} displays and {len(phones)} phones connected")
        load = [
            asyncio.create_task(kiosk_loop(base, context, code, tokens[code], args.rate, stop_load, stats,
                                           random.Random(rng.random())))
            for code in OFFICES
        ] + [
            asyncio.create_task(operator_loop(base, context, code, tokens[code], cid, stop_load, stats,
                                              random.Random(rng.random())))
            for code in OFFICES for cid in counters[code]
        ]  # fmt: skip

        def phase(name):
            stats.phase = name
            stats.phases.append((name, time.monotonic()))
            say(name)

        phase("steady load")
        await asyncio.sleep(args.settle)
        phase("Redis primary killed")
        old = redis.primary.port
        redis.primary.kill()
        t0 = time.monotonic()
        new = await asyncio.to_thread(redis.wait_failover, old)
        say(f"  sentinels promoted :{new} after {time.monotonic() - t0:.1f} s")
        await asyncio.sleep(args.settle)
        phase(f"node {NODES[0]} SIGKILLed")
        nodes[0].send_signal(signal.SIGKILL)
        stats.node_killed_at = time.monotonic()
        await asyncio.sleep(args.settle)
        phase("PostgreSQL switchover")
        t0 = time.monotonic()
        await asyncio.to_thread(pg.ctl, 0, "-m", "fast", "stop")
        await asyncio.sleep(2)  # the HA manager's detection time
        await asyncio.to_thread(pg.ctl, 1, "promote")
        say(f"  primary stopped, standby promoted {time.monotonic() - t0:.1f} s later")
        await asyncio.sleep(args.settle)
        phase("load stopped")
        stop_load.set()
        await asyncio.gather(*load)
        await asyncio.sleep(5)  # the last announcements and resyncs land
        stop_sockets.set()
        await asyncio.gather(*sockets_tasks)

    asyncio.run(scenario())
    # The last fault's window ends with the load; the sockets closing after it are not its doing.
    end = dict(stats.phases)["load stopped"]
    stats.phases = [p for p in stats.phases if p[0] != "load stopped"]
    errors = Tally(
        re.sub(r".*\] \d+#\d+: \*\d+ ([^,(]*).*", r"\1", line).strip()
        for line in (nginx.prefix / "error.log").read_text().splitlines()
        if "upstream" in line
    )
    print("nginx upstream errors:", dict(errors.most_common(6)))
    print(f"\nload: {len(stats.issued)} tickets issued, {len(stats.calls)} calls, "
          f"{sum(stats.status.values())} answers {dict(sorted(stats.status.items()))}, "
          f"{stats.transport_errors} connections cut; uptime: {os.getloadavg()[0]:.1f} load")  # fmt: skip
    fault_report(stats, displays, end)
    print(f"  phones: {len(phones)}, reconnects {sum(p['connects'] - 1 for p in phones.values())}")

    from django.db import connection

    # This process's pool may still be backing off from the outage: wait for the new primary.
    for _ in range(30):
        try:
            connection.close()
            connection.ensure_connection()
            break
        except Exception:
            time.sleep(1)
    tickets = Ticket.objects.filter(office__code__in=OFFICES, imported=False)
    results = ticket_invariants(tickets, stats.issued)
    results.append(("no 5xx apart from 503 database_unavailable", not stats.server_errors,
                    f"{len(stats.server_errors)} other 5xx; {stats.documented_503} documented 503s; "
                    f"{stats.cut_in_flight} 502s for requests in flight on the killed node"))  # fmt: skip
    missed = [(o, n) for _, o, n in stats.calls if not all(n in d.seen for d in displays if d.office == o)]
    results.append(("every call announced on every display of its office", not missed,
                    f"{len(stats.calls)} calls, {len(missed)} missed somewhere {missed[:5]}"))  # fmt: skip
    statuses = dict(tickets.values_list("id", "status"))
    wrong = [t for t, p in phones.items() if p["status"] != statuses.get(t)]
    detail = f"{len(phones)} phones, {len(wrong)} wrong"
    results.append(("every phone ended with its ticket's state", not wrong, detail))
    for error in stats.server_errors[:10]:
        print("  5xx:", error)
    for name, ok, detail in results:
        print(f"{'HOLDS ' if ok else 'BROKEN'}  {name}: {detail}")
    return 0 if all(ok for _, ok, _ in results) else 1


def wait_listening(address: str, port: int, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((address, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"daphne on {address}:{port} did not start")


def stop_process(process: subprocess.Popen) -> None:
    # daphne may ignore TERM while requests are queued: TERM, wait, then KILL the same PID.
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
