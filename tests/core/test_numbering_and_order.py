"""Daily numbering, the order of calls, backup services and office hours."""

from datetime import UTC, datetime, time, timedelta

import pytest

from offices.models import OfficeHours
from tests.helpers import add_services, make_office
from tickets import services as svc
from tickets.errors import OfficeClosed, ServiceInactive
from tickets.models import DailySequence, Ticket

T0 = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)


def issue(office, service, now, priority=False):
    return svc.ticket_issue(office=office, service=service, priority=priority, now=now)


def test_numbers_are_consecutive_and_zero_padded_per_prefix(office, services):
    numbers = [issue(office, services["fl"], T0).number for _ in range(3)]
    numbers.append(issue(office, services["cash"], T0).number)
    assert numbers == ["А001", "А002", "А003", "К001"]


def test_numbering_restarts_at_local_midnight(office, services):
    # Moscow is UTC+3: 20:59 UTC is 23:59 local, 21:01 UTC is 00:01 next day.
    late = issue(office, services["fl"], datetime(2024, 3, 5, 20, 59, tzinfo=UTC))
    later = issue(office, services["fl"], datetime(2024, 3, 5, 20, 59, 30, tzinfo=UTC))
    next_day = issue(office, services["fl"], datetime(2024, 3, 5, 21, 1, tzinfo=UTC))
    assert (late.number, later.number, next_day.number) == ("А001", "А002", "А001")
    assert late.local_date.isoformat() == "2024-03-05"
    assert next_day.local_date.isoformat() == "2024-03-06"
    # History is kept: both days' sequences stay.
    assert sorted(DailySequence.objects.values_list("day", "last")) == [
        (late.local_date, 2),
        (next_day.local_date, 1),
    ]


def test_numbering_follows_the_office_time_zone(db):
    office = make_office("ekb", timezone="Asia/Yekaterinburg")  # UTC+5
    services = add_services(office)
    before = issue(office, services["fl"], datetime(2024, 3, 5, 18, 59, tzinfo=UTC))
    after = issue(office, services["fl"], datetime(2024, 3, 5, 19, 1, tzinfo=UTC))
    assert before.number == after.number == "А001"
    assert after.local_date.isoformat() == "2024-03-06"


def test_priority_tickets_are_called_first_then_the_longest_waiting(office, services, counters, operator):
    first = issue(office, services["fl"], T0)
    second = issue(office, services["fl"], T0 + timedelta(minutes=1))
    priority = issue(office, services["fl"], T0 + timedelta(minutes=2), priority=True)
    order = []
    for minute in range(3, 6):
        ticket = svc.ticket_call_next(counter=counters["1"], operator=operator, now=T0 + timedelta(minutes=minute))
        order.append(ticket.number)
        svc.ticket_finish(ticket=ticket, operator=operator, now=T0 + timedelta(minutes=minute, seconds=30))
    assert order == [priority.number, first.number, second.number]


def test_backup_services_are_taken_only_when_main_ones_are_empty(office, services, counters, operator):
    ul = issue(office, services["ul"], T0)
    fl = issue(office, services["fl"], T0 + timedelta(minutes=5))
    # Counter 1 serves fl as main and ul as backup: the later fl ticket wins.
    got = svc.ticket_call_next(counter=counters["1"], operator=operator, now=T0 + timedelta(minutes=6))
    assert got.pk == fl.pk
    svc.ticket_finish(ticket=got, operator=operator, now=T0 + timedelta(minutes=7))
    got = svc.ticket_call_next(counter=counters["1"], operator=operator, now=T0 + timedelta(minutes=8))
    assert got.pk == ul.pk


def test_a_counter_never_takes_services_it_does_not_serve(office, services, counters, operator):
    issue(office, services["cash"], T0)
    assert svc.ticket_call_next(counter=counters["1"], operator=operator, now=T0) is None
    assert svc.ticket_call_next(counter=counters["3"], operator=operator, now=T0).number == "К001"


def test_past_days_tickets_never_appear_in_the_queue(office, services, counters, operator):
    issue(office, services["fl"], T0 - timedelta(days=1))
    assert svc.ticket_call_next(counter=counters["1"], operator=operator, now=T0) is None


