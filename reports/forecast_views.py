"""«Прогноз загрузки и штат»: the staffing forecast page and its API, for the staff of an office."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from offices import access
from offices.models import WEEKDAY_NAMES, Office
from tickets.api import office_or_404, require
from tickets.errors import OFFICE_NOT_FOUND

from .forecast import hour_span, office_forecast
from .templatetags.report_format import hms

FORECAST_FOR_STAFF = "Прогноз загрузки доступен только сотрудникам офисов."


def staff_offices(user):
    """The offices whose forecast the user may read: where they operate or manage."""
    mine = Q(pk__in=access.operator_offices(user).values("pk")) | Q(pk__in=access.manager_offices(user).values("pk"))
    return Office.objects.filter(mine).order_by("name")


@login_required
def forecast(request):
    offices = staff_offices(request.user)
    if not offices.exists():
        raise PermissionDenied(FORECAST_FOR_STAFF)
    code = request.GET.get("office", "")[:50]
    if code:
        office = Office.objects.filter(code=code).prefetch_related("hours").first()
        if office is None:
            raise Http404(OFFICE_NOT_FOUND)
        access.require_staff(request.user, office)
    else:
        office = offices.prefetch_related("hours").first()
    data = office_forecast(office)
    days = []
    for day in data["days"]:
        when = day["date"]
        days.append(
            {
                **day,
                "label": f"{WEEKDAY_NAMES[day['weekday']]} {when[8:10]}.{when[5:7]}",
                "rows": [
                    {
                        **row,
                        "span": hour_span(row["hour"]),
                        "service": hms(row["service_seconds"]),
                        "short": row["open_last_week"] < row["counters"],
                    }
                    for row in day["hours"]
                ],
            }
        )
    # The overview: one row per hour the office opens on any of the days, one cell per day.
    hours = sorted({row["hour"] for day in days for row in day["rows"]})
    by_day = [{row["hour"]: row for row in day["rows"]} for day in days]
    overview = [{"span": hour_span(hour), "cells": [cells.get(hour) for cells in by_day]} for hour in hours]
    chart = {
        "days": [
            {
                "label": day["label"],
                "hours": [row["span"] for row in day["rows"]],
                "arrivals": [row["arrivals"] for row in day["rows"]],
                "counters": [row["counters"] for row in day["rows"]],
                "open": [row["open_last_week"] for row in day["rows"]],
            }
            for day in days
        ]
    }
    return render(
        request,
        "reports/forecast.html",
        {
            "office": office,
            "offices": offices,
            "forecast": data,
            "target_percent": office.forecast_target_percent,
            "days": days,
            "overview": overview,
            "chart": chart,
        },
    )


class OfficeForecast(APIView):
    """The staffing forecast of one office: for its operators and managers."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        summary="Прогноз загрузки и штат на 7 дней (Erlang C)",
        description=(
            "По дням (первый — сегодня или завтра, если сегодня офис уже закрыт) и часам работы: ожидаемое число "
            "клиентов (среднее за те же день недели и час за последние недели), среднее время обслуживания, "
            "сколько окон нужно, чтобы целевая доля клиентов была вызвана в пределах норматива, и сколько окон "
            "в среднем было открыто в тот же час неделей раньше."
        ),
    )
    def get(self, request, code: str):
        office = office_or_404(code)
        require(access.IsStaff, request, self, office)
        data = office_forecast(office)
        return Response(
            {
                **data,
                "days": [{"date": day["date"], "hours": day["hours"]} for day in data["days"]],
            }
        )
