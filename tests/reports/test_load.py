"""The public load page and its JSON: live counts from the office's live state, no person, framable alone."""

import json
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings import services as bookings
from offices.models import Membership, OfficeHours
from tests.helpers import add_counter, add_services, make_office, make_user
from tickets import live
from tickets import services as svc
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

LOAD_KEYS = {"office", "name", "open", "hours", "next_opening", "counters_open", "services", "usual_by_hour"}


@pytest.fixture
def builds(monkeypatch) -> list[int]:
    built, real = [], live.build

    def counting(office_id):
        built.append(office_id)
        return real(office_id)

    monkeypatch.setattr(live, "build", counting)
    return built


@pytest.fixture
def hall(office, services, counters):
    """Counters 1 (fl, ul as backup) and 2 (ul) open, 3 (cash) closed; three waiting for fl, one for ul."""
    counters["3"].state = "closed"
    counters["3"].save(update_fields=["state"])
    for _ in range(3):
        svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_issue(office=office, service=services["ul"])
    return office


def test_the_load_json_counts_who_waits_and_the_open_counters(hall, anon):
    response = anon.get("/api/v1/offices/main/load/")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == LOAD_KEYS
    assert (data["office"], data["name"], data["open"], data["next_opening"]) == ("main", "ЦОК main", True, "")
    assert data["counters_open"] == 2
    assert data["hours"][0] == {"day": "mon", "label": "Пн", "hours": "круглосуточно"}
    # No history: 300 s a client, (ahead + ½) × 300 / counters (selectors.estimate):
    # fl: 3.5 × 300 / 1 = 1050 s → 18 min; ul: 1.5 × 300 / 2 = 225 s → 4 min (rounded up);
    # cash, nobody waiting: no wait.
    assert data["services"] == [
        {"code": "fl", "name": "Физические лица", "waiting": 3, "estimated_wait_minutes": 18},
        {"code": "ul", "name": "Юридические лица", "waiting": 1, "estimated_wait_minutes": 4},
        {"code": "cash", "name": "Касса", "waiting": 0, "estimated_wait_minutes": 0},
    ]
    assert [row["hour"] for row in data["usual_by_hour"]] == list(range(24))
    assert response["Cache-Control"] == "public, max-age=3"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_call_shows_in_the_next_answer(hall, counters, operator, anon):
    assert anon.get("/api/v1/offices/main/load/").json()["services"][0]["waiting"] == 3
    svc.ticket_call_next(counter=counters["1"], operator=operator)
    assert anon.get("/api/v1/offices/main/load/").json()["services"][0]["waiting"] == 2


def test_the_load_reads_the_offices_live_state_and_no_ticket(hall, anon, builds):
    anon.get("/api/v1/offices/main/load/")
    assert builds == [hall.pk]
    with CaptureQueriesContext(connection) as queries:
        again = anon.get("/api/v1/offices/main/load/")
        page = Client().get("/load/main/")
    assert again.status_code == page.status_code == 200
    assert builds == [hall.pk]  # the screens' state, not a second build
    assert not [q["sql"] for q in queries.captured_queries if "tickets_ticket" in q["sql"]]
    assert len(queries.captured_queries) <= 4  # the office and its hours, twice


