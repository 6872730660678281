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


def test_a_counter_and_its_ticket_say_the_same_words_in_the_api_every_snapshot_and_message(
    services, counters, operator
):
    from displays import monitor, snapshots
    from offices.models import Counter
    from tickets import live, payloads
    from tickets import services as svc

    client = token_client(operator)
    expected = {"open": "Окно открыто", "break": "Перерыв", "closed": "Окно закрыто"}
    for state, label in expected.items():
        client.post(f"/api/v1/counters/{counters['1'].pk}/state/", {"state": state}, format="json")
        counter = Counter.objects.select_related("office", "operator").get(pk=counters["1"].pk)
        live.forget(counter.office_id)  # likewise
        said = {
            "api": client.get(f"/api/v1/counters/{counter.pk}/").json()["status_label"],
            "counter.updated": payloads.counter_updated(counter)["status_label"],
            "operators snapshot": snapshots.operators_snapshot(counter.office_id)["counters"][0]["status_label"],
            "monitor snapshot": monitor.monitor_snapshot(counter.office_id)["counters"][0]["status_label"],
        }
        assert set(said.values()) == {label}, said
    client.post(f"/api/v1/counters/{counters['1'].pk}/state/", {"state": "open"}, format="json")
    svc.ticket_issue(office=counters["1"].office, service=services["fl"])
    called = client.post(f"/api/v1/counters/{counters['1'].pk}/call-next/").json()
    live.forget(counters["1"].office_id)  # its announcement waits for a commit this test never makes
    row = snapshots.operators_snapshot(counters["1"].office_id)["counters"][0]
    api = client.get(f"/api/v1/counters/{counters['1'].pk}/").json()["ticket"]
    assert row["ticket"]["status_label"] == api["status_label"] == called["status_label"] == "Вызван"
    assert {k: row["ticket"][k] for k in ("id", "number", "status", "service")} == {
        k: api[k] for k in ("id", "number", "status", "service")
    }
