"""«Обращения по тематикам»: the definitions in reports/selectors.py, pinned; the API, its downloads and access."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from offices.models import Membership
from tests.helpers import add_counter, make_user, token_client
from tickets import services as svc

OUTCOMES = [
    {"code": "meter_reading", "name": "Передача показаний"},
    {"code": "payment", "name": "Оплата"},
    {"code": "recalc", "name": "Перерасчёт"},
]


def visit(office, service, counter, operator, at, outcomes=(), end="finish"):
    ticket = svc.ticket_issue(office=office, service=service, now=at)
    svc.ticket_call_next(counter=counter, operator=operator, now=at + timedelta(minutes=1))
    if end == "finish":
        svc.ticket_finish(ticket=ticket, operator=operator, outcomes=list(outcomes), now=at + timedelta(minutes=5))
    else:
        svc.ticket_no_show(ticket=ticket, operator=operator, now=at + timedelta(minutes=5))


@pytest.fixture
def history(office, services, counters, operator, other_office):
    services["fl"].outcomes = OUTCOMES
    services["fl"].save()
    march = datetime(2026, 3, 10, 8, tzinfo=UTC)
    fl, one = services["fl"], counters["1"]
    visit(office, fl, one, operator, march, ["meter_reading"])
    visit(office, fl, one, operator, march + timedelta(hours=1), ["meter_reading", "payment"])
    visit(office, fl, one, operator, march + timedelta(hours=2), [])
    visit(office, fl, one, operator, march + timedelta(hours=3), ["recalc"])
    visit(office, fl, one, operator, march + timedelta(hours=4), end="no_show")  # not done: not counted
    visit(office, fl, one, operator, datetime(2026, 4, 1, 8, tzinfo=UTC), ["payment"])
    visit(office, fl, one, operator, datetime(2025, 12, 30, 8, tzinfo=UTC), ["payment"])  # another year
    other_fl = other_office.services.get(code="fl")
    other_op = make_user(type(operator), "op2", office=other_office, role=Membership.Role.OPERATOR)
    visit(other_office, other_fl, add_counter(other_office, "1", [other_fl]), other_op, march, [])
    # The outcome is later removed from the service: the report keeps its code as the name.
    fl.outcomes = OUTCOMES[:2]
    fl.save()


def rows(client, query="year=2026"):
    response = client.get(f"/api/v1/reports/outcomes/?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_counts_and_shares_by_month_office_and_service(history, manager):
    body = rows(token_client(manager), "year=2026&office=main")
    assert body["year"] == 2026 and body["office"] == "main"
    got = [
        (r["month"], r["office"], r["service"], r["outcome"], r["name"], r["count"], r["share"]) for r in body["rows"]
    ]
    # March: 4 done tickets of fl (the no-show does not count); shares of those 4, so they may add up to over 1.
    assert got == [
        ("2026-03", "main", "fl", "meter_reading", "Передача показаний", 2, 0.5),
        ("2026-03", "main", "fl", "payment", "Оплата", 1, 0.25),
        ("2026-03", "main", "fl", "recalc", "recalc", 1, 0.25),
        ("2026-03", "main", "fl", None, "Без темы", 1, 0.25),
        ("2026-04", "main", "fl", "payment", "Оплата", 1, 1.0),
    ]


def test_a_manager_sees_only_their_offices(history, manager, other_office):
    client = token_client(manager)
    assert {r["office"] for r in rows(client)["rows"]} == {"main"}
    assert client.get("/api/v1/reports/outcomes/?year=2026&office=other").status_code == 403


def test_an_admin_sees_every_office(history, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="pass-12345")
    assert {r["office"] for r in rows(token_client(admin))["rows"]} == {"main", "other"}


def test_an_operator_is_refused(history, op_client):
    assert op_client.get("/api/v1/reports/outcomes/?year=2026").status_code == 403


def test_downloads_in_xlsx_and_csv(history, manager):
    client = token_client(manager)
    response = client.get("/api/v1/reports/outcomes/?year=2026&format=csv")
    assert response.status_code == 200 and "outcomes-2026.csv" in response["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert any(line[:5] == ["2026-03", "main", "Физические лица", "Передача показаний", "2"] for line in lines)
    response = client.get("/api/v1/reports/outcomes/?year=2026&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(row[:5] == ["2026-03", "main", "Физические лица", "Передача показаний", 2] for row in values)


def test_bad_year_and_format_are_refused(manager):
    client = token_client(manager)
    assert client.get("/api/v1/reports/outcomes/?year=20x6").json()["error"]["code"] == "invalid_year"
    assert client.get("/api/v1/reports/outcomes/?year=2026&format=pdf").json()["error"]["code"] == "invalid_format"


def test_the_reports_page_shows_the_topics_with_the_years_counts_and_shares(history, manager, client):
    client.force_login(manager)
    page = client.get("/reports/?year=2026").content.decode()
    assert "Обращения по тематикам за 2026 год" in page
    assert "main — Физические лица: обслужено 5" in page
    # meter_reading: 2 of the 5 done tickets of the year.
    assert "Передача показаний" in page and "40,0\u00a0%" in page
    assert "/api/v1/reports/outcomes/?year=2026&amp;format=xlsx" in page
