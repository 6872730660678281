"""The analytics reports: load by weekday and hour, norm compliance, operators, estimate accuracy.

Definitions (each pinned by tests/reports/test_analytics.py on data with known answers):

* Load by weekday and hour: every ticket of the period (any status) counts
  once, in the weekday of its ``local_date`` and the local hour of its
  ``issued_at`` in its office's time zone. ``issued`` is the number of such
  tickets over the whole period; the mean wait is over the done ones among
  them (their ``wait_seconds``, as everywhere), whole seconds, halves up. The
  busiest hours are the three weekday × hour cells with the most tickets
  (ties: earlier weekday, then earlier hour).
* Norm compliance: per month (the ticket's ``local_date``), office and
  service, over the done tickets: within the norm = wait ≤ the office's
  ``wait_norm_minutes``; within twice the norm = wait ≤ 2 × norm; over = wait
  > norm (the complement of «within»). Shares are of the done tickets, four
  decimals, halves up.
* Operator figures: per operator and month (or one day) of the tickets whose
  ``operator`` (who last called them) is that operator: served (done), mean
  service time (their ``service_seconds``), the share of the served whose
  service took longer than the office's ``service_limit_minutes``, no-shows,
  transfers the operator made at a counter. Time open is the time a counter
  the operator held was open and not on a break (from the counters' log, cut at
  local midnight, today's at now); time serving is the sum of the served
  clients' service times; utilisation = serving ÷ open, four decimals.
  Breaks per reason: how many began and how long they lasted.
* Estimate accuracy: per month and office, over the done tickets that carry
  the wait promised at issue (``promised_wait_seconds``; imported tickets have
  none): error = promised − ``wait_seconds``; mean absolute error and bias
  (the mean error: positive when the promise was longer than the wait) in
  whole seconds, halves up; the share with |error| ≤ 5 minutes.

Monthly figures are read from ``ServiceMonth``; load and operators from the
daily rows (``HourLoad``, ``OperatorDay``) up to each office's ``RollupMark``
and live from the tickets and the counters' log after it (normally today).
``from_tickets=True`` computes everything from the tickets instead: the
reference the rollups are tested against.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BigIntegerField, Count, F, Q, QuerySet, Sum
from django.db.models.functions import Abs, Cast, ExtractIsoWeekDay, ExtractMonth, Round, TruncMonth

from offices.models import Office
from tickets import daily, rollups
from tickets.models import HourLoad, OperatorDay, RollupMark, ServiceMonth, Ticket

from .selectors import MICRO, MONTHS, mean_seconds, round_half_up, year_range

WEEKDAYS = ["Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота", "Воскресенье"]
BUSIEST = 3


def ratio(part, whole, places: int = 4) -> float | None:
    return float(round_half_up(Decimal(part) / Decimal(whole), places)) if whole else None


def offices_in(offices: QuerySet[Office] | None) -> list[Office]:
    return list(Office.objects.all() if offices is None else offices)


def period(year: int, month: int | None = None) -> tuple[date, date]:
    if month is None:
        return year_range(year)
    start = date(year, month, 1)
    return start, (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _split(offices: list[Office], start: date, end: date, from_tickets: bool):
    """Per office, the stored days' condition and the live span (start, end) after its mark, if any."""
    marks = {} if from_tickets else dict(RollupMark.objects.filter(office__in=offices).values_list("office", "through"))
    stored, live = Q(pk__in=[]), []
    for office in offices:
        mark = marks.get(office.pk)
        if mark is not None and mark >= start:
            stored |= Q(office=office, day__lte=mark)
        live_start = start if mark is None else max(start, mark + timedelta(days=1))
        if live_start <= end:
            live.append((office, live_start))
    return stored, live


# Load by weekday and hour


