"""The production topology without Docker: deploy/nginx.conf in front of two Daphne processes.

nginx (from apt) runs the project's own ``deploy/nginx.conf``, wrapped in a
test ``http {}`` block, with its ports, upstream addresses and paths replaced
by free loopback ports and temporary files. The two Daphne processes get the
environment and command that ``docker-compose.yml`` gives web1 and web2, with
the test database and Redis. Used by tests/topology/ and bench/workday.py.

Distinct real clients are distinct loopback source addresses (127.0.0.2,
127.0.0.3, …): nginx reports each one in X-Forwarded-For.
"""

import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml
from django.conf import settings
from websockets.sync.client import connect

from tests.servers import DaphneServer, EventWorker, free_port

ROOT = Path(settings.BASE_DIR)
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
COMPOSE_COMMAND = [
    "daphne", "-e", "tcp:port=8000:interface=0.0.0.0:backlog=2048", "--websocket_connect_timeout", "120", "-v", "0",
    "queue_system.asgi:application",
]  # fmt: skip
COMPOSE_ENDPOINT = "tcp:port=8000:interface=0.0.0.0"


def nginx_available() -> bool:
    return os.access(NGINX, os.X_OK) and os.access(OPENSSL, os.X_OK)


def client_address(n: int) -> str:
    """The n-th distinct client (n >= 1): 127.0.0.2, 127.0.0.3, …"""
    if not 1 <= n <= 250:
        raise ValueError("loopback clients are numbered 1..250")
    return f"127.0.0.{n + 1}"


def make_certificate(directory: Path) -> Path:
    """A self-signed certificate for 127.0.0.1, named as docker-compose.yml mounts it."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", directory / "privkey.pem", "-out", directory / "fullchain.pem"],
        check=True, capture_output=True,
    )  # fmt: skip
    return directory


def collect_static(directory: Path) -> Path:
    """What the compose file's migrate service leaves in the static volume."""
    script = (
        "import sys, django; django.setup(); from django.conf import settings; settings.STATIC_ROOT = sys.argv[1]; "
        "from django.core.management import call_command; call_command('collectstatic', interactive=False, verbosity=0)"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(directory)],
        cwd=ROOT, check=True, capture_output=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "queue_system.settings"},
    )  # fmt: skip
    return directory


def compose_web_environment(**overrides: str) -> dict[str, str]:
    """web1's environment in docker-compose.yml, with ${VAR:-default}, ${VAR-default} and ${VAR:?} resolved.

    The command must be the one this module runs, so a change to either shows up here.
    """
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in ("web1", "web2"):
        assert compose["services"][name]["command"] == COMPOSE_COMMAND, f"{name}'s command changed"
    env = {}
    for key, value in compose["services"]["web1"]["environment"].items():
        value = str(value)
        match = re.fullmatch(r"\$\{(\w+)(?::?-(.*)|:\?.*)\}", value)
        if match:
            value = overrides.get(match[1], os.environ.get(match[1], match[2] or ""))
        env[key] = value
    env.update(overrides)
    return env


def nginx_config(*, prefix: Path, http_port: int, https_port: int, upstreams: list[int], certs: Path, static: Path):
    """deploy/nginx.conf inside a test http {} block; every replacement must match (the upstreams twice)."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    replacements = [
        ("server web1:8000", f"server 127.0.0.1:{upstreams[0]}"),
        ("server web2:8000", f"server 127.0.0.1:{upstreams[1]}"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;"),
        ("/etc/nginx/certs/fullchain.pem", str(certs / "fullchain.pem")),
        ("/etc/nginx/certs/privkey.pem", str(certs / "privkey.pem")),
        ("alias /app/staticfiles/;", f"alias {static}/;"),
    ]
    for old, new in replacements:
        expected = 2 if old.startswith("server web") else 1  # the page and the WebSocket groups
        assert conf.count(old) == expected, f"deploy/nginx.conf: expected {old!r} {expected} times"
        conf = conf.replace(old, new)
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # Workers of a root master run as nobody, who cannot read pytest's private temp folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {prefix / "access.log"};
{temp}
{conf}
}}
"""


