"""Every URL pattern and every socket route, walked with hostile values: never a 5xx, never a traceback.

The routes come from the URL resolver and from displays.routing, so a route
added later is walked without editing this test. Each parameter of a route is
filled with each hostile value, and every request also carries the hostile
value in the query parameters the product reads. The requests go through the
in-process clients (Django's test client, Channels' communicator).
"""

import contextlib
from collections import Counter as Tally
from urllib.parse import quote, urlencode

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.regex_helper import normalize

from displays.routing import websocket_urlpatterns
from offices.models import Counter
from queue_system.asgi import application
from tests.helpers import add_counter, add_services, make_office, make_user
from tickets import services as svc
from tickets.models import Ticket

pytestmark = pytest.mark.postgres  # NUL and friends break PostgreSQL, not SQLite: CI runs this on PostgreSQL.

HOSTILE = {
    "nul": "\x00",
    "long": "x" * 10_000,
    "arabic_digits": "١٢٣",
    "negative": "-1",
    "huge": "99999999999999999999",
    "dotdot": "..",
    # A lone UTF-16 surrogate, alone and as a suffix: sent as its UTF-8 bytes, percent-encoded.
    "surrogate": "\udc00",
    "surrogate_suffix": "1\ud800",
}
# Query parameters some view reads; every request carries them all.
QUERY_KEYS = ["office", "year", "format", "channel", "next", "page"]
# Every field name an API body has, for the walk's hostile bodies: a JSON integer past any
# column's range, and a NUL in a string (tests/hardening/test_hostile_bodies.py goes field by field).
BODY_KEYS = [
    "service", "priority", "counter", "minutes", "to_counter", "to_operator", "note", "position", "ticket",
    "state", "reason", "close_others", "username", "password",
]  # fmt: skip
# Lone surrogates go as JSON escapes ("\udc00"), which json.loads accepts.
HOSTILE_BODIES = {
    "huge integers": 2**70,
    "NUL strings": "\x00",
    "surrogates": "\udc00",
    "surrogate suffixes": "open\udc00",
}
NESTED_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000
NESTED_ARRAY = "[" * 100_000
ORIGIN = (b"origin", b"http://127.0.0.1")


def routes(patterns, prefix: str = "", params: tuple = ()) -> list[tuple[str, tuple]]:
    """(format string, parameter names) for every URL pattern under these patterns."""
    found = []
    for pattern in patterns:
        fmt, names = normalize(pattern.pattern.regex.pattern)[0]
        if isinstance(pattern, URLResolver):
            found += routes(pattern.url_patterns, prefix + fmt, params + tuple(names))
        elif isinstance(pattern, URLPattern):
            found.append((prefix + fmt, params + tuple(names)))
    return sorted(set(found))


