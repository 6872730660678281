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

from . import bookings, exports, satisfaction, selectors
from .params import ReportScope, parse_year

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