class NginxServer:
    def __init__(self, *, prefix: Path, upstreams: list[int], certs: Path, static: Path):
        self.prefix = prefix
        self.http_port, self.https_port = free_port(), free_port()
        self.config = prefix / "nginx.conf"
        prefix.mkdir(parents=True, exist_ok=True)
        self.config.write_text(
            nginx_config(
                prefix=prefix, http_port=self.http_port, https_port=self.https_port,
                upstreams=upstreams, certs=certs, static=static,
            )
        )  # fmt: skip
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 10) -> "NginxServer":
        log = open(self.prefix / "nginx.out", "ab")  # noqa: SIM115 - the child writes to it
        self.process = subprocess.Popen(
            [NGINX, "-c", str(self.config), "-p", str(self.prefix), "-g", "daemon off;"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {(self.prefix / 'nginx.out').read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.https_port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nginx did not start")

    def pids(self) -> list[int]:
        """The master and its workers."""
        if self.process is None:
            return []
        workers = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:  # the parent's pid
                workers.append(int(stat.parent.name))
        return [self.process.pid, *workers]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # fast shutdown of master and workers
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def compose_command(port: int) -> list[str]:
    """web1's command, listening on 127.0.0.1:port."""
    endpoint = f"tcp:port={port}:interface=127.0.0.1"
    arguments = [a.replace(COMPOSE_ENDPOINT, endpoint) for a in COMPOSE_COMMAND[1:]]
    assert any(endpoint in a for a in arguments), f"docker-compose.yml: expected {COMPOSE_ENDPOINT!r} in the command"
    return [sys.executable, "-m", "daphne", *arguments]


class Topology:
    """nginx with TLS in front of two Daphne processes configured as docker-compose.yml configures them
    (``processes``: another number of them, for a bench)."""

    def __init__(
        self,
        *,
        workdir: Path,
        certs: Path,
        static: Path,
        database_url: str,
        redis_url: str,
        processes: int = 2,
        **env: str,
    ):
        self.workdir = workdir
        self.certs, self.static = certs, static
        environment = compose_web_environment(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            DJANGO_SECRET_KEY="topology-tests-only-" + "x" * 40,
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            **env,
        )
        self.daphnes = [DaphneServer(log_dir=workdir, command=compose_command, **environment) for _ in range(processes)]
        # docker-compose.yml's events service: the webhook worker beside the web processes.
        self.worker = EventWorker(log_dir=workdir, **environment)
        self.nginx: NginxServer | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.nginx.https_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.nginx.http_port}"

    @property
    def ws_url(self) -> str:
        return f"wss://127.0.0.1:{self.nginx.https_port}"

    def start(self) -> "Topology":
        self.worker.start()
        for daphne in self.daphnes:
            daphne.launch()
        for daphne in self.daphnes:
            daphne.wait_ready()
        self.nginx = NginxServer(
            prefix=self.workdir / "nginx",
            upstreams=[d.port for d in self.daphnes],
            certs=self.certs,
            static=self.static,
        ).start()
        return self

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
        for daphne in self.daphnes:
            daphne.stop()
        self.worker.stop()

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.certs / "fullchain.pem"))
        # The certificate names the production host (the README's example);
        # the tests reach the same nginx as 127.0.0.1.
        context.check_hostname = False
        return context

    def client(self, n: int = 1, **kwargs) -> httpx.Client:
        """An HTTPS client as the n-th distinct real client."""
        transport = httpx.HTTPTransport(local_address=client_address(n), verify=self.ssl_context())
        return httpx.Client(base_url=self.url, transport=transport, timeout=kwargs.pop("timeout", 15), **kwargs)

    def websocket(self, path: str, n: int = 1, **kwargs):
        """A wss connection through nginx as the n-th distinct real client."""
        return connect(
            self.ws_url + path,
            ssl=self.ssl_context(),
            source_address=(client_address(n), 0),
            additional_headers={"Origin": self.url, **kwargs.pop("headers", {})},
            open_timeout=10,
            **kwargs,
        )
