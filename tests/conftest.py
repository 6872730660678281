"""Fixtures shared by the whole suite, and the rule that backend-specific tests fail instead of skipping in CI."""

import os
import shutil
import socket

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from offices.models import Counter, Membership, Office, Service

from .helpers import CHROMIUM, CHROMIUM_ARGS, add_counter, add_services, make_office, make_user, token_client

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
UNLIMITED = "100000/second"


def _db_vendor() -> str:
    return settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]


def _layer() -> str:
    return settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]


def _redis_reachable() -> bool:
    if not settings.REDIS_URL:
        return False
    from urllib.parse import urlparse

    url = urlparse(settings.REDIS_URL)
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379), timeout=1):
            return True
    except OSError:
        return False


REQUIREMENTS = {
    "postgres": (lambda: _db_vendor() == "postgresql", "needs PostgreSQL: set DATABASE_URL=postgres://…"),
    "redis": (_redis_reachable, "needs Redis: set REDIS_URL=redis://… to a running server"),
    "browser": (lambda: shutil.which(CHROMIUM) is not None, f"needs headless Chromium at {CHROMIUM}"),
    "nginx": (
        lambda: shutil.which("nginx", path="/usr/sbin:/usr/bin") is not None and shutil.which("openssl") is not None,
        "needs nginx and openssl (apt-get install nginx openssl)",
    ),
}


def pytest_report_header(config):
    return [f"database: {_db_vendor()}; channel layer: {_layer()}; REQUIRE_SERVICES={'1' if REQUIRE_SERVICES else '0'}"]


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"Tests ran on database {_db_vendor()} with channel layer {_layer()}.")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    # Playwright keeps an event loop running in the main thread from the first
    # browser test to the end of the session: run those tests last, so that no
    # ordinary or asyncio test ever runs under that loop.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def pytest_runtest_setup(item):
    for name, (available, reason) in REQUIREMENTS.items():
        if item.get_closest_marker(name) and not available():
            # In CI a missing backend is a failure, never a silent skip.
            if REQUIRE_SERVICES:
                pytest.fail(f"REQUIRE_SERVICES=1 but this test {reason}")
            pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_live_states():
    # Test databases reuse office ids; a live state kept from an earlier test must not pass for this one's.
    from django.core.cache import cache

    from tickets import live

    live._memo.clear()
    cache.clear()
    yield


@pytest.fixture
def office(db) -> Office:
    return make_office("main")


@pytest.fixture
def services(office) -> dict[str, Service]:
    return add_services(office)


@pytest.fixture
def counters(office, services) -> dict[str, Counter]:
    return {
        "1": add_counter(office, "1", [services["fl"]], [services["ul"]]),
        "2": add_counter(office, "2", [services["ul"]]),
        "3": add_counter(office, "3", [services["cash"]]),
    }


@pytest.fixture
def operator(django_user_model, office):
    return make_user(django_user_model, "op", office=office, role=Membership.Role.OPERATOR)


@pytest.fixture
def other_office(db) -> Office:
    office = make_office("other")
    add_services(office)
    return office


@pytest.fixture
def other_operator(django_user_model, other_office):
    return make_user(django_user_model, "op-other", office=other_office, role=Membership.Role.OPERATOR)


@pytest.fixture
def manager(django_user_model, office):
    return make_user(django_user_model, "mgr", office=office, role=Membership.Role.MANAGER)


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def op_client(operator) -> APIClient:
    return token_client(operator)


def pytest_configure(config):
    # The live server's listen backlog is 10 by default: the concurrency tests
    # open dozens of connections at once, and the kernel would reset the rest.
    from django.core.servers import basehttp

    basehttp.WSGIServer.request_queue_size = 256
    # Hashing passwords at full strength costs ~0.3 s per user; tests create many.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests issue hundreds of tickets from one address; the limits have their own tests.
    settings.REMOTE_TICKETS_PER_CLIENT = settings.REMOTE_TICKETS_PER_OFFICE = UNLIMITED
    settings.TICKET_CANCELS_PER_CLIENT = UNLIMITED
    settings.FEEDBACK_PER_CLIENT = UNLIMITED


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, django_db_setup):
    # Debian's Chromium: Playwright must never download a browser of its own.
    # Requesting django_db_setup here creates the test database before
    # Playwright starts its event loop, in which the ORM would refuse to run.
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def allow_orm_in_browser_tests(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM refuses
    # to run there unless told that this test thread is safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def daphne(allow_orm_in_browser_tests, transactional_db, tmp_path):
    """Start Daphne processes on the test database; all are stopped after the test."""
    from tests.servers import DaphneServer

    started = []

    def start(**kwargs) -> DaphneServer:
        server = DaphneServer(log_dir=tmp_path, **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def private_redis():
    """A redis-server of the test's own, on a free loopback port, to stop and start."""
    from tests.servers import RedisServer

    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is needed to stop and start Redis in a test")
    server = RedisServer().start()
    yield server
    server.stop()
