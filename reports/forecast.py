"""The staffing forecast of an office for the next 7 days, and the usual load by hour.

Definitions (pinned by tests/reports/test_forecast.py):

* The forecast's days are 7 local days from the first one: today while the
  office still has opening hours ahead today, tomorrow otherwise. Each day
  lists the hours the office is open that weekday (08:30–17:30 gives 8…17; a
  day without hours has none).
* History is the last N weeks (settings.FORECAST_WEEKS, 8) before the first
  day: the 7 × N local days [first − 7N, first), read from the tickets of this
  office only, through the (office, local_date) index, and summed in SQL.
* Expected arrivals at a weekday and hour are the tickets issued (any status:
  a client who came) in that local hour on that weekday, divided by the number
  of those weekdays on which the office issued any ticket (a holiday it was
  closed does not lower the mean; a new office is not averaged over weeks it
  did not exist).
* Mean service time at a weekday and hour is the mean ``service_seconds`` of
  the done tickets issued then; without any, the office's mean over the whole
  history; without that, settings.DEFAULT_SERVICE_SECONDS.
* Counters needed: the fewest counters for which Erlang C (reports/erlang.py)
  expects the office's target share (``Office.forecast_target_percent``) of
  clients to be called within its wait norm (``wait_norm_minutes``), the hour's
  arrivals being Poisson with that rate and service that mean. No arrivals, no
  counters.
* Open last week: the mean number of counters open (not on a break) during the
  same local hour 7 days earlier, from the counters' event log: open seconds in
  the hour ÷ 3600, one decimal. A counter open the whole hour counts 1, one
  open half of it 0.5.

A forecast and a usual load are computed once per office and day (the cache
keys hold the first day and the parameters) and kept an hour.
"""

from datetime import date, datetime, timedelta
from datetime import time as day_time

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone

from offices.models import Counter, CounterEvent, Office
from tickets.models import Ticket

from . import erlang

CACHE_SECONDS = 3600
OPENING = (CounterEvent.Type.OPENED, CounterEvent.Type.RESUMED)


def first_day(office: Office, now: datetime | None = None) -> date:
    """Today while the office still has hours ahead today, else tomorrow."""
    local = office.local_now(now)
    hours = office._hours_by_weekday().get(local.weekday())
    if hours is not None and local < hours.bounds(local.date(), office.tz)[1]:
        return local.date()
    return local.date() + timedelta(days=1)


def open_hours(office: Office, day: date) -> list[int]:
    """The local hours (0…23) during which the office is open on ``day``'s weekday."""
    hours = office._hours_by_weekday().get(day.weekday())
    if hours is None:
        return []
    last = 24 if hours.closes == day_time(0) else hours.closes.hour + (1 if hours.closes.minute else 0)
    return list(range(hours.opens.hour, last))


def history(office: Office, first: date, weeks: int) -> dict:
    """Arrivals and service by weekday (0 = Monday) and hour over the ``weeks`` weeks before ``first``.

    ``{"hours": {"weekday:hour": [arrivals, service_seconds or None]}, "service_seconds": office mean or None}``,
    JSON-shaped so that the cache keeps it as it is. Two aggregate queries on one office's indexed date range.
    """
    key = f"forecast:history:{office.pk}:{first.isoformat()}:{weeks}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    tickets = Ticket.objects.filter(office=office, local_date__gte=first - timedelta(weeks=weeks), local_date__lt=first)
    weekday = ExtractIsoWeekDay("local_date")
    days = {
        row["weekday"] - 1: row["days"]
        for row in tickets.annotate(weekday=weekday)
        .values("weekday")
        .annotate(days=Count("local_date", distinct=True))
        .order_by()
    }
    done = Q(status=Ticket.Status.DONE)
    rows = (
        tickets.annotate(weekday=weekday, hour=ExtractHour("issued_at", tzinfo=office.tz))
        .values("weekday", "hour")
        .annotate(arrived=Count("id"), done=Count("id", filter=done), served=Sum("service_seconds", filter=done))
        .order_by()
    )
    hours, done_total, served_total = {}, 0, 0.0
    for row in rows:
        day = row["weekday"] - 1
        hours[f"{day}:{row['hour']}"] = [
            row["arrived"] / days[day],
            row["served"] / row["done"] if row["done"] else None,
        ]
        done_total += row["done"]
        served_total += row["served"] or 0
    result = {"hours": hours, "service_seconds": served_total / done_total if done_total else None}
    cache.set(key, result, CACHE_SECONDS)
    return result


def _hour_start(moment: datetime, tz) -> datetime:
    return moment.astimezone(tz).replace(minute=0, second=0, microsecond=0)


