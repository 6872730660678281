"""Helpers the tests import: building offices, services, counters and users, API clients, browser utilities.

Fixtures stay in conftest.py; these are plain functions and classes, so test
modules import them from here rather than from conftest.
"""

import json
import threading
from datetime import time

from django.db import connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from offices.models import Counter, Membership, Office, OfficeHours, Service

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def make_office(
    code: str = "main", *, all_day: bool = True, stop_issuing_minutes: int = 0, remote_tickets: bool = True, **fields
) -> Office:
    # Test offices accept tickets from any client unless a test says otherwise;
    # kiosk pairing and its refusals have their own tests.
    office = Office.objects.create(
        code=code,
        name=fields.pop("name", f"ЦОК {code}"),
        stop_issuing_minutes=stop_issuing_minutes,
        remote_tickets=remote_tickets,
        **fields,
    )
    if all_day:
        for weekday in range(7):
            OfficeHours.objects.create(office=office, weekday=weekday, opens=time(0, 0), closes=time(0, 0))
    return office


def add_services(office: Office) -> dict[str, Service]:
    return {
        "fl": Service.objects.create(
            office=office, code="fl", name="Физические лица", prefix="А", channel="individuals", kiosk_order=1
        ),
        "ul": Service.objects.create(
            office=office, code="ul", name="Юридические лица", prefix="Б", channel="legal_entities", kiosk_order=2
        ),
        "cash": Service.objects.create(
            office=office, code="cash", name="Касса", prefix="К", channel="cashier", kiosk_order=3
        ),
    }


def add_counter(office: Office, number: str, services, backup=(), state=Counter.State.OPEN) -> Counter:
    counter = Counter.objects.create(office=office, number=number, state=state)
    counter.services.set(services)
    counter.backup_services.set(backup)
    return counter


def make_user(django_user_model, username: str, *, office: Office | None = None, role: str | None = None, **extra):
    user = django_user_model.objects.create_user(username=username, password="pass-12345", **extra)
    if role:
        Membership.objects.create(user=user, office=office, role=role)
    return user


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


class ConsoleErrors:
    """Collects console errors and page exceptions of a Playwright page."""

    def __init__(self, page, ignore=()):
        self.errors = []
        self.ignore = list(ignore)
        page.on("console", lambda msg: msg.type == "error" and self._add(msg.text))
        page.on("pageerror", lambda exc: self._add(f"pageerror: {exc}"))
        page.on("response", lambda r: r.status >= 400 and self._add(f"HTTP {r.status} {r.url}"))

    def _add(self, text):
        if not any(pattern in text for pattern in self.ignore):
            self.errors.append(text)


def wait_for(page, expression: str, timeout: float = 5000) -> None:
    """page.wait_for_function without its in-page eval, which the pages' CSP refuses
    ('unsafe-eval'): poll page.evaluate, which runs through the debugging protocol."""
    import time

    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} ms waiting for {expression}")
        page.wait_for_timeout(50)


def sign_in(context, server, user) -> None:
    """Give a Playwright browser context the session of a signed-in user."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server.url}])


# WebSockets: the in-process communicator for consumer tests, and a raw client's reader for live servers.
ORIGIN = (b"origin", b"http://127.0.0.1")


async def connect_screen(path: str, *headers):
    from channels.testing import WebsocketCommunicator

    from queue_system.asgi import application

    communicator = WebsocketCommunicator(application, path, headers=[ORIGIN, *headers])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def receive_type(communicator, message_type: str, timeout: float = 3) -> dict:
    """The next message of this type; other types on the way are skipped."""
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        if message["type"] == message_type:
            return message


def next_of_type(socket, message_type: str, timeout: float = 5) -> dict:
    """The same for a websockets client socket."""
    while True:
        message = json.loads(socket.recv(timeout=timeout))
        if message["type"] == message_type:
            return message


def in_thread(work):
    """Run ``work`` in a thread on a database connection of its own: (thread, result), where
    the result dict gets ``value`` or ``error`` once the thread ends."""
    result = {}

    def run():
        try:
            result["value"] = work()
        except Exception as error:  # noqa: BLE001 - handed to the test, which asserts on it
            result["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result
