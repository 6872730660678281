"""The manager's monitor: what it shows of an office, built with a fixed number of queries.

``monitor_snapshot`` is sent when the monitor connects; ``monitor_stats`` is
pushed by its consumer after queue changes (see consumers.MonitorConsumer).
Counter states and the tickets at the counters are never re-read for a
change: the monitor applies the operators group's messages directly.

Definitions (shown on the monitor, pinned by tests/monitor/test_monitor_read_model.py):

* A ticket's wait so far is ``Ticket.waited_seconds``: ``wait_seconds +
  (now − queued_at)`` while it waits, the same sum ``Ticket.call`` will store
  when it is called. For a booked ticket, from max(queued_at, slot start):
  ``Ticket.waits_since``.
* Today's bookings: expected, checked in, no-show (bookings.selectors.bookings_today).
* Waiting over the norm now: today's waiting tickets whose wait so far
  exceeds the office's ``wait_norm_minutes``. Each waiting ticket comes with
  the moment it crosses the norm (``over_at``), so the screen keeps the count
  right between pushes.
* Share over the norm today: over the norm / counted, where the counted
  tickets are today's called, served and finished ones (their wait is known)
  plus the waiting ones already over the norm (their wait can only grow).
  Waiting tickets still under the norm are left out: their outcome is open.
* Low ratings: the office's ratings of 1 or 2 (feedback app) that no manager
  has marked seen, oldest first, with their comments; they stay until one is.
* The day chart: arrivals (tickets issued) and the mean wait of the tickets
  called so far, by local hour of issue, today and on average over the same
  weekday of the previous ``CHART_WEEKS`` weeks (days without tickets, such as
  holidays, are not averaged in).
"""

from datetime import datetime, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractHour
from django.utils import timezone

from bookings.selectors import bookings_today
from feedback.selectors import unseen_low
from offices.models import Counter, Office
from tickets import live, selectors
from tickets.models import Ticket

CHART_WEEKS = 6
# «по N прошлым понедельникам» ...
WEEKDAYS_DATIVE = ["понедельникам", "вторникам", "средам", "четвергам", "пятницам", "субботам", "воскресеньям"]
# What a manager may do to a counter from the monitor, by its state; opening stays with the operator.
MANAGER_ACTIONS = {Counter.State.OPEN: ["break", "close"], Counter.State.BREAK: ["close"], Counter.State.CLOSED: []}
# Tickets whose wait is known: called at least once and not back in a queue.
WAIT_KNOWN = Q(status__in=[Ticket.Status.CALLED, Ticket.Status.SERVING, Ticket.Status.DONE, Ticket.Status.NO_SHOW])


def norm_now(office: Office, now: datetime | None = None) -> dict:
    """Waiting over the norm now, per service, and today's share over the norm (see the module's definitions)."""
    now = now or timezone.now()
    norm = office.wait_norm_minutes * 60
    day = office.local_date(now)
    services = list(office.services.filter(active=True))
    rows: dict[int, list[tuple[datetime, float]]] = {}
    waiting = Ticket.objects.waiting_on(office, day).order_by("queued_at", "id")
    for service_id, queued_at, slot_start, waited in waiting.values_list(
        "service_id", "queued_at", "slot_start", "wait_seconds"
    ):
        since = max(queued_at, slot_start) if slot_start else queued_at
        rows.setdefault(service_id, []).append((since, waited))
    settled = (
        Ticket.objects.filter(office=office, local_date=day, status__in=[*Ticket.ACTIVE, Ticket.Status.DONE])
        .order_by()
        .aggregate(n=Count("id"), over=Count("id", filter=Q(wait_seconds__gt=norm)))
    )
    per_service, over_total = [], 0
    for service in services:
        over_at = sorted(queued_at + timedelta(seconds=norm - waited) for queued_at, waited in rows.get(service.pk, []))
        over = sum(1 for moment in over_at if moment < now)
        over_total += over
        per_service.append(
            {
                "code": service.code,
                "name": service.name,
                "waiting": len(over_at),
                "over": over,
                "over_at": [moment.isoformat() for moment in over_at],
            }
        )
    counted = settled["n"] + over_total
    return {
        "norm_seconds": norm,
        "services": per_service,
        "over": over_total,
        "settled": settled["n"],
        "settled_over": settled["over"],
        "share": round((settled["over"] + over_total) / counted, 4) if counted else None,
    }


