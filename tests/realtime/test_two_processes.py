"""Two Daphne processes sharing Redis: an event committed in one reaches displays on the other."""

import json

import httpx
import pytest
from websockets.sync.client import connect

from offices.models import Membership
from tests.helpers import add_counter, add_services, make_office, make_user, next_of_type, token_client

pytestmark = pytest.mark.redis


def ws_url(server, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


def test_a_call_through_one_process_reaches_displays_on_both(daphne, django_user_model):
    office = make_office("twin")
    services = add_services(office)
    counter = add_counter(office, "7", [services["fl"]])
    operator = make_user(django_user_model, "twin-op", office=office, role=Membership.Role.OPERATOR)
    token = token_client(operator)._credentials["HTTP_AUTHORIZATION"]
    first, second = daphne(), daphne()

    headers = {"Origin": "http://127.0.0.1"}
    with (
        connect(ws_url(first, "/ws/offices/twin/display/"), additional_headers=headers) as on_first,
        connect(ws_url(second, "/ws/offices/twin/display/"), additional_headers=headers) as on_second,
    ):
        assert json.loads(on_first.recv(timeout=5))["type"] == "snapshot"
        assert json.loads(on_second.recv(timeout=5))["type"] == "snapshot"

        issued = httpx.post(f"{first.url}/api/v1/offices/twin/tickets/", json={"service": "fl"}, timeout=10)
        assert issued.status_code == 201
        for socket in (on_first, on_second):
            assert next_of_type(socket, "queue.updated")["waiting"]["fl"] == 1

        called = httpx.post(
            f"{first.url}/api/v1/counters/{counter.pk}/call-next/", headers={"Authorization": token}, timeout=10
        )
        assert called.status_code == 200
        for socket in (on_first, on_second):
            message = next_of_type(socket, "ticket.called")
            assert (message["ticket"], message["counter"], message["recall"]) == (issued.json()["number"], "7", False)

        # And the other way round: a recall through the second process.
        ticket_id = called.json()["id"]
        recalled = httpx.post(
            f"{second.url}/api/v1/tickets/{ticket_id}/recall/", headers={"Authorization": token}, timeout=10
        )
        assert recalled.status_code == 200
        assert next_of_type(on_first, "ticket.called")["recall"] is True
