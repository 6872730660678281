"""Booking in the YAML configuration: the issue's names, validation, and the demo office."""

import os

import pytest
from django.core.management import call_command

from offices import config
from offices.models import Office

YAML = """
offices:
  - code: belgorod
    name: ЦОК Белгород
    closed_dates: ["2026-12-31", 2027-01-01]
    booking_prefix: З
    hours: {mon: "08:00-17:00", wed: "08:00-17:00"}
    services:
      - code: fl
        name: Физические лица
        prefix: А
        channel: individuals
        booking: {slot_minutes: 15, per_slot: 2, days_ahead: 14, cutoff_minutes: 60,
                  hours: {mon: "09:00-12:00", wed: "13:00-16:00"}}
      - {code: ul, name: Юридические лица, prefix: Б, channel: legal_entities}
"""


def test_the_issues_yaml_names_configure_booking(db):
    config.apply(config.parse(YAML))
    office = Office.objects.get(code="belgorod")
    assert office.closed_dates == ["2026-12-31", "2027-01-01"] and office.booking_prefix == "З"
    fl, ul = office.services.get(code="fl"), office.services.get(code="ul")
    assert (fl.booking_enabled, fl.slot_minutes, fl.per_slot, fl.days_ahead, fl.cutoff_minutes) == (True, 15, 2, 14, 60)
    assert fl.booking_hours == {"mon": "09:00-12:00", "wed": "13:00-16:00"}
    assert ul.booking_enabled is False  # off by default
    # Loading the file without booking switches it off again.
    without = YAML.replace(
        "        booking: {slot_minutes: 15, per_slot: 2, days_ahead: 14, cutoff_minutes: 60,\n"
        '                  hours: {mon: "09:00-12:00", wed: "13:00-16:00"}}\n',
        "",
    )
    assert "booking:" not in without
    config.apply(config.parse(without))
    assert office.services.get(code="fl").booking_enabled is False


@pytest.mark.parametrize(
    "change, problem",
    [
        ('hours: {mon: "09:00-12:00", wed: "13:00-16:00"}', "hours.mon"),  # replaced below
        ("slot_minutes: 15", "slot_minutes"),
        ('["2026-12-31", 2027-01-01]', "closed_dates"),
        ("booking_prefix: З", "booking_prefix"),
    ],
)
def test_bad_booking_settings_are_listed_and_change_nothing(db, change, problem):
    bad = {
        'hours: {mon: "09:00-12:00", wed: "13:00-16:00"}': 'hours: {mon: "07:00-12:00", wed: "13:00-16:00"}',
        "slot_minutes: 15": "slot_minutes: 0",
        '["2026-12-31", 2027-01-01]': '["2026-13-31"]',
        "booking_prefix: З": "booking_prefix: З1",
    }[change]
    with pytest.raises(config.ConfigError) as refused:
        config.apply(config.parse(YAML.replace(change, bad)))
    assert any(problem in line for line in refused.value.problems), refused.value.problems
    assert not Office.objects.exists()


def test_the_demo_office_takes_bookings_on_two_services_around_the_clock(db):
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    korocha = Office.objects.get(code="korocha")
    bookable = korocha.services.filter(booking_enabled=True)
    assert bookable.count() == 2
    assert all(len(s.booking_hours) == 7 and s.cutoff_minutes == 0 for s in bookable)