def load(
    year: int, offices: QuerySet[Office] | None = None, month: int | None = None, *, from_tickets: bool = False
) -> dict:
    start, end = period(year, month)
    scope = offices_in(offices)
    stored, live = _split(scope, start, end, from_tickets)
    cells: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    rows = (
        HourLoad.objects.filter(stored, day__range=(start, end))
        .values(weekday=ExtractIsoWeekDay("day"), h=F("hour"))
        .annotate(n_issued=Sum("issued"), n_done=Sum("done"), n_wait_us=Sum("wait_us"))
        .order_by()
    )
    for r in rows:
        cell = cells[(r["weekday"], r["h"])]
        cell[0], cell[1], cell[2] = cell[0] + r["n_issued"], cell[1] + r["n_done"], cell[2] + r["n_wait_us"]
    for office, live_start in live:
        for (day, hour), r in daily.hour_rows(office, live_start, end).items():
            cell = cells[(day.isoweekday(), hour)]
            cell[0], cell[1], cell[2] = cell[0] + r["issued"], cell[1] + r["done"], cell[2] + r["wait_us"]
    hours = sorted({h for _, h in cells})
    hours = list(range(min(hours), max(hours) + 1)) if hours else []

    def shape(weekday: int, hour: int) -> dict:
        issued, done, wait_us = cells.get((weekday, hour), (0, 0, 0))
        return {
            "hour": hour,
            "issued": issued,
            "avg_wait_seconds": mean_seconds(Decimal(wait_us) / MICRO, done),
        }

    table = [
        {"weekday": wd, "weekday_name": WEEKDAYS[wd - 1], "hours": [shape(wd, h) for h in hours]} for wd in range(1, 8)
    ]
    ranked = sorted(((v[0], k) for k, v in cells.items() if v[0]), key=lambda pair: (-pair[0], pair[1]))
    busiest = [
        {
            "weekday": wd,
            "weekday_name": WEEKDAYS[wd - 1],
            "hour": h,
            "label": f"{WEEKDAYS[wd - 1].lower()}, {h:02d}:00–{h + 1:02d}:00",
            "issued": issued,
        }
        for issued, (wd, h) in ranked[:BUSIEST]
    ]
    peak = ranked[0][0] if ranked else 0
    return {"month": month, "hours": hours, "rows": table, "busiest": busiest, "peak": peak}


# Norm compliance and estimate accuracy (monthly rollups)


def _month_rows(year: int, offices, from_tickets: bool, by_service: bool) -> list[dict]:
    keys = ["office__code", "office__name", "office__wait_norm_minutes"] + (
        ["service__code", "service__name"] if by_service else []
    )
    start, end = year_range(year)
    if from_tickets:
        done = Q(status=Ticket.Status.DONE)
        promised = done & Q(promised_wait_seconds__isnull=False)
        error = F("promised_wait_seconds") - F("wait_seconds")
        tickets = Ticket.objects.filter(local_date__range=(start, end))
        if offices is not None:
            tickets = tickets.filter(office__in=offices)
        norm = F("office__wait_norm_minutes") * 60
        return list(
            tickets.annotate(m=ExtractMonth("local_date"), within=Abs(error))
            .values("m", *keys)
            .annotate(
                done=Count("id", filter=done),
                over_norm=Count("id", filter=done & Q(wait_seconds__gt=norm)),
                over_double_norm=Count("id", filter=done & Q(wait_seconds__gt=norm * 2)),
                promised=Count("id", filter=promised),
                promise_error_us=Sum(Cast(Round(Abs(error) * 1_000_000), BigIntegerField()), filter=promised),
                promise_bias_us=Sum(Cast(Round(error * 1_000_000), BigIntegerField()), filter=promised),
                promise_within=Count("id", filter=promised & Q(within__lte=rollups.PROMISE_WITHIN_SECONDS)),
            )
            .order_by()
        )
    rollups.refresh(offices)
    rows = ServiceMonth.objects.filter(month__range=(start, end))
    if offices is not None:
        rows = rows.filter(office__in=offices)
    counts = ["done", "over_norm", "over_double_norm", "promised", "promise_error_us", "promise_bias_us"]
    counts.append("promise_within")
    summed = rows.values("month", *keys).annotate(**{f"sum_{name}": Sum(name) for name in counts}).order_by()
    return [
        {"m": r["month"].month, **{k: r[k] for k in keys}, **{name: r[f"sum_{name}"] for name in counts}}
        for r in summed
    ]


