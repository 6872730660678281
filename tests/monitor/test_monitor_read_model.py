"""The monitor's read model with fixed timestamps: over the norm now, the day's share, the day chart, query counts."""

from datetime import UTC, datetime, time, timedelta

import pytest

from displays import monitor
from offices.models import OfficeHours
from tests.helpers import add_counter, add_services, make_office
from tickets import live
from tickets import services as svc

# Tuesday 3 March 2026, 09:00 in Moscow (UTC+3).
T0 = datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


@pytest.fixture
def hall(db):
    office = make_office("hall", wait_norm_minutes=15)
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"], services["ul"]])
    return office, services, counter


def serve(counter, operator, *, called: datetime, finished: datetime):
    ticket = svc.ticket_call_next(counter=counter, operator=operator, now=called)
    svc.ticket_finish(ticket=ticket, operator=operator, now=finished)
    return ticket


def by_code(state: dict) -> dict:
    return {s["code"]: s for s in state["services"]}


def test_a_ticket_waiting_twenty_minutes_with_a_norm_of_fifteen_is_over_the_norm_now(hall, operator):
    office, services, counter = hall
    svc.ticket_issue(office=office, service=services["fl"], now=T0)
    svc.ticket_issue(office=office, service=services["fl"], now=T0 + 10 * MIN)
    state = monitor.norm_now(office, T0 + 20 * MIN)
    fl = by_code(state)["fl"]
    assert (fl["waiting"], fl["over"]) == (2, 1)
    assert by_code(state)["ul"]["over"] == 0
    assert state["over"] == 1
    # Each waiting ticket carries the moment it crosses the norm, so the screen keeps counting.
    assert fl["over_at"] == [(T0 + 15 * MIN).isoformat(), (T0 + 25 * MIN).isoformat()]
    # Nobody has been called yet: the day's share is the one waiting over the norm, of one counted.
    assert state["share"] == 1.0


def test_the_share_over_the_norm_counts_those_still_waiting_and_leaves_out_those_under_it(hall, operator):
    office, services, counter = hall
    svc.ticket_issue(office=office, service=services["fl"], now=T0)
    serve(counter, operator, called=T0 + 5 * MIN, finished=T0 + 8 * MIN)  # waited 5 min: under
    svc.ticket_issue(office=office, service=services["ul"], now=T0 + 10 * MIN)  # will wait 20 min
    svc.ticket_issue(office=office, service=services["ul"], now=T0 + 25 * MIN)  # 5 min so far: open
    state = monitor.norm_now(office, T0 + 30 * MIN)
    assert (state["settled"], state["settled_over"], state["over"]) == (1, 0, 1)
    assert state["share"] == 0.5
    # The old definition (finished tickets only) would say 0 %.


def test_the_wait_before_a_transfer_counts_towards_the_norm(hall, operator):
    office, services, counter = hall
    ticket = svc.ticket_issue(office=office, service=services["fl"], now=T0)
    svc.ticket_call_next(counter=counter, operator=operator, now=T0 + 12 * MIN)
    svc.ticket_transfer(ticket=ticket, service=services["ul"], to_front=False, operator=operator, now=T0 + 14 * MIN)
    # 12 minutes before the call, then 4 more in the new queue: 16 > 15.
    assert by_code(monitor.norm_now(office, T0 + 18 * MIN))["ul"]["over"] == 1
    assert by_code(monitor.norm_now(office, T0 + 16 * MIN))["ul"]["over"] == 0


def test_the_day_chart_counts_arrivals_and_mean_wait_by_local_hour_against_the_same_weekday(db, operator):
    office = make_office("chart", all_day=False, wait_norm_minutes=15)
    for weekday in range(7):
        OfficeHours.objects.create(office=office, weekday=weekday, opens=time(8, 0), closes=time(12, 0))
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]])
    fl = services["fl"]

    def at(day_offset: int, hh: int, mm: int) -> datetime:
        # Local Moscow time on T0's date shifted by days.
        return T0 + timedelta(days=day_offset, hours=hh - 9, minutes=mm)

    # Today: two arrivals at 9, one at 10; the first two called after 10 and 20 minutes.
    svc.ticket_issue(office=office, service=fl, now=at(0, 9, 0))
    svc.ticket_issue(office=office, service=fl, now=at(0, 9, 10))
    svc.ticket_issue(office=office, service=fl, now=at(0, 10, 5))
    serve(counter, operator, called=at(0, 9, 10), finished=at(0, 9, 20))
    serve(counter, operator, called=at(0, 9, 30), finished=at(0, 9, 40))
    # One and two Tuesdays ago: 1 and 3 arrivals at 9 (waits 4 and 6 min for two of them).
    svc.ticket_issue(office=office, service=fl, now=at(-7, 9, 0))
    serve(counter, operator, called=at(-7, 9, 4), finished=at(-7, 9, 5))
    for mm in (0, 1, 2):
        svc.ticket_issue(office=office, service=fl, now=at(-14, 9, mm))
    serve(counter, operator, called=at(-14, 9, 6), finished=at(-14, 9, 7))
    # A Monday does not count for a Tuesday.
    svc.ticket_issue(office=office, service=fl, now=at(-1, 9, 0))

    chart = monitor.day_chart(office, at(0, 10, 30))

    assert chart["labels"] == ["8:00", "9:00", "10:00", "11:00"]
    assert chart["today"]["arrivals"] == [0, 2, 1, 0]
    assert chart["today"]["avg_wait"] == [None, 15 * 60, None, None]
    assert chart["usual"]["days"] == 2
    assert chart["usual"]["arrivals"] == [0, 2.0, 0, 0]
    assert chart["usual"]["avg_wait"] == [None, 5 * 60, None, None]
    assert chart["usual"]["label"] == "Среднее по 6 прошлым вторникам"


def test_the_snapshot_and_the_pushed_figures_take_a_fixed_number_of_queries(
    hall, operator, django_assert_max_num_queries
):
    office, services, counter = hall
    add_counter(office, "2", [services["cash"]])
    for _ in range(25):
        svc.ticket_issue(office=office, service=services["fl"])
        svc.ticket_issue(office=office, service=services["cash"])
    svc.ticket_call_next(counter=counter, operator=operator)
    # However long the queue and however many counters: 11 (one of them today's bookings, one the
    # unseen low ratings) and 11, once the office's live state is built (tests/core/test_read_model.py
    # counts that build).
    live.get(office.pk)
    with django_assert_max_num_queries(11):
        snapshot = monitor.monitor_snapshot(office.pk)
    with django_assert_max_num_queries(11):
        stats = monitor.monitor_stats(office.pk)
    assert snapshot["waiting"]["fl"] == 24 and len(snapshot["counters"]) == 2
    assert snapshot["counters"][0]["ticket"]["number"] == "А001"
    assert stats["type"] == "monitor.stats" and sum(stats["chart"]["today"]["arrivals"]) == 50
