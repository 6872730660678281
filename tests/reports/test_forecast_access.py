"""Who reads the forecast: the office's operators and managers (page and API); others 403, unknown 404."""

import pytest
from django.test import Client

from offices.models import Membership
from tests.helpers import make_user, token_client
from tickets.errors import OFFICE_NOT_FOUND

pytestmark = pytest.mark.django_db

FORECAST_KEYS = {"office", "norm_minutes", "target", "weeks", "days"}
HOUR_KEYS = {"hour", "arrivals", "service_seconds", "counters", "open_last_week"}


def test_the_offices_operator_reads_its_forecast(op_client, office, services):
    response = op_client.get("/api/v1/offices/main/forecast/")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == FORECAST_KEYS
    assert (data["office"], data["norm_minutes"], data["target"], data["weeks"]) == ("main", 15, 0.8, 8)
    assert len(data["days"]) == 7
    assert all(set(day) == {"date", "hours"} for day in data["days"])
    # The test office is open around the clock: 24 hours a day.
    assert [row["hour"] for row in data["days"][0]["hours"]] == list(range(24))
    assert set(data["days"][0]["hours"][0]) == HOUR_KEYS


def test_a_manager_of_the_office_and_a_company_wide_manager_read_it(manager, django_user_model, office):
    boss = make_user(django_user_model, "boss", role=Membership.Role.MANAGER)
    for user in (manager, boss):
        assert token_client(user).get("/api/v1/offices/main/forecast/").status_code == 200


def test_staff_of_another_office_are_refused_and_an_unknown_office_is_not_found(other_operator, office):
    client = token_client(other_operator)
    refused = client.get("/api/v1/offices/main/forecast/")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    missing = client.get("/api/v1/offices/nowhere/forecast/")
    assert missing.status_code == 404
    assert missing.json()["error"] == {"code": "not_found", "message": OFFICE_NOT_FOUND}


def test_an_anonymous_caller_must_sign_in(anon, office):
    assert anon.get("/api/v1/offices/main/forecast/").status_code == 401


def test_the_forecast_page_for_the_offices_staff(operator, other_office, office, services):
    client = Client()
    client.force_login(operator)
    page = client.get("/reports/forecast/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Прогноз загрузки и штат" in html and "ЦОК main" in html
    assert 'id="table-overview"' in html and 'id="chart-forecast"' in html
    assert "ЦОК other" not in html  # the picker lists only the user's offices
    assert client.get("/reports/forecast/?office=main").status_code == 200
    assert client.get("/reports/forecast/?office=other").status_code == 403
    assert client.get("/reports/forecast/?office=nowhere").status_code == 404


def test_the_forecast_page_refuses_who_works_in_no_office_and_asks_strangers_to_sign_in(django_user_model, office):
    nobody = make_user(django_user_model, "nobody")
    client = Client()
    assert client.get("/reports/forecast/").status_code == 302
    client.force_login(nobody)
    refused = client.get("/reports/forecast/")
    assert refused.status_code == 403
    assert "Прогноз загрузки доступен только сотрудникам офисов." in refused.content.decode()


def test_the_reports_page_and_the_home_page_link_to_the_forecast(manager, office):
    client = Client()
    client.force_login(manager)
    assert 'href="/reports/forecast/' in client.get("/reports/").content.decode()
    home = client.get("/").content.decode()
    assert 'href="/reports/forecast/"' in home and 'href="/load/"' in home
