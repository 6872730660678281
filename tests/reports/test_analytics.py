"""The analytics reports (reports/analytics.py): each definition pinned on data with known answers,
read live, from the rollups after close_day, and from the tickets alike; the APIs and their downloads."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from offices.models import Counter, Office
from reports import analytics
from tests.helpers import add_counter, token_client
from tickets import rollups
from tickets import services as svc
from tickets.models import HourLoad, OperatorDay, RollupMark, Ticket

MSK = ZoneInfo("Europe/Moscow")


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=MSK)


@pytest.fixture
def counter(office, services):
    return add_counter(office, "9", [services["fl"], services["ul"]], state=Counter.State.CLOSED)


def visit(office, service, counter, operator, issued, wait_min, serve_min=5, end="finish"):
    ticket = svc.ticket_issue(office=office, service=service, now=issued)
    if end == "cancel":
        return svc.ticket_cancel(ticket=ticket, operator=operator, now=issued + timedelta(minutes=1))
    called = svc.ticket_call_next(counter=counter, operator=operator, now=issued + timedelta(minutes=wait_min))
    assert called.pk == ticket.pk
    done = issued + timedelta(minutes=wait_min + serve_min)
    if end == "finish":
        return svc.ticket_finish(ticket=called, operator=operator, now=done)
    return svc.ticket_no_show(ticket=called, operator=operator, now=done)


def close_days(now: datetime) -> None:
    svc.close_day(now=now)


def all_three(read):
    """The report read live (no rollups yet), after close_day rolled the days, and from the tickets: one answer."""
    live = read(from_tickets=False)
    assert live == read(from_tickets=True)
    close_days(at(31, 12))
    assert RollupMark.objects.exists()
    assert read(from_tickets=False) == live
    return live


def test_load_counts_tickets_by_weekday_and_local_hour_and_names_the_busiest(office, services, counter, operator):
    svc.counter_set_state(counter=counter, state=Counter.State.OPEN, user=operator, now=at(3, 8))
    fl = services["fl"]
    visit(office, fl, counter, operator, at(3, 9, 10), wait_min=1)  # Monday 09:xx, waited 60 s
    visit(office, fl, counter, operator, at(3, 9, 20), wait_min=2)  # Monday 09:xx, waited 120 s
    visit(office, fl, counter, operator, at(10, 9, 30), wait_min=10, end="no_show")  # Monday: counted, not waited
    visit(office, fl, counter, operator, at(4, 14, 5), wait_min=0.5)  # Tuesday 14:xx, 30 s
    visit(office, fl, counter, operator, at(4, 14, 20), wait_min=0, end="cancel")
    visit(office, fl, counter, operator, at(5, 23, 30), wait_min=4)  # Wednesday 23:30 in Moscow, 20:30 UTC
    visit(office, fl, counter, operator, at(3, 9, 0, month=4), wait_min=1)  # April: not in March

    def read(from_tickets):
        return analytics.load(2025, Office.objects.filter(pk=office.pk), 3, from_tickets=from_tickets)

    report = all_three(read)
    cells = {(r["weekday"], c["hour"]): c for r in report["rows"] for c in r["hours"]}
    assert report["hours"] == list(range(9, 24))
    assert cells[(1, 9)] == {"hour": 9, "issued": 3, "avg_wait_seconds": 90}
    assert cells[(2, 14)] == {"hour": 14, "issued": 2, "avg_wait_seconds": 30}
    assert cells[(3, 23)] == {"hour": 23, "issued": 1, "avg_wait_seconds": 240}
    assert cells[(3, 20)] == {"hour": 20, "issued": 0, "avg_wait_seconds": None}
    assert [(b["label"], b["issued"]) for b in report["busiest"]] == [
        ("понедельник, 09:00–10:00", 3),
        ("вторник, 14:00–15:00", 2),
        ("среда, 23:00–24:00", 1),
    ]
    year = analytics.load(2025, Office.objects.filter(pk=office.pk))
    assert {(r["weekday"], c["hour"]): c["issued"] for r in year["rows"] for c in r["hours"]}[(4, 9)] == 1


def test_norm_compliance_counts_within_the_norm_within_twice_and_over(office, services, counter, operator):
    assert office.wait_norm_minutes == 15
    svc.counter_set_state(counter=counter, state=Counter.State.OPEN, user=operator, now=at(3, 8))
    fl = services["fl"]
    for start, wait in [(9, 10), (10, 15), (11, 20), (12, 31)]:  # 15 min exactly is within the norm
        visit(office, fl, counter, operator, at(3, start), wait_min=wait, serve_min=1)
    visit(office, fl, counter, operator, at(3, 14), wait_min=40, end="no_show")  # not done: not counted
    visit(office, services["ul"], counter, operator, at(3, 15), wait_min=1, serve_min=1)

    def read(from_tickets):
        return analytics.norm(2025, Office.objects.filter(pk=office.pk), from_tickets=from_tickets)

    rows = all_three(read)
    assert [(r["month"], r["service"]) for r in rows] == [("2025-03", "fl"), ("2025-03", "ul")]
    fl_row = rows[0]
    assert fl_row["norm_minutes"] == 15
    assert (fl_row["done"], fl_row["within_norm"], fl_row["within_double_norm"], fl_row["over_norm"]) == (4, 2, 3, 2)
    assert (fl_row["within_norm_share"], fl_row["within_double_norm_share"]) == (0.5, 0.75)
    assert rows[1]["within_norm_share"] == 1.0


def test_the_promise_shown_at_issue_is_recorded_and_scored(office, services, counter, operator, settings):
    settings.DEFAULT_SERVICE_SECONDS = 300
    svc.counter_set_state(counter=counter, state=Counter.State.OPEN, user=operator, now=at(3, 8))
    fl = services["fl"]
    # (ahead + ½) × 300 s (no history yet) on one counter.
    first = svc.ticket_issue(office=office, service=fl, now=at(3, 9))  # nobody ahead: promised 150 s
    second = svc.ticket_issue(office=office, service=fl, now=at(3, 9, 1))  # one ahead: 450 s
    assert (first.promised_wait_seconds, second.promised_wait_seconds) == (150, 450)
    assert second.issue_place == (1, 450)
    called = svc.ticket_call_next(counter=counter, operator=operator, now=at(3, 9, 4))  # waited 240 s: error −90
    svc.ticket_finish(ticket=called, operator=operator, now=at(3, 9, 10))
    called = svc.ticket_call_next(counter=counter, operator=operator, now=at(3, 9, 10))  # waited 540 s: −90
    svc.ticket_finish(ticket=called, operator=operator, now=at(3, 9, 12))
    # S is now the mean of 360 and 120 s: ½ × 240 s promised, waits 9 min: −420.
    third = svc.ticket_issue(office=office, service=fl, now=at(3, 9, 20))
    assert third.promised_wait_seconds == 120
    called = svc.ticket_call_next(counter=counter, operator=operator, now=at(3, 9, 29))
    svc.ticket_finish(ticket=called, operator=operator, now=at(3, 9, 30))
    lost = svc.ticket_issue(office=office, service=fl, now=at(3, 10))  # never served: not scored
    svc.ticket_cancel(ticket=lost, operator=operator, now=at(3, 10, 30))

    def read(from_tickets):
        return analytics.estimates(2025, Office.objects.filter(pk=office.pk), from_tickets=from_tickets)

    rows = all_three(read)
    assert rows == [
        {
            "month": "2025-03",
            "month_name": "Март",
            "office": "main",
            "office_name": office.name,
            "promised": 3,
            "mean_abs_error_seconds": 200,  # (90 + 90 + 420) / 3
            "within_5_min_share": 0.6667,
            "bias_seconds": -200,
        }
    ]
    assert rollups.drift() == []


def test_the_issue_response_shows_the_place_it_promised(office, services, counter, operator, anon):
    svc.counter_set_state(counter=counter, state=Counter.State.OPEN, user=operator)
    svc.ticket_issue(office=office, service=services["fl"])
    response = anon.post("/api/v1/offices/main/tickets/", {"service": "fl", "priority": False}, format="json")
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert response.json()["position"] == 1
    assert response.json()["estimated_wait_seconds"] == ticket.promised_wait_seconds > 0


def test_operator_figures_count_clients_transfers_open_time_and_breaks(
    office, services, counter, operator, django_user_model
):
    assert office.service_limit_minutes == 20
    fl = services["fl"]
    svc.counter_set_state(counter=counter, state=Counter.State.OPEN, user=operator, now=at(3, 9))
    visit(office, fl, counter, operator, at(3, 9), wait_min=2, serve_min=10)
    visit(office, fl, counter, operator, at(3, 9, 15), wait_min=1, serve_min=25)  # over the 20-minute limit
    visit(office, fl, counter, operator, at(3, 9, 45), wait_min=1, serve_min=4, end="no_show")
    moved = svc.ticket_issue(office=office, service=fl, now=at(3, 9, 50))
    moved = svc.ticket_call_next(counter=counter, operator=operator, now=at(3, 9, 51))
    svc.ticket_transfer(ticket=moved, to_front=False, operator=operator, service=services["ul"], now=at(3, 9, 55))
    svc.counter_set_state(counter=counter, state=Counter.State.BREAK, user=operator, reason="lunch", now=at(3, 10))
    svc.counter_set_state(counter=counter, state=Counter.State.OPEN, user=operator, now=at(3, 10, 30))
    svc.counter_set_state(counter=counter, state=Counter.State.CLOSED, user=operator, now=at(3, 11))
    # Another operator the next day, whose counter stays open past midnight: cut at local midnight.
    other = django_user_model.objects.create_user(username="op2", password="pass-12345", first_name="Ольга")
    svc.counter_set_state(counter=counter, state=Counter.State.OPEN, user=other, now=at(4, 23))
    svc.counter_set_state(counter=counter, state=Counter.State.CLOSED, user=other, now=at(5, 1))

    def read(from_tickets):
        return analytics.operators(2025, Office.objects.filter(pk=office.pk), from_tickets=from_tickets)

    rows = all_three(read)
    mine = next(r for r in rows if r["operator_id"] == operator.pk)
    assert mine == {
        "period": "2025-03",
        "period_name": "Март",
        "operator_id": operator.pk,
        "operator": "op",
        "served": 2,
        "avg_service_seconds": 1050,
        "over_limit_share": 0.5,
        "no_show": 1,
        "transfers": 1,
        "open_seconds": 5400,  # 09:00–10:00 and 10:30–11:00
        "serving_seconds": 2100,
        "utilisation": 0.3889,
        "breaks": [{"reason": "Обед", "count": 1, "seconds": 1800}],
    }
    theirs = next(r for r in rows if r["operator_id"] == other.pk)
    assert (theirs["operator"], theirs["open_seconds"], theirs["utilisation"]) == ("Ольга", 7200, 0.0)
    by_day = analytics.operators(2025, Office.objects.filter(pk=office.pk), date(2025, 3, 4))
    assert [(r["period"], r["period_name"], r["open_seconds"]) for r in by_day] == [("2025-03-04", "04.03.2025", 3600)]
    assert OperatorDay.objects.filter(operator=other).count() == 2


def test_an_edited_service_limit_is_read_at_once(office, services, counter, operator):
    svc.counter_set_state(counter=counter, state=Counter.State.OPEN, user=operator, now=at(3, 9))
    visit(office, services["fl"], counter, operator, at(3, 9), wait_min=1, serve_min=25)
    close_days(at(31, 12))
    read = lambda: analytics.operators(2025, Office.objects.filter(pk=office.pk))[0]["over_limit_share"]  # noqa: E731
    assert read() == 1.0
    office.service_limit_minutes = 30
    office.save(update_fields=["service_limit_minutes"])
    assert read() == 0.0


def test_an_import_into_rolled_days_counts_them_again(office, services):
    from reports import imports

    close_days(at(31, 12))  # nothing yet; the mark is set to 30 March
    assert RollupMark.objects.get(office=office).through == date(2025, 3, 30)
    issued = at(3, 9).astimezone(UTC)
    called, finished = issued + timedelta(minutes=3), issued + timedelta(minutes=8)
    text = (
        "office,service,number,issued_at,called_at,started_at,finished_at,status,counter\n"
        f"main,fl,А001,{issued.isoformat()},{called.isoformat()},,{finished.isoformat()},done,\n"
    )
    imports.import_tickets(io.StringIO(text))
    assert HourLoad.objects.get(office=office, day=date(2025, 3, 3), hour=9).issued == 1
    assert rollups.drift() == []


@pytest.fixture
def year_of_visits(office, services, counter, operator):
    svc.counter_set_state(counter=counter, state=Counter.State.OPEN, user=operator, now=at(3, 9))
    visit(office, services["fl"], counter, operator, at(3, 9), wait_min=20, serve_min=25)
    svc.counter_set_state(counter=counter, state=Counter.State.CLOSED, user=operator, now=at(3, 11))


@pytest.mark.parametrize("endpoint", ["load", "norm", "operators", "estimates"])
def test_each_report_downloads_as_json_csv_and_xlsx(year_of_visits, manager, endpoint):
    client = token_client(manager)
    body = client.get(f"/api/v1/reports/{endpoint}/?year=2025&office=main").json()
    assert body["year"] == 2025 and body["office"] == "main"
    csv_response = client.get(f"/api/v1/reports/{endpoint}/?year=2025&office=main&format=csv")
    assert csv_response.status_code == 200
    assert csv_response["Content-Disposition"] == f'attachment; filename="{endpoint}-2025-main.csv"'
    lines = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(lines) > 2
    xlsx = client.get(f"/api/v1/reports/{endpoint}/?year=2025&office=main&format=xlsx")
    assert xlsx.status_code == 200
    assert load_workbook(io.BytesIO(xlsx.content)).active.max_row > 2


def test_report_figures_in_the_downloads(year_of_visits, manager):
    client = token_client(manager)
    norm = client.get("/api/v1/reports/norm/?year=2025&office=main&format=csv").content.decode("utf-8-sig")
    assert "2025-03;ЦОК main;Физические лица;15;1;0;0,0%;1;100,0%;1" in norm
    people = client.get("/api/v1/reports/operators/?year=2025&office=main&format=csv").content.decode("utf-8-sig")
    assert "2025-03;op;1;0:25:00;100,0%;0;0;2:00:00;0:25:00;20,8%" in people


@pytest.mark.parametrize(
    ("query", "code"),
    [("month=13", "invalid_month"), ("month=x", "invalid_month"), ("day=2024-03-03", "invalid_day"),
     ("day=2025-02-30", "invalid_day"), ("format=pdf", "invalid_format")],
)  # fmt: skip
def test_bad_parameters_are_a_400_with_a_russian_detail(manager, office, query, code):
    endpoint = "operators" if query.startswith("day") else "load"
    response = token_client(manager).get(f"/api/v1/reports/{endpoint}/?year=2025&{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize("endpoint", ["load", "norm", "operators", "estimates"])
def test_an_operator_may_not_read_the_reports(op_client, office, endpoint):
    assert op_client.get(f"/api/v1/reports/{endpoint}/?year=2025").status_code == 403


def test_the_reports_page_shows_the_four_sections(year_of_visits, manager, client):
    client.force_login(manager)
    page = client.get("/reports/?year=2025&office=main").content.decode()
    assert "Самые загруженные часы: понедельник, 09:00–10:00 — 1." in page
    assert 'id="table-norm"' in page and 'id="table-operators"' in page
    assert '<th scope="row">Март</th><td>op</td><td>1</td><td>0:25:00</td><td>100,0\u00a0%</td>' in page
    assert "/api/v1/reports/load/?year=2025&amp;office=main&amp;format=xlsx" in page
    march = client.get("/reports/?year=2025&office=main&month=3").content.decode()
    assert "Нагрузка по дням недели и часам, март 2025" in march
    day = client.get("/reports/?year=2025&office=main&day=2025-03-03").content.decode()
    assert "Показатели операторов за 03.03.2025" in day
    assert client.get("/reports/?year=2025&month=13").status_code == 400


def test_the_issue_counts_its_place_once_for_the_promise_and_the_answer(office, services, counter, anon, monkeypatch):
    from tickets import selectors

    counted = []
    place = selectors.place
    monkeypatch.setattr(selectors, "place", lambda *args, **kwargs: counted.append(1) or place(*args, **kwargs))
    response = anon.post("/api/v1/offices/main/tickets/", {"service": "fl", "priority": False}, format="json")
    assert response.status_code == 201
    assert counted == [1]