def encoded(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def fill(fmt: str, names: tuple, value: str) -> str:
    return "/" + fmt % {name: encoded(value) for name in names}


@pytest.fixture
def world(django_user_model):
    office = make_office("main")
    services = add_services(office)
    add_counter(office, "1", [services["fl"]])
    make_user(django_user_model, "op", office=office, role="operator")
    svc.ticket_issue(office=office, service=services["fl"])
    return django_user_model.objects.create_superuser("root", password="pass-12345")


# transaction=True: /healthz checks the database from another thread.
@pytest.mark.django_db(transaction=True)
def test_every_url_pattern_answers_hostile_values_without_a_server_error(world):
    anonymous = Client(raise_request_exception=False)
    staff = Client(raise_request_exception=False)
    table: Tally = Tally()
    failed: Tally = Tally()
    failures = []
    all_routes = routes(get_resolver().url_patterns)
    counter_pk, ticket_pk = Counter.objects.get().pk, Ticket.objects.get().pk
    assert len(all_routes) > 50  # the admin, the API and the pages are all there

    def check(kind: str, response, path: str) -> None:
        table[kind] += 1
        body = response.content[:2000]
        if response.status_code >= 500 or b"Traceback" in body:
            failed[kind] += 1
            failures.append(f"{kind} {path[:120]!r}: {response.status_code} {body[:200]!r}")
        elif path.startswith("/api/v1/") and response.status_code >= 400:
            if response.get("Content-Type", "").split(";")[0] != "application/json" or "error" not in response.json():
                failed[kind] += 1
                failures.append(f"{kind} {path[:120]!r}: {response.status_code} without the JSON error body")

    for fmt, names in all_routes:
        # A walk through /admin/logout/ signs the staff client out: sign in for every route.
        staff.force_login(world)
        behind_sign_in = False
        for name, value in HOSTILE.items():
            path = fill(fmt, names, value)
            url = f"{path}?{urlencode(dict.fromkeys(QUERY_KEYS, value), errors='surrogatepass')}"
            check(f"GET staff, {name}", staff.get(url), path)
            if not behind_sign_in:
                response = anonymous.get(url)
                check(f"GET anonymous, {name}", response, path)
                # The sign-in wall answers every other value the same way: one is enough.
                behind_sign_in = response.status_code == 302 and "login/?next=" in response["Location"]
        if fmt.startswith("api/"):
            # The API's DELETEs (a client giving up a ticket by its token, signing out of the API).
            for name, value in HOSTILE.items():
                path = fill(fmt, names, value)
                check(f"DELETE anonymous, {name}", anonymous.delete(path), path)
            # "1", and the world's own counter or ticket: a body must get past the lookup to be read.
            own = counter_pk if fmt.startswith("api/v1/counters/") else ticket_pk
            for path in sorted({fill(fmt, names, "1"), fill(fmt, names, str(own))}):
                for name, value in HOSTILE_BODIES.items():
                    body = dict.fromkeys(BODY_KEYS, value)
                    check(f"POST staff, {name}", staff.post(path, body, content_type="application/json"), path)
        path = fill(fmt, names, "1")
        check(
            "POST anonymous, nested object", anonymous.post(path, NESTED_OBJECT, content_type="application/json"), path
        )
        check("POST staff, nested array", staff.post(path, NESTED_ARRAY, content_type="application/json"), path)
    print(f"\nHTTP: {len(all_routes)} routes, {sum(table.values())} requests")
    for kind, count in sorted(table.items()):
        print(f"  {kind}: {count} requests, {failed[kind]} failed")
    assert not failures, "\n".join(failures[:30])
    # 3006 with pre-booking, webhooks and the outcome report; 3507 with feedback, notifications,
    # the analytics reports, the forecast and the public load page.
    assert sum(table.values()) <= 4000


async def socket_outcome(path: str, *headers) -> str:
    """'refused' (Daphne: 403), 'closed 4xxx' or 'open'; an open socket also gets nested JSON and garbage."""
    communicator = WebsocketCommunicator(application, path, headers=[ORIGIN, *headers])
    try:
        connected, code = await communicator.connect(timeout=5)
        if not connected:
            return "refused"
        for text in ("[" * 1000, '{"type":' * 200, "\x00", "x" * 100_000):
            await communicator.send_to(text_data=text)
        while True:
            message = await communicator.receive_output(timeout=1)
            if message["type"] == "websocket.close":
                return f"closed {message.get('code')}"
    except TimeoutError:
        return "open"
    except Exception as error:  # the stack crashed: Daphne would have answered 500 or dropped the socket
        return f"crash: {type(error).__name__}"
    finally:
        with contextlib.suppress(Exception):  # after a crash, disconnect re-raises it
            await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_every_socket_route_refuses_hostile_values_without_a_server_error(world):
    cookie = await database_sync_to_async(_session_cookie)(world)
    socket_routes = routes(websocket_urlpatterns)
    paths = [fill(fmt, names, value) for fmt, names in socket_routes for value in HOSTILE.values()]
    paths += ["/ws/x/", "/ws/offices/../admin/display/", "/ws/", "/ws/offices/main/display/../../x/"]
    table: Tally = Tally()
    for path in paths:
        for who, headers in (("anonymous", ()), ("staff", (cookie,))):
            table[f"{who}: {await socket_outcome(path, *headers)}"] += 1
    print(f"\nWebSocket: {len(socket_routes)} routes, {len(paths) * 2} handshakes: {dict(table)}")
    assert sum(table.values()) == len(paths) * 2
    assert set(table) <= {
        f"{who}: {outcome}" for who in ("anonymous", "staff") for outcome in ("refused", "closed 4404")
    }


def _session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())
