"""A manager closes a counter or sends it to a break from the monitor: who may, what is logged, who hears of it."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from offices.models import CounterEvent, Membership
from tests.helpers import connect_screen, make_user, receive_type, token_client
from tickets import services as svc
from tickets.errors import CounterBusy


def remote(client, counter, **body):
    return client.post(f"/api/v1/counters/{counter.pk}/remote/", body, format="json")


@pytest.fixture
def staffed(counters, operator):
    """Counter 1 opened by its operator, with nobody at it."""
    counter = svc.counter_set_state(counter=counters["1"], state="closed", user=operator)
    return svc.counter_set_state(counter=counter, state="open", user=operator)


def test_a_manager_sends_a_counter_to_a_break_with_a_reason_and_it_is_logged_as_remote(staffed, manager, operator):
    response = remote(token_client(manager), staffed, state="break", reason="training")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["break_reason"], body["break_reason_label"]) == ("break", "training", "Обучение")
    event = CounterEvent.objects.filter(counter=staffed).last()
    assert (event.type, event.user, event.data["remote"], event.data["reason"]) == ("break", manager, True, "training")
    staffed.refresh_from_db()
    assert staffed.operator == operator  # a break keeps the counter's operator


def test_a_manager_closes_a_counter_on_break(staffed, manager, operator):
    svc.counter_set_state(counter=staffed, state="break", user=operator, reason="lunch")
    response = remote(token_client(manager), staffed, state="closed")
    assert response.status_code == 200 and response.json()["state"] == "closed"
    event = CounterEvent.objects.filter(counter=staffed).last()
    assert (event.type, event.user, event.data["remote"]) == ("closed", manager, True)


def test_a_company_wide_manager_may_act_in_any_office(staffed, django_user_model):
    boss = make_user(django_user_model, "boss", role=Membership.Role.MANAGER)
    assert remote(token_client(boss), staffed, state="closed").status_code == 200


def test_a_manager_of_another_office_and_an_operator_are_refused_and_nothing_changes(
    staffed, operator, other_office, django_user_model, anon
):
    stranger = make_user(django_user_model, "mgr-other", office=other_office, role=Membership.Role.MANAGER)
    refused = remote(token_client(stranger), staffed, state="closed")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "Управлять окнами этого офиса может только его руководитель."
    assert remote(token_client(operator), staffed, state="closed").status_code == 403
    assert remote(anon, staffed, state="closed").status_code == 401
    staffed.refresh_from_db()
    assert staffed.state == "open"
    assert list(CounterEvent.objects.filter(counter=staffed).values_list("type", flat=True)) == ["closed", "opened"]


def test_opening_stays_with_the_operator(staffed, manager):
    svc.counter_set_state(counter=staffed, state="closed", user=manager)
    response = remote(token_client(manager), staffed, state="open")
    assert response.status_code == 400
    staffed.refresh_from_db()
    assert staffed.state == "closed"
    # Nor through the operator's own state change.
    response = token_client(manager).post(f"/api/v1/counters/{staffed.pk}/state/", {"state": "open"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"] == {"code": "permission_denied", "message": "Вы не работаете в окнах этого офиса."}
    staffed.refresh_from_db()
    assert staffed.state == "closed"


def test_a_counter_serving_a_client_is_refused_with_counter_busy(staffed, services, manager, office):
    svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_call_next(counter=staffed, operator=staffed.operator)
    events = CounterEvent.objects.count()
    for state in ("break", "closed"):
        response = remote(token_client(manager), staffed, state=state, reason="lunch")
        assert response.status_code == 409
        assert response.json()["error"] == {"code": "counter_busy", "message": CounterBusy.REMOTE_SERVING}
    staffed.refresh_from_db()
    assert staffed.state == "open" and CounterEvent.objects.count() == events


def test_only_an_open_counter_goes_to_a_break_and_the_reason_must_be_the_offices(staffed, manager):
    client = token_client(manager)
    unknown = remote(client, staffed, state="break", reason="nap")
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown_break_reason"
    assert remote(client, staffed, state="closed").status_code == 200
    again = remote(client, staffed, state="break", reason="lunch")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"


@pytest.mark.django_db(transaction=True)
async def test_the_operators_screen_receives_the_remote_break_with_its_reason(counters, operator, manager):
    counter = await database_sync_to_async(svc.counter_set_state)(counter=counters["1"], state="closed", user=operator)
    counter = await database_sync_to_async(svc.counter_set_state)(counter=counter, state="open", user=operator)
    desk = await connect_screen("/ws/offices/main/operators/", await session_cookie(operator))
    await receive_type(desk, "snapshot")
    client = await database_sync_to_async(token_client)(manager)
    response = await database_sync_to_async(remote)(client, counter, state="break", reason="lunch")
    assert response.status_code == 200
    message = await receive_type(desk, "counter.updated")
    assert message["id"] == counter.pk and message["state"] == "break"
    assert (message["break_reason"], message["break_reason_label"]) == ("lunch", "Обед")
    assert message["status_label"] == "Перерыв" and message["operator"] == operator.username
    assert message["state_changed_at"]
    await desk.disconnect()


@database_sync_to_async
def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())
