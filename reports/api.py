"""Report endpoints: JSON by default, ``format=xlsx`` or ``format=csv`` for downloads."""

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from offices.models import Service
from tickets.errors import InvalidChannel, InvalidFormat

from . import analytics, bookings, exports, satisfaction, selectors
from .params import ReportScope, parse_day, parse_month, parse_year

YEAR = OpenApiParameter("year", OpenApiTypes.INT, description="год отчёта")
OFFICE = OpenApiParameter("office", OpenApiTypes.STR, description="код офиса; без него — все доступные офисы")
FORMAT = OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "xlsx", "csv"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The same 200 in three forms, chosen by ?format=.
REPORT_RESPONSES = {
    (200, "application/json"): OpenApiTypes.OBJECT,
    (200, "text/csv"): OpenApiTypes.BINARY,
    (200, XLSX): OpenApiTypes.BINARY,
}


class ReportView(APIView):
    permission_classes = [IsAuthenticated]
    name = ""
    sheet = ""

    def scope(self, request) -> tuple[int, ReportScope]:
        year = parse_year(request.query_params.get("year", ""), timezone.localdate().year)
        return year, ReportScope.of(request.user, request.query_params.get("office", ""))

    def respond(self, request, data: dict, tables) -> HttpResponse:
        kind = request.query_params.get("format", "json")
        if kind == "json":
            return Response(data)
        if kind not in ("xlsx", "csv"):
            raise InvalidFormat()
        suffix = f"-{data['office']}" if data.get("office") else ""
        filename = f"{self.name}-{data['year']}{suffix}.{kind}"
        if kind == "csv":
            response = HttpResponse(exports.to_csv(tables(data)), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(
                exports.to_xlsx(tables(data), self.sheet),
                content_type=XLSX,
            )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ServiceTimes(ReportView):
    name, sheet = "service-times", "Время ожидания и обслуживания"

    @extend_schema(
        parameters=[YEAR, OFFICE, FORMAT, OpenApiParameter("channel", OpenApiTypes.STR, enum=Service.Channel.values)],
        responses=REPORT_RESPONSES,
        summary="Среднее время ожидания и обслуживания по месяцам",
    )
    def get(self, request):
        year, scope = self.scope(request)
        channel = request.query_params.get("channel") or None
        if channel is not None and channel not in Service.Channel.values:
            raise InvalidChannel()
        data = {
            "year": year,
            "office": scope.office.code if scope.office else None,
            "channel": channel,
            **selectors.service_times(year, scope.offices, channel),
        }
        return self.respond(request, data, exports.service_times_tables)


class Channels(ReportView):
    name, sheet = "channels", "Обращения по каналам"

    @extend_schema(parameters=[YEAR, OFFICE, FORMAT], responses=REPORT_RESPONSES, summary="Обращения по каналам")
    def get(self, request):
        year, scope = self.scope(request)
        data = {
            "year": year,
            "office": scope.office.code if scope.office else None,
            "rows": selectors.channels(year, scope.offices, company_wide=scope.company_wide),
        }
        return self.respond(request, data, exports.channels_tables)


class PersonalAccount(ReportView):
    name, sheet = "personal-account", "Личный кабинет"

    @extend_schema(
        parameters=[YEAR, FORMAT, OpenApiParameter("channel", OpenApiTypes.STR)],
        responses=REPORT_RESPONSES,
        summary="Время ответа в Личном кабинете",
    )
    def get(self, request):
        year, _ = self.scope(request)
        channel = request.query_params.get("channel") or "personal_account"
        if channel not in selectors.CHANNEL_LABELS:
            raise InvalidChannel(InvalidChannel.UNKNOWN_APPEAL_CHANNEL)
        return self.respond(request, selectors.personal_account(year, channel), exports.personal_account_tables)


class ContactCenter(ReportView):
    name, sheet = "contact-center", "Контакт-центр"

    @extend_schema(parameters=[YEAR, FORMAT], responses=REPORT_RESPONSES, summary="Контакт-центр: ожидание и разговор")
    def get(self, request):
        year, _ = self.scope(request)
        return self.respond(request, selectors.contact_center(year), exports.contact_center_tables)


class Bookings(ReportView):
    name, sheet = "bookings", "Предварительная запись"

    @extend_schema(
        parameters=[YEAR, OFFICE, FORMAT],
        responses=REPORT_RESPONSES,
        summary="Предварительная запись: записи, неявки, ожидание по записи и без",
    )
    def get(self, request):
        year, scope = self.scope(request)
        data = {
            "year": year,
            "office": scope.office.code if scope.office else None,
            **bookings.bookings_report(year, scope.offices),
        }
        return self.respond(request, data, exports.bookings_tables)


class Outcomes(ReportView):
    name, sheet = "outcomes", "Обращения по тематикам"

    @extend_schema(
        parameters=[YEAR, OFFICE, FORMAT], responses=REPORT_RESPONSES, summary="Обращения по тематикам (темам визита)"
    )
    def get(self, request):
        year, scope = self.scope(request)
        data = {
            "year": year,
            "office": scope.office.code if scope.office else None,
            "rows": selectors.outcomes(year, scope.offices),
        }
        return self.respond(request, data, exports.outcomes_tables)


MONTH = OpenApiParameter("month", OpenApiTypes.INT, description="месяц (1–12); без него — весь год")
DAY = OpenApiParameter("day", OpenApiTypes.DATE, description="день года (ГГГГ-ММ-ДД); без него — по месяцам")


class Load(ReportView):
    name, sheet = "load", "Нагрузка по дням и часам"

    @extend_schema(
        parameters=[YEAR, OFFICE, MONTH, FORMAT],
        responses=REPORT_RESPONSES,
        summary="Нагрузка по дням недели и часам: выдано талонов и среднее ожидание",
    )
    def get(self, request):
        year, scope = self.scope(request)
        month = parse_month(request.query_params.get("month", ""))
        data = {
            "year": year,
            "office": scope.office.code if scope.office else None,
            **analytics.load(year, scope.offices, month),
        }
        return self.respond(request, data, exports.load_tables)


class Norm(ReportView):
    name, sheet = "norm", "Соблюдение норматива"

    @extend_schema(
        parameters=[YEAR, OFFICE, FORMAT],
        responses=REPORT_RESPONSES,
        summary="Соблюдение норматива ожидания по месяцам, офисам и услугам",
    )
    def get(self, request):
        year, scope = self.scope(request)
        data = {
            "year": year,
            "office": scope.office.code if scope.office else None,
            "rows": analytics.norm(year, scope.offices),
        }
        return self.respond(request, data, exports.norm_tables)


class Operators(ReportView):
    name, sheet = "operators", "Показатели операторов"

    @extend_schema(
        parameters=[YEAR, OFFICE, DAY, FORMAT],
        responses=REPORT_RESPONSES,
        summary="Показатели операторов по месяцам или за день (только для руководителей)",
    )
    def get(self, request):
        year, scope = self.scope(request)
        day = parse_day(request.query_params.get("day", ""), year)
        data = {
            "year": year,
            "office": scope.office.code if scope.office else None,
            "day": day.isoformat() if day else None,
            "rows": analytics.operators(year, scope.offices, day),
        }
        return self.respond(request, data, exports.operators_tables)


class Estimates(ReportView):
    name, sheet = "estimates", "Точность прогноза ожидания"

    @extend_schema(
        parameters=[YEAR, OFFICE, FORMAT],
        responses=REPORT_RESPONSES,
        summary="Точность обещанного времени ожидания по месяцам и офисам",
    )
    def get(self, request):
        year, scope = self.scope(request)
        data = {
            "year": year,
            "office": scope.office.code if scope.office else None,
            "rows": analytics.estimates(year, scope.offices),
        }
        return self.respond(request, data, exports.estimates_tables)


class Satisfaction(ReportView):
    name, sheet = "satisfaction", "Удовлетворённость клиентов"

    @extend_schema(
        parameters=[YEAR, OFFICE, FORMAT],
        responses=REPORT_RESPONSES,
        summary="Удовлетворённость клиентов: оценки, средняя, CSAT, доля оценивших — по услугам и операторам",
    )
    def get(self, request):
        year, scope = self.scope(request)
        data = {
            "year": year,
            "office": scope.office.code if scope.office else None,
            **satisfaction.satisfaction_report(year, scope.offices),
        }
        return self.respond(request, data, exports.satisfaction_tables)
