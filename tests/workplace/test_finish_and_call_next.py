"""«Завершить и вызвать следующего»: one request finishes the client and calls the next one to the same counter."""

from collections import Counter as Tally

import httpx
import pytest

from offices.models import Membership
from tests.core.test_concurrency import run_at_once
from tests.helpers import add_counter, add_services, make_office, make_user, token_client
from tickets import services as svc
from tickets.errors import OutcomeRequired
from tickets.models import Ticket, TicketEvent


def post(client, path, body=None):
    return client.post(f"/api/v1/{path}", body or {}, format="json")


def test_finishing_with_call_next_finishes_the_client_and_calls_the_next_to_the_same_counter(
    op_client, operator, counters, office, services
):
    first, second = (svc.ticket_issue(office=office, service=services["fl"]) for _ in range(2))
    counter = counters["1"]
    svc.ticket_call_next(counter=counter, operator=operator)
    response = post(op_client, f"tickets/{first.pk}/finish/", {"counter": counter.pk, "call_next": True})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["number"], body["status"]) == (first.number, "done")
    assert (body["next"]["number"], body["next"]["status"], body["next"]["counter"]) == (second.number, "called", "1")
    second.refresh_from_db()
    assert (second.status, second.counter_id, second.operator_id) == ("called", counter.pk, operator.pk)


def test_finishing_with_call_next_on_an_empty_queue_finishes_and_says_nobody_is_next(
    op_client, operator, counters, office, services
):
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_call_next(counter=counters["1"], operator=operator)
    response = post(op_client, f"tickets/{ticket.pk}/finish/", {"counter": counters["1"].pk, "call_next": True})
    assert response.status_code == 200 and response.json()["next"] is None
    assert Ticket.objects.get(pk=ticket.pk).status == "done"


def test_a_required_outcome_still_applies_and_then_nothing_is_finished_or_called(
    op_client, operator, counters, office, services
):
    fl = services["fl"]
    fl.outcomes, fl.outcomes_required = [{"code": "payment", "name": "Оплата"}], True
    fl.save()
    current, waiting = (svc.ticket_issue(office=office, service=fl) for _ in range(2))
    svc.ticket_call_next(counter=counters["1"], operator=operator)
    response = post(op_client, f"tickets/{current.pk}/finish/", {"counter": counters["1"].pk, "call_next": True})
    assert response.status_code == 400 and response.json()["error"]["code"] == OutcomeRequired.code
    assert Ticket.objects.get(pk=current.pk).status == "called"
    assert Ticket.objects.get(pk=waiting.pk).status == "waiting"
    response = post(
        op_client,
        f"tickets/{current.pk}/finish/",
        {"counter": counters["1"].pk, "call_next": True, "outcomes": ["payment"]},
    )
    assert response.status_code == 200 and response.json()["next"]["number"] == waiting.number


def test_call_next_without_a_counter_is_refused_in_russian_and_changes_nothing(
    op_client, operator, counters, office, services
):
    current, waiting = (svc.ticket_issue(office=office, service=services["fl"]) for _ in range(2))
    svc.ticket_call_next(counter=counters["1"], operator=operator)
    response = post(op_client, f"tickets/{current.pk}/finish/", {"call_next": True})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("invalid", "Укажите окно, в которое вызвать следующего клиента.")
    assert Ticket.objects.get(pk=current.pk).status == "called"
    assert Ticket.objects.get(pk=waiting.pk).status == "waiting"


def test_call_next_from_another_counter_is_refused_and_changes_nothing(op_client, operator, counters, office, services):
    current, waiting = (svc.ticket_issue(office=office, service=services["fl"]) for _ in range(2))
    svc.ticket_call_next(counter=counters["1"], operator=operator)
    response = post(op_client, f"tickets/{current.pk}/finish/", {"counter": counters["2"].pk, "call_next": True})
    assert response.status_code == 409
    assert Ticket.objects.get(pk=current.pk).status == "called"
    assert Ticket.objects.get(pk=waiting.pk).status == "waiting"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_counters_finishing_and_calling_next_at_once_never_call_a_ticket_twice(live_server, django_user_model):
    office = make_office("relay")
    services = add_services(office)
    counters = [add_counter(office, str(n), [services["fl"]]) for n in (1, 2)]
    users = [make_user(django_user_model, f"relay-{n}", office=office, role=Membership.Role.OPERATOR) for n in range(2)]
    tokens = [token_client(user)._credentials["HTTP_AUTHORIZATION"] for user in users]
    tickets = [svc.ticket_issue(office=office, service=services["fl"]) for _ in range(30)]

    def work(index):
        called = []
        with httpx.Client(base_url=live_server.url, timeout=60, headers={"Authorization": tokens[index]}) as client:
            counter = counters[index]
            response = client.post(f"/api/v1/counters/{counter.pk}/call-next/")
            assert response.status_code == 200, response.text
            current = response.json()
            while current is not None:
                called.append(current["id"])
                response = client.post(
                    f"/api/v1/tickets/{current['id']}/finish/", json={"counter": counter.pk, "call_next": True}
                )
                assert response.status_code == 200, response.text
                current = response.json()["next"]
        return called

    results = run_at_once(2, 2, work)
    everything = [ticket_id for called in results for ticket_id in called]
    assert sorted(everything) == sorted(t.pk for t in tickets)
    assert all(results), "both counters took clients"
    calls = Tally(TicketEvent.objects.filter(type="called").values_list("ticket_id", flat=True))
    assert set(calls.values()) == {1} and len(calls) == len(tickets)
    assert set(Ticket.objects.values_list("status", flat=True)) == {"done"}
