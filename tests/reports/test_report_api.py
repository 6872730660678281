"""Report API: access by office, bad parameters, XLSX and CSV downloads."""

import io
from datetime import UTC, datetime, time, timedelta

import pytest
from openpyxl import load_workbook

from offices.models import Membership
from reports.models import ContactCount
from tests.helpers import make_user, token_client
from tickets import services as svc

ENDPOINTS = ["service-times", "channels", "personal-account", "contact-center"]


@pytest.fixture
def history(office, services, counters, operator):
    t = datetime(2024, 3, 5, 7, tzinfo=UTC)
    for i in range(3):
        ticket = svc.ticket_issue(office=office, service=services["fl"], now=t + timedelta(minutes=i))
        svc.ticket_call_next(counter=counters["1"], operator=operator, now=t + timedelta(minutes=i, seconds=200))
        svc.ticket_finish(ticket=ticket, operator=operator, now=t + timedelta(minutes=i, seconds=560))
    ContactCount.objects.create(month=datetime(2024, 3, 1).date(), channel="contact_center", count=22953)


def test_a_manager_reads_reports_of_their_office(manager, history):
    client = token_client(manager)
    body = client.get("/api/v1/reports/service-times/?year=2024&office=main").json()
    assert body["year"] == 2024 and body["office"] == "main" and body["channel"] is None
    assert body["months"][2]["avg_wait"] == "0:03:20" and body["months"][2]["tickets"] == 3
    assert body["total"]["avg_service_seconds"] == 360
    for endpoint in ENDPOINTS:
        assert client.get(f"/api/v1/reports/{endpoint}/?year=2024").status_code == 200, endpoint


def test_an_office_manager_sees_remote_channels_as_absent_and_a_company_wide_one_sees_them(
    manager, history, django_user_model
):
    rows = {r["key"]: r for r in token_client(manager).get("/api/v1/reports/channels/?year=2024").json()["rows"]}
    assert rows["individuals"]["total"] == 3 and rows["contact_center"]["total"] is None
    boss = make_user(django_user_model, "boss", role=Membership.Role.MANAGER)
    rows = {r["key"]: r for r in token_client(boss).get("/api/v1/reports/channels/?year=2024").json()["rows"]}
    assert rows["contact_center"]["total"] == 22953 and rows["total"]["total"] == 22956
    office_rows = token_client(boss).get("/api/v1/reports/channels/?year=2024&office=main").json()["rows"]
    assert {r["key"]: r["total"] for r in office_rows}["remote"] is None


def test_reports_refuse_others(anon, operator, manager, other_office, history):
    assert anon.get("/api/v1/reports/service-times/?year=2024").status_code == 401
    response = token_client(operator).get("/api/v1/reports/service-times/?year=2024")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    response = token_client(manager).get("/api/v1/reports/service-times/?year=2024&office=other")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("year=abc", 400, "invalid_year"),
        ("year=-5", 400, "invalid_year"),
        ("year=99999999999999999999", 400, "invalid_year"),
        ("year=1999", 400, "invalid_year"),
        ("year=2024&office=nowhere", 404, "not_found"),
        ("year=2024&channel=fax", 400, "invalid_channel"),
        ("year=2024&format=pdf", 400, "invalid_format"),
    ],
)
def test_bad_parameters_get_clear_errors(manager, history, query, status, code):
    response = token_client(manager).get(f"/api/v1/reports/service-times/?{query}")
    assert response.status_code == status
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]


def test_xlsx_export_has_time_cells_thousands_and_russian_months(django_user_model, history):
    boss = make_user(django_user_model, "boss", role=Membership.Role.MANAGER)
    client = token_client(boss)
    response = client.get("/api/v1/reports/service-times/?year=2024&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="service-times-2024.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0].startswith("Среднее за календарный месяц время ожидания")
    label = "Среднее время ожидания в очереди (ч:мм:сс)"
    assert values[1][:4] == ["Месяц", label, "Месяц", label]
    assert values[4][0] == "Март"
    march = sheet.cell(row=5, column=2)
    assert march.number_format == "h:mm:ss" and march.value == time(0, 3, 20)  # a real time cell
    channels = load_workbook(io.BytesIO(client.get("/api/v1/reports/channels/?year=2024&format=xlsx").content)).active
    header = [c.value for c in channels[2]]
    assert header[:4] == ["Канал обращения", "Январь", "Февраль", "Март"] and header[-1] == "Итого"
    contact_row = next(row for row in channels.iter_rows() if row[0].value == "Контакт-центр")
    assert contact_row[3].value == 22953 and contact_row[3].number_format == "#,##0"


def test_csv_export(manager, history):
    response = token_client(manager).get("/api/v1/reports/service-times/?year=2024&office=main&format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8-sig")
    assert "Март;0:03:20;Сентябрь;" in text
    assert "Итого;;;0:03:20" in text