def norm(year: int, offices: QuerySet[Office] | None = None, *, from_tickets: bool = False) -> list[dict]:
    """Norm compliance per month, office and service (only those with done tickets)."""
    result = []
    for r in _month_rows(year, offices, from_tickets, by_service=True):
        done = r["done"] or 0
        if not done:
            continue
        result.append(
            {
                "month": f"{year}-{r['m']:02d}",
                "month_name": MONTHS[r["m"] - 1],
                "office": r["office__code"],
                "office_name": r["office__name"],
                "service": r["service__code"],
                "service_name": r["service__name"],
                "norm_minutes": r["office__wait_norm_minutes"],
                "done": done,
                "within_norm": done - r["over_norm"],
                "within_double_norm": done - r["over_double_norm"],
                "over_norm": r["over_norm"],
                "within_norm_share": ratio(done - r["over_norm"], done),
                "within_double_norm_share": ratio(done - r["over_double_norm"], done),
            }
        )
    return sorted(result, key=lambda row: (row["month"], row["office"], row["service"]))


def estimates(year: int, offices: QuerySet[Office] | None = None, *, from_tickets: bool = False) -> list[dict]:
    """Estimate accuracy per month and office (only those with promised done tickets)."""
    result = []
    for r in _month_rows(year, offices, from_tickets, by_service=False):
        n = r["promised"] or 0
        if not n:
            continue
        result.append(
            {
                "month": f"{year}-{r['m']:02d}",
                "month_name": MONTHS[r["m"] - 1],
                "office": r["office__code"],
                "office_name": r["office__name"],
                "promised": n,
                "mean_abs_error_seconds": mean_seconds(Decimal(r["promise_error_us"]) / MICRO, n),
                "within_5_min_share": ratio(r["promise_within"], n),
                "bias_seconds": _signed_mean(r["promise_bias_us"], n),
            }
        )
    return sorted(result, key=lambda row: (row["month"], row["office"]))


def _signed_mean(total_us: int, count: int) -> int:
    """A mean in whole seconds, halves away from zero (−2.5 → −3, as 2.5 → 3)."""
    value = round_half_up(abs(Decimal(total_us)) / MICRO / count)
    return int(value) if total_us >= 0 else -int(value)


# Operator figures


def operator_days(offices: list[Office], start: date, end: date, by_day: bool, from_tickets: bool) -> list[tuple]:
    """(office, operator id, period, counts) over the span: a period is a day, or a month's first day.

    The stored rows are summed in SQL per office, operator and period (their
    breaks too, on PostgreSQL), so a company-year is a few hundred rows out of
    the database whatever the number of operator-days.
    """
    if not from_tickets:
        daily.refresh(offices)
    stored, live = _split(offices, start, end, from_tickets)
    by_pk = {office.pk: office for office in offices}
    names = daily.OPERATOR_COUNTS
    rows = OperatorDay.objects.filter(stored, day__range=(start, end))
    period = F("day") if by_day else TruncMonth("day")
    summed = rows.values("office_id", "operator_id", p=period).annotate(**{f"s_{n}": Sum(n) for n in names}).order_by()
    found = {
        (r["office_id"], r["operator_id"], _as_date(r["p"])): {n: r[f"s_{n}"] for n in names} | {"breaks": {}}
        for r in summed
    }
    for office_id, operator_id, on, code, n, us in _stored_breaks(rows, by_day):
        found[(office_id, operator_id, on)]["breaks"][code] = [n, us]
    result = [(by_pk[office_id], operator_id, on, counts) for (office_id, operator_id, on), counts in found.items()]
    for office, live_start in live:
        for (op, day), counts in daily.operator_rows(office, live_start, end).items():
            result.append((office, op, day if by_day else day.replace(day=1), counts))
    return result