def test_inactive_service_cannot_be_issued(office, services):
    services["fl"].active = False
    services["fl"].save()
    with pytest.raises(ServiceInactive):
        issue(office, services["fl"], T0)
    assert not Ticket.objects.exists()


@pytest.fixture
def weekday_office(db):
    # Open Monday-Friday 08:00-17:00 Moscow, stop issuing 15 minutes before closing.
    office = make_office("weekday", all_day=False, stop_issuing_minutes=15)
    for weekday in range(5):
        OfficeHours.objects.create(office=office, weekday=weekday, opens=time(8), closes=time(17))
    return office, add_services(office)


@pytest.mark.parametrize(
    ("local", "allowed"),
    [
        ("2024-03-05 07:59", False),  # Tuesday, before opening
        ("2024-03-05 08:00", True),
        ("2024-03-05 16:44", True),
        ("2024-03-05 16:45", False),  # within the stop-issuing time
        ("2024-03-05 17:00", False),
        ("2024-03-09 10:00", False),  # Saturday is not listed: closed
    ],
)
def test_office_hours_and_stop_issuing_time(weekday_office, local, allowed):
    office, services = weekday_office
    moment = datetime.fromisoformat(local).replace(tzinfo=office.tz)
    if allowed:
        assert issue(office, services["fl"], moment).status == "waiting"
    else:
        with pytest.raises(OfficeClosed) as error:
            issue(office, services["fl"], moment)
        assert error.value.code == "office_closed"
        assert not Ticket.objects.exists()


def test_closed_office_message_names_the_hours(weekday_office):
    office, services = weekday_office
    with pytest.raises(OfficeClosed) as error:
        issue(office, services["fl"], datetime(2024, 3, 9, 10, tzinfo=office.tz))
    assert "Пн 08:00-17:00" in error.value.message


def test_stop_issuing_message_differs_while_still_open(weekday_office):
    office, services = weekday_office
    with pytest.raises(OfficeClosed) as error:
        issue(office, services["fl"], datetime(2024, 3, 5, 16, 50, tzinfo=office.tz))
    assert "за 15 мин. до закрытия" in error.value.message
    assert office.is_open(datetime(2024, 3, 5, 16, 50, tzinfo=office.tz))


def test_hours_to_midnight_are_open_until_the_end_of_the_day(db):
    office = make_office("late", all_day=False)
    OfficeHours.objects.create(office=office, weekday=1, opens=time(20), closes=time(0))
    assert office.is_open(datetime(2024, 3, 5, 23, 59, tzinfo=office.tz))
    assert not office.is_open(datetime(2024, 3, 6, 0, 1, tzinfo=office.tz))


def test_close_day_expires_past_unfinished_tickets_only(office, services, counters, operator):
    yesterday = T0 - timedelta(days=1)
    waiting_old = issue(office, services["fl"], yesterday)
    called_old = issue(office, services["ul"], yesterday)
    svc.ticket_call_next(counter=counters["2"], operator=operator, now=yesterday)
    done_old = issue(office, services["cash"], yesterday)
    svc.ticket_call_next(counter=counters["3"], operator=operator, now=yesterday)
    svc.ticket_finish(ticket=done_old, operator=operator, now=yesterday)
    today = issue(office, services["fl"], T0)

    assert svc.close_day(now=T0) == 2
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses == {
        waiting_old.pk: "expired",
        called_old.pk: "expired",
        done_old.pk: "done",
        today.pk: "waiting",
    }
    # The counter is free again once its stale ticket expired.
    assert svc.ticket_call_next(counter=counters["2"], operator=operator, now=T0) is None
    assert svc.close_day(now=T0) == 0


def test_close_day_with_today_expires_todays_unfinished_tickets(office, services):
    ticket = issue(office, services["fl"], T0)
    assert svc.close_day(now=T0, include_today=True) == 1
    ticket.refresh_from_db()
    assert ticket.status == "expired"
    assert ticket.events.last().type == "expired"


