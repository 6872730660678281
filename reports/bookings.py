"""The report «Предварительная запись»: bookings and the wait of booked visitors, by month, office and service.

Definitions (each pinned by tests/reports/test_bookings_report.py):

* A booking's month is the calendar month of its slot in its office's time
  zone (``Booking.local_date``); a ticket's month is that of its issue
  (``Ticket.local_date``), as in every other report.
* Booked: every booking made for that month, whatever became of it.
  Cancelled, checked in and no-show split them: cancelled by the client;
  checked in at the kiosk (a ticket was issued, served or not); no-show not
  checked in by slot start + BOOKING_CHECKIN_LATE_MINUTES (stored by
  close_day or, before it runs, read from the time). Booked bookings of
  slots still ahead are in none of the three.
* Booked visitors' wait: over the ``done`` tickets issued at a check-in
  (``slot_start`` set), the mean ``wait_seconds``, which for them runs from
  max(check-in, slot start) to the call (``Ticket.waits_since``). Walk-ins'
  wait, beside it: the same mean over the other ``done`` tickets of the same
  month, office and service. Means in whole seconds, halves up, as H:MM:SS.
* Over 5 minutes: the share of those booked ``done`` tickets whose wait
  exceeded 300 s (the МФЦ norm for a booked visitor), to four places.
* Rows: each month, office and service with a booking or a booked ticket;
  «Итого»: the year over the whole scope, computed from the counts and sums,
  not averaged over the rows. Absent values are None («—»), never 0.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from bookings.models import Booking
from offices.models import Office, Service
from tickets import daily
from tickets.models import Ticket

from .selectors import MICRO, MONTHS, hms, mean_seconds, rollups_of, round_half_up, year_range

BOOKED_WAIT_NORM_SECONDS = 5 * 60


@dataclass
class BookingRow:
    booked: int = 0
    cancelled: int = 0
    checked_in: int = 0
    no_show: int = 0
    booked_done: int = 0
    booked_wait: float = 0
    booked_over: int = 0
    walk_in_done: int = 0
    walk_in_wait: float = 0

    def add(self, other: "BookingRow") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict:
        booked_wait = mean_seconds(self.booked_wait, self.booked_done)
        walk_in_wait = mean_seconds(self.walk_in_wait, self.walk_in_done)
        share = None
        if self.booked_done:
            share = float(round_half_up(Decimal(self.booked_over) / self.booked_done, 4))
        return {
            "booked": self.booked,
            "cancelled": self.cancelled,
            "checked_in": self.checked_in,
            "no_show": self.no_show,
            "booked_served": self.booked_done,
            "avg_wait_booked_seconds": booked_wait,
            "avg_wait_booked": hms(booked_wait),
            "avg_wait_walk_in_seconds": walk_in_wait,
            "avg_wait_walk_in": hms(walk_in_wait),
            "booked_over_5_min_share": share,
        }


def bookings_report(
    year: int, offices: QuerySet[Office] | None = None, now: datetime | None = None, *, from_tickets: bool = False
) -> dict:
    """Rows by month, office and service, and the year's total.

    The booked visitors' tickets are read alone (few, by ``ticket_booked_idx``); the walk-ins
    are the rest of the monthly rollups. ``from_tickets`` counts both from the tickets (the
    tests compare the two).
    """
    now = now or timezone.now()
    start, end = year_range(year)
    late = now - Booking.late_window()
    bookings = Booking.objects.filter(local_date__range=(start, end))
    tickets = Ticket.objects.filter(local_date__range=(start, end), status=Ticket.Status.DONE)
    if offices is not None:
        bookings = bookings.filter(office__in=offices)
        tickets = tickets.filter(office__in=offices)
    rows: dict[tuple[int, int, int], BookingRow] = {}
    counts = (
        bookings.order_by()
        .annotate(m=ExtractMonth("local_date"))
        .values("m", "office_id", "service_id")
        .annotate(
            booked=Count("id"),
            cancelled=Count("id", filter=Q(status=Booking.Status.CANCELLED)),
            checked_in=Count("id", filter=Q(status=Booking.Status.CHECKED_IN)),
            no_show=Count(
                "id", filter=Q(status=Booking.Status.NO_SHOW) | Q(status=Booking.Status.BOOKED, start__lt=late)
            ),
        )
    )
    for row in counts:
        line = rows.setdefault((row["m"], row["office_id"], row["service_id"]), BookingRow())
        for name in ("booked", "cancelled", "checked_in", "no_show"):
            setattr(line, name, row[name])
    waits = _waits(year, offices, tickets) if not from_tickets else _waits_from_tickets(tickets)
    walk_ins: dict[tuple[int, int, int], dict] = {}
    for key, row in waits.items():
        if row["booked_done"] or key in rows:
            line = rows.setdefault(key, BookingRow())
            line.booked_done, line.booked_over = row["booked_done"], row["booked_over"]
            line.booked_wait = row["booked_wait"] or 0
        walk_ins[key] = row
    total = BookingRow()
    for key, line in rows.items():
        row = walk_ins.get(key)
        if row is not None:
            line.walk_in_done, line.walk_in_wait = row["walk_in_done"], row["walk_in_wait"] or 0
        total.add(line)
    names = {o.pk: o for o in Office.objects.filter(pk__in={k[1] for k in rows})}
    services = {s.pk: s for s in Service.objects.filter(pk__in={k[2] for k in rows})}
    result = []
    for month, office_id, service_id in sorted(
        rows, key=lambda k: (k[0], names[k[1]].name, services[k[2]].kiosk_order, services[k[2]].code)
    ):
        result.append(
            {
                "month": month,
                "month_name": MONTHS[month - 1],
                "office": names[office_id].code,
                "office_name": names[office_id].name,
                "service": services[service_id].code,
                "service_name": services[service_id].name,
                **rows[(month, office_id, service_id)].as_dict(),
            }
        )
    return {"rows": result, "total": {"month_name": "Итого", **total.as_dict()} if rows else None}


BOOKED = Q(slot_start__isnull=False)


def _booked_counts(tickets) -> QuerySet:
    return (
        tickets.order_by()
        .annotate(m=ExtractMonth("local_date"))
        .values("m", "office_id", "service_id")
        .annotate(
            booked_done=Count("id"),
            booked_wait=Sum("wait_seconds"),
            booked_wait_us=Sum(daily.micro_of("wait_seconds")),
            booked_over=Count("id", filter=Q(wait_seconds__gt=BOOKED_WAIT_NORM_SECONDS)),
        )
    )


def _waits(year: int, offices, tickets) -> dict[tuple[int, int, int], dict]:
    """Per month, office and service: the booked done tickets' counts, and the walk-ins' as the rest of the rollup."""
    booked = {(r["m"], r["office_id"], r["service_id"]): r for r in _booked_counts(tickets.filter(BOOKED))}
    result = {}
    for r in rollups_of(year, offices).filter(done__gt=0).values("month", "office_id", "service_id", "done", "wait_us"):
        key = (r["month"].month, r["office_id"], r["service_id"])
        mine = booked.get(key, {"booked_done": 0, "booked_wait": 0, "booked_wait_us": 0, "booked_over": 0})
        result[key] = mine | {
            "walk_in_done": r["done"] - mine["booked_done"],
            "walk_in_wait": Decimal(r["wait_us"] - (mine["booked_wait_us"] or 0)) / MICRO,
        }
    return result


def _waits_from_tickets(tickets) -> dict[tuple[int, int, int], dict]:
    rows = (
        tickets.order_by()
        .annotate(m=ExtractMonth("local_date"))
        .values("m", "office_id", "service_id")
        .annotate(
            booked_done=Count("id", filter=BOOKED),
            booked_wait=Sum("wait_seconds", filter=BOOKED),
            booked_over=Count("id", filter=BOOKED & Q(wait_seconds__gt=BOOKED_WAIT_NORM_SECONDS)),
            walk_in_done=Count("id", filter=~BOOKED),
            walk_in_wait=Sum("wait_seconds", filter=~BOOKED),
        )
    )
    return {(r["m"], r["office_id"], r["service_id"]): r for r in rows}
