"""The staffing forecast (reports/forecast.py) against generated histories with known arrival rates."""

import random
import statistics
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from offices.models import CounterEvent, Office, OfficeHours
from reports import erlang, forecast
from tests.helpers import add_counter, add_services, make_office
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

# Wednesday 2026-11-25, 19:00 in Moscow: the office closed at 18:00, so the forecast starts on Thursday.
NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
FIRST = date(2026, 11, 26)
WEEKS = 8
HISTORY = [FIRST - timedelta(days=d) for d in range(1, WEEKS * 7 + 1)]  # 2026-10-01 … 2026-11-25
DONE = Ticket.Status.DONE


def weekday_office(code: str = "fc", **fields) -> Office:
    """Mon–Fri 09:00–18:00, Sat 10:00–15:00, closed on Sunday."""
    office = make_office(code, all_day=False, **fields)
    for weekday in range(5):
        OfficeHours.objects.create(office=office, weekday=weekday, opens=time(9), closes=time(18))
    OfficeHours.objects.create(office=office, weekday=5, opens=time(10), closes=time(15))
    return Office.objects.get(pk=office.pk)


def issue(office, service, moments, *, status=DONE, service_seconds=300.0) -> None:
    """Tickets issued at these local moments (one day's numbers stay unique)."""
    tickets = []
    for index, at in enumerate(moments):
        tickets.append(
            Ticket(
                office=office,
                service=service,
                number=f"{at:%H%M}-{index}",
                local_date=at.date(),
                status=status,
                issued_at=at,
                queued_at=at,
                service_seconds=service_seconds if status == DONE else 0,
            )
        )
    Ticket.objects.bulk_create(tickets, batch_size=2000)


def in_hour(office, day: date, hour: int, count: int) -> list[datetime]:
    start = datetime.combine(day, time(hour), tzinfo=office.tz)
    return [start + timedelta(seconds=3600 * i / count) for i in range(count)]


def rate(weekday: int, hour: int) -> int:
    """The known arrivals per hour of the deterministic history."""
    return 2 * (weekday + 1) + (hour - 9) if weekday < 5 else 3


def service_of_hour(hour: int) -> int:
    return 240 + 20 * (hour - 9)


def by_date(result: dict) -> dict[str, dict[int, dict]]:
    return {day["date"]: {row["hour"]: row for row in day["hours"]} for day in result["days"]}


def test_expected_arrivals_are_the_mean_of_the_same_weekday_and_hour_over_the_last_weeks():
    office = weekday_office()
    service = add_services(office)["fl"]
    for day in HISTORY:
        for hour in forecast.open_hours(office, day):
            issue(
                office,
                service,
                in_hour(office, day, hour, rate(day.weekday(), hour)),
                service_seconds=service_of_hour(hour),
            )
    # Outside the window or the office: never read.
    issue(office, service, in_hour(office, FIRST - timedelta(weeks=WEEKS, days=1), 10, 50))
    other = weekday_office("other")
    issue(other, add_services(other)["fl"], in_hour(other, FIRST - timedelta(days=7), 10, 40))

    result = forecast.office_forecast(office, now=NOW)

    assert (result["office"], result["norm_minutes"], result["target"], result["weeks"]) == ("fc", 15, 0.8, 8)
    assert [day["date"] for day in result["days"]] == [(FIRST + timedelta(days=d)).isoformat() for d in range(7)]
    days = by_date(result)
    for text, hours in days.items():
        day = date.fromisoformat(text)
        assert list(hours) == forecast.open_hours(office, day)
        for hour, row in hours.items():
            assert row["arrivals"] == rate(day.weekday(), hour), (text, hour)
            assert row["service_seconds"] == service_of_hour(hour)
            assert row["counters"] == erlang.counters_needed(row["arrivals"], row["service_seconds"], 900, 0.8)
    assert days["2026-11-29"] == {}  # Sunday: closed
    # Monday 10:00: 3 clients an hour served in 260 s (0.22 erlang): one counter keeps 80 % within 15 min.
    monday = days["2026-11-30"][10]
    assert (monday["arrivals"], monday["service_seconds"], monday["counters"]) == (3, 260, 1)
    # Friday 17:00: 18 an hour, 400 s each (2 erlangs): three counters.
    friday = days["2026-11-27"][17]
    assert (friday["arrivals"], friday["service_seconds"], friday["counters"]) == (18, 400, 3)


