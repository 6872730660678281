"""The published service-quality tables, computed from recorded data.

Metric definitions (each pinned by tests/reports/test_definitions.py):

* Tickets that count are those in status ``done``. No-shows, cancelled and
  expired tickets are excluded from the averages and reported as their own
  counts.
* A ticket's month is the calendar month of ``issued_at`` in its office's
  time zone. ``Ticket.local_date`` stores exactly that date at issue, so the
  month is read from it without converting times again.
* Wait is ``wait_seconds`` (for a plain visit: first call − issue); service is
  ``service_seconds`` (for a plain visit: finish − start, where start is the
  call when the operator never pressed start). Both are summed over the
  queues and counters a transferred ticket went through.
* A booked ticket (pre-booking, checked in at the kiosk) waits from
  max(check-in, slot start) to its first call: a client who checks in early
  is not kept waiting by the queue before their slot, so that time is not
  wait. ``Ticket.call`` records it so (``Ticket.waits_since``); every average
  and share here, the monitor and the estimates read that ``wait_seconds``.
* A month's average is the arithmetic mean over that month's tickets; the
  year's total («Итого») is the mean over all the year's tickets, not the mean
  of the twelve monthly values. Means are rounded to whole seconds, halves up,
  and printed as H:MM:SS.
* Share over the norm is the share of counted tickets whose wait exceeded their
  office's ``wait_norm_minutes``.
* Missing is not zero. A month the source has no rows for (no ticket of any
  status in the scope, no imported count of that channel, no appeal, no call)
  is absent: its counts and averages are None, shown as «—», never 0. A real
  zero is a month with rows but none of the kind counted (tickets issued but
  none done). A group row or a total sums the values that are present and is
  absent only when all of them are.
* Contacts by channel: ЦОК ФЛ, ЦОК ЮЛ and Касса are ``done`` tickets of
  services with channel individuals, legal_entities and cashier. Очное
  обслуживание = ЦОК ФЛ + ЦОК ЮЛ. Заочное обслуживание is the sum of the
  imported remote channels. Итого = Очное + Касса + Заочное. Remote channels
  are company-wide: a report for one office has them absent (not counted
  there), not zero.
* Personal-cabinet response time: (answered − received) in calendar days per
  answered appeal, averaged by the month received; the total is the mean over
  all answered appeals of the year; two decimals, halves up, decimal comma.
  Unanswered appeals are counted but not averaged.
* Topics (Обращения по тематикам): per month (the ticket's ``local_date``),
  office and service (the one the ticket was finished in), ``count`` is the
  number of ``done`` tickets on which the operator ticked that outcome, and
  ``share`` is count ÷ all ``done`` tickets of that month, office and service,
  four decimals, halves up. A ticket may carry several outcomes, so a group's
  shares may add up to more than 1. Done tickets with no outcome ticked are the
  row with ``outcome`` None, «Без темы». Only rows with a count appear. The
  name is the service's current name for the code (the code itself once the
  outcome was removed from the service).
* Contact centre: wait = answered − started, talk = ended − answered, averaged
  over answered calls in whole seconds (halves up); unanswered calls are
  abandoned.

Sums and counts come from SQL; the division and rounding happen here in
Decimal, so that a mean of exactly x.5 rounds up whatever the database's
floating point does.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth

from offices.models import Office, Service
from tickets import rollups
from tickets.models import OutcomeMonth, ServiceMonth, Ticket, TicketOutcome

from .models import REMOTE_CHANNELS, Appeal, Call, ContactCount

MONTHS = [
    "Январь", "Февраль", "Март", "Апрель", "Май", "Июнь",
    "Июль", "Август", "Сентябрь", "Октябрь", "Ноябрь", "Декабрь",
]  # fmt: skip
CHANNEL_LABELS = dict(REMOTE_CHANNELS)
MAIN_REMOTE = ["contact_center", "robot", "personal_account"]


def round_half_up(value: Decimal, places: int = 0) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def mean_seconds(total, count: int) -> int | None:
    if not count:
        return None
    return int(round_half_up(Decimal(str(total)) / count))


def hms(seconds: int | None) -> str | None:
    """0:03:36 for 216 seconds."""
    if seconds is None:
        return None
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def days_comma(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}".replace(".", ",")


@dataclass
class TimeRow:
    month: int | None
    present: bool = False  # the month has tickets of some status: its counts are real, zeros included
    tickets: int = 0
    no_show: int = 0
    cancelled: int = 0
    expired: int = 0
    wait_total: float = 0
    service_total: float = 0
    over_norm: int = 0

    @property
    def avg_wait_seconds(self) -> int | None:
        return mean_seconds(self.wait_total, self.tickets)

    @property
    def avg_service_seconds(self) -> int | None:
        return mean_seconds(self.service_total, self.tickets)

    def count(self, name: str) -> int | None:
        return getattr(self, name) if self.present else None

    def as_dict(self) -> dict:
        data = {
            "month": self.month,
            "month_name": MONTHS[self.month - 1] if self.month else "Итого",
            "tickets": self.count("tickets"),
            "no_show": self.count("no_show"),
            "cancelled": self.count("cancelled"),
            "expired": self.count("expired"),
            "avg_wait_seconds": self.avg_wait_seconds,
            "avg_service_seconds": self.avg_service_seconds,
            "avg_wait": hms(self.avg_wait_seconds),
            "avg_service": hms(self.avg_service_seconds),
            "over_norm_share": (
                float(round_half_up(Decimal(self.over_norm) / self.tickets, 4)) if self.tickets else None
            ),
        }
        if self.month is None:
            del data["month"]
        return data


def year_range(year: int, through: int = 12) -> tuple[date, date]:
    """January 1 to the last day of month ``through`` (a preliminary disclosure compares finished months only)."""
    return date(year, 1, 1), date(year, through, calendar.monthrange(year, through)[1])


def tickets_of(
    year: int, offices: QuerySet[Office] | None, channel: str | None = None, through: int = 12
) -> QuerySet[Ticket]:
    start, end = year_range(year, through)
    tickets = Ticket.objects.filter(local_date__range=(start, end))
    if offices is not None:
        tickets = tickets.filter(office__in=offices)
    if channel:
        tickets = tickets.filter(service__channel=channel)
    return tickets


def _time_rows_from_tickets(year: int, offices, channel: str | None, through: int = 12) -> list[dict]:
    """The reference: the same sums and counts straight from the tickets (for tests and checks)."""
    done = Q(status=Ticket.Status.DONE)
    return list(
        tickets_of(year, offices, channel, through)
        .annotate(m=ExtractMonth("local_date"))
        .values("m")
        .annotate(
            tickets=Count("id", filter=done),
            no_show=Count("id", filter=Q(status=Ticket.Status.NO_SHOW)),
            cancelled=Count("id", filter=Q(status=Ticket.Status.CANCELLED)),
            expired=Count("id", filter=Q(status=Ticket.Status.EXPIRED)),
            wait_total=Sum("wait_seconds", filter=done),
            service_total=Sum("service_seconds", filter=done),
            over_norm=Count("id", filter=done & Q(wait_seconds__gt=F("office__wait_norm_minutes") * 60)),
        )
    )


def rollups_of(
    year: int, offices: QuerySet[Office] | None, channel: str | None = None, through: int = 12
) -> QuerySet[ServiceMonth]:
    rollups.refresh(offices)
    start, end = year_range(year, through)
    rows = ServiceMonth.objects.filter(month__range=(start, end))
    if offices is not None:
        rows = rows.filter(office__in=offices)
    if channel:
        rows = rows.filter(service__channel=channel)
    return rows


MICRO = Decimal(1_000_000)


def _time_rows(year: int, offices, channel: str | None, through: int = 12) -> list[dict]:
    rows = (
        rollups_of(year, offices, channel, through)
        .values("month")
        .annotate(
            present=Sum("tickets"),
            tickets=Sum("done"),
            no_show=Sum("no_show"),
            cancelled=Sum("cancelled"),
            expired=Sum("expired"),
            wait_us=Sum("wait_us"),
            service_us=Sum("service_us"),
            over_norm=Sum("over_norm"),
        )
        .order_by()
    )
    return [
        {
            **row,
            "m": row["month"].month,
            # Whole microseconds summed exactly; Decimal keeps them exact up to the rounding.
            "wait_total": Decimal(row["wait_us"]) / MICRO,
            "service_total": Decimal(row["service_us"]) / MICRO,
        }
        for row in rows
        if row["present"]
    ]


def service_times(
    year: int,
    offices: QuerySet[Office] | None = None,
    channel: str | None = None,
    through: int = 12,
    *,
    from_tickets: bool = False,
) -> dict:
    """Average wait and service by month, with the year's total (of the months up to ``through``).

    Read from the monthly rollups; ``from_tickets`` computes the same from the tickets.
    """
    rows = (_time_rows_from_tickets if from_tickets else _time_rows)(year, offices, channel, through)
    months = {m: TimeRow(month=m) for m in range(1, 13)}
    total = TimeRow(month=None)
    for row in rows:
        month = months[row["m"]]
        month.present = total.present = True
        for name in ("tickets", "no_show", "cancelled", "expired", "over_norm"):
            setattr(month, name, row[name])
            setattr(total, name, getattr(total, name) + row[name])
        month.wait_total = row["wait_total"] or 0
        month.service_total = row["service_total"] or 0
        total.wait_total += month.wait_total
        total.service_total += month.service_total
    return {
        "months": [months[m].as_dict() for m in range(1, 13)],
        "total": total.as_dict(),
    }


def sum_present(values) -> int | None:
    """The sum of the values that are there; None when none is (missing is not zero)."""
    present = [v for v in values if v is not None]
    return sum(present) if present else None


@dataclass
class ChannelRow:
    key: str
    label: str
    months: list[int | None] = field(default_factory=lambda: [None] * 12)

    @property
    def total(self) -> int | None:
        return sum_present(self.months)

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "months": self.months, "total": self.total}


def _add(target: ChannelRow, *rows: ChannelRow) -> ChannelRow:
    target.months = [sum_present(values) for values in zip(target.months, *(row.months for row in rows), strict=True)]
    return target


def _channel_counts(year: int, offices, from_tickets: bool) -> list[dict]:
    if from_tickets:
        return list(
            tickets_of(year, offices)
            .annotate(m=ExtractMonth("local_date"))
            .values("service__channel", "m")
            .annotate(n=Count("id", filter=Q(status=Ticket.Status.DONE)))
        )
    rows = (
        rollups_of(year, offices)
        .values("service__channel", "month")
        .annotate(present=Sum("tickets"), n=Sum("done"))
        .order_by()
    )
    return [{**row, "m": row["month"].month} for row in rows if row["present"]]


def channels(
    year: int, offices: QuerySet[Office] | None = None, *, company_wide: bool = True, from_tickets: bool = False
) -> list[dict]:
    """Contacts by channel and month. Group rows are always the sums of their rows.

    An in-person month is present when the scope has any ticket that month (then a
    channel without done tickets is a real 0); a remote month when its count was imported.
    Read from the monthly rollups; ``from_tickets`` computes the same from the tickets.
    """
    in_person = {key: ChannelRow(key, label) for key, label in Service.Channel.choices}
    for row in _channel_counts(year, offices, from_tickets):
        for channel in in_person.values():
            channel.months[row["m"] - 1] = channel.months[row["m"] - 1] or 0
        in_person[row["service__channel"]].months[row["m"] - 1] += row["n"]

    remote = {key: ChannelRow(key, CHANNEL_LABELS[key]) for key in MAIN_REMOTE}
    if company_wide:
        start, end = year_range(year)
        for row in ContactCount.objects.filter(month__range=(start, end)).values("channel", "month", "count"):
            if row["channel"] not in remote:
                remote[row["channel"]] = ChannelRow(row["channel"], CHANNEL_LABELS[row["channel"]])
            index = row["month"].month - 1
            remote[row["channel"]].months[index] = (remote[row["channel"]].months[index] or 0) + row["count"]
    extra = [key for key, _ in REMOTE_CHANNELS if key in remote and key not in MAIN_REMOTE]

    face = _add(ChannelRow("in_person", "Очное обслуживание"), in_person["individuals"], in_person["legal_entities"])
    remote_total = _add(ChannelRow("remote", "Заочное обслуживание"), *remote.values())
    total = _add(ChannelRow("total", "Итого"), face, in_person["cashier"], remote_total)
    rows = [
        face,
        in_person["individuals"],
        in_person["legal_entities"],
        in_person["cashier"],
        remote_total,
        *(remote[key] for key in MAIN_REMOTE),
        *(remote[key] for key in extra),
        total,
    ]
    return [row.as_dict() for row in rows]


def _days(total_seconds, count: int) -> Decimal | None:
    if not count:
        return None
    return round_half_up(Decimal(str(total_seconds)) / count / 86400, 2)


def personal_account(year: int, channel: str = "personal_account", through: int = 12) -> dict:
    """Appeals by the month received, with the mean response time in days.

    A month without appeals is absent: its counts are None, not 0.
    """
    start, end = year_range(year, through)
    rows = (
        Appeal.objects.filter(channel=channel, month__range=(start, end))
        .values("month")
        .annotate(
            appeals=Count("id"),
            answered=Count("answered_at"),
            response_total=Sum("response_seconds"),
        )
    )
    months = {row["month"].month: row for row in rows}
    total = {"appeals": 0, "answered": 0, "response_total": 0}

    def shape(row: dict | None, **extra) -> dict:
        days = _days(row["response_total"] or 0, row["answered"]) if row else None
        return {
            **extra,
            "appeals": row["appeals"] if row else None,
            "answered": row["answered"] if row else None,
            "avg_response_days": float(days) if days is not None else None,
            "avg_response": days_comma(days),
        }

    result = []
    for m in range(1, 13):
        row = months.get(m)
        for key in total:
            total[key] += (row[key] or 0) if row else 0
        result.append(shape(row, month=m, month_name=MONTHS[m - 1]))
    return {
        "year": year,
        "channel": channel,
        "months": result,
        "total": shape(total if months else None, month_name="Итого"),
    }


def contact_center(year: int, through: int = 12) -> dict:
    """Calls by month: counts, abandoned, mean wait for an answer and mean talk (answered calls).

    A month without calls is absent: its counts are None, not 0.
    """
    start, end = year_range(year, through)
    rows = (
        Call.objects.filter(month__range=(start, end))
        .values("month")
        .annotate(
            calls=Count("id"),
            answered=Count("answered_at"),
            wait_total=Sum("wait_seconds"),
            talk_total=Sum("talk_seconds"),
        )
    )
    months = {row["month"].month: row for row in rows}
    total = {"calls": 0, "answered": 0, "wait_total": 0, "talk_total": 0}

    def shape(row: dict | None, **extra) -> dict:
        wait = mean_seconds(row["wait_total"] or 0, row["answered"]) if row else None
        talk = mean_seconds(row["talk_total"] or 0, row["answered"]) if row else None
        return {
            **extra,
            "calls": row["calls"] if row else None,
            "answered": row["answered"] if row else None,
            "abandoned": row["calls"] - row["answered"] if row else None,
            "avg_wait_seconds": wait,
            "avg_talk_seconds": talk,
            "avg_wait": hms(wait),
            "avg_talk": hms(talk),
        }

    result = []
    for m in range(1, 13):
        row = months.get(m)
        for key in total:
            total[key] += (row[key] or 0) if row else 0
        result.append(shape(row, month=m, month_name=MONTHS[m - 1]))
    return {"year": year, "months": result, "total": shape(total if months else None, month_name="Итого")}


NO_OUTCOME = "Без темы"


def _outcome_counts(year: int, offices, from_tickets: bool) -> tuple[list[tuple], dict[tuple, int]]:
    """[(month, office code, service id, code or None for no topic, count)] and the done tickets
    per (month, office code, service id)."""
    if from_tickets:
        group = {"m": ExtractMonth("local_date"), "office_code": F("office__code"), "service_ref": F("service_id")}
        done = tickets_of(year, offices).filter(status=Ticket.Status.DONE)
        totals = done.values(**group).annotate(n=Count("id")).values_list("m", "office_code", "service_ref", "n")
        totals = list(totals.order_by())
        marked = (
            TicketOutcome.objects.filter(ticket__in=done)
            .values(
                m=ExtractMonth("ticket__local_date"),
                office_code=F("ticket__office__code"),
                service_ref=F("ticket__service_id"),
                outcome=F("code"),
            )
            .annotate(n=Count("id"))
            .values_list("m", "office_code", "service_ref", "outcome", "n")
            .order_by()
        )
        bare = (
            done.filter(~Exists(TicketOutcome.objects.filter(ticket=OuterRef("pk"))))
            .values(**group)
            .annotate(n=Count("id"))
            .values_list("m", "office_code", "service_ref", "n")
            .order_by()
        )
        counted = list(marked) + [(m, office, service, None, n) for m, office, service, n in bare]
    else:
        start, end = year_range(year)
        months = ServiceMonth.objects.filter(month__range=(start, end), done__gt=0)
        topics = OutcomeMonth.objects.filter(month__range=(start, end), count__gt=0)
        if offices is not None:
            months, topics = months.filter(office__in=offices), topics.filter(office__in=offices)
        rows = topics.values_list("month", "office__code", "service_id", "code", "count")
        counted = [(month.month, office, service, code or None, n) for month, office, service, code, n in rows]
        totals = [
            (month.month, office, service, n)
            for month, office, service, n in months.values_list("month", "office__code", "service_id", "done")
        ]
    return counted, {(m, office, service): n for m, office, service, n in totals}


def outcomes(year: int, offices: QuerySet[Office] | None = None, *, from_tickets: bool = False) -> list[dict]:
    """«Обращения по тематикам»: counts and shares of outcomes by month, office and service.

    Read from the topic rollups (``OutcomeMonth``) and the done counts of ``ServiceMonth``;
    ``from_tickets`` computes the same from the tickets and their outcomes.
    """
    counted, totals = _outcome_counts(year, offices, from_tickets)
    services = Service.objects.in_bulk({service_ref for _, _, service_ref, _, _ in counted})
    rows = []
    for month, office_code, service_ref, code, n in counted:
        service = services[service_ref]
        names = service.outcome_names()
        position = list(names).index(code) if code in names else len(names) + (code is None)
        total = totals[(month, office_code, service_ref)]
        rows.append(
            (
                (month, office_code, service.code, position, code or ""),
                {
                    "month": f"{year}-{month:02d}",
                    "office": office_code,
                    "service": service.code,
                    "service_name": service.name,
                    "outcome": code,
                    "name": NO_OUTCOME if code is None else names.get(code, code),
                    "count": n,
                    "share": float(round_half_up(Decimal(n) / total, 4)),
                },
            )
        )
    return [row for _, row in sorted(rows, key=lambda pair: pair[0])]


def outcome_table(year: int, offices: QuerySet[Office] | None = None, *, from_tickets: bool = False) -> list[dict]:
    """The report page's view of outcomes(): per office and service, each outcome's counts by month,
    the year's count, and its share of the year's done tickets of that office and service."""
    if from_tickets:
        done = tickets_of(year, offices).filter(status=Ticket.Status.DONE)
        year_done = done.values("office__code", "service__code").annotate(n=Count("id"))
    else:
        start, end = year_range(year)
        months = ServiceMonth.objects.filter(month__range=(start, end))
        if offices is not None:
            months = months.filter(office__in=offices)
        year_done = months.values("office__code", "service__code").annotate(n=Sum("done"))
    year_done = {(r["office__code"], r["service__code"]): r["n"] for r in year_done.order_by()}
    groups: dict[tuple, dict] = {}
    for row in outcomes(year, offices, from_tickets=from_tickets):
        key = (row["office"], row["service"])
        group = groups.setdefault(
            key, {"office": row["office"], "service": row["service_name"], "outcomes": {}, "done": year_done[key]}
        )
        line = group["outcomes"].setdefault(row["outcome"], {"name": row["name"], "months": [None] * 12, "total": 0})
        line["months"][int(row["month"][-2:]) - 1] = row["count"]
        line["total"] += row["count"]
    return [
        {
            **{k: v for k, v in group.items() if k != "outcomes"},
            "rows": [
                {**line, "share": float(round_half_up(Decimal(line["total"]) / group["done"], 4))}
                for line in group["outcomes"].values()
            ],
        }
        for _, group in sorted(groups.items())
    ]
