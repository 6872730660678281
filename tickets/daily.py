"""Daily rollups: load by local hour (``HourLoad``) and operators' days (``OperatorDay``).

Unlike the monthly rows (``tickets.rollups``), these are never touched on the
call path. Whole past days are counted at once and written in bulk by ``roll``:
close_day rolls the days since the office's ``RollupMark`` up to yesterday,
an import re-rolls the days it touched, ``rollups --rebuild`` rolls them all.
A report reads the stored rows up to the mark and counts the days after it
(normally today alone) live from the tickets and the counters' log with the
same functions (``hour_rows``, ``operator_rows``), so stored and live figures
cannot disagree by definition.

Definitions (pinned by tests/reports/test_analytics.py):

* A ticket belongs to its ``local_date`` and to the local hour of its
  ``issued_at`` in the office's time zone. ``issued`` counts tickets of any
  status; ``done`` and ``wait_us`` are the done tickets and their waits.
* An operator's clients are the tickets whose ``operator`` (who last called
  them) is that operator: ``served`` the done ones, with their service time and
  how many took longer than the office's ``service_limit_minutes``;
  ``no_show`` the no-shows. ``transfers`` are the transfers that operator made
  at a counter (a manager's remote ones are not theirs).
* Time open is the time a counter the operator held was open (not on a break),
  from the counters' log, cut at local midnight into the days it spans and, for
  today, at now. Breaks are the same for the break state, per reason: how many
  began that day and how long they lasted.
"""

import json
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import BigIntegerField, Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast, ExtractHour, Round
from django.utils import timezone

from offices.models import Counter, CounterEvent, Office

from .models import HourLoad, OperatorDay, RollupMark, Ticket, TicketEvent

HOUR_COUNTS = ["issued", "done", "wait_us"]
OPERATOR_COUNTS = ["served", "service_us", "over_limit", "no_show", "transfers", "open_us"]


def micro_of(name: str):
    """A seconds field in whole microseconds, as every rollup sums times (exact in any order)."""
    return Cast(Round(F(name) * 1_000_000), BigIntegerField())


def midnight(office: Office, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=office.tz)


def hour_rows(office: Office, start: date, end: date) -> dict[tuple[date, int], dict]:
    """(day, hour) → issued, done, wait_us for the office's tickets of days start…end."""
    done = Q(status=Ticket.Status.DONE)
    rows = (
        Ticket.objects.filter(office=office, local_date__range=(start, end))
        .annotate(h=ExtractHour("issued_at", tzinfo=office.tz))
        .values("local_date", "h")
        .annotate(issued=Count("id"), done=Count("id", filter=done), wait_us=Sum(micro_of("wait_seconds"), filter=done))
        .order_by()
    )
    return {(r["local_date"], r["h"]): {name: int(r[name] or 0) for name in HOUR_COUNTS} for r in rows}


def _blank() -> dict:
    return dict.fromkeys(OPERATOR_COUNTS, 0) | {"breaks": {}}


def operator_rows(office: Office, start: date, end: date, now: datetime | None = None) -> dict[tuple[int, date], dict]:
    """(operator, day) → the OperatorDay counts of days start…end; time still running is cut at ``now``."""
    now = now or timezone.now()
    limit = office.service_limit_minutes * 60
    result: dict[tuple[int, date], dict] = defaultdict(_blank)
    done = Q(status=Ticket.Status.DONE)
    tickets = (
        Ticket.objects.filter(
            office=office,
            local_date__range=(start, end),
            operator__isnull=False,
            status__in=[Ticket.Status.DONE, Ticket.Status.NO_SHOW],
        )
        .values("operator_id", "local_date")
        .annotate(
            served=Count("id", filter=done),
            service_us=Sum(micro_of("service_seconds"), filter=done),
            over_limit=Count("id", filter=done & Q(service_seconds__gt=limit)),
            no_show=Count("id", filter=Q(status=Ticket.Status.NO_SHOW)),
        )
        .order_by()
    )
    for r in tickets:
        row = result[(r["operator_id"], r["local_date"])]
        for name in ("served", "service_us", "over_limit", "no_show"):
            row[name] = int(r[name] or 0)
    transfers = (
        TicketEvent.objects.filter(
            ticket__office=office,
            ticket__local_date__range=(start, end),
            type=TicketEvent.Type.TRANSFERRED,
            operator__isnull=False,
        )
        .exclude(data__has_key="remote")
        .values("operator_id", "ticket__local_date")
        .annotate(n=Count("id"))
        .order_by()
    )
    for r in transfers:
        result[(r["operator_id"], r["ticket__local_date"])]["transfers"] = r["n"]
    _counter_time(office, start, end, now, result)
    return {key: row for key, row in result.items() if any(row[n] for n in OPERATOR_COUNTS) or row["breaks"]}


