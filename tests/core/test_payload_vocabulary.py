"""The server owns the vocabulary: counter and ticket payloads carry their label and allowed actions."""

import pytest

from tests.helpers import token_client
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_an_idle_counter_says_its_state_and_what_can_be_done(counters, operator):
    client = token_client(operator)
    expected = {
        "open": ("Окно открыто", ["call", "break", "close"]),
        "break": ("Перерыв", ["resume", "close"]),
        "closed": ("Окно закрыто", ["open"]),
    }
    for state, (label, actions) in expected.items():
        body = client.post(f"/api/v1/counters/{counters['1'].pk}/state/", {"state": state}, format="json").json()
        assert (body["status_label"], body["actions"]) == (label, actions)


def test_a_counter_with_a_ticket_offers_the_ticket_actions(services, counters, operator):
    client = token_client(operator)
    issued = client.post("/api/v1/offices/main/tickets/", {"service": "fl"}, format="json").json()
    assert (issued["status_label"], issued["actions"]) == ("Ожидает", ["cancel"])
    called = client.post(f"/api/v1/counters/{counters['1'].pk}/call-next/").json()
    assert called["status_label"] == "Вызван"
    assert called["actions"] == ["recall", "start", "finish", "no-show", "transfer", "postpone"]
    counter = client.get(f"/api/v1/counters/{counters['1'].pk}/").json()
    assert counter["actions"] == called["actions"]
    assert counter["ticket"]["status_label"] == "Вызван"
    client.post(f"/api/v1/tickets/{called['id']}/start/", {}, format="json")
    assert client.get(f"/api/v1/counters/{counters['1'].pk}/").json()["actions"] == ["finish", "transfer"]
    finished = client.post(f"/api/v1/tickets/{called['id']}/finish/", {}, format="json").json()
    assert (finished["status_label"], finished["actions"]) == ("Обслужен", [])


def test_every_action_offered_is_accepted_and_nothing_else(services, counters, operator):
    client = token_client(operator)
    for status, offered in Ticket.ACTIONS.items():
        assert len(offered) == len(set(offered)), status
    # From "called", an action outside the list is refused with 409, and one from it is accepted.
    client.post("/api/v1/offices/main/tickets/", {"service": "fl"}, format="json")
    called = client.post(f"/api/v1/counters/{counters['1'].pk}/call-next/").json()
    assert client.post(f"/api/v1/tickets/{called['id']}/cancel/").status_code == 409
    assert "cancel" not in called["actions"]
    assert client.post(f"/api/v1/tickets/{called['id']}/recall/", {}, format="json").status_code == 200