def open_counters_by_hour(office: Office, start: date, days: int, now: datetime | None = None) -> dict:
    """The mean number of open counters in each local hour of ``days`` days from ``start``: {(date, hour): float}.

    Reads the counters' state before the period (one subquery per counter on the (counter, at)
    index) and their events within it; an open interval still running is cut at ``now``.
    """
    now = now or timezone.now()
    tz = office.tz
    begin = datetime.combine(start, day_time(0), tzinfo=tz)
    end = min(datetime.combine(start + timedelta(days=days), day_time(0), tzinfo=tz), now)
    if end <= begin:
        return {}
    before = CounterEvent.objects.filter(counter=OuterRef("pk"), at__lt=begin).order_by("-at", "-id").values("type")
    opened = {
        counter_id: begin
        for counter_id, state in Counter.objects.filter(office=office)
        .annotate(last_event=Subquery(before[:1]))
        .values_list("id", "last_event")
        if state in OPENING
    }
    intervals = []
    events = CounterEvent.objects.filter(counter__office=office, at__gte=begin, at__lt=end).order_by("at", "id")
    for counter_id, kind, at in events.values_list("counter_id", "type", "at"):
        if kind in OPENING:
            opened.setdefault(counter_id, at)
        elif counter_id in opened:
            intervals.append((opened.pop(counter_id), at))
    intervals += [(since, end) for since in opened.values()]
    seconds: dict[tuple[date, int], float] = {}
    for since, until in intervals:
        moment = since
        while moment < until:
            hour = _hour_start(moment, tz)
            boundary = min(until, hour + timedelta(hours=1))
            key = (hour.date(), hour.hour)
            seconds[key] = seconds.get(key, 0.0) + (boundary - moment).total_seconds()
            moment = boundary
    return {key: round(total / 3600, 1) for key, total in seconds.items()}


def office_forecast(office: Office, *, now: datetime | None = None, weeks: int | None = None) -> dict:
    """The API's and the page's forecast: {"office", "norm_minutes", "target", "weeks", "days": [...]}.

    Each day is {"date", "weekday", "hours": [{"hour", "arrivals", "service_seconds", "counters",
    "open_last_week"}]}; see the module's docstring for each figure.
    """
    weeks = weeks or settings.FORECAST_WEEKS
    first = first_day(office, now)
    target = office.forecast_target_percent / 100
    key = (
        f"forecast:{office.pk}:{first.isoformat()}:{weeks}:{office.forecast_target_percent}:{office.wait_norm_minutes}"
    )
    cached = cache.get(key)
    if cached is not None:
        return cached
    past = history(office, first, weeks)
    fallback = past["service_seconds"] or float(settings.DEFAULT_SERVICE_SECONDS)
    last_week = open_counters_by_hour(office, first - timedelta(days=7), 7, now)
    days = []
    for offset in range(7):
        day = first + timedelta(days=offset)
        hours = []
        for hour in open_hours(office, day):
            arrivals, service = past["hours"].get(f"{day.weekday()}:{hour}", (0.0, None))
            service = service or fallback
            hours.append(
                {
                    "hour": hour,
                    "arrivals": round(arrivals, 1),
                    "service_seconds": round(service),
                    "counters": erlang.counters_needed(arrivals, service, office.wait_norm_minutes * 60, target),
                    "open_last_week": last_week.get((day - timedelta(days=7), hour), 0.0),
                }
            )
        days.append({"date": day.isoformat(), "weekday": day.weekday(), "hours": hours})
    result = {
        "office": office.code,
        "norm_minutes": office.wait_norm_minutes,
        "target": target,
        "weeks": weeks,
        "days": days,
    }
    cache.set(key, result, CACHE_SECONDS)
    return result


def usual_by_hour(office: Office, day: date, weeks: int | None = None) -> list[dict]:
    """The usual tickets per hour on ``day``'s weekday over the last N weeks, for its opening hours."""
    past = history(office, day, weeks or settings.FORECAST_WEEKS)
    return [
        {"hour": hour, "tickets": round(past["hours"].get(f"{day.weekday()}:{hour}", (0.0, None))[0], 1)}
        for hour in open_hours(office, day)
    ]


def quietest_hours(usual: list[dict], count: int = 2) -> list[int]:
    """The ``count`` hours with the fewest usual tickets (the earlier of equals), in the day's order;
    none without any history that day."""
    if not any(row["tickets"] for row in usual):
        return []
    ranked = sorted(usual, key=lambda row: (row["tickets"], row["hour"]))
    return sorted(row["hour"] for row in ranked[:count])


def hour_span(hour: int) -> str:
    """«09:00–10:00»."""
    return f"{hour:02d}:00–{hour + 1:02d}:00"
