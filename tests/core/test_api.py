"""The REST API: the happy path, and bad input that must change nothing."""

import pytest
from rest_framework.test import APIClient

from offices.models import Counter, Membership
from tests.helpers import make_user, token_client
from tickets.models import Ticket, TicketEvent


def snapshot():
    return (
        list(Ticket.objects.order_by("pk").values()),
        TicketEvent.objects.count(),
        list(Counter.objects.order_by("pk").values("pk", "state")),
    )


def error_of(response) -> str:
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"], body
    return body["error"]["code"]


def test_offices_list_and_detail_show_services_counters_and_hours(anon, office, counters):
    response = anon.get("/api/v1/offices/")
    assert response.status_code == 200
    (body,) = response.json()
    assert body["code"] == "main"
    assert [s["code"] for s in body["services"]] == ["fl", "ul", "cash"]
    assert body["services"][0] == {
        "code": "fl",
        "name": "Физические лица",
        "prefix": "А",
        "channel": "individuals",
        "kiosk_order": 1,
    }
    assert {c["number"]: c["services"] for c in body["counters"]} == {"1": ["fl"], "2": ["ul"], "3": ["cash"]}
    assert body["hours"]["mon"] == "00:00-24:00"
    assert body["open_now"] is True
    assert anon.get("/api/v1/offices/main/").json()["code"] == "main"