def test_close_day_command_reports_the_count(office, services, capsys):
    from django.core.management import call_command

    issue(office, services["fl"], T0 - timedelta(days=2))
    call_command("close_day")
    assert "Истёкших талонов: 1." in capsys.readouterr().out


def test_positions_follow_the_call_order(office, services, counters, operator):
    from tickets.selectors import position

    plain = [issue(office, services["fl"], T0 + timedelta(minutes=m)) for m in range(3)]
    vip = issue(office, services["fl"], T0 + timedelta(minutes=5), priority=True)
    # A ticket transferred to the front of fl goes before everyone.
    moved = issue(office, services["ul"], T0 + timedelta(minutes=6))
    svc.ticket_call_next(counter=counters["2"], operator=operator, now=T0 + timedelta(minutes=7))
    svc.ticket_transfer(
        ticket=moved, service=services["fl"], to_front=True, operator=operator, now=T0 + timedelta(minutes=8)
    )
    tickets = [moved, vip, *plain]
    for ticket in tickets:
        ticket.refresh_from_db()
    assert [position(t) for t in tickets] == [0, 1, 2, 3, 4]
    called = [
        svc.ticket_call_next(counter=c, operator=operator, now=T0 + timedelta(minutes=9)) for c in (counters["1"],)
    ]
    assert called[0].pk == moved.pk


def take_numbers(office, service, day, numbers) -> None:
    """Tickets that reached the table without the sequence row: what an import of today's tickets did."""
    Ticket.objects.bulk_create(
        Ticket(
            office=office,
            service=service,
            number=f"{service.prefix}{n:03d}",
            local_date=day,
            status=Ticket.Status.DONE,
            issued_at=T0,
            queued_at=T0,
            imported=True,
        )
        for n in numbers
    )


def test_issuing_steps_over_numbers_already_taken_and_the_service_is_never_stuck(office, services, caplog):
    take_numbers(office, services["cash"], office.local_date(T0), [1, 2, 3, 4, 5, 7])
    assert issue(office, services["cash"], T0).number == "К006"
    assert issue(office, services["cash"], T0).number == "К008"
    assert issue(office, services["cash"], T0).number == "К009"
    assert DailySequence.objects.get(prefix="К").last == 9
    assert "К001 of office main is already taken" in caplog.text


def test_issuing_inside_an_outer_transaction_still_steps_over_a_taken_number(office, services):
    from django.db import transaction

    take_numbers(office, services["cash"], office.local_date(T0), [1])
    with transaction.atomic():
        assert issue(office, services["cash"], T0).number == "К002"
        assert Ticket.objects.filter(imported=False).count() == 1


def test_a_thousand_taken_numbers_in_a_row_answer_numbering_exhausted(office, services, client):
    take_numbers(office, services["cash"], office.local_date(), range(1, 1001))
    response = client.post("/api/v1/offices/main/tickets/", {"service": "cash"}, content_type="application/json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "numbering_exhausted"
    assert not Ticket.objects.filter(imported=False).exists()
    # Other services of the office are not affected.
    response = client.post("/api/v1/offices/main/tickets/", {"service": "fl"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["number"] == "А001"


def test_stepping_over_an_imported_number_never_takes_one_handed_out_but_not_yet_written(office, services):
    # An issue takes its number, then writes its ticket: between the two, its number
    # is nowhere in the ticket table, and the step-over must not take it.
    take_numbers(office, services["fl"], office.local_date(), [2])
    first = svc.ticket_prepare(office=office, service=services["fl"])  # А001: free
    stepping = svc.ticket_prepare(office=office, service=services["fl"])  # А002: imported
    between = svc.ticket_prepare(office=office, service=services["fl"])  # А003: handed out, not yet written
    assert [first.number, stepping.number, between.number] == ["А001", "А002", "А003"]
    assert svc.ticket_issue_prepared(first).number == "А001"
    assert svc.ticket_issue_prepared(stepping).number == "А004"
    assert svc.ticket_issue_prepared(between).number == "А003"
    assert svc.ticket_issue(office=office, service=services["fl"]).number == "А005"
