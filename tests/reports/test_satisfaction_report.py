"""«Удовлетворённость клиентов»: the definitions in reports/satisfaction.py, pinned on data with known answers;
the API, its downloads and who may read it."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from feedback import services as fs
from offices.models import Membership
from reports.satisfaction import satisfaction_report
from tests.helpers import add_counter, make_user, token_client
from tickets import services as svc

JAN = datetime(2025, 1, 14, 7, tzinfo=UTC)
FEB = datetime(2025, 2, 11, 7, tzinfo=UTC)


def visit(office, service, counter, operator, at, rating=None, end="finish"):
    ticket = svc.ticket_issue(office=office, service=service, now=at)
    called = svc.ticket_call_next(counter=counter, operator=operator, now=at + timedelta(minutes=1))
    assert called.pk == ticket.pk
    if end != "finish":
        svc.ticket_no_show(ticket=called, operator=operator, now=at + timedelta(minutes=5))
        return called
    done = svc.ticket_finish(ticket=called, operator=operator, now=at + timedelta(minutes=5))
    if rating is not None:
        fs.feedback_create(ticket=done, rating=rating, now=at + timedelta(minutes=6))
    return done


@pytest.fixture
def ops(office, operator, django_user_model):
    second = make_user(django_user_model, "op-b", office=office, role=Membership.Role.OPERATOR)
    second.first_name, second.last_name = "Анна", "Петрова"
    second.save()
    return operator, second


@pytest.fixture
def history(office, services, counters, ops, other_office):
    op_a, op_b = ops
    fl, ul, one, two = services["fl"], services["ul"], counters["1"], counters["2"]
    hour = timedelta(hours=1)
    # January, fl: op-a serves four (rated 5, 4, 2 and one unrated), op-b one (rated 3).
    for n, rating in enumerate([5, 4, 2, None]):
        visit(office, fl, one, op_a, JAN + n * hour, rating)
    visit(office, fl, one, op_b, JAN + 5 * hour, 3)
    # January, ul: op-b serves two, nobody rates them.
    visit(office, ul, two, op_b, JAN + 6 * hour)
    visit(office, ul, two, op_b, JAN + 7 * hour)
    # February, fl: op-a serves one (rated 1); a no-show is not a visit to rate or count.
    visit(office, fl, one, op_a, FEB, 1)
    visit(office, fl, one, op_a, FEB + hour, end="no_show")
    # Another year, another office.
    visit(office, fl, one, op_a, datetime(2024, 12, 30, 7, tzinfo=UTC), 5)
    other_fl = other_office.services.get(code="fl")
    other_op = make_user(type(op_a), "op-other", office=other_office, role=Membership.Role.OPERATOR)
    visit(other_office, other_fl, add_counter(other_office, "1", [other_fl]), other_op, JAN, 5)


def figures(row: dict) -> tuple:
    return row["done"], row["ratings"], row["average"], row["csat"], row["response_rate"]


def test_ratings_average_csat_and_response_rate_by_month_office_and_service(history, office):
    report = satisfaction_report(2025, office.__class__.objects.filter(pk=office.pk))
    got = [(r["month"], r["office"], r["service"], *figures(r)) for r in report["rows"]]
    assert got == [
        # 5 done, rated 5, 4, 2, 3: mean 14/4 = 3.5; 4 and 5 are 2 of 4; 4 of 5 rated.
        (1, "main", "fl", 5, 4, 3.5, 0.5, 0.8),
        # Done but never rated: ratings 0 and response rate 0, average and CSAT absent, not 0.
        (1, "main", "ul", 2, 0, None, None, 0.0),
        (2, "main", "fl", 1, 1, 1.0, 0.0, 1.0),
    ]
    # The year: from the counts and sums (15/5 = 3.0, 2 of 5 satisfied, 5 of 8 rated), not a mean of the rows.
    assert figures(report["total"]) == (8, 5, 3.0, 0.4, 0.625)
    assert report["total"]["month_name"] == "Итого"


def test_the_operator_breakdown_counts_the_operator_who_finished_the_visit(history, office, ops):
    report = satisfaction_report(2025, office.__class__.objects.filter(pk=office.pk))
    got = [(r["month"], r["operator_name"], *figures(r)) for r in report["operators"]]
    assert got == [
        # Rated 5, 4, 2 of 4 done: mean 11/3 = 3.666… → 3.67 (two places, halves up); 2 of 3 → 0.6667; 3 of 4.
        (1, "op", 4, 3, 3.67, 0.6667, 0.75),
        # op-b: rated 3 of 3 done (one fl, two ul): 1 of 3 rated → 0.3333.
        (1, "Анна Петрова", 3, 1, 3.0, 0.0, 0.3333),
        (2, "op", 1, 1, 1.0, 0.0, 1.0),
    ]
    assert [r["operator"] for r in report["operators"]] == [ops[0].pk, ops[1].pk, ops[0].pk]


def test_a_rating_counts_in_its_tickets_month_in_the_offices_time_zone(office, services, counters, operator):
    # 31 January, 22:30 UTC is 1 February, 01:30 in Moscow: a February visit, rated the same night.
    visit(office, services["fl"], counters["1"], operator, datetime(2025, 1, 31, 22, 30, tzinfo=UTC), 5)
    report = satisfaction_report(2025)
    assert [(r["month"], r["ratings"]) for r in report["rows"]] == [(2, 1)]


def test_an_average_of_exactly_a_half_rounds_up(office, services, counters, operator):
    for n, rating in enumerate([5, 5, 5, 5, 5, 4, 4, 4]):
        visit(office, services["fl"], counters["1"], operator, JAN + n * timedelta(hours=1), rating)
    # 37 / 8 = 4.625: 4.63 (halves up), where rounding half to even would give 4.62.
    assert satisfaction_report(2025)["total"]["average"] == 4.63


def test_a_year_without_done_tickets_has_no_rows_and_no_total(db):
    assert satisfaction_report(2025) == {"rows": [], "operators": [], "total": None}


def rows(client, query="year=2025"):
    response = client.get(f"/api/v1/reports/satisfaction/?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_api_answers_for_the_managers_offices_only(history, manager):
    client = token_client(manager)
    body = rows(client)
    assert body["year"] == 2025 and body["office"] is None
    assert {r["office"] for r in body["rows"]} == {"main"}
    assert figures(body["total"]) == (8, 5, 3.0, 0.4, 0.625)
    assert rows(client, "year=2025&office=main")["office"] == "main"
    refused = client.get("/api/v1/reports/satisfaction/?year=2025&office=other")
    assert refused.status_code == 403
    assert client.get("/api/v1/reports/satisfaction/?year=2025&office=nowhere").status_code == 404


def test_an_admin_sees_every_office(history, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="pass-12345")
    body = rows(token_client(admin))
    assert {r["office"] for r in body["rows"]} == {"main", "other"}
    assert body["total"]["ratings"] == 6


def test_operators_get_neither_the_report_nor_its_operator_breakdown(history, op_client):
    refused = op_client.get("/api/v1/reports/satisfaction/?year=2025")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert "operators" not in refused.json()


def test_downloads_in_xlsx_and_csv(history, manager):
    client = token_client(manager)
    response = client.get("/api/v1/reports/satisfaction/?year=2025&format=csv")
    assert response.status_code == 200 and "satisfaction-2025.csv" in response["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert ["Январь", "ЦОК main", "Физические лица", "5", "4", "3,50", "50,0%", "80,0%"] in lines
    assert ["Январь", "ЦОК main", "Юридические лица", "2", "0", "—", "—", "0,0%"] in lines
    assert ["Январь", "ЦОК main", "Анна Петрова", "3", "1", "3,00", "0,0%", "33,3%"] in lines
    response = client.get("/api/v1/reports/satisfaction/?year=2025&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["Январь", "ЦОК main", "Физические лица", 5, 4, 3.5, 0.5, 0.8] in values


def test_bad_year_and_format_are_refused(manager):
    client = token_client(manager)
    assert client.get("/api/v1/reports/satisfaction/?year=20x5").json()["error"]["code"] == "invalid_year"
    bad = client.get("/api/v1/reports/satisfaction/?year=2025&format=pdf")
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_format")


def test_the_reports_page_shows_satisfaction_by_service_and_by_operator(history, manager, client):
    client.force_login(manager)
    page = client.get("/reports/?year=2025").content.decode()
    assert "Удовлетворённость клиентов за 2025 год" in page
    # January fl: 5 done, 4 ratings, 3,50, CSAT 50,0%, 80,0% rated.
    assert "<td>Физические лица</td><td>5</td><td>4</td><td>3,50</td><td>50,0%</td><td>80,0%</td>" in page
    assert "<td>Анна Петрова</td><td>3</td><td>1</td><td>3,00</td><td>0,0%</td><td>33,3%</td>" in page
    assert "/api/v1/reports/satisfaction/?year=2025&amp;format=xlsx" in page


def test_the_rolled_up_counts_agree_with_the_tickets_including_done_tickets_without_an_operator(history, office):
    from tickets import rollups
    from tickets.models import OperatorDay, Ticket

    # A done ticket with no operator, as an import leaves them: it counts in its month with «Без оператора».
    fl = office.services.get(code="fl")
    Ticket.objects.create(
        office=office, service=fl, number="И001", local_date=JAN.date(), status=Ticket.Status.DONE,
        issued_at=JAN, queued_at=JAN, finished_at=JAN + timedelta(minutes=9), wait_seconds=60, service_seconds=300,
    )  # fmt: skip
    rollups.rebuild()  # the monthly rows and every past day's operator rows, as close_day and imports keep them
    assert OperatorDay.objects.filter(office=office).exists()

    rolled = satisfaction_report(2025)

    assert rolled == satisfaction_report(2025, from_tickets=True)
    no_operator = [r for r in rolled["operators"] if r["operator"] is None]
    assert [(r["month"], r["office"], r["done"]) for r in no_operator] == [(1, "main", 1)]
