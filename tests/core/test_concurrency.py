"""Two kiosks never get the same number; two counters never get the same ticket.

The PostgreSQL tests send truly concurrent HTTP requests to a live server,
each handled in its own thread with its own database connection.
"""

import threading
from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from django.db import IntegrityError, transaction

from offices.models import Membership
from tests.helpers import add_counter, add_services, make_office, make_user, token_client
from tickets import services as svc
from tickets.models import Ticket, TicketEvent

T0 = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)


def run_at_once(count: int, workers: int, job):
    barrier = threading.Barrier(min(count, workers))

    def wrapped(index):
        if index < workers:
            barrier.wait(timeout=30)
        return job(index)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(wrapped, range(count)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_200_concurrent_issues_get_200_distinct_consecutive_numbers(live_server):
    office = make_office("busy")
    add_services(office)
    url = f"{live_server.url}/api/v1/offices/busy/tickets/"

    def issue(_):
        with httpx.Client(timeout=60) as client:
            response = client.post(url, json={"service": "fl"})
        assert response.status_code == 201, response.text
        return response.json()["number"]

    numbers = run_at_once(200, 40, issue)
    assert len(set(numbers)) == 200
    assert sorted(numbers) == [f"А{n:03d}" for n in range(1, 201)]
    assert Ticket.objects.filter(office=office).count() == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_counters_calling_at_once_call_each_of_100_tickets_exactly_once(live_server, django_user_model):
    office = make_office("rush")
    services = add_services(office)
    for _ in range(100):
        svc.ticket_issue(office=office, service=services["fl"])
    operator = make_user(django_user_model, "rush-op", office=office, role=Membership.Role.OPERATOR)
    token = token_client(operator)._credentials["HTTP_AUTHORIZATION"]
    counters = [add_counter(office, str(n), [services["fl"]]) for n in range(1, 11)]

    def work(index):
        called = []
        with httpx.Client(base_url=live_server.url, timeout=60, headers={"Authorization": token}) as client:
            counter = counters[index]
            while True:
                response = client.post(f"/api/v1/counters/{counter.pk}/call-next/")
                if response.status_code == 204:
                    return called
                assert response.status_code == 200, response.text
                ticket = response.json()
                assert ticket["counter"] == counter.number
                called.append(ticket["id"])
                finished = client.post(f"/api/v1/tickets/{ticket['id']}/finish/", json={"counter": counter.pk})
                assert finished.status_code == 200, finished.text

    per_counter = run_at_once(10, 10, work)
    every_call = [tid for calls in per_counter for tid in calls]
    assert len(every_call) == 100
    assert len(set(every_call)) == 100
    # More than one counter did the work: the calls really interleaved.
    assert sum(1 for calls in per_counter if calls) > 1
    assert set(Ticket.objects.filter(office=office).values_list("status", flat=True)) == {"done"}
    calls_per_ticket = Tally(
        TicketEvent.objects.filter(ticket__office=office, type="called").values_list("ticket_id", flat=True)
    )
    assert set(calls_per_ticket.values()) == {1} and len(calls_per_ticket) == 100


def test_the_database_refuses_a_duplicate_number_for_the_same_day(office, services):
    ticket = svc.ticket_issue(office=office, service=services["fl"], now=T0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.create(
            office=office,
            service=services["fl"],
            number=ticket.number,
            local_date=ticket.local_date,
            issued_at=T0,
            queued_at=T0,
        )


def test_the_database_refuses_two_active_tickets_at_one_counter(office, services, counters, operator):
    first = svc.ticket_issue(office=office, service=services["fl"], now=T0)
    second = svc.ticket_issue(office=office, service=services["fl"], now=T0)
    svc.ticket_call_next(counter=counters["1"], operator=operator, now=T0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=second.pk).update(status="called", counter=counters["1"])
    first.refresh_from_db()
    assert first.status == "called"


def test_the_database_refuses_an_active_ticket_without_a_counter(office, services):
    ticket = svc.ticket_issue(office=office, service=services["fl"], now=T0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(status="serving")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_closing_the_day_while_a_call_commits_expires_the_called_ticket_and_clears_its_counter(monkeypatch):
    from django.db import connection, connections

    from tickets import broadcast

    office = make_office("late")
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]])
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    sent = []
    send = broadcast._send_numbered
    monkeypatch.setattr(broadcast, "_send_numbered", lambda group, m: sent.append(m) or send(group, m))
    called, release, outcome = threading.Event(), threading.Event(), {}

    def call_and_hold():
        try:
            with transaction.atomic():
                svc.ticket_call_next(counter=counter, operator=None)
                called.set()
                release.wait(10)
        finally:
            connections.close_all()

    def close_day():
        try:
            outcome["expired"] = svc.close_day(office=office, include_today=True)
        except Exception as error:  # noqa: BLE001 - the failure this test is about
            outcome["error"] = error
        finally:
            connections.close_all()

    caller = threading.Thread(target=call_and_hold)
    caller.start()
    assert called.wait(10)
    closer = threading.Thread(target=close_day)
    closer.start()
    # close_day waits for the call's row lock; the call commits only then.
    with connection.cursor() as cursor:
        for _ in range(100):
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.05)
    release.set()
    caller.join(10)
    closer.join(10)

    assert outcome == {"expired": 1}
    ticket.refresh_from_db()
    assert ticket.status == "expired"
    assert TicketEvent.objects.get(ticket=ticket, type="expired").data == {"previous": "called"}
    cleared = [m for m in sent if m["type"] == "ticket.cleared"]
    assert cleared and {m["counter"] for m in cleared} == {"1"}
