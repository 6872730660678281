"""Races of the workplace on PostgreSQL, with truly concurrent requests to a live server
(each handled in its own thread with its own database connection)."""

from collections import Counter as Tally
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from offices.models import Membership
from tests.core.test_concurrency import run_at_once
from tests.helpers import add_counter, add_services, make_office, make_user, token_client
from tickets import services as svc
from tickets.models import Ticket, TicketEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def operators(django_user_model, office, count):
    users = [
        make_user(django_user_model, f"race-{n}", office=office, role=Membership.Role.OPERATOR) for n in range(count)
    ]
    return [token_client(user)._credentials["HTTP_AUTHORIZATION"] for user in users]


def test_two_operators_choosing_the_same_ticket_at_once_get_one_200_and_one_409(live_server, django_user_model):
    office = make_office("choose")
    services = add_services(office)
    counters = [add_counter(office, str(n), [services["fl"]]) for n in (1, 2)]
    tokens = operators(django_user_model, office, 2)
    tickets = [svc.ticket_issue(office=office, service=services["fl"]) for _ in range(10)]
    clients = [
        httpx.Client(base_url=live_server.url + "/api/v1/", headers={"Authorization": token}, timeout=60)
        for token in tokens
    ]
    try:
        # Ten rounds: both operators pick the same ticket, from the back of the list, at the same moment.
        for ticket in reversed(tickets):

            def choose(index, ticket=ticket):
                return clients[index].post(f"counters/{counters[index].pk}/call/", json={"ticket": ticket.pk})

            answers = run_at_once(2, 2, choose)
            assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
            refused = next(a for a in answers if a.status_code == 409)
            assert refused.json()["error"]["code"] == "ticket_not_waiting"
            winner = answers.index(next(a for a in answers if a.status_code == 200))
            finished = clients[winner].post(f"tickets/{ticket.pk}/finish/", json={"counter": counters[winner].pk})
            assert finished.status_code == 200, finished.text
    finally:
        for client in clients:
            client.close()
    calls = Tally(TicketEvent.objects.filter(type="called").values_list("ticket_id", flat=True))
    assert calls == {ticket.pk: 1 for ticket in tickets}
    assert set(Ticket.objects.values_list("status", flat=True)) == {"done"}


def test_tickets_coming_back_from_the_pool_while_counters_call_next_are_each_called_once(
    live_server, django_user_model
):
    office = make_office("pool")
    services = add_services(office)
    counters = [add_counter(office, str(n), [services["fl"]]) for n in (1, 2, 3)]
    tokens = operators(django_user_model, office, 3)
    operator = make_user(django_user_model, "parker", office=office, role=Membership.Role.OPERATOR)
    parking = add_counter(office, "9", [services["fl"]])
    pooled = []
    for _ in range(12):
        ticket = svc.ticket_issue(office=office, service=services["fl"])
        svc.ticket_call_chosen(counter=parking, ticket=ticket, operator=operator)
        svc.ticket_postpone(ticket=ticket, operator=operator, minutes=1)
        pooled.append(ticket)
    plain = [svc.ticket_issue(office=office, service=services["fl"]) for _ in range(12)]
    # The pooled tickets fall due one by one over the next 1.2 s, while three counters keep calling.
    start = timezone.now()
    for n, ticket in enumerate(pooled):
        Ticket.objects.filter(pk=ticket.pk).update(returns_at=start + timedelta(milliseconds=100 * n))
    deadline = start + timedelta(seconds=30)

    def work(index):
        called = []
        with httpx.Client(base_url=live_server.url, timeout=60, headers={"Authorization": tokens[index]}) as client:
            counter = counters[index]
            while len(called) < 24 and timezone.now() < deadline:
                response = client.post(f"/api/v1/counters/{counter.pk}/call-next/")
                if response.status_code == 204:
                    if not Ticket.objects.filter(status="waiting").exists():
                        return called
                    continue  # a pooled ticket not due yet: ask again
                assert response.status_code == 200, response.text
                called.append(response.json()["id"])
                finished = client.post(f"/api/v1/tickets/{called[-1]}/finish/", json={"counter": counter.pk})
                assert finished.status_code == 200, finished.text
        return called

    results = run_at_once(3, 3, work)
    everything = [ticket_id for called in results for ticket_id in called]
    assert sorted(everything) == sorted(t.pk for t in pooled + plain)
    calls = Tally(TicketEvent.objects.filter(type="called", counter__in=counters).values_list("ticket_id", flat=True))
    assert set(calls.values()) == {1} and len(calls) == 24
