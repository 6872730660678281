"""`make run`'s last step (tools/serve.sh): Daphne, the webhook worker and the notify loop start and stop together."""

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from events.models import Subscription
from tests.receiver import FakeReceiver
from tests.servers import free_port
from tests.servers import test_database_url as database_url
from tickets import services as svc

ROOT = Path(settings.BASE_DIR)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped) counts as gone.
    return "Z" not in Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0]


def children(pid: int) -> list[int]:
    """The Python processes the script started (not its `sleep`)."""
    out = subprocess.run(["ps", "-o", "pid=,comm=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if "python" in line or "daphne" in line]


def test_the_makefile_runs_the_serve_script():
    recipe = (ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "exec sh tools/serve.sh $(HOST) $(PORT)" in recipe


@pytest.mark.django_db(transaction=True)
def test_serve_starts_daphne_the_worker_and_the_notify_loop_and_stops_them_all(tmp_path, office, services):
    receiver = FakeReceiver().start()
    Subscription.objects.create(url=receiver.url, secret="x" * 16, events=["ticket.issued"])
    port = free_port()
    env = {
        **os.environ,
        "BIN": str(Path(os.sys.executable).parent),
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "queue_system.settings",
    }
    log = open(tmp_path / "serve.log", "ab")
    serve = subprocess.Popen(
        ["sh", "tools/serve.sh", "127.0.0.1", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    started = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.2)
        svc.ticket_issue(office=office, service=services["fl"])
        while not receiver.accepted():
            assert time.monotonic() < deadline + 20, "the worker sent nothing"
            time.sleep(0.1)
        started = children(serve.pid)
        assert len(started) == 3, started  # daphne, deliver_events, notify
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
        time.sleep(0.5)
        assert not [pid for pid in started if alive(pid)]
    finally:
        started = started or children(serve.pid)
        if serve.poll() is None:
            serve.kill()
        for pid in started:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        receiver.stop()
