"""The report «Удовлетворённость клиентов»: clients' ratings by month, office, service and operator.

Definitions (each pinned by tests/reports/test_satisfaction_report.py):

* A rating counts in its ticket's month, office, service and operator: the
  ticket's ``local_date`` month (its office's time zone, as in every other
  report), the service it was finished in, and the operator who finished it
  (``Ticket.operator``). Only ``done`` tickets can be rated, once each.
* Ratings: how many ratings (1 to 5 stars) the group's tickets got, from the
  phone and from the counter's tablet alike.
* Average: the mean of those ratings, to two decimals, halves up.
* CSAT: the share of ratings of 4 or 5 among the group's ratings, to four
  places, halves up.
* Response rate: the group's ratings ÷ its ``done`` tickets, to four places.
* Rows: each month, office and service with a ``done`` ticket; the operator
  breakdown has the same for each month, office and operator. A group with
  done tickets but no rating has ratings 0 and response rate 0, and its
  average and CSAT absent (None, «—»), never 0. «Итого» is the year over the
  whole scope, computed from the counts and sums, not averaged over the rows.
"""

from collections import defaultdict
from dataclasses import dataclass, fields
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth

from feedback.models import Feedback
from offices.models import Office, Service
from tickets.models import Ticket

from . import analytics
from .selectors import MONTHS, rollups_of, round_half_up, year_range

SATISFIED = 4  # CSAT counts ratings of 4 and 5


@dataclass
class RatingRow:
    done: int = 0
    ratings: int = 0
    rating_sum: int = 0
    satisfied: int = 0

    def add(self, other: "RatingRow") -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def as_dict(self) -> dict:
        def share(part: int, whole: int, places: int) -> float | None:
            return float(round_half_up(Decimal(part) / whole, places)) if whole else None

        return {
            "done": self.done,
            "ratings": self.ratings,
            "average": share(self.rating_sum, self.ratings, 2),
            "csat": share(self.satisfied, self.ratings, 4),
            "response_rate": share(self.ratings, self.done, 4),
        }


def satisfaction_report(year: int, offices: QuerySet[Office] | None = None, *, from_tickets: bool = False) -> dict:
    """Rows by month, office and service; the operator breakdown by month, office and operator; the year's total.

    The done counts come from the rollups (``ServiceMonth`` by service,
    ``OperatorDay`` by operator; done tickets without an operator, as imported
    ones, are the rest of their month), the ratings from the year's ratings
    only: the cost does not grow with the tickets. ``from_tickets`` counts
    everything from the tickets instead (the tests compare both).
    """
    start, end = year_range(year)
    by_service: dict[tuple, RatingRow] = {}
    by_operator: dict[tuple, RatingRow] = {}
    if from_tickets:
        done = Ticket.objects.filter(local_date__range=(start, end), status=Ticket.Status.DONE)
        if offices is not None:
            done = done.filter(office__in=offices)
        counted = (
            done.order_by()
            .annotate(m=ExtractMonth("local_date"))
            .values("m", "office_id", "service_id", "operator_id")
            .annotate(done=Count("id"))
        )
        for g in counted:
            _add(by_service, (g["m"], g["office_id"], g["service_id"]), RatingRow(done=g["done"]))
            _add(by_operator, (g["m"], g["office_id"], g["operator_id"]), RatingRow(done=g["done"]))
    else:
        _done_from_rollups(year, offices, start, end, by_service, by_operator)
    rated = Feedback.objects.filter(ticket__local_date__range=(start, end), ticket__status=Ticket.Status.DONE)
    if offices is not None:
        rated = rated.filter(ticket__office__in=offices)
    ratings = (
        rated.order_by()
        .values(
            m=ExtractMonth("ticket__local_date"),
            office_id=F("ticket__office_id"),
            service_id=F("ticket__service_id"),
            operator_id=F("ticket__operator_id"),
        )
        .annotate(ratings=Count("id"), rating_sum=Sum("rating"), satisfied=Count("id", filter=Q(rating__gte=SATISFIED)))
    )
    for g in ratings:
        row = RatingRow(0, g["ratings"], g["rating_sum"] or 0, g["satisfied"])
        _add(by_service, (g["m"], g["office_id"], g["service_id"]), row)
        _add(by_operator, (g["m"], g["office_id"], g["operator_id"]), row)
    total = RatingRow()
    for row in by_service.values():
        total.add(row)
    names = Office.objects.in_bulk({k[1] for k in by_service})
    services = Service.objects.in_bulk({k[2] for k in by_service})
    users = get_user_model().objects.in_bulk({k[2] for k in by_operator if k[2] is not None})

    def month(m: int, office_id: int) -> dict:
        office = names[office_id]
        return {"month": m, "month_name": MONTHS[m - 1], "office": office.code, "office_name": office.name}

    rows = [
        {
            **month(m, office_id),
            "service": services[service_id].code,
            "service_name": services[service_id].name,
            **by_service[(m, office_id, service_id)].as_dict(),
        }
        for m, office_id, service_id in sorted(
            by_service, key=lambda k: (k[0], names[k[1]].name, services[k[2]].kiosk_order, services[k[2]].code)
        )
    ]

    def operator_name(user_id: int | None) -> str:
        user = users.get(user_id)
        return (user.get_full_name() or user.username) if user is not None else "Без оператора"

    operators = [
        {
            **month(m, office_id),
            "operator": user_id,
            "operator_name": operator_name(user_id),
            **by_operator[(m, office_id, user_id)].as_dict(),
        }
        for m, office_id, user_id in sorted(by_operator, key=lambda k: (k[0], names[k[1]].name, operator_name(k[2])))
    ]
    return {
        "rows": rows,
        "operators": operators,
        "total": {"month_name": "Итого", **total.as_dict()} if by_service else None,
    }


def _add(groups: dict[tuple, RatingRow], key: tuple, row: RatingRow) -> None:
    groups.setdefault(key, RatingRow()).add(row)


def _done_from_rollups(year: int, offices, start, end, by_service: dict, by_operator: dict) -> None:
    for r in rollups_of(year, offices).filter(done__gt=0).values("month", "office_id", "service_id", "done"):
        _add(by_service, (r["month"].month, r["office_id"], r["service_id"]), RatingRow(done=r["done"]))
    by_operator_done: dict[tuple, int] = defaultdict(int)
    for office, operator_id, on, counts in analytics.operator_days(
        analytics.offices_in(offices), start, end, by_day=False, from_tickets=False
    ):
        if counts["served"]:
            _add(by_operator, (on.month, office.pk, operator_id), RatingRow(done=counts["served"]))
            by_operator_done[(on.month, office.pk)] += counts["served"]
    month_done: dict[tuple, int] = defaultdict(int)
    for (m, office_id, _), row in by_service.items():
        month_done[(m, office_id)] += row.done
    for (m, office_id), done in month_done.items():
        if done > by_operator_done[(m, office_id)]:
            _add(by_operator, (m, office_id, None), RatingRow(done=done - by_operator_done[(m, office_id)]))