def test_no_operator_name_note_or_phone_anywhere(office, services, counters, django_user_model):
    operator = make_user(
        django_user_model, "op-login", office=office, role=Membership.Role.OPERATOR, first_name="Мария",
        last_name="Иванова",
    )  # fmt: skip
    # Opened by the named operator: the staff screens show her name, the public ones must not.
    svc.counter_set_state(counter=counters["1"], state="closed", user=operator)
    svc.counter_set_state(counter=counters["1"], state="open", user=operator)
    svc.counter_set_state(counter=counters["1"], state="break", user=operator, reason="lunch")
    svc.counter_set_state(counter=counters["1"], state="open", user=operator)
    moved = svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_call_next(counter=counters["1"], operator=operator)
    svc.ticket_transfer(ticket=moved, to_front=False, operator=operator, to_operator=operator, note="Заметка коллеге")
    svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_call_next(counter=counters["1"], operator=operator)
    fl = services["fl"]
    fl.booking_enabled, fl.cutoff_minutes = True, 0
    fl.booking_hours = {day: "00:00-24:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    fl.save()
    start = (timezone.localtime() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    bookings.booking_create(
        office=office, service=fl, start=start, name="Пётр Сидоров", phone="+79991234567", consent=True
    )
    client = Client()
    texts = {path: client.get(path).content.decode() for path in ("/load/", "/load/main/", "/load/main/?embed=1")}
    texts["json"] = json.dumps(client.get("/api/v1/offices/main/load/").json(), ensure_ascii=False)
    secrets = ("Мария", "Иванова", "op-login", "Заметка коллеге", "Пётр", "Сидоров", "79991234567", "999 123")
    leaks = [(where, secret) for where, text in texts.items() for secret in secrets if secret in text]
    assert leaks == []
    assert "operator" not in texts["json"] and "note" not in texts["json"] and "phone" not in texts["json"]


def test_only_the_office_page_may_be_framed_and_embed_drops_the_header(office, services, settings):
    client = Client()
    framed = client.get("/load/main/?embed=1")
    assert framed.status_code == 200
    assert "X-Frame-Options" not in framed.headers
    policy = framed.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "default-src 'self'" in policy and "frame-ancestors 'none'" not in policy
    html = framed.content.decode()
    assert 'class="topbar"' not in html and "embed" in html
    assert 'class="topbar"' in client.get("/load/main/").content.decode()
    for path in ("/load/", "/display/main/", "/", "/reports/forecast/"):
        response = client.get(path)
        assert response.headers.get("X-Frame-Options") == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
    settings.LOAD_FRAME_ANCESTORS = ["https://www.example.ru"]
    policy = client.get("/load/main/?embed=1").headers["Content-Security-Policy"]
    assert policy.endswith("frame-ancestors https://www.example.ru")


def test_the_page_charts_the_usual_load_of_todays_weekday_and_names_the_quietest_hours(office, services):
    today = office.local_date()
    tickets = []
    for weeks in range(1, 9):
        day = today - timedelta(weeks=weeks)
        for hour in range(24):
            for i in range(1 if hour in (3, 4) else 5):
                at = datetime.combine(day, time(hour, i), tzinfo=office.tz)
                tickets.append(
                    Ticket(office=office, service=services["fl"], number=f"{hour}-{i}", local_date=day,
                           status="done", issued_at=at, queued_at=at, service_seconds=300)
                )  # fmt: skip
    Ticket.objects.bulk_create(tickets)
    data = Client().get("/api/v1/offices/main/load/").json()
    assert data["usual_by_hour"][3] == {"hour": 3, "tickets": 1.0}
    assert data["usual_by_hour"][10] == {"hour": 10, "tickets": 5.0}
    html = Client().get("/load/main/").content.decode()
    assert "Лучшее время для визита:</b> 03:00–04:00, 04:00–05:00" in html
    assert html.count('class="bar best"') == 2 and html.count('class="bar"') == 22


def test_a_closed_office_says_when_it_opens_and_has_no_usual_load_today(db):
    office = make_office("shut", all_day=False)
    tomorrow = (timezone.localdate() + timedelta(days=1)).weekday()
    OfficeHours.objects.create(office=office, weekday=tomorrow, opens=time(9), closes=time(18))
    add_services(office)
    add_counter(office, "1", [], state="closed")
    data = Client().get("/api/v1/offices/shut/load/").json()
    assert data["open"] is False and data["next_opening"] == "Откроется завтра в 09:00"
    assert data["counters_open"] == 0 and data["usual_by_hour"] == []
    html = Client().get("/load/shut/").content.decode()
    assert "Сейчас закрыто" in html and "Сегодня офис не работает." in html


def test_an_unknown_office_is_not_found(db, anon):
    assert Client().get("/load/nowhere/").status_code == 404
    missing = anon.get("/api/v1/offices/nowhere/load/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_the_list_links_every_office(office, other_office):
    html = Client().get("/load/").content.decode()
    assert 'href="/load/main/"' in html and 'href="/load/other/"' in html
