"""Booked tickets in the call order, their wait, close_day's no-shows and the erasure of personal data."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings

from bookings.models import Booking
from bookings.services import booking_check_in, booking_create, bookings_close_day
from offices.models import Membership
from tests.helpers import make_user
from tickets import selectors
from tickets.models import Ticket
from tickets.services import ticket_call_next, ticket_issue

# 10:30 Moscow on Monday 2026-12-07.
SLOT = datetime(2026, 12, 7, 7, 30, tzinfo=UTC)
BOOKED_AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def moscow(hour, minute, second=0):
    return datetime(2026, 12, 7, hour - 3, minute, second, tzinfo=UTC)


@pytest.fixture
def operator(booking_office, django_user_model):
    return make_user(django_user_model, "op-bk", office=booking_office, role=Membership.Role.OPERATOR)


CHECKED_IN = moscow(10, 20)


def booked_ticket(office, *, start=SLOT, checked_in=CHECKED_IN, **personal) -> Ticket:
    booking = booking_create(
        office=office, service=office.svc["fl"], start=start, consent=bool(personal), now=BOOKED_AT, **personal
    )
    return booking_check_in(office=office, code=booking.code, now=checked_in).ticket


def walk_in(office, at) -> Ticket:
    return ticket_issue(office=office, service=office.svc["fl"], now=at)


def test_before_its_slot_a_booked_ticket_waits_like_any_other(booking_office, operator):
    early = walk_in(booking_office, moscow(10, 10))
    booked = booked_ticket(booking_office)
    later = walk_in(booking_office, moscow(10, 25))
    order = [ticket_call_next(counter=booking_office.counter, operator=operator, now=moscow(10, 29)).pk]
    assert order == [early.pk]
    assert booked.number == "З001" and later.number == "А002"


def test_once_its_slot_starts_a_booked_ticket_is_called_ahead_of_walk_ins(booking_office, operator):
    walk_ins = [walk_in(booking_office, moscow(10, minute)) for minute in (0, 5)]
    booked = booked_ticket(booking_office)
    called = ticket_call_next(counter=booking_office.counter, operator=operator, now=moscow(10, 30))
    assert called.pk == booked.pk
    assert [t.pk for t in Ticket.objects.filter(status="waiting").in_call_order(moscow(10, 30))] == [
        t.pk for t in walk_ins
    ]


def test_booked_tickets_whose_slots_started_go_by_slot_start_behind_priority(booking_office, operator):
    second = booked_ticket(booking_office, start=SLOT + timedelta(minutes=15), checked_in=moscow(10, 31))
    first = booked_ticket(booking_office, start=SLOT, checked_in=moscow(10, 32))
    priority = ticket_issue(office=booking_office, service=booking_office.svc["fl"], priority=True, now=moscow(10, 33))
    now = moscow(10, 50)
    order = list(Ticket.objects.filter(status="waiting").in_call_order(now).values_list("pk", flat=True))
    assert order == [priority.pk, first.pk, second.pk]


def test_the_phone_position_uses_the_same_order(booking_office):
    walk_in(booking_office, moscow(10, 0))
    booked = booked_ticket(booking_office)
    assert selectors.office_queue(booking_office, moscow(10, 29)).position(booked) == 1
    assert selectors.office_queue(booking_office, moscow(10, 31)).position(booked) == 0


def test_an_early_check_in_waits_from_the_slot_start(booking_office, operator):
    booked = booked_ticket(booking_office, checked_in=moscow(10, 16))
    called = ticket_call_next(counter=booking_office.counter, operator=operator, now=moscow(10, 33))
    assert called.pk == booked.pk and called.wait_seconds == 180


def test_a_late_check_in_waits_from_the_check_in(booking_office, operator):
    booked_ticket(booking_office, checked_in=moscow(10, 35))
    called = ticket_call_next(counter=booking_office.counter, operator=operator, now=moscow(10, 36))
    assert called.wait_seconds == 60


def test_close_day_stores_the_no_shows(booking_office):
    booking = booking_create(office=booking_office, service=booking_office.svc["fl"], start=SLOT, now=BOOKED_AT)
    assert bookings_close_day(now=moscow(10, 40)) == (0, 0)
    assert bookings_close_day(now=moscow(10, 40, 1)) == (1, 0)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.NO_SHOW


@override_settings(BOOKING_DATA_DAYS=30)
def test_close_day_erases_names_and_phones_after_booking_data_days(booking_office):
    ticket = booked_ticket(booking_office, name="Иван", phone="+79001234567")
    booking = Booking.objects.get(ticket=ticket)
    call_command("close_day", stdout=open("/dev/null", "w"))
    # Only with `now` injected can the test reach 30 days after the visit.
    assert bookings_close_day(now=SLOT + timedelta(days=30)) == (0, 0)
    booking.refresh_from_db()
    assert booking.name == "Иван"
    assert bookings_close_day(now=SLOT + timedelta(days=30, seconds=1)) == (0, 1)
    booking.refresh_from_db()
    assert (booking.name, booking.phone, booking.client_address) == ("", "", "")


def test_the_monitor_counts_todays_bookings_expected_checked_in_and_no_show(booking_office):
    from bookings.selectors import bookings_today

    booked_ticket(booking_office)  # 10:30, checked in
    for minute in (0, 45):
        start = moscow(10, minute)
        booking_create(office=booking_office, service=booking_office.svc["fl"], start=start, now=BOOKED_AT)
    cancelled = booking_create(office=booking_office, service=booking_office.svc["fl"], start=SLOT, now=BOOKED_AT)
    from bookings.services import booking_cancel

    booking_cancel(booking=cancelled, now=BOOKED_AT)
    # 10:20: the 10:00 booking is past its late window, the 10:45 one still expected.
    assert bookings_today(booking_office, moscow(10, 20)) == {"expected": 1, "checked_in": 1, "no_show": 1}


def test_a_booked_ticket_crosses_the_monitor_norm_counting_from_its_slot(booking_office):
    from displays.monitor import norm_now

    booked_ticket(booking_office, checked_in=moscow(10, 16))
    # Norm 15 min: from the 10:30 slot start, over at 10:45, not at 10:31 as from the check-in.
    fl = next(s for s in norm_now(booking_office, moscow(10, 40))["services"] if s["code"] == "fl")
    assert fl["over"] == 0 and fl["over_at"] == ["2026-12-07T07:45:00+00:00"]