def _as_date(value) -> date:
    return value.date() if hasattr(value, "date") else value


def _stored_breaks(rows, by_day: bool):
    """(office, operator, period, reason, breaks, µs) summed over the rows' ``breaks``."""
    if connection.vendor != "postgresql":
        totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for office_id, operator_id, day, breaks in rows.values_list("office_id", "operator_id", "day", "breaks"):
            on = day if by_day else day.replace(day=1)
            for code, (n, us) in breaks.items():
                total = totals[(office_id, operator_id, on, code)]
                total[0], total[1] = total[0] + n, total[1] + us
        return [(*key, n, us) for key, (n, us) in totals.items()]
    try:
        ids, params = rows.values("pk").query.sql_with_params()
    except EmptyResultSet:  # no office has stored days in the span
        return []
    on = "d.day" if by_day else "date_trunc('month', d.day)::date"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT d.office_id, d.operator_id, {on}, b.key, sum((b.value->>0)::bigint), sum((b.value->>1)::bigint) "
            f"FROM {OperatorDay._meta.db_table} d CROSS JOIN LATERAL jsonb_each(d.breaks) b "
            f"WHERE d.id IN ({ids}) GROUP BY 1, 2, 3, 4",
            params,
        )
        return [(*row[:5], int(row[5])) for row in cursor.fetchall()]


def _period_name(period: str) -> str:
    """«Март» for 2025-03, «03.03.2025» for 2025-03-03."""
    if len(period) == 7:
        return MONTHS[int(period[5:]) - 1]
    return f"{period[8:]}.{period[5:7]}.{period[:4]}"


def operators(
    year: int, offices: QuerySet[Office] | None = None, day: date | None = None, *, from_tickets: bool = False
) -> list[dict]:
    """Per operator and month of the year, or per operator on ``day`` when given."""
    start, end = (day, day) if day else year_range(year)
    groups: dict[tuple, dict] = {}
    for office, operator_id, on, counts in operator_days(
        offices_in(offices), start, end, day is not None, from_tickets
    ):
        key = (on.strftime("%Y-%m-%d") if day else on.strftime("%Y-%m"), operator_id)
        group = groups.setdefault(key, dict.fromkeys(daily.OPERATOR_COUNTS, 0) | {"breaks": {}})
        for name in daily.OPERATOR_COUNTS:
            group[name] += counts[name]
        for code, (n, us) in counts["breaks"].items():
            label = office.break_reason_label(code) or "Без причины"
            total = group["breaks"].setdefault(label, [0, 0])
            total[0], total[1] = total[0] + n, total[1] + us
    users = get_user_model().objects.in_bulk({key[1] for key in groups})
    rows = []
    for (when, operator_id), g in groups.items():
        user = users.get(operator_id)
        served = g["served"]
        rows.append(
            {
                "period": when,
                "period_name": _period_name(when),
                "operator_id": operator_id,
                "operator": (user.get_full_name() or user.username) if user else str(operator_id),
                "served": served,
                "avg_service_seconds": mean_seconds(Decimal(g["service_us"]) / MICRO, served),
                "over_limit_share": ratio(g["over_limit"], served),
                "no_show": g["no_show"],
                "transfers": g["transfers"],
                "open_seconds": int(round_half_up(Decimal(g["open_us"]) / MICRO)),
                "serving_seconds": int(round_half_up(Decimal(g["service_us"]) / MICRO)),
                "utilisation": ratio(g["service_us"], g["open_us"]),
                "breaks": [
                    {"reason": label, "count": n, "seconds": int(round_half_up(Decimal(us) / MICRO))}
                    for label, (n, us) in sorted(g["breaks"].items())
                ],
            }
        )
    return sorted(rows, key=lambda row: (row["period"], row["operator"], row["operator_id"]))
