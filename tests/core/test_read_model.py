"""One read model of the queue: positions from office_queue, and reads whose cost does not grow with the queue."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from displays import snapshots
from tests.helpers import token_client
from tickets import live, selectors
from tickets import services as svc
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

# Generous bounds: what matters is that they hold for any number of tickets.
TODAY_LIST_MAX_QUERIES = 16
SNAPSHOT_MAX_QUERIES = 20


def issue(office, services, n: int) -> None:
    codes = ["fl", "ul", "cash"]
    for i in range(n):
        svc.ticket_issue(office=office, service=services[codes[i % 3]], priority=i % 7 == 0)


def queries(func) -> int:
    with CaptureQueriesContext(connection) as captured:
        func()
    return len(captured)


def test_the_today_list_costs_the_same_for_10_and_200_tickets(
    office, services, counters, operator, django_assert_max_num_queries
):
    client = token_client(operator)
    client.get("/api/v1/offices/main/tickets/today/")  # the token and session machinery, once

    def today():
        response = client.get("/api/v1/offices/main/tickets/today/")
        assert response.status_code == 200
        return response.json()

    issue(office, services, 10)
    svc.ticket_call_next(counter=counters["1"], operator=operator)
    assert len(today()) == 10
    ten = queries(today)
    issue(office, services, 190)
    assert len(today()) == 200
    with django_assert_max_num_queries(TODAY_LIST_MAX_QUERIES):
        listed = today()
    assert queries(today) == ten
    # Positions in the list are the call order within each service.
    waiting = [t for t in listed if t["status"] == "waiting"]
    for code in ("fl", "ul", "cash"):
        assert [t["position"] for t in waiting if t["service"] == code] == list(
            range(sum(t["service"] == code for t in waiting))
        )


def test_the_office_live_state_costs_the_same_for_10_and_200_tickets(
    office, services, counters, operator, django_assert_max_num_queries
):
    issue(office, services, 10)
    svc.ticket_call_next(counter=counters["1"], operator=operator)
    ten = queries(lambda: live.build(office.pk))
    issue(office, services, 190)
    svc.ticket_call_next(counter=counters["2"], operator=operator)
    svc.ticket_finish(ticket=Ticket.objects.get(counter=counters["1"], status="called"), operator=operator)
    with django_assert_max_num_queries(SNAPSHOT_MAX_QUERIES):
        live.build(office.pk)
    assert queries(lambda: live.build(office.pk)) == ten


@pytest.mark.parametrize("snapshot", [snapshots.display_snapshot, snapshots.operators_snapshot])
def test_a_screen_snapshot_of_an_unchanged_office_reads_nothing(office, services, counters, operator, snapshot):
    issue(office, services, 10)
    first = snapshot(office.pk)
    assert queries(lambda: snapshot(office.pk)) == 0
    assert snapshot(office.pk)["seq"] == first["seq"]


def test_the_office_queue_orders_front_then_priority_then_arrival(office, services, counters, operator):
    plain = svc.ticket_issue(office=office, service=services["fl"])
    vip = svc.ticket_issue(office=office, service=services["fl"], priority=True)
    moved = svc.ticket_issue(office=office, service=services["ul"])
    svc.ticket_call_next(counter=counters["2"], operator=operator)
    moved = svc.ticket_transfer(ticket=moved, service=services["fl"], to_front=True, operator=operator)
    queue = selectors.office_queue(office)
    assert queue.numbers(services["fl"].pk) == [moved.number, vip.number, plain.number]
    plain.refresh_from_db()
    assert [queue.position(t) for t in (moved, vip, plain)] == [0, 1, 2]
    # The phone's own answer for a ticket agrees with the list.
    assert selectors.tracking_status(plain)["position"] == 2


def test_one_tickets_counted_place_agrees_with_the_office_queue(office, services, counters, operator):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    tickets = [
        svc.ticket_issue(office=office, service=services["fl"], priority=i % 4 == 1, now=now + timedelta(seconds=i))
        for i in range(12)
    ]
    svc.counter_set_state(counter=counters["1"], state="open", user=operator)
    for ticket in tickets[:3]:
        # Called, then sent back: to the front, to the back, and into the pool (already due).
        svc.ticket_call_chosen(counter=counters["1"], ticket=ticket, operator=operator, now=now + timedelta(minutes=1))
        if ticket is tickets[0]:
            svc.ticket_transfer(ticket=ticket, service=services["fl"], to_front=True, operator=operator)
        elif ticket is tickets[1]:
            svc.ticket_postpone(ticket=ticket, operator=operator, now=now + timedelta(minutes=1))
        else:
            svc.ticket_postpone(ticket=ticket, operator=operator, minutes=1, now=now + timedelta(minutes=1))
    svc.ticket_issue(office=office, service=services["ul"])
    later = now + timedelta(minutes=5)
    queue = selectors.office_queue(office, later)
    waiting = Ticket.objects.filter(status="waiting")
    assert len(waiting) == 13
    for ticket in waiting:
        assert selectors.ahead_of(ticket, later) == queue.position(ticket), ticket.number
    assert sorted(selectors.ahead_of(t, later) for t in waiting if t.service_id == services["fl"].pk) == list(range(12))


def test_an_issued_tickets_place_is_counted_alone_as_the_whole_queue_has_it(office, services, counters, operator):
    for i in range(6):
        svc.ticket_issue(office=office, service=services["fl"], priority=i == 3)
    moved = svc.ticket_issue(office=office, service=services["ul"])
    svc.ticket_call_next(counter=counters["2"], operator=operator)
    svc.ticket_transfer(ticket=moved, service=services["fl"], to_front=True, operator=operator)
    parked = svc.ticket_call_next(counter=counters["1"], operator=operator)
    svc.ticket_postpone(ticket=parked, operator=operator, minutes=1)
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        # Back from the pool, and new tickets after it, plain and priority.
        fresh = [svc.ticket_issue(office=office, service=services["fl"], priority=p) for p in (False, True, False)]
        queue = selectors.office_queue(office)
        for ticket in fresh:
            assert selectors.place(ticket) == (queue.position(ticket), queue.estimated_wait(ticket))
        # The issue's answer says the same.
        answer = token_client(operator).post(
            f"/api/v1/offices/{office.code}/tickets/", {"service": "fl"}, format="json"
        )
        issued = Ticket.objects.get(pk=answer.json()["id"])
        queue = selectors.office_queue(office)
        assert (answer.json()["position"], answer.json()["estimated_wait_seconds"]) == (
            queue.position(issued),
            queue.estimated_wait(issued),
        )


def test_each_services_estimate_reads_its_own_latest_finished_tickets(office, services):
    now = timezone.now()
    seconds = {"fl": [100] * 5 + [400] * selectors.ESTIMATE_SAMPLE, "ul": [200, 300]}
    for code, durations in seconds.items():
        for n, duration in enumerate(durations):  # the last ones are the latest
            Ticket.objects.create(
                office=office,
                service=services[code],
                number=f"{services[code].prefix}{n + 1:03d}",
                local_date=office.local_date(now),
                status=Ticket.Status.DONE,
                issued_at=now,
                queued_at=now,
                finished_at=now + timedelta(seconds=n),
                service_seconds=duration,
            )
    ids = [services[code].pk for code in ("fl", "ul", "cash")]

    averages = selectors.average_service_seconds_by_service(ids)

    assert averages == {
        services["fl"].pk: 400,
        services["ul"].pk: 250,
        services["cash"].pk: float(settings.DEFAULT_SERVICE_SECONDS),
    }
    assert averages == {pk: selectors.average_service_seconds(pk) for pk in ids}
