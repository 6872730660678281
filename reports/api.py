"""Report endpoints: JSON by default, ``format=xlsx`` or ``format=csv`` for downloads."""

import re

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from offices import access
from offices.models import Office, Service
from tickets.errors import QueueError

from . import exports, selectors

MIN_YEAR, MAX_YEAR = 2000, 2100
YEAR_FORMAT = re.compile(r"[0-9]{4}")  # ASCII digits only: str.isdigit() accepts «٢٠٢٤»


class InvalidYear(QueueError):
    code = "invalid_year"
    message = f"Укажите год числом от {MIN_YEAR} до {MAX_YEAR}."


class InvalidChannel(QueueError):
    code = "invalid_channel"
    message = "Канал должен быть одним из: individuals, legal_entities, cashier."


class InvalidFormat(QueueError):
    code = "invalid_format"
    message = "Формат должен быть json, xlsx или csv."


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


def parse_year(request) -> int:
    raw = request.query_params.get("year", "")
    if raw == "":
        return timezone.localdate().year
    if not YEAR_FORMAT.fullmatch(raw) or not MIN_YEAR <= int(raw) <= MAX_YEAR:
        raise InvalidYear()
    return int(raw)


class ReportView(APIView):
    permission_classes = [IsAuthenticated]
    name = ""
    sheet = ""

    def scope(self, request):
        """(year, office or None, offices to cover or None for all, whether it is the whole company)."""
        year = parse_year(request)
        allowed = access.manager_offices(request.user)
        if not allowed.exists():
            raise PermissionDenied("Отчёты доступны только руководителям.")
        code = request.query_params.get("office", "")
        if code:
            office = Office.objects.filter(code=code[:50]).first()
            if office is None:
                raise NotFound("Офис не найден.")
            if not allowed.filter(pk=office.pk).exists():
                raise PermissionDenied("Отчёты этого офиса вам недоступны.")
            return year, office, Office.objects.filter(pk=office.pk), False
        if access.is_company_wide(request.user):
            return year, None, None, True
        return year, None, allowed, False

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
        year, office, offices, _ = self.scope(request)
        channel = request.query_params.get("channel") or None
        if channel is not None and channel not in Service.Channel.values:
            raise InvalidChannel()
        data = {
            "year": year,
            "office": office.code if office else None,
            "channel": channel,
            **selectors.service_times(year, offices, channel),
        }
        return self.respond(request, data, exports.service_times_tables)


class Channels(ReportView):
    name, sheet = "channels", "Обращения по каналам"

    @extend_schema(parameters=[YEAR, OFFICE, FORMAT], responses=REPORT_RESPONSES, summary="Обращения по каналам")
    def get(self, request):
        year, office, offices, company_wide = self.scope(request)
        data = {
            "year": year,
            "office": office.code if office else None,
            "rows": selectors.channels(year, offices, company_wide=company_wide),
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
        year, *_ = self.scope(request)
        channel = request.query_params.get("channel") or "personal_account"
        if channel not in selectors.CHANNEL_LABELS:
            raise InvalidChannel("Неизвестный канал обращений.")
        return self.respond(request, selectors.personal_account(year, channel), exports.personal_account_tables)


class ContactCenter(ReportView):
    name, sheet = "contact-center", "Контакт-центр"

    @extend_schema(parameters=[YEAR, FORMAT], responses=REPORT_RESPONSES, summary="Контакт-центр: ожидание и разговор")
    def get(self, request):
        year, *_ = self.scope(request)
        return self.respond(request, selectors.contact_center(year), exports.contact_center_tables)