def _counter_time(office: Office, start: date, end: date, now: datetime, result) -> None:
    """Add open time and breaks from the counters' log (and each counter's state when the span began)."""
    begin, stop = midnight(office, start), min(midnight(office, end + timedelta(days=1)), now)
    if stop <= begin:
        return
    before = CounterEvent.objects.filter(counter=OuterRef("pk"), at__lt=begin).order_by("-at", "-id")
    counters = Counter.objects.filter(office=office).annotate(
        last_type=Subquery(before.values("type")[:1]),
        last_user=Subquery(before.values("user_id")[:1]),
        last_data=Subquery(before.values("data")[:1]),
    )
    events = defaultdict(list)
    for event in CounterEvent.objects.filter(counter__office=office, at__gte=begin, at__lt=stop).order_by("at", "id"):
        events[event.counter_id].append((event.at, event.type, event.user_id, event.data or {}))
    for counter in counters:
        state = holder = reason = None
        if counter.last_type is not None:
            state, holder, reason = _step(None, counter.last_type, counter.last_user, _data(counter.last_data))
        since = begin
        for at, kind, user, data in events[counter.pk]:
            _add_span(office, result, state, holder, reason, since, at)
            state, holder, reason = _step(holder, kind, user, data)
            if kind == CounterEvent.Type.BREAK and holder is not None:
                day = timezone.localtime(at, office.tz).date()
                result[(holder, day)]["breaks"].setdefault(reason, [0, 0])[0] += 1
            since = at
        _add_span(office, result, state, holder, reason, since, stop)


def _data(raw) -> dict:
    if isinstance(raw, str):  # a JSON subquery comes back as text on some backends
        return json.loads(raw)
    return raw or {}


def _step(holder, kind: str, user, data: dict):
    """The counter's (state, holder, break reason) after one logged change."""
    if kind in (CounterEvent.Type.OPENED, CounterEvent.Type.RESUMED):
        return "open", user if not data.get("remote") else data.get("operator", user), ""
    if kind == CounterEvent.Type.BREAK:
        return "break", holder or data.get("operator") or user, data.get("reason", "")
    return None, None, ""


def _add_span(office, result, state, holder, reason, since: datetime, until: datetime) -> None:
    """The span's microseconds to the open time or the break of its holder, cut at local midnights."""
    if state is None or holder is None or until <= since:
        return
    while since < until:
        day = timezone.localtime(since, office.tz).date()
        cut = min(until, midnight(office, day + timedelta(days=1)))
        us = round((cut - since).total_seconds() * 1_000_000)
        row = result[(holder, day)]
        if state == "open":
            row["open_us"] += us
        else:
            row["breaks"].setdefault(reason, [0, 0])[1] += us
        since = cut


# Writing


def first_day(office: Office) -> date | None:
    """The office's first day with a ticket or a counter change."""
    days = [Ticket.objects.filter(office=office).order_by("local_date").values_list("local_date", flat=True).first()]
    first_event = CounterEvent.objects.filter(counter__office=office).order_by("at").values_list("at", flat=True)
    moment = first_event.first()
    if moment is not None:
        days.append(timezone.localtime(moment, office.tz).date())
    days = [d for d in days if d is not None]
    return min(days) if days else None


@transaction.atomic
def roll(office: Office, start: date, end: date) -> int:
    """Replace the office's daily rows of days start…end with a recount; the mark moves to ``end`` at least."""
    HourLoad.objects.filter(office=office, day__range=(start, end)).delete()
    OperatorDay.objects.filter(office=office, day__range=(start, end)).delete()
    hours = [
        HourLoad(office=office, day=day, hour=hour, **v) for (day, hour), v in hour_rows(office, start, end).items()
    ]
    people = [
        OperatorDay(office=office, operator_id=op, day=day, limit_minutes=office.service_limit_minutes, **v)
        for (op, day), v in operator_rows(office, start, end).items()
    ]
    HourLoad.objects.bulk_create(hours, batch_size=2000)
    OperatorDay.objects.bulk_create(people, batch_size=2000)
    mark = RollupMark.objects.select_for_update().filter(office=office).first()
    if mark is None:
        RollupMark.objects.create(office=office, through=end)
    elif mark.through < end:
        mark.through = end
        mark.save(update_fields=["through"])
    return len(hours) + len(people)


