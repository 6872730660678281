"""The one long test: screens left idle on Redis for longer than any timeout keep their sockets."""

import json
import time

import httpx
import pytest
from django.test import Client
from websockets.sync.client import connect

from offices.models import Membership
from tests.helpers import add_counter, add_services, make_office, make_user, next_of_type, token_client

pytestmark = pytest.mark.redis

# Longer than the Redis socket timeout that once killed idle consumers (5 s in
# redis-py 8), than channels-redis' blocking read (5 s) and than nginx's
# default proxy_read_timeout (60 s).
IDLE_SECONDS = 65


def test_idle_display_operator_and_phone_sockets_survive_65_seconds_and_get_the_next_event(daphne, django_user_model):
    office = make_office("idle")
    services = add_services(office)
    counter = add_counter(office, "4", [services["fl"]])
    operator = make_user(django_user_model, "idle-op", office=office, role=Membership.Role.OPERATOR)
    auth = {"Authorization": token_client(operator)._credentials["HTTP_AUTHORIZATION"]}
    server = daphne()
    ws = server.url.replace("http://", "ws://")
    issued = httpx.post(f"{server.url}/api/v1/offices/idle/tickets/", json={"service": "fl"}, headers=auth, timeout=10)
    assert issued.status_code == 201
    browser = Client()
    browser.force_login(operator)
    session = f"sessionid={browser.cookies['sessionid'].value}"

    origin = {"Origin": "http://127.0.0.1"}
    # Raw clients that send nothing at all, not even protocol pings.
    quiet = {"ping_interval": None, "open_timeout": 10}
    with (
        connect(f"{ws}/ws/offices/idle/display/", additional_headers=origin, **quiet) as display,
        connect(f"{ws}/ws/offices/idle/operators/", additional_headers={**origin, "Cookie": session}, **quiet) as staff,
        connect(f"{ws}/ws/tickets/{issued.json()['token']}/", additional_headers=origin, **quiet) as phone,
    ):
        for socket in (display, staff, phone):
            assert json.loads(socket.recv(timeout=10))["type"] == "snapshot"

        time.sleep(IDLE_SECONDS)

        called = httpx.post(f"{server.url}/api/v1/counters/{counter.pk}/call-next/", headers=auth, timeout=10)
        assert called.status_code == 200
        for socket in (display, staff):
            message = next_of_type(socket, "ticket.called", timeout=10)
            assert (message["ticket"], message["counter"]) == (issued.json()["number"], "4")
        assert next_of_type(phone, "ticket.status", timeout=10)["status"] == "called"
    log = server.log_path.read_text()
    assert "TimeoutError" not in log and "Traceback" not in log, log