def test_a_poisson_history_gives_back_its_arrival_rate_and_the_counters_for_it():
    office = weekday_office()
    service = add_services(office)["fl"]
    generator = random.Random(25)
    moments = []
    for day in HISTORY:
        if day.weekday() >= 5:
            continue
        at = datetime.combine(day, time(9), tzinfo=office.tz)
        closes = datetime.combine(day, time(18), tzinfo=office.tz)
        while True:
            at += timedelta(hours=generator.expovariate(20))  # 20 arrivals an hour
            if at >= closes:
                break
            moments.append(at)
    issue(office, service, moments)

    result = forecast.office_forecast(office, now=NOW)

    rows = [row for day in result["days"] for row in day["hours"] if date.fromisoformat(day["date"]).weekday() < 5]
    assert len(rows) == 5 * 9
    arrivals = [row["arrivals"] for row in rows]
    # Each hour is a mean of 8 Poisson(20) counts (sd 1.6); the mean of all 45 has sd 0.24.
    assert all(abs(a - 20) < 6.5 for a in arrivals), arrivals
    assert abs(statistics.mean(arrivals) - 20) < 0.8
    assert all(row["service_seconds"] == 300 for row in rows)
    # 20 an hour for 300 s is 1.67 erlangs: 3 counters (2 keep only 72 % within 15 minutes).
    assert erlang.counters_needed(20, 300, 900, 0.8) == 3
    assert statistics.median(row["counters"] for row in rows) == 3


def test_a_day_the_office_issued_nothing_does_not_lower_the_mean():
    office = weekday_office()
    service = add_services(office)["fl"]
    mondays = [day for day in HISTORY if day.weekday() == 0]
    for day in mondays[1:]:  # the first Monday was a holiday
        issue(office, service, in_hour(office, day, 11, 10))
    days = by_date(forecast.office_forecast(office, now=NOW))
    assert days["2026-11-30"][11]["arrivals"] == 10
    assert days["2026-11-30"][9]["arrivals"] == 0
    assert days["2026-11-30"][9]["counters"] == 0


def test_without_history_the_forecast_expects_nobody_and_assumes_the_default_service_time(settings):
    settings.DEFAULT_SERVICE_SECONDS = 420
    office = weekday_office()
    result = forecast.office_forecast(office, now=NOW)
    rows = [row for day in result["days"] for row in day["hours"]]
    assert rows and all((r["arrivals"], r["service_seconds"], r["counters"]) == (0, 420, 0) for r in rows)


def test_the_target_share_and_the_norm_are_the_offices_and_weeks_a_setting(settings):
    settings.FORECAST_WEEKS = 2
    office = weekday_office(wait_norm_minutes=5, forecast_target_percent=95)
    service = add_services(office)["fl"]
    for day in HISTORY[:14]:
        if day.weekday() < 5:
            issue(office, service, in_hour(office, day, 12, 30), service_seconds=600)
    issue(office, service, in_hour(office, HISTORY[20], 12, 90))  # three weeks back: outside 2 weeks
    result = forecast.office_forecast(office, now=NOW)
    assert (result["norm_minutes"], result["target"], result["weeks"]) == (5, 0.95, 2)
    row = by_date(result)["2026-11-26"][12]
    assert row["arrivals"] == 30
    assert row["counters"] == erlang.counters_needed(30, 600, 300, 0.95) == 8


def test_the_forecast_starts_today_while_the_office_has_hours_ahead_today():
    office = weekday_office()
    morning = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # 10:00 in Moscow, open
    assert forecast.first_day(office, morning) == date(2026, 11, 25)
    before_opening = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 06:00
    assert forecast.first_day(office, before_opening) == date(2026, 11, 25)
    assert forecast.first_day(office, NOW) == date(2026, 11, 26)  # 19:00, closed
    sunday = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)  # closed all day
    assert forecast.first_day(office, sunday) == date(2026, 11, 30)
    result = forecast.office_forecast(office, now=morning)
    assert result["days"][0]["date"] == "2026-11-25" and len(result["days"]) == 7


