"""The report API and the report pages answer the same parameters the same way (reports/params.py)."""

import pytest
from django.test import Client

from tests.helpers import token_client
from tickets.errors import InvalidYear

pytestmark = pytest.mark.django_db


def page(user, url: str):
    client = Client()
    client.force_login(user)
    return client.get(url)


@pytest.mark.parametrize("year", ["abc", "1999", "2101", "٢٠٢٤", "20240"])
def test_a_bad_year_is_a_400_on_the_api_and_on_the_report_page(manager, year):
    api = token_client(manager).get(f"/api/v1/reports/channels/?year={year}")
    assert api.status_code == 400 and api.json()["error"]["code"] == "invalid_year"
    response = page(manager, f"/reports/?year={year}")
    assert response.status_code == 400
    assert InvalidYear.message in response.content.decode()


@pytest.mark.parametrize("year", [1999, 2101])
def test_a_year_out_of_range_is_a_400_page_on_the_disclosure_page(manager, year):
    response = page(manager, f"/reports/disclosure/{year}/")
    assert response.status_code == 400
    assert InvalidYear.message in response.content.decode()


def test_a_bad_year_is_a_400_even_for_someone_who_may_not_read_reports(operator):
    assert token_client(operator).get("/api/v1/reports/channels/?year=abc").status_code == 400
    assert page(operator, "/reports/?year=abc").status_code == 400
    assert page(operator, "/reports/disclosure/1999/").status_code == 400


def test_a_good_year_still_needs_a_manager(operator, manager):
    assert page(operator, "/reports/?year=2024").status_code == 403
    assert page(manager, "/reports/?year=2024").status_code == 200
    assert page(manager, "/reports/disclosure/2024/").status_code == 200