def _by_hour(tickets, tz) -> dict[int, dict]:
    rows = (
        tickets.order_by()  # the model's default ordering would join the GROUP BY
        .annotate(hour=ExtractHour("issued_at", tzinfo=tz))
        .values("hour")
        .annotate(
            arrivals=Count("id"), waited=Count("id", filter=WAIT_KNOWN), wait=Sum("wait_seconds", filter=WAIT_KNOWN)
        )
    )
    return {row["hour"]: row for row in rows}


def _mean(total: float | None, n: int) -> int | None:
    return round(total / n) if n and total is not None else None


def day_chart(office: Office, now: datetime | None = None, weeks: int = CHART_WEEKS) -> dict:
    """Arrivals and mean wait by local hour today, against the same weekday's average (three queries)."""
    now = now or timezone.now()
    today = office.local_date(now)
    tz = office.tz
    mine = Ticket.objects.filter(office=office)
    today_rows = _by_hour(mine.filter(local_date=today), tz)
    past = mine.filter(local_date__in=[today - timedelta(weeks=k) for k in range(1, weeks + 1)])
    past_rows = _by_hour(past, tz)
    days = past.order_by().values("local_date").distinct().count()
    hours = set(today_rows) | set(past_rows)
    for opening in office.hours.all():  # prefetched
        if opening.weekday == today.weekday():
            opens, closes = opening.bounds(today, tz)
            last = closes - timedelta(seconds=1)  # a midnight close ends in hour 23
            hours |= set(range(opens.hour, last.hour + 1))
    hours = sorted(h for h in hours if h is not None)
    if hours:
        hours = list(range(hours[0], hours[-1] + 1))
    empty: dict = {"arrivals": 0, "waited": 0, "wait": None}
    return {
        "labels": [f"{h}:00" for h in hours],
        "today": {
            "arrivals": [today_rows.get(h, empty)["arrivals"] for h in hours],
            "avg_wait": [_mean(today_rows.get(h, empty)["wait"], today_rows.get(h, empty)["waited"]) for h in hours],
        },
        "usual": {
            "arrivals": [round(past_rows.get(h, empty)["arrivals"] / days, 1) if days else None for h in hours],
            "avg_wait": [_mean(past_rows.get(h, empty)["wait"], past_rows.get(h, empty)["waited"]) for h in hours],
            "days": days,
            "label": f"Среднее по {weeks} прошлым {WEEKDAYS_DATIVE[today.weekday()]}",
        },
    }


def monitor_stats(office_id: int, now: datetime | None = None) -> dict:
    """The figures that follow from the database rather than from messages: pushed after queue changes."""
    now = now or timezone.now()
    office = Office.objects.prefetch_related("hours").get(pk=office_id)
    return {"type": "monitor.stats", **_stats(office, now)}


OPEN_LABELS = {True: "Открыт", False: "Закрыт"}


def office_open(office: Office, now: datetime) -> bool:
    """Within today's opening hours and not a holiday: from the office's prefetched hours, no query."""
    return office.is_open(now) and not office.is_holiday(office.local_date(now))


def _stats(office: Office, now: datetime) -> dict:
    is_open = office_open(office, now)
    return {
        "now": now.isoformat(),
        # The company table's «Сейчас»: moves with time alone, so it comes with every push of the figures.
        "open": is_open,
        "open_label": OPEN_LABELS[is_open],
        "today": selectors.today_stats(office),
        "norm": norm_now(office, now),
        "chart": day_chart(office, now),
        "bookings": bookings_today(office, now),
        "low_ratings": unseen_low(office.pk),
    }


def monitor_snapshot(office_id: int, now: datetime | None = None) -> dict:
    """The office's live state (counters, queue), its manager's settings, and the figures only the database knows."""
    state = live.get(office_id)
    now = now or timezone.now()
    office = Office.objects.prefetch_related("hours").get(pk=office_id)
    return {
        "type": "snapshot",
        "seq": state.seqs[1],
        "office": {
            "code": office.code,
            "name": office.name,
            "wait_norm_seconds": office.wait_norm_minutes * 60,
            "break_limit_seconds": office.break_limit_minutes * 60,
            "service_limit_seconds": office.service_limit_minutes * 60,
            "break_reasons": office.break_reasons,
            "manager_actions": MANAGER_ACTIONS,
        },
        "waiting": state.display["waiting"],
        "oldest": state.operators["oldest"],
        "counters": state.operators["counters"],
        **_stats(office, now),
    }
