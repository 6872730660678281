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

from dataclasses import dataclass, fields
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth

from offices.models import Office, Service
from tickets.models import Ticket

from .selectors import MONTHS, round_half_up, year_range

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


def satisfaction_report(year: int, offices: QuerySet[Office] | None = None) -> dict:
    """Rows by month, office and service; the operator breakdown by month, office and operator; the year's total.

    One aggregate query over the year's done tickets and their ratings, then the names.
    """
    start, end = year_range(year)
    done = Ticket.objects.filter(local_date__range=(start, end), status=Ticket.Status.DONE)
    if offices is not None:
        done = done.filter(office__in=offices)
    groups = (
        done.order_by()
        .annotate(m=ExtractMonth("local_date"))
        .values("m", "office_id", "service_id", "operator_id")
        .annotate(
            done=Count("id"),
            ratings=Count("feedback"),
            rating_sum=Sum("feedback__rating"),
            satisfied=Count("feedback", filter=Q(feedback__rating__gte=SATISFIED)),
        )
    )
    by_service: dict[tuple, RatingRow] = {}
    by_operator: dict[tuple, RatingRow] = {}
    total = RatingRow()
    for g in groups:
        row = RatingRow(g["done"], g["ratings"], g["rating_sum"] or 0, g["satisfied"])
        by_service.setdefault((g["m"], g["office_id"], g["service_id"]), RatingRow()).add(row)
        by_operator.setdefault((g["m"], g["office_id"], g["operator_id"]), RatingRow()).add(row)
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
