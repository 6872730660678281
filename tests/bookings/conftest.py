"""An office with booking on: Europe/Moscow, open 08:00-20:00 every day, booking on «fl» 09:00-12:00."""

from datetime import UTC, datetime, time

import pytest

from offices.models import OfficeHours
from tests.helpers import add_counter, add_services, make_office

# Monday 2026-12-07 07:00 Moscow (04:00 UTC): the tests' "now".
NOW = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
HOURS = {day: "09:00-12:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def booking_office(db):
    office = make_office("bk", all_day=False, closed_dates=["2026-12-09"])
    for weekday in range(7):
        OfficeHours.objects.create(office=office, weekday=weekday, opens=time(8, 0), closes=time(20, 0))
    services = add_services(office)
    fl = services["fl"]
    fl.booking_enabled = True
    fl.slot_minutes = 15
    fl.per_slot = 2
    fl.days_ahead = 14
    fl.cutoff_minutes = 60
    fl.booking_hours = HOURS
    fl.save()
    office.svc = services
    office.counter = add_counter(office, "1", [fl, services["ul"]])
    return office
