"""Who may do what: every API endpoint, WebSocket and page against every kind of actor.

One table, one test: each cell is the status (or WebSocket close code) that
actor must get. A staff action that is allowed but makes no sense for the
ticket's state answers 409, which proves the permission check passed.
"""

import pytest
from asgiref.sync import async_to_sync
from axes.utils import reset as axes_reset
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from offices.groups import grant_manager_admin
from offices.models import KioskDevice, Membership
from queue_system.asgi import application
from tests.helpers import add_counter, add_services, make_office, make_user, token_client
from tickets import services as svc

ACTORS = ["anonymous", "kiosk", "operator", "operator_other", "manager", "manager_other", "company_manager", "admin"]
OK = "open"  # a WebSocket that stays open with a snapshot

#            anon  kiosk  op    op2   mgr   mgr2  boss  admin
PUBLIC = [200] * 8
STAFF_READ = [401, 401, 200, 403, 200, 403, 200, 200]
OPERATE = [401, 401, 200, 403, 403, 403, 403, 200]
REPORTS = [401, 401, 403, 403, 200, 403, 200, 200]
REPORTS_ANY = [401, 401, 403, 403, 200, 200, 200, 200]
PAGE_STAFF = [302, 302, 200, 200, 200, 200, 200, 200]
# The admin by id, for objects of office main: its manager (with admin access), an admin; a manager of
# another office (with admin access too) is told it does not exist; everyone else is sent to sign in.
ADMIN_OF_MAIN = [302, 302, 302, 302, 200, 404, 302, 200]

API = [
    # (name, method, path, body, expected per actor)
    ("offices", "get", "/api/v1/offices/", None, PUBLIC),
    ("office", "get", "/api/v1/offices/main/", None, PUBLIC),
    ("queue", "get", "/api/v1/offices/main/queue/", None, PUBLIC),
    ("load", "get", "/api/v1/offices/main/load/", None, PUBLIC),
    ("forecast", "get", "/api/v1/offices/main/forecast/", None, STAFF_READ),
    ("issue", "post", "/api/v1/offices/main/tickets/", {"service": "fl"}, [403, 201, 201, 403, 201, 403, 201, 201]),
    ("today's tickets", "get", "/api/v1/offices/main/tickets/today/", None, STAFF_READ),
    ("track", "get", "/api/v1/tickets/{token}/", None, PUBLIC),
    ("give up (client)", "delete", "/api/v1/tickets/{token}/", None, PUBLIC),
    ("counter", "get", "/api/v1/counters/{cash_counter}/", None, STAFF_READ),
    ("call next", "post", "/api/v1/counters/{cash_counter}/call-next/", None, [401, 401, 204, 403, 403, 403, 403, 204]),
    # Opening stays with the operators; managers close a counter or send it to a break (rows at the end).
    ("counter state", "post", "/api/v1/counters/{cash_counter}/state/", {"state": "open"}, OPERATE),
    ("counter workplace", "get", "/api/v1/counters/{cash_counter}/workplace/", None, OPERATE),
    # A ticket that does not exist: 404 proves the permission check passed.
    (
        "call chosen",
        "post",
        "/api/v1/counters/{cash_counter}/call/",
        {"ticket": 999999},
        [401, 401, 404, 403, 403, 403, 403, 404],
    ),
    ("recall", "post", "/api/v1/tickets/{ticket}/recall/", None, [401, 401, 409, 403, 403, 403, 403, 409]),
    ("start", "post", "/api/v1/tickets/{ticket}/start/", None, [401, 401, 409, 403, 403, 403, 403, 409]),
    ("finish", "post", "/api/v1/tickets/{ticket}/finish/", None, [401, 401, 409, 403, 403, 403, 403, 409]),
    ("no-show", "post", "/api/v1/tickets/{ticket}/no-show/", None, [401, 401, 409, 403, 403, 403, 403, 409]),
    ("postpone", "post", "/api/v1/tickets/{ticket}/postpone/", None, [401, 401, 409, 403, 403, 403, 403, 409]),
    (
        "postpone to the pool",
        "post",
        "/api/v1/tickets/{ticket}/postpone/",
        {"minutes": 5},
        [401, 401, 409, 403, 403, 403, 403, 409],
    ),
    (
        "transfer",
        "post",
        "/api/v1/tickets/{ticket}/transfer/",
        {"service": "ul"},
        [401, 401, 409, 403, 403, 403, 403, 409],
    ),
    (
        "transfer to a counter",
        "post",
        "/api/v1/tickets/{ticket}/transfer/",
        {"to_counter": "{counter}", "note": "Заметка"},
        [401, 401, 409, 403, 403, 403, 403, 409],
    ),
    ("cancel", "post", "/api/v1/tickets/{ticket}/cancel/", None, [401, 401, 200, 403, 200, 403, 200, 200]),
    ("token", "post", "/api/v1/auth/token/", {"username": "nobody", "password": "x"}, [401] * 8),
    ("revoke token", "delete", "/api/v1/auth/token/", None, [401, 401, 204, 204, 204, 204, 204, 204]),
    ("report: office", "get", "/api/v1/reports/service-times/?year=2024&office=main", None, REPORTS),
    ("report: mine", "get", "/api/v1/reports/service-times/?year=2024", None, REPORTS_ANY),
    ("report: channels", "get", "/api/v1/reports/channels/?year=2024&office=main", None, REPORTS),
    ("report: personal cabinet", "get", "/api/v1/reports/personal-account/?year=2024", None, REPORTS_ANY),
    ("report: contact centre", "get", "/api/v1/reports/contact-center/?year=2024", None, REPORTS_ANY),
    ("schema", "get", "/api/schema/", None, PUBLIC),
    ("health", "get", "/healthz", None, PUBLIC),
    # Last two: they pause and close the cash counter, which the rows above expect open.
    (
        "counter break",
        "post",
        "/api/v1/counters/{cash_counter}/state/",
        {"state": "break", "reason": "lunch"},
        STAFF_READ,
    ),
    ("remote close", "post", "/api/v1/counters/{cash_counter}/remote/", {"state": "closed"}, REPORTS),
]

