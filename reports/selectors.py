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
* A month's average is the arithmetic mean over that month's tickets; the
  year's total («Итого») is the mean over all the year's tickets, not the mean
  of the twelve monthly values. Means are rounded to whole seconds, halves up,
  and printed as H:MM:SS.
* Share over the norm is the share of counted tickets whose wait exceeded their
  office's ``wait_norm_minutes``.
* Contacts by channel: ЦОК ФЛ, ЦОК ЮЛ and Касса are ``done`` tickets of
  services with channel individuals, legal_entities and cashier. Очное
  обслуживание = ЦОК ФЛ + ЦОК ЮЛ. Заочное обслуживание is the sum of the
  imported remote channels. Итого = Очное + Касса + Заочное. Remote channels
  are company-wide: a report for one office has them at zero.
* Personal-cabinet response time: (answered − received) in calendar days per
  answered appeal, averaged by the month received; the total is the mean over
  all answered appeals of the year; two decimals, halves up, decimal comma.
  Unanswered appeals are counted but not averaged.
* Contact centre: wait = answered − started, talk = ended − answered, averaged
  over answered calls in whole seconds (halves up); unanswered calls are
  abandoned.

Sums and counts come from SQL; the division and rounding happen here in
Decimal, so that a mean of exactly x.5 rounds up whatever the database's
floating point does.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth

from offices.models import Office, Service
from tickets.models import Ticket

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

    def as_dict(self) -> dict:
        data = {
            "month": self.month,
            "month_name": MONTHS[self.month - 1] if self.month else "Итого",
            "tickets": self.tickets,
            "no_show": self.no_show,
            "cancelled": self.cancelled,
            "expired": self.expired,
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


def year_range(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def tickets_of(year: int, offices: QuerySet[Office] | None, channel: str | None = None) -> QuerySet[Ticket]:
    start, end = year_range(year)
    tickets = Ticket.objects.filter(local_date__range=(start, end))
    if offices is not None:
        tickets = tickets.filter(office__in=offices)
    if channel:
        tickets = tickets.filter(service__channel=channel)
    return tickets


def service_times(year: int, offices: QuerySet[Office] | None = None, channel: str | None = None) -> dict:
    """Average wait and service by month, with the year's total."""
    done = Q(status=Ticket.Status.DONE)
    rows = (
        tickets_of(year, offices, channel)
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
    months = {m: TimeRow(month=m) for m in range(1, 13)}
    total = TimeRow(month=None)
    for row in rows:
        month = months[row["m"]]
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


@dataclass
class ChannelRow:
    key: str
    label: str
    months: list[int] = field(default_factory=lambda: [0] * 12)

    @property
    def total(self) -> int:
        return sum(self.months)

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "months": self.months, "total": self.total}


def _add(target: ChannelRow, *rows: ChannelRow) -> ChannelRow:
    for row in rows:
        target.months = [a + b for a, b in zip(target.months, row.months, strict=True)]
    return target


def channels(year: int, offices: QuerySet[Office] | None = None, *, company_wide: bool = True) -> list[dict]:
    """Contacts by channel and month. Group rows are always the sums of their rows."""
    in_person = {key: ChannelRow(key, label) for key, label in Service.Channel.choices}
    counts = (
        tickets_of(year, offices)
        .filter(status=Ticket.Status.DONE)
        .annotate(m=ExtractMonth("local_date"))
        .values("service__channel", "m")
        .annotate(n=Count("id"))
    )
    for row in counts:
        in_person[row["service__channel"]].months[row["m"] - 1] = row["n"]

    remote = {key: ChannelRow(key, CHANNEL_LABELS[key]) for key in MAIN_REMOTE}
    if company_wide:
        start, end = year_range(year)
        for row in ContactCount.objects.filter(month__range=(start, end)).values("channel", "month", "count"):
            if row["channel"] not in remote:
                remote[row["channel"]] = ChannelRow(row["channel"], CHANNEL_LABELS[row["channel"]])
            remote[row["channel"]].months[row["month"].month - 1] += row["count"]
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


def personal_account(year: int, channel: str = "personal_account") -> dict:
    """Appeals by the month received, with the mean response time in days."""
    start, end = year_range(year)
    rows = (
        Appeal.objects.filter(channel=channel, month__range=(start, end))
        .values("month")
        .annotate(
            appeals=Count("id"),
            answered=Count("answered_at"),
            response_total=Sum("response_seconds"),
        )
    )
    months = {m: {"appeals": 0, "answered": 0, "response_total": 0} for m in range(1, 13)}
    for row in rows:
        months[row["month"].month] = row
    result = []
    total = {"appeals": 0, "answered": 0, "response_total": 0}
    for m in range(1, 13):
        row = months[m]
        for key in total:
            total[key] += row[key] or 0
        days = _days(row["response_total"] or 0, row["answered"])
        result.append(
            {
                "month": m,
                "month_name": MONTHS[m - 1],
                "appeals": row["appeals"],
                "answered": row["answered"],
                "avg_response_days": float(days) if days is not None else None,
                "avg_response": days_comma(days),
            }
        )
    days = _days(total["response_total"], total["answered"])
    return {
        "year": year,
        "channel": channel,
        "months": result,
        "total": {
            "month_name": "Итого",
            "appeals": total["appeals"],
            "answered": total["answered"],
            "avg_response_days": float(days) if days is not None else None,
            "avg_response": days_comma(days),
        },
    }


def contact_center(year: int) -> dict:
    """Calls by month: counts, abandoned, mean wait for an answer and mean talk (answered calls)."""
    start, end = year_range(year)
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
    empty = {"calls": 0, "answered": 0, "wait_total": 0, "talk_total": 0}
    months = {m: dict(empty) for m in range(1, 13)}
    for row in rows:
        months[row["month"].month] = row
    total = dict(empty)

    def shape(row, **extra) -> dict:
        wait = mean_seconds(row["wait_total"] or 0, row["answered"])
        talk = mean_seconds(row["talk_total"] or 0, row["answered"])
        return {
            **extra,
            "calls": row["calls"],
            "answered": row["answered"],
            "abandoned": row["calls"] - row["answered"],
            "avg_wait_seconds": wait,
            "avg_talk_seconds": talk,
        }

    result = []
    for m in range(1, 13):
        row = months[m]
        for key in total:
            total[key] += row[key] or 0
        result.append(shape(row, month=m, month_name=MONTHS[m - 1]))
    return {"year": year, "months": result, "total": shape(total, month_name="Итого")}
