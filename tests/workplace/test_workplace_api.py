"""The workplace API: the counter's list and pool, calling a chosen ticket, postpone and transfer bodies."""

import pytest

from offices.models import Membership
from tests.helpers import make_user
from tickets import services as svc
from tickets.models import Ticket, TicketEvent


@pytest.fixture
def issue(office, services):
    def _issue(code="fl", priority=False):
        return svc.ticket_issue(office=office, service=services[code], priority=priority)

    return _issue


def post(client, path, body=None):
    return client.post(f"/api/v1/{path}", body or {}, format="json")


def test_the_workplace_lists_the_counters_tickets_in_call_order_with_marks(
    op_client, counters, issue, django_assert_max_num_queries
):
    plain, vip, other = issue(), issue(priority=True), issue("cash")
    issue("ul")
    with django_assert_max_num_queries(12):
        response = op_client.get(f"/api/v1/counters/{counters['1'].pk}/workplace/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [t["number"] for t in body["queue"]] == [vip.number, plain.number, "Б001"]
    assert body["queue"][0]["marks"] == ["Льготная категория"] and body["queue"][0]["actions"] == ["call"]
    assert other.number not in [t["number"] for t in body["queue"]]
    assert body["queue_total"] == 3 and body["pool"] == [] and body["call_chosen"] is True
    assert [r["code"] for r in body["break_reasons"]] == ["lunch", "technical", "training", "other"]


def test_the_workplace_costs_the_same_queries_however_long_the_queue(
    op_client, counters, issue, django_assert_max_num_queries
):
    for _ in range(20):
        issue()
    with django_assert_max_num_queries(12):
        assert op_client.get(f"/api/v1/counters/{counters['1'].pk}/workplace/").status_code == 200


def test_calling_a_chosen_ticket_answers_it_and_a_second_try_is_a_conflict(op_client, counters, issue):
    issue()
    chosen = issue()
    response = post(op_client, f"counters/{counters['1'].pk}/call/", {"ticket": chosen.pk})
    assert response.status_code == 200 and response.json()["number"] == chosen.number
    post(op_client, f"tickets/{chosen.pk}/finish/")
    response = post(op_client, f"counters/{counters['1'].pk}/call/", {"ticket": chosen.pk})
    assert response.status_code == 409 and response.json()["error"]["code"] == "ticket_not_waiting"


def test_calling_a_chosen_ticket_is_refused_where_the_office_switched_it_off(op_client, counters, issue, office):
    ticket = issue()
    office.call_chosen = False
    office.save()
    response = post(op_client, f"counters/{counters['1'].pk}/call/", {"ticket": ticket.pk})
    assert response.status_code == 403 and response.json()["error"]["code"] == "call_chosen_disabled"
    assert response.json()["error"]["message"].startswith("В этом офисе вызов")


def test_postpone_takes_minutes_and_refuses_out_of_range_in_russian(op_client, counters, issue):
    ticket = issue()
    post(op_client, f"counters/{counters['1'].pk}/call-next/")
    response = post(op_client, f"tickets/{ticket.pk}/postpone/", {"minutes": 500})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_postpone"
    assert "от 1 до 240 минут" in response.json()["error"]["message"]
    response = post(op_client, f"tickets/{ticket.pk}/postpone/", {"minutes": 15})
    assert response.status_code == 200 and response.json()["returns_at"] is not None
    assert TicketEvent.objects.filter(ticket=ticket, type="postponed").last().data["minutes"] == 15


def test_transfer_to_an_operator_with_a_note_and_the_refusals(op_client, counters, issue, office, django_user_model):
    colleague = make_user(django_user_model, "op2", office=office, role=Membership.Role.OPERATOR)
    ticket = issue()
    post(op_client, f"counters/{counters['1'].pk}/call-next/")
    response = post(op_client, f"tickets/{ticket.pk}/transfer/", {})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_transfer"
    response = post(op_client, f"tickets/{ticket.pk}/transfer/", {"to_operator": 99999})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_transfer"
    response = post(op_client, f"tickets/{ticket.pk}/transfer/", {"to_counter": counters["3"].pk, "note": "x" * 501})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"
    response = post(op_client, f"tickets/{ticket.pk}/transfer/", {"to_operator": colleague.pk, "note": "Долг"})
    assert response.status_code == 400 and "не работает ни в одном окне" in response.json()["error"]["message"]
    svc.counter_set_state(counter=counters["2"], state="closed", user=colleague)
    svc.counter_set_state(counter=counters["2"], state="open", user=colleague)
    response = post(op_client, f"tickets/{ticket.pk}/transfer/", {"to_operator": colleague.pk, "note": "Долг"})
    assert response.status_code == 200 and response.json()["note"] == "Долг"
    ticket.refresh_from_db()
    assert ticket.target_operator == colleague and ticket.status == Ticket.Status.WAITING


def test_the_counter_shows_the_current_clients_transfers_and_the_counters_held_elsewhere(
    op_client, counters, issue, operator
):
    ticket = issue("ul")
    post(op_client, f"counters/{counters['2'].pk}/call-next/")
    post(op_client, f"tickets/{ticket.pk}/transfer/", {"service": "fl", "note": "Сверка", "position": "front"})
    post(op_client, f"counters/{counters['1'].pk}/state/", {"state": "closed"})
    post(op_client, f"counters/{counters['1'].pk}/state/", {"state": "open"})
    post(op_client, f"counters/{counters['1'].pk}/call-next/")
    body = op_client.get(f"/api/v1/counters/{counters['1'].pk}/").json()
    assert body["ticket"]["transfers"][0]["note"] == "Сверка"
    assert body["ticket"]["transfers"][0]["from_service"] == "Юридические лица"
    post(op_client, f"counters/{counters['2'].pk}/state/", {"state": "closed"})
    post(op_client, f"counters/{counters['2'].pk}/state/", {"state": "open"})
    body = op_client.get(f"/api/v1/counters/{counters['2'].pk}/").json()
    assert body["open_confirm"] == "Окно 1 будет закрыто. Продолжить?"


def test_the_counter_list_marks_the_counter_the_user_holds(client, counters, operator):
    svc.counter_set_state(counter=counters["1"], state="closed", user=operator)
    svc.counter_set_state(counter=counters["1"], state="open", user=operator)
    client.force_login(operator)
    page = client.get("/operator/").content.decode()
    assert "Окно 1 — Открыто (ваше)" in page and "Окно 2 — Открыто</a>" in page