def close(office: Office, now: datetime | None = None) -> None:
    """Roll the office's days after its mark up to yesterday (close_day, once a night)."""
    yesterday = office.local_date(now or timezone.now()) - timedelta(days=1)
    mark = RollupMark.objects.filter(office=office).values_list("through", flat=True).first()
    start = mark + timedelta(days=1) if mark else first_day(office)
    if start is None:  # nothing happened in the office yet: every day up to yesterday is counted (none)
        RollupMark.objects.create(office=office, through=yesterday)
    elif start <= yesterday:
        roll(office, start, yesterday)


def reroll(office_days: dict[int, set[date]]) -> None:
    """After an import: count again the touched days the rows already cover (up to the mark).

    Days after the mark are read live until close_day rolls them.
    """
    marks = dict(RollupMark.objects.filter(office_id__in=list(office_days)).values_list("office_id", "through"))
    for office in Office.objects.filter(pk__in=list(marks)):
        days = [day for day in office_days[office.pk] if day <= marks[office.pk]]
        if days:
            roll(office, min(days), max(days))


def rebuild(office_ids=None, now: datetime | None = None) -> int:
    """Recount every past day of these offices (all by default)."""
    offices = Office.objects.all() if office_ids is None else Office.objects.filter(pk__in=list(office_ids))
    written = 0
    for office in offices:
        yesterday = office.local_date(now or timezone.now()) - timedelta(days=1)
        first = first_day(office)
        HourLoad.objects.filter(office=office).delete()
        OperatorDay.objects.filter(office=office).delete()
        if first is not None and first <= yesterday:
            written += roll(office, first, yesterday)
        else:
            RollupMark.objects.update_or_create(office=office, defaults={"through": yesterday})
    return written


def refresh(offices) -> None:
    """Recount the offices whose service limit changed since their operator days were counted."""
    stale = OperatorDay.objects.exclude(limit_minutes=F("office__service_limit_minutes"))
    if offices is not None:
        stale = stale.filter(office__in=offices)
    ids = set(stale.values_list("office_id", flat=True).distinct().order_by())
    if ids:
        rebuild(ids)


def drift(office_ids=None) -> list[str]:
    """One line per office and day whose stored daily rows differ from a recount (days up to the mark)."""
    lines = []
    marks = RollupMark.objects.select_related("office")
    if office_ids is not None:
        marks = marks.filter(office_id__in=list(office_ids))
    for mark in marks:
        office = mark.office
        first = first_day(office)
        if first is None or first > mark.through:
            fresh_hours, fresh_people = {}, {}
        else:
            fresh_hours = hour_rows(office, first, mark.through)
            fresh_people = operator_rows(office, first, mark.through)
        stored_hours = {
            (r.day, r.hour): {n: getattr(r, n) for n in HOUR_COUNTS}
            for r in HourLoad.objects.filter(office=office, day__lte=mark.through)
        }
        stored_people = {
            (r.operator_id, r.day): {n: getattr(r, n) for n in OPERATOR_COUNTS} | {"breaks": r.breaks}
            for r in OperatorDay.objects.filter(office=office, day__lte=mark.through)
        }
        for day in sorted(
            {k[0] for k in set(stored_hours) ^ set(fresh_hours)}
            | {k[0] for k in set(stored_hours) & set(fresh_hours) if stored_hours[k] != fresh_hours[k]}
        ):
            lines.append(f"{office.code} {day}: загрузка по часам расходится с талонами")
        fresh_people = {
            k: {**v, "breaks": {r: list(x) for r, x in v["breaks"].items()}} for k, v in fresh_people.items()
        }
        for key in sorted(set(stored_people) | set(fresh_people), key=lambda k: (k[1], k[0])):
            if stored_people.get(key) != fresh_people.get(key):
                lines.append(f"{office.code} {key[1]}: показатели оператора {key[0]} расходятся с журналами")
    return lines
