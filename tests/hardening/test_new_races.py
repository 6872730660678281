"""Races of the new surfaces on PostgreSQL, with truly concurrent requests to a live server:
a client giving up a ticket while an operator calls it, and a manager closing a counter
remotely while its operator calls the next client. Exactly one side wins each round,
nothing is lost, and the event logs say what happened."""

from collections import Counter as Tally

import httpx
import pytest

from offices.models import Counter, CounterEvent, Membership
from tests.core.test_concurrency import run_at_once
from tests.helpers import add_counter, add_services, make_office, make_user, token_client
from tickets import services as svc
from tickets.models import Ticket, TicketEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 12


def auth(user) -> dict:
    return {"Authorization": token_client(user)._credentials["HTTP_AUTHORIZATION"]}


@pytest.mark.parametrize("call", ["chosen", "next"])
def test_a_client_giving_up_while_the_operator_calls_either_gives_up_or_is_called_never_both(
    live_server, django_user_model, call
):
    office = make_office("race")
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]])
    operator = make_user(django_user_model, "race-op", office=office, role=Membership.Role.OPERATOR)
    tickets = []
    staff = httpx.Client(base_url=live_server.url + "/api/v1/", headers=auth(operator), timeout=60)
    phone = httpx.Client(base_url=live_server.url + "/api/v1/", timeout=60)
    outcomes = Tally()
    try:
        for _ in range(ROUNDS):
            # One waiting ticket per round: the one call-next would take and the client gives up.
            ticket = svc.ticket_issue(office=office, service=services["fl"])
            tickets.append(ticket)

            def act(index, ticket=ticket):
                if index == 0:
                    return phone.delete(f"tickets/{ticket.token}/")
                if call == "chosen":
                    return staff.post(f"counters/{counter.pk}/call/", json={"ticket": ticket.pk})
                return staff.post(f"counters/{counter.pk}/call-next/")

            gave_up, called = run_at_once(2, 2, act)
            ticket.refresh_from_db()
            if gave_up.status_code == 200:
                assert ticket.status == "cancelled"
                assert gave_up.json()["status"] == "cancelled"
                # The operator got nothing: the queue is empty (204) or the ticket is gone (409).
                assert called.status_code == (204 if call == "next" else 409), called.text
                outcomes["gave up"] += 1
            else:
                assert gave_up.status_code == 409, gave_up.text
                assert gave_up.json()["error"]["code"] == "not_waiting"
                assert called.status_code == 200 and called.json()["id"] == ticket.pk, called.text
                assert ticket.status == "called"
                outcomes["called"] += 1
            # Free the counter for the next round.
            active = Ticket.objects.filter(counter=counter, status="called").first()
            if active is not None:
                assert staff.post(f"tickets/{active.pk}/finish/", json={}).status_code == 200
    finally:
        staff.close()
        phone.close()
    assert sum(outcomes.values()) == ROUNDS
    for ticket in tickets:
        kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("type", flat=True))
        # Issued, then either cancelled, or called and finished: never both a call and a cancel.
        assert kinds in (["issued", "cancelled"], ["issued", "called", "finished"]), (ticket.number, kinds)
    print(f"\n{call}: {dict(outcomes)}")


def test_a_remote_close_while_the_operator_calls_next_either_closes_an_empty_counter_or_is_refused(
    live_server, django_user_model
):
    office = make_office("remote-race")
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]])
    operator = make_user(django_user_model, "rr-op", office=office, role=Membership.Role.OPERATOR)
    manager = make_user(django_user_model, "rr-mgr", office=office, role=Membership.Role.MANAGER)
    staff = httpx.Client(base_url=live_server.url + "/api/v1/", headers=auth(operator), timeout=60)
    boss = httpx.Client(base_url=live_server.url + "/api/v1/", headers=auth(manager), timeout=60)
    outcomes = Tally()
    try:
        for _ in range(ROUNDS):
            assert staff.post(f"counters/{counter.pk}/state/", json={"state": "open"}).status_code == 200
            ticket = svc.ticket_issue(office=office, service=services["fl"])

            def act(index):
                if index == 0:
                    return boss.post(f"counters/{counter.pk}/remote/", json={"state": "closed"})
                return staff.post(f"counters/{counter.pk}/call-next/")

            closed, called = run_at_once(2, 2, act)
            counter.refresh_from_db()
            ticket.refresh_from_db()
            if closed.status_code == 200:
                assert called.status_code == 409 and called.json()["error"]["code"] == "counter_not_open", called.text
                assert counter.state == "closed" and ticket.status == "waiting"
                outcomes["closed"] += 1
                svc.ticket_cancel(ticket=ticket, operator=operator)
            else:
                assert closed.status_code == 409 and closed.json()["error"]["code"] == "counter_busy", closed.text
                assert called.status_code == 200 and called.json()["id"] == ticket.pk
                assert counter.state == "open" and ticket.status == "called"
                outcomes["called"] += 1
                assert staff.post(f"tickets/{ticket.pk}/finish/", json={}).status_code == 200
    finally:
        staff.close()
        boss.close()
    assert sum(outcomes.values()) == ROUNDS
    # A closed counter never holds a client, and every remote close is in the counter's log.
    assert not Ticket.objects.filter(counter=counter, status__in=["called", "serving"]).exists()
    remote_closes = CounterEvent.objects.filter(counter=counter, type="closed", user=manager).count()
    assert remote_closes == outcomes["closed"]
    assert Counter.objects.get(pk=counter.pk).state in ("open", "closed")
    print(f"\nremote close vs call-next: {dict(outcomes)}")