def test_full_flow_through_the_api(anon, op_client, office, counters):
    issued = anon.post("/api/v1/offices/main/tickets/", {"service": "fl", "priority": False}, format="json")
    assert issued.status_code == 201
    ticket = issued.json()
    assert {"id", "token", "number", "service", "status", "issued_at", "position", "estimated_wait_seconds"} <= set(
        ticket
    )
    assert (ticket["number"], ticket["service"], ticket["status"], ticket["position"]) == ("А001", "fl", "waiting", 0)

    second = anon.post("/api/v1/offices/main/tickets/", {"service": "fl"}, format="json").json()
    assert second["position"] == 1
    # One open counter serves fl (counter 1); no history yet: (1 + ½) × 300 s.
    assert second["estimated_wait_seconds"] == 450

    queue = anon.get("/api/v1/offices/main/queue/").json()
    fl = next(s for s in queue["services"] if s["code"] == "fl")
    assert fl["waiting"] == 2

    called = op_client.post(f"/api/v1/counters/{counters['1'].pk}/call-next/")
    assert called.status_code == 200
    assert called.json()["number"] == "А001" and called.json()["counter"] == "1"
    tid = ticket["id"]
    for action, status in [("recall", "called"), ("start", "serving"), ("finish", "done")]:
        response = op_client.post(f"/api/v1/tickets/{tid}/{action}/", {}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == status

    tracked = anon.get(f"/api/v1/tickets/{second['token']}/").json()
    assert tracked["status"] == "waiting" and tracked["position"] == 0
    assert "id" not in tracked and "operator" not in tracked

    second_called = op_client.post(f"/api/v1/counters/{counters['1'].pk}/call-next/").json()
    transfer = op_client.post(
        f"/api/v1/tickets/{second_called['id']}/transfer/", {"service": "cash", "position": "front"}, format="json"
    )
    assert transfer.status_code == 200
    assert transfer.json()["service"] == "cash" and transfer.json()["status"] == "waiting"
    assert op_client.post(f"/api/v1/counters/{counters['1'].pk}/call-next/").status_code == 204


def test_no_show_postpone_and_cancel_through_the_api(anon, op_client, office, counters):
    a = anon.post("/api/v1/offices/main/tickets/", {"service": "fl"}, format="json").json()
    b = anon.post("/api/v1/offices/main/tickets/", {"service": "fl"}, format="json").json()
    op_client.post(f"/api/v1/counters/{counters['1'].pk}/call-next/")
    assert op_client.post(f"/api/v1/tickets/{a['id']}/postpone/").json()["status"] == "waiting"
    op_client.post(f"/api/v1/counters/{counters['1'].pk}/call-next/")
    assert op_client.post(f"/api/v1/tickets/{b['id']}/no-show/").json()["status"] == "no_show"
    assert op_client.post(f"/api/v1/tickets/{a['id']}/cancel/").json()["status"] == "cancelled"


def test_counter_state_endpoint(op_client, counters):
    response = op_client.post(f"/api/v1/counters/{counters['1'].pk}/state/", {"state": "break"}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == "break"
    counters["1"].refresh_from_db()
    assert counters["1"].state == "break"


def test_token_auth(anon, operator):
    response = anon.post("/api/v1/auth/token/", {"username": "op", "password": "pass-12345"}, format="json")
    assert response.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/offices/main/tickets/today/").status_code == 200
    bad = anon.post("/api/v1/auth/token/", {"username": "op", "password": "wrong"}, format="json")
    assert bad.status_code == 401 and error_of(bad) == "authentication_failed"


@pytest.fixture
def called_ticket(anon, op_client, counters):
    ticket = anon.post("/api/v1/offices/main/tickets/", {"service": "fl"}, format="json").json()
    op_client.post(f"/api/v1/counters/{counters['1'].pk}/call-next/")
    return ticket


def bad_requests(counters, ticket_id):
    c1 = counters["1"].pk
    return [
        # (client, method, url, body, status, code)
        ("anon", "post", "/api/v1/offices/nowhere/tickets/", {"service": "fl"}, 404, "not_found"),
        ("anon", "post", "/api/v1/offices/main/tickets/", {"service": "nope"}, 400, "unknown_service"),
        ("anon", "post", "/api/v1/offices/main/tickets/", {}, 400, "invalid"),
        ("anon", "post", "/api/v1/offices/main/tickets/", {"service": "fl", "priority": "maybe"}, 400, "invalid"),
        ("anon", "post", "/api/v1/offices/main/tickets/", "{not json", 400, "parse_error"),
        ("anon", "get", "/api/v1/offices/nowhere/", None, 404, "not_found"),
        ("anon", "get", "/api/v1/offices/nowhere/queue/", None, 404, "not_found"),
        ("anon", "get", "/api/v1/tickets/no-such-token/", None, 404, "not_found"),
        ("anon", "post", f"/api/v1/counters/{c1}/call-next/", None, 401, "not_authenticated"),
        ("anon", "post", f"/api/v1/tickets/{ticket_id}/finish/", None, 401, "not_authenticated"),
        ("anon", "post", f"/api/v1/counters/{c1}/state/", {"state": "open"}, 401, "not_authenticated"),
        ("op", "post", "/api/v1/counters/999999/call-next/", None, 404, "not_found"),
        ("op", "post", "/api/v1/tickets/999999/finish/", None, 404, "not_found"),
        ("op", "post", f"/api/v1/tickets/{ticket_id}/transfer/", {"service": "nope"}, 400, "unknown_service"),
        (
            "op",
            "post",
            f"/api/v1/tickets/{ticket_id}/transfer/",
            {"service": "ul", "position": "middle"},
            400,
            "invalid",
        ),
        ("op", "post", f"/api/v1/tickets/{ticket_id}/cancel/", None, 409, "invalid_transition"),
        ("op", "post", f"/api/v1/counters/{c1}/call-next/", None, 409, "counter_busy"),
        ("op", "post", f"/api/v1/counters/{c1}/state/", {"state": "sleeping"}, 400, "invalid"),
        ("op", "post", f"/api/v1/counters/{c1}/state/", {"state": "closed"}, 409, "counter_busy"),
        ("op", "post", f"/api/v1/counters/{counters['2'].pk}/state/", "", 400, "invalid"),
        ("other", "post", f"/api/v1/counters/{c1}/call-next/", None, 403, "permission_denied"),
        ("other", "post", f"/api/v1/tickets/{ticket_id}/finish/", None, 403, "permission_denied"),
        ("other", "post", f"/api/v1/counters/{c1}/state/", {"state": "closed"}, 403, "permission_denied"),
        ("manager", "post", f"/api/v1/counters/{c1}/call-next/", None, 403, "permission_denied"),
        ("manager", "post", f"/api/v1/tickets/{ticket_id}/finish/", None, 403, "permission_denied"),
    ]


def test_bad_requests_get_the_right_status_and_code_and_change_nothing(
    anon, op_client, called_ticket, counters, other_operator, manager
):
    clients = {"anon": anon, "op": op_client, "other": token_client(other_operator), "manager": token_client(manager)}
    for client_name, method, url, body, status, code in bad_requests(counters, called_ticket["id"]):
        before = snapshot()
        client = clients[client_name]
        if isinstance(body, str):
            response = getattr(client, method)(url, body, content_type="application/json")
        else:
            response = getattr(client, method)(url, body, format="json")
        assert response.status_code == status, (client_name, url, body, response.content)
        assert error_of(response) == code, (client_name, url, body)
        assert snapshot() == before, (client_name, url, body)


def test_a_closed_office_refuses_tickets_with_office_closed(anon, db):
    from tests.helpers import add_services, make_office

    office = make_office("shut", all_day=False)
    add_services(office)
    response = anon.post("/api/v1/offices/shut/tickets/", {"service": "fl"}, format="json")
    assert response.status_code == 409
    assert error_of(response) == "office_closed"
    assert "закрыт" in response.json()["error"]["message"]
    assert not Ticket.objects.exists()


def test_a_counter_that_is_not_open_refuses_to_call(anon, op_client, counters):
    anon.post("/api/v1/offices/main/tickets/", {"service": "fl"}, format="json")
    counters["1"].state = Counter.State.BREAK
    counters["1"].save()
    response = op_client.post(f"/api/v1/counters/{counters['1'].pk}/call-next/")
    assert response.status_code == 409 and error_of(response) == "counter_not_open"
    assert Ticket.objects.get().status == "waiting"


def test_acting_from_another_counter_is_an_invalid_transition(op_client, called_ticket, counters):
    response = op_client.post(
        f"/api/v1/tickets/{called_ticket['id']}/finish/", {"counter": counters["2"].pk}, format="json"
    )
    assert response.status_code == 409 and error_of(response) == "invalid_transition"


def test_a_manager_may_change_a_counter_state_of_their_office(manager, counters):
    response = token_client(manager).post(
        f"/api/v1/counters/{counters['1'].pk}/state/", {"state": "closed"}, format="json"
    )
    assert response.status_code == 200


def test_an_admin_may_operate_any_office(django_user_model, counters, anon):
    admin = make_user(django_user_model, "root", is_superuser=True, is_staff=True)
    anon.post("/api/v1/offices/main/tickets/", {"service": "fl"}, format="json")
    assert token_client(admin).post(f"/api/v1/counters/{counters['1'].pk}/call-next/").status_code == 200


def test_company_wide_manager_membership_has_no_office(django_user_model, db):
    user = make_user(django_user_model, "boss", role=Membership.Role.MANAGER)
    assert Membership.objects.get(user=user).office is None


def test_openapi_schema_and_docs_are_served_without_a_cdn(anon, db):
    schema = anon.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/counters/{id}/call-next/" in schema.content
    docs = anon.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower() and b"unpkg" not in docs.content.lower()