PAGES = [
    ("home", "/", PUBLIC),
    ("sign in", "/login/", PUBLIC),
    ("API docs", "/api/docs/", PUBLIC),
    ("kiosk", "/kiosk/main/", PUBLIC),
    ("display", "/display/main/", PUBLIC),
    ("tracking", "/t/{token}/", PUBLIC),
    ("QR code", "/t/{token}/qr.svg", PUBLIC),
    ("unknown pairing link", "/kiosk/pair/used-or-unknown/", [404] * 8),
    ("counter list", "/operator/", PAGE_STAFF),
    ("workplace", "/operator/{counter}/", [302, 302, 200, 403, 403, 403, 403, 200]),
    ("monitor", "/monitor/", [302, 302, 403, 403, 200, 200, 200, 200]),
    ("reports", "/reports/?year=2024", [302, 302, 403, 403, 200, 200, 200, 200]),
    ("disclosure", "/reports/disclosure/2024/", [302, 302, 403, 403, 200, 200, 200, 200]),
    ("forecast", "/reports/forecast/?office=main", [302, 302, 200, 403, 200, 403, 200, 200]),
    ("forecast of the own offices", "/reports/forecast/", [302, 302, 200, 200, 200, 200, 200, 200]),
    ("load list", "/load/", PUBLIC),
    ("load", "/load/main/", PUBLIC),
    ("admin", "/admin/", [302, 302, 302, 302, 200, 200, 302, 200]),
    ("admin: office", "/admin/offices/office/{office}/change/", ADMIN_OF_MAIN),
    ("admin: counter", "/admin/offices/counter/{counter}/change/", ADMIN_OF_MAIN),
    ("admin: service", "/admin/offices/service/{service}/change/", ADMIN_OF_MAIN),
    ("admin: kiosk and its pairing link", "/admin/offices/kioskdevice/{kiosk}/change/", ADMIN_OF_MAIN),
    ("admin: operator's account", "/admin/auth/user/{operator}/change/", ADMIN_OF_MAIN),
    ("admin: operator's password", "/admin/auth/user/{operator}/password/", ADMIN_OF_MAIN),
]

SOCKETS = [
    ("display socket", "/ws/offices/main/display/", [OK] * 8),
    ("operators socket", "/ws/offices/main/operators/", [4401, 4401, OK, 4403, OK, 4403, OK, OK]),
    ("tracking socket", "/ws/tickets/{token}/", [OK] * 8),
    ("monitor socket", "/ws/offices/main/monitor/", [4401, 4401, 4403, 4403, OK, 4403, OK, OK]),
    ("unknown office socket", "/ws/offices/nowhere/display/", [4404] * 8),
]


