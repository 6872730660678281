"""The report «Предварительная запись»: its definitions, pinned (reports/bookings.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from bookings.models import Booking
from bookings.services import booking_cancel, booking_check_in, booking_create
from offices.models import Membership
from reports.bookings import bookings_report
from tests.bookings.conftest import HOURS
from tests.helpers import add_counter, add_services, make_office, make_user, token_client
from tickets.services import ticket_call_next, ticket_finish, ticket_issue


def moscow(month, day, hour, minute, second=0):
    return datetime(2026, month, day, hour - 3, minute, second, tzinfo=UTC)


@pytest.fixture
def scene(db, django_user_model):
    office = make_office("rep")
    services = add_services(office)
    fl = services["fl"]
    fl.booking_enabled, fl.per_slot, fl.cutoff_minutes, fl.booking_hours = True, 5, 0, HOURS
    fl.save()
    counter = add_counter(office, "1", [fl])
    operator = make_user(django_user_model, "rep-op", office=office, role=Membership.Role.OPERATOR)
    manager = make_user(django_user_model, "rep-mgr", office=office, role=Membership.Role.MANAGER)
    return office, fl, counter, operator, manager


def visit(office, fl, counter, operator, *, slot, checked_in, called, finished):
    booking = booking_create(office=office, service=fl, start=slot, now=slot - timedelta(days=1))
    ticket = booking_check_in(office=office, code=booking.code, now=checked_in).ticket
    assert ticket_call_next(counter=counter, operator=operator, now=called).pk == ticket.pk
    ticket_finish(ticket=ticket, operator=operator, now=finished)
    return booking


def walk_in(office, fl, counter, operator, *, issued, called):
    ticket = ticket_issue(office=office, service=fl, now=issued)
    assert ticket_call_next(counter=counter, operator=operator, now=called).pk == ticket.pk
    ticket_finish(ticket=ticket, operator=operator, now=called + timedelta(minutes=5))


def test_the_report_counts_bookings_and_compares_booked_and_walk_in_waits(scene):
    office, fl, counter, operator, manager = scene
    # March: two booked visits (waits 2:00 from the slot start although checked in early, and 7:01),
    # a cancelled booking, a no-show, and two walk-ins (waits 10:00 and 20:01).
    visit(office, fl, counter, operator, slot=moscow(3, 2, 10, 0), checked_in=moscow(3, 2, 9, 50),
          called=moscow(3, 2, 10, 2), finished=moscow(3, 2, 10, 4))  # fmt: skip
    visit(office, fl, counter, operator, slot=moscow(3, 2, 10, 15), checked_in=moscow(3, 2, 10, 15),
          called=moscow(3, 2, 10, 22, 1), finished=moscow(3, 2, 10, 25))  # fmt: skip
    cancelled = booking_create(office=office, service=fl, start=moscow(3, 3, 9, 0), now=moscow(3, 1, 9, 0))
    booking_cancel(booking=cancelled, now=moscow(3, 1, 9, 5))
    booking_create(office=office, service=fl, start=moscow(3, 3, 9, 15), now=moscow(3, 1, 9, 0))  # never came
    walk_in(office, fl, counter, operator, issued=moscow(3, 2, 11, 0), called=moscow(3, 2, 11, 10))
    walk_in(office, fl, counter, operator, issued=moscow(3, 2, 11, 20), called=moscow(3, 2, 11, 40, 1))
    report = bookings_report(2026, now=datetime(2026, 4, 1, tzinfo=UTC))
    assert report["rows"] == [
        {
            "month": 3,
            "month_name": "Март",
            "office": "rep",
            "office_name": "ЦОК rep",
            "service": "fl",
            "service_name": "Физические лица",
            "booked": 4,
            "cancelled": 1,
            "checked_in": 2,
            "no_show": 1,
            "booked_served": 2,
            "avg_wait_booked_seconds": 271,  # (120 + 421) / 2 = 270.5, halves up
            "avg_wait_booked": "0:04:31",
            "avg_wait_walk_in_seconds": 901,  # (600 + 1201) / 2 = 900.5
            "avg_wait_walk_in": "0:15:01",
            "booked_over_5_min_share": 0.5,  # 421 s > 300 s, 120 s is not
        }
    ]
    assert report["total"]["booked"] == 4 and report["total"]["avg_wait_booked_seconds"] == 271
    # The API answers the same, with year and office.
    api = token_client(manager).get("/api/v1/reports/bookings/", {"year": 2026, "office": "rep"})
    assert api.status_code == 200
    assert api.json()["office"] == "rep" and api.json()["rows"][0]["booked"] == 4
    csv = token_client(manager).get("/api/v1/reports/bookings/", {"year": 2026, "format": "csv"})
    assert csv.status_code == 200 and "Предварительная запись" in csv.content.decode("utf-8-sig")


def test_a_booking_of_a_slot_still_ahead_is_neither_checked_in_nor_no_show(scene):
    office, fl, *_ = scene
    booking_create(office=office, service=fl, start=moscow(3, 3, 9, 0), now=moscow(3, 1, 9, 0))
    row = bookings_report(2026, now=moscow(3, 3, 9, 10))["rows"][0]  # inside the late window
    assert (row["booked"], row["checked_in"], row["no_show"], row["cancelled"]) == (1, 0, 0, 0)
    assert row["avg_wait_booked_seconds"] is None and row["booked_over_5_min_share"] is None
    assert Booking.objects.get().status_at(moscow(3, 3, 9, 10, 1)) == "no_show"


def test_a_year_without_bookings_has_no_rows_and_no_total(scene):
    assert bookings_report(2025) == {"rows": [], "total": None}


def test_the_reports_page_shows_the_bookings_report(scene, client):
    office, fl, counter, operator, manager = scene
    client.force_login(manager)
    page = client.get("/reports/", {"year": 2026})
    assert page.status_code == 200
    assert "Предварительная запись" in page.content.decode()


def test_the_rollup_figures_agree_with_the_tickets_to_the_second(scene):
    office, fl, counter, operator, manager = scene
    second = timedelta(seconds=1)
    for day in (2, 3):
        visit(office, fl, counter, operator, slot=moscow(3, day, 10, 0), checked_in=moscow(3, day, 9, 59),
              called=moscow(3, day, 10, 6, 1) + 0.4 * second, finished=moscow(3, day, 10, 9))  # fmt: skip
        walk_in(office, fl, counter, operator, issued=moscow(3, day, 11, 0),
                called=moscow(3, day, 11, 12, 30) + 0.25 * second)  # fmt: skip
    walk_in(office, fl, counter, operator, issued=moscow(4, 1, 11, 0), called=moscow(4, 1, 11, 3, 7))
    now = datetime(2026, 5, 1, tzinfo=UTC)

    rolled = bookings_report(2026, now=now)

    assert rolled == bookings_report(2026, now=now, from_tickets=True)
    # April has walk-ins but no booking: no row of its own, nor a share of the year's walk-in wait.
    (march,) = rolled["rows"]
    assert (march["booked_served"], march["avg_wait_booked"], march["avg_wait_walk_in"]) == (2, "0:06:01", "0:12:30")
    assert rolled["total"]["avg_wait_walk_in"] == "0:12:30"