def test_open_last_week_is_the_mean_number_of_counters_open_in_the_same_hour_seven_days_earlier():
    office = weekday_office()
    services = add_services(office)
    first, second = add_counter(office, "1", [services["fl"]]), add_counter(office, "2", [services["fl"]])
    tz = office.tz
    thursday = FIRST - timedelta(days=7)

    def at(day, hour, minute=0):
        return datetime.combine(day, time(hour, minute), tzinfo=tz)

    def log(counter, kind, moment):
        CounterEvent.objects.create(counter=counter, type=kind, at=moment)

    # Counter 2 was opened the evening before the week began and closes at 09:30 on Thursday.
    log(second, CounterEvent.Type.OPENED, at(thursday - timedelta(days=1), 17))
    log(second, CounterEvent.Type.CLOSED, at(thursday, 9, 30))
    # Counter 1: 09:00 open, 10:30–10:45 a break, closed at 12:00.
    log(first, CounterEvent.Type.OPENED, at(thursday, 9))
    log(first, CounterEvent.Type.BREAK, at(thursday, 10, 30))
    log(first, CounterEvent.Type.RESUMED, at(thursday, 10, 45))
    log(first, CounterEvent.Type.CLOSED, at(thursday, 12))
    # Monday last week: counter 1 from 14:00 and still open «now» (cut at the period's end).
    log(first, CounterEvent.Type.OPENED, at(thursday + timedelta(days=4), 14))

    days = by_date(forecast.office_forecast(office, now=NOW))
    assert [days["2026-11-26"][h]["open_last_week"] for h in range(9, 13)] == [1.5, 0.8, 1.0, 0.0]
    # From Monday 14:00 on, counter 1 stayed open (nobody closed it) through the rest of last week.
    assert days["2026-11-30"][14]["open_last_week"] == 1.0
    assert days["2026-12-01"][9]["open_last_week"] == 1.0


def test_the_forecast_is_read_in_a_few_bounded_queries_and_then_from_the_cache(django_assert_max_num_queries):
    office = weekday_office()
    service = add_services(office)["fl"]
    for day in HISTORY[:10]:
        issue(office, service, in_hour(office, day, 10, 5))
    office = Office.objects.prefetch_related("hours").get(pk=office.pk)
    with CaptureQueriesContext(connection) as queries:
        first = forecast.office_forecast(office, now=NOW)
    ticket_queries = [q["sql"] for q in queries.captured_queries if '"tickets_ticket"' in q["sql"]]
    assert len(ticket_queries) == 2 and len(queries.captured_queries) <= 5
    # One office, its history's dates, aggregated in SQL: never the whole table, never row by row.
    assert all('"office_id" =' in sql and '"local_date" >=' in sql and "GROUP BY" in sql for sql in ticket_queries)
    again = Office.objects.prefetch_related("hours").get(pk=office.pk)
    with django_assert_max_num_queries(0):
        assert forecast.office_forecast(again, now=NOW) == first


def test_the_usual_load_by_hour_names_the_quietest_hours():
    office = weekday_office()
    service = add_services(office)["fl"]
    wednesdays = [day for day in HISTORY if day.weekday() == 2]
    for day in wednesdays:
        for hour in range(9, 18):
            issue(office, service, in_hour(office, day, hour, {9: 4, 13: 3, 16: 2}.get(hour, 8)))
    usual = forecast.usual_by_hour(office, FIRST - timedelta(days=1))
    assert usual == [{"hour": h, "tickets": {9: 4, 13: 3, 16: 2}.get(h, 8)} for h in range(9, 18)]
    assert forecast.quietest_hours(usual) == [13, 16]
    assert forecast.quietest_hours([{"hour": 9, "tickets": 0}]) == []
    assert forecast.hour_span(9) == "09:00–10:00"
