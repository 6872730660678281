"""Real Daphne processes for end-to-end tests, bound to 127.0.0.1 only."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connection


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_url() -> str:
    """The URL of the database the tests run on, for a child process."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class DaphneServer:
    def __init__(self, port: int | None = None, log_dir: Path | None = None, command=None, **env):
        """``command(port)`` gives the command line (default: daphne with its defaults on that port)."""
        self.port = port or free_port()
        self.command = command
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "queue_system.settings",
            "PYTHONUNBUFFERED": "1",
            "REMOTE_TICKETS_PER_CLIENT": "100000/second",
            "REMOTE_TICKETS_PER_OFFICE": "100000/second",
            **env,
        }
        self.log_path = (log_dir or Path(settings.BASE_DIR) / ".pytest_cache") / f"daphne-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> "DaphneServer":
        return self.launch().wait_ready(timeout)

    def launch(self) -> "DaphneServer":
        """Start the process without waiting for it: several can then start at once."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        daphne = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)]
        command = self.command(self.port) if self.command else [*daphne, "queue_system.asgi:application"]
        self.process = subprocess.Popen(
            command,
            env=self.env,
            cwd=settings.BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self

    def wait_ready(self, timeout: float = 30) -> "DaphneServer":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited: see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"daphne did not start in {timeout} s: see {self.log_path}")

    def stop(self) -> None:
        # daphne may ignore TERM while requests are queued: TERM, wait, then KILL the same PID.
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class EventWorker:
    """`manage.py deliver_events`, the webhook worker, as make run and docker-compose.yml start it."""

    COMMAND = ["manage.py", "deliver_events"]

    def __init__(self, log_dir: Path | None = None, **env):
        self.env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "DJANGO_SETTINGS_MODULE": "queue_system.settings",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.log_path = (log_dir or Path(settings.BASE_DIR) / ".pytest_cache") / "deliver-events.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> "EventWorker":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, *self.COMMAND],
            env=self.env,
            cwd=settings.BASE_DIR,
            stdout=open(self.log_path, "ab"),
            stderr=subprocess.STDOUT,
        )
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # it finishes the batch in hand, then leaves
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


class RedisServer:
    """A private redis-server on a free loopback port, to stop and start in fault tests."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 10, replica_of: int | None = None) -> "RedisServer":
        # A replica's first sync waits 5 s by default (repl-diskless-sync-delay): none here.
        replica = ["--repl-diskless-sync-delay", "0"]
        # A replica writes what it syncs to dump.rdb, which a later server started in the same
        # folder would load: each server gets a folder of its own.
        self.dir = tempfile.mkdtemp(prefix=f"redis-{self.port}-")
        replica += ["--dir", self.dir]
        if replica_of:
            replica += ["--replicaof", "127.0.0.1", str(replica_of)]
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                *replica,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self._forget()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._forget()

    def _forget(self) -> None:
        if getattr(self, "dir", None):
            shutil.rmtree(self.dir, ignore_errors=True)


class RedisSentinelSet:
    """A Redis primary, a replica and three sentinels on loopback (Debian's redis-server alone).

    ``ready()`` waits until every sentinel sees the replica and the other
    sentinels: one that has not yet seen the replica never fails over.
    """

    def __init__(self, workdir: Path, master_name: str = "queue", down_after_ms: int = 1000):
        self.workdir = workdir
        self.master_name = master_name
        self.down_after_ms = down_after_ms
        self.primary = RedisServer()
        self.replica = RedisServer()
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.sentinels: list[subprocess.Popen] = []

    @property
    def env(self) -> dict[str, str]:
        """The product's settings for this set."""
        return {
            "REDIS_URL": "",
            "REDIS_SENTINELS": ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports),
            "REDIS_SENTINEL_MASTER": self.master_name,
        }

    def start(self) -> "RedisSentinelSet":
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.primary.start()
        self.replica.start(replica_of=self.primary.port)
        # Sentinels learn of replicas from the primary's INFO, read every 10 s after the first:
        # a replica in sync before they start is seen at once.
        deadline = time.monotonic() + 10
        while "master_link_status:up" not in self._cli(self.replica.port, "info", "replication"):
            if time.monotonic() > deadline:
                raise RuntimeError("the replica did not attach to the primary")
            time.sleep(0.05)
        for port in self.sentinel_ports:
            conf = self.workdir / f"sentinel-{port}.conf"
            # A sentinel rewrites its file (it records what it learns): one file each.
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\n"
                f"sentinel monitor {self.master_name} 127.0.0.1 {self.primary.port} 2\n"
                f"sentinel down-after-milliseconds {self.master_name} {self.down_after_ms}\n"
                f"sentinel failover-timeout {self.master_name} 5000\n"
            )
            self.sentinels.append(
                subprocess.Popen(
                    ["redis-server", str(conf), "--sentinel"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
        return self

    @staticmethod
    def _cli(port: int, *command: str) -> str:
        return subprocess.run(
            ["redis-cli", "-p", str(port), *command], capture_output=True, text=True, timeout=5
        ).stdout

    def _sentinel(self, port: int, *command: str) -> str:
        return self._cli(port, "sentinel", *command)

    def master_port(self) -> int | None:
        """The master's port as the first sentinel sees it."""
        lines = self._sentinel(self.sentinel_ports[0], "get-master-addr-by-name", self.master_name).split()
        return int(lines[1]) if len(lines) == 2 else None

    def ready(self, timeout: float = 30) -> "RedisSentinelSet":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = []
            for port in self.sentinel_ports:
                fields = self._sentinel(port, "master", self.master_name).split()
                states.append(dict(zip(fields[::2], fields[1::2], strict=False)))
            if all(s.get("num-slaves") == "1" and s.get("num-other-sentinels") == "2" for s in states):
                return self
            time.sleep(0.2)
        raise RuntimeError(f"the sentinels did not see the replica and each other in {timeout} s")

    def wait_failover(self, old_port: int, timeout: float = 30) -> int:
        """Wait until the sentinels name a new master; return its port."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            port = self.master_port()
            if port is not None and port != old_port:
                return port
            time.sleep(0.1)
        raise RuntimeError(f"no failover within {timeout} s")

    def stop(self) -> None:
        for process in self.sentinels:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
        self.sentinels = []
        self.replica.stop()
        self.primary.stop()


class TcpProxy:
    """A loopback TCP proxy that can be cut: stop() drops every connection, as a dead server would.

    With several targets it balances new connections round-robin and skips a
    target that refuses, like the nginx upstream in deploy/nginx.conf.
    """

    def __init__(self, *target_ports: int, port: int | None = None):
        self.targets = list(target_ports)
        self.turn = 0
        self.port = port or free_port()
        self.listener: socket.socket | None = None
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()

    def start(self) -> "TcpProxy":
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = self._connect_upstream()
            if upstream is None:
                client.close()
                continue
            with self.lock:
                self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _connect_upstream(self) -> socket.socket | None:
        for _ in range(len(self.targets)):
            self.turn = (self.turn + 1) % len(self.targets)
            try:
                return socket.create_connection(("127.0.0.1", self.targets[self.turn]), timeout=5)
            except OSError:
                continue
        return None

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        if self.listener is not None:
            # shutdown() first: on Linux a bare close() leaves a thread blocked
            # in accept() holding the socket open and listening.
            try:
                self.listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.listener.close()
            self.listener = None
        with self.lock:
            for s in self.connections:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self.connections = []
