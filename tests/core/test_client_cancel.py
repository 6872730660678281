"""A client gives up their ticket from the phone: DELETE /api/v1/tickets/<token>/, public, throttled."""

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from tests.helpers import connect_screen, receive_type, token_client
from tickets import services as svc
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db

PUBLIC_FIELDS = {
    "number",
    "status",
    "status_label",
    "office",
    "service",
    "position",
    "estimated_wait_seconds",
    "counter",
    "actions",
    "alert",
    "no_open_counter",
    "returns_at",
    "issued_at",
}


def issue(client, service="fl") -> dict:
    return client.post("/api/v1/offices/main/tickets/", {"service": service}, format="json").json()


def test_a_waiting_client_gives_up_the_ticket_and_frees_the_place(anon, services, counters):
    first, mine, third = issue(anon), issue(anon), issue(anon)
    response = APIClient().delete(f"/api/v1/tickets/{mine['token']}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PUBLIC_FIELDS  # no ids, no operator, no personal data
    assert (body["number"], body["status"], body["actions"], body["alert"]) == (mine["number"], "cancelled", [], False)
    assert body["status_label"] == "Талон отменён, место в очереди освобождено"
    ticket = Ticket.objects.get(pk=mine["id"])
    assert ticket.status == "cancelled" and ticket.finished_at is not None
    assert list(ticket.events.values_list("type", "operator")) == [("issued", None), ("cancelled", None)]
    # The place is free: the third client moves up.
    assert anon.get(f"/api/v1/tickets/{third['token']}/").json()["position"] == 1
    assert anon.get("/api/v1/offices/main/queue/").json()["services"][0]["waiting"] == 2
    assert first["number"] != mine["number"]


def test_a_ticket_no_longer_waiting_cannot_be_given_up(anon, services, counters, operator):
    mine = issue(anon)
    token_client(operator).post(f"/api/v1/counters/{counters['1'].pk}/call-next/")
    response = anon.delete(f"/api/v1/tickets/{mine['token']}/")
    assert response.status_code == 409
    assert response.json() == {
        "error": {"code": "not_waiting", "message": "Талон уже не ожидает в очереди: отказаться от него нельзя."}
    }
    assert Ticket.objects.get(pk=mine["id"]).status == "called"
    assert not TicketEvent.objects.filter(ticket_id=mine["id"], type="cancelled").exists()


def test_giving_up_twice_answers_not_waiting_the_second_time(anon, services):
    mine = issue(anon)
    assert anon.delete(f"/api/v1/tickets/{mine['token']}/").status_code == 200
    again = anon.delete(f"/api/v1/tickets/{mine['token']}/")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "not_waiting")


def test_an_unknown_token_is_404_in_the_standard_format(anon, services):
    response = anon.delete("/api/v1/tickets/no-such-token/")
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found", "message": "Талон не найден."}


def test_staff_cancel_keeps_its_own_code(anon, services, counters, op_client):
    mine = issue(anon)
    op_client.post(f"/api/v1/counters/{counters['1'].pk}/call-next/")
    refused = op_client.post(f"/api/v1/tickets/{mine['id']}/cancel/")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "invalid_transition")


def test_a_signed_in_browser_needs_its_csrf_token_like_any_session_request(services, operator):
    mine = issue(APIClient())
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    assert client.delete(f"/api/v1/tickets/{mine['token']}/").status_code == 403
    client.get(f"/t/{mine['token']}/")  # the tracking page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    assert client.delete(f"/api/v1/tickets/{mine['token']}/", HTTP_X_CSRFTOKEN=csrf).status_code == 200


def test_giving_up_is_throttled_per_client_with_retry_after(anon, services, settings):
    settings.TICKET_CANCELS_PER_CLIENT = "2/hour"
    cache.clear()
    tickets = [issue(anon) for _ in range(3)]
    statuses = [anon.delete(f"/api/v1/tickets/{t['token']}/").status_code for t in tickets[:2]]
    assert statuses == [200, 200]
    refused = anon.delete(f"/api/v1/tickets/{tickets[2]['token']}/")
    assert refused.status_code == 429
    assert refused.json()["error"] == {
        "code": "throttled",
        "message": "Слишком много запросов. Повторите попытку позже.",
    }
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert Ticket.objects.get(token=tickets[2]["token"]).status == "waiting"
    # Guessed tokens count too.
    assert anon.delete("/api/v1/tickets/guess/", REMOTE_ADDR="10.0.0.9").status_code == 404
    assert anon.delete(f"/api/v1/tickets/{tickets[2]['token']}/", REMOTE_ADDR="10.0.0.9").status_code == 200
    cache.clear()


def test_the_operation_is_in_the_openapi_schema(anon):
    schema = anon.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/tickets/{token}/"]["delete"]
    assert operation["summary"] == "Отказаться от талона (клиент)"
    assert set(operation["responses"]) >= {"200", "404", "409", "429"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/TrackingOut")
    assert {} in operation["security"]  # no sign-in needed


@pytest.mark.django_db(transaction=True)
async def test_giving_up_updates_the_screens_after_commit(office, services, counters):
    from asgiref.sync import sync_to_async

    first = await sync_to_async(svc.ticket_issue)(office=office, service=services["fl"])
    mine = await sync_to_async(svc.ticket_issue)(office=office, service=services["fl"])
    behind = await sync_to_async(svc.ticket_issue)(office=office, service=services["fl"])
    display = await connect_screen(f"/ws/offices/{office.code}/display/")
    await receive_type(display, "snapshot")
    phone = await connect_screen(f"/ws/tickets/{behind.token}/")
    assert (await receive_type(phone, "snapshot"))["position"] == 2
    mine_phone = await connect_screen(f"/ws/tickets/{mine.token}/")
    await receive_type(mine_phone, "snapshot")

    response = await sync_to_async(APIClient().delete)(f"/api/v1/tickets/{mine.token}/")
    assert response.status_code == 200

    assert (await receive_type(display, "queue.updated"))["waiting"]["fl"] == 2
    assert (await receive_type(phone, "ticket.status"))["position"] == 1
    gone = await receive_type(mine_phone, "ticket.status")
    assert (gone["status"], gone["actions"], gone["alert"]) == ("cancelled", [], False)
    assert first.number != mine.number
    for socket in (display, phone, mine_phone):
        await socket.disconnect()