@pytest.fixture
def world(django_user_model):
    office = make_office("main", remote_tickets=False)
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]])
    cash_counter = add_counter(office, "2", [services["cash"]])
    other = make_office("other", remote_tickets=False)
    add_services(other)
    users = {
        "operator": make_user(django_user_model, "m-op", office=office, role=Membership.Role.OPERATOR),
        "operator_other": make_user(django_user_model, "m-op2", office=other, role=Membership.Role.OPERATOR),
        "manager": make_user(django_user_model, "m-mgr", office=office, role=Membership.Role.MANAGER),
        "manager_other": make_user(django_user_model, "m-mgr2", office=other, role=Membership.Role.MANAGER),
        "company_manager": make_user(django_user_model, "m-boss", role=Membership.Role.MANAGER),
        "admin": make_user(django_user_model, "m-admin", is_superuser=True, is_staff=True),
    }
    # Office managers set up their offices in the admin (offices/groups.py); the company-wide one does not here.
    grant_manager_admin(users["manager"])
    grant_manager_admin(users["manager_other"])
    device = KioskDevice.objects.create(office=office, name="Киоск")
    kiosk = Client()
    kiosk.post(f"/kiosk/pair/{device.pairing_code}/")
    # A second kiosk, not yet paired: its page shows the pairing link and QR code.
    KioskDevice.objects.create(office=office, name="Новый киоск")
    return office, services, counter, cash_counter, users, kiosk.cookies["kiosk_device"].value


def fill(path: str, values: dict) -> str:
    return path.format(**values)


def fill_body(body, values: dict):
    """A body whose "{name}" strings stand for ids of the world."""
    if not isinstance(body, dict):
        return body
    return {k: int(fill(v, values)) if isinstance(v, str) and v.startswith("{") else v for k, v in body.items()}


def api_client(actor, users, kiosk_cookie):
    client = APIClient()
    if actor == "kiosk":
        client.cookies["kiosk_device"] = kiosk_cookie
    elif actor in users:
        client = token_client(users[actor])
    return client


def page_client(actor, users, kiosk_cookie):
    client = Client()
    if actor == "kiosk":
        client.cookies["kiosk_device"] = kiosk_cookie
    elif actor in users:
        client.force_login(users[actor])
    return client


async def socket_outcome(path: str, cookies: str):
    headers = [(b"origin", b"http://127.0.0.1")] + ([(b"cookie", cookies.encode())] if cookies else [])
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    first = await communicator.receive_json_from(timeout=5)
    if first["type"] == "snapshot":
        outcome = OK
    else:
        outcome = (await communicator.receive_output(timeout=5))["code"]
    await communicator.disconnect()
    return outcome


@pytest.mark.django_db(transaction=True)
def test_every_endpoint_socket_and_page_answers_each_actor_as_the_matrix_says(world):
    office, services, counter, cash_counter, users, kiosk_cookie = world
    mismatches = []
    cells = 0
    for name, method, path, body, expected in API:
        for actor, status in zip(ACTORS, expected, strict=True):
            axes_reset()  # the sign-in lockout counts failures across cells
            cache.clear()
            # A fresh waiting ticket per cell, so that one actor's action never shapes the next cell.
            ticket = svc.ticket_issue(office=office, service=services["fl"])
            values = {
                "token": ticket.token,
                "ticket": ticket.pk,
                "cash_counter": cash_counter.pk,
                "counter": counter.pk,
            }
            client = api_client(actor, users, kiosk_cookie)
            response = getattr(client, method)(fill(path, values), fill_body(body, values), format="json")
            cells += 1
            if response.status_code != status:
                mismatches.append(f"API {name} as {actor}: {response.status_code}, expected {status}")
            elif status >= 400:
                assert response.json()["error"]["code"], (name, actor)
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    values = {
        "token": ticket.token,
        "ticket": ticket.pk,
        "cash_counter": cash_counter.pk,
        "counter": counter.pk,
        "office": office.pk,
        "service": services["fl"].pk,
        "kiosk": KioskDevice.objects.get(name="Новый киоск").pk,
        "operator": users["operator"].pk,
    }
    pairing_link = KioskDevice.objects.get(name="Новый киоск").pairing_code
    for name, path, expected in PAGES:
        for actor, status in zip(ACTORS, expected, strict=True):
            response = page_client(actor, users, kiosk_cookie).get(fill(path, values))
            cells += 1
            if response.status_code != status:
                mismatches.append(f"page {name} as {actor}: {response.status_code}, expected {status}")
            elif status != 200 and pairing_link in response.content.decode(errors="replace"):
                mismatches.append(f"page {name} as {actor}: a refusal that shows the pairing link")
    for name, path, expected in SOCKETS:
        for actor, outcome in zip(ACTORS, expected, strict=True):
            client = page_client(actor, users, kiosk_cookie)
            cookies = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())
            got = async_to_sync(socket_outcome)(fill(path, values), cookies)
            cells += 1
            if got != outcome:
                mismatches.append(f"socket {name} as {actor}: {got}, expected {outcome}")
    assert mismatches == []
    assert cells == (len(API) + len(PAGES) + len(SOCKETS)) * len(ACTORS)
