"""A disclosure for a year that is not over: dated, marked preliminary, compared over finished months only."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from offices.models import Membership
from tests.helpers import make_user
from tests.reports.test_report_labels import Tables
from tickets import services as svc

TODAY = datetime(2026, 12, 5, 9, tzinfo=UTC)  # 5 December: November is the last finished month


@pytest.fixture
def two_years(office, services, counters, operator):
    """One ticket in November and one in December of 2025 and 2026, each with its own wait."""
    for day, wait in (((2025, 11, 10), 100), ((2025, 12, 10), 1000), ((2026, 11, 10), 200), ((2026, 12, 2), 400)):
        issued = datetime(*day, 7, tzinfo=UTC)
        ticket = svc.ticket_issue(office=office, service=services["fl"], now=issued)
        svc.ticket_call_next(counter=counters["1"], operator=operator, now=issued + timedelta(seconds=wait))
        svc.ticket_finish(ticket=ticket, operator=operator, now=issued + timedelta(seconds=wait + 60))


@pytest.fixture
def disclosure(client, django_user_model, two_years):
    client.force_login(make_user(django_user_model, "boss", role=Membership.Role.MANAGER))

    def get(year: int) -> tuple[str, Tables]:
        with time_machine.travel(TODAY, tick=False):
            html = client.get(f"/reports/disclosure/{year}/").content.decode()
        return html, Tables(html)  # cell text with whitespace (no-break spaces too) collapsed

    return get


def test_the_current_years_disclosure_is_dated_and_marked_preliminary(disclosure):
    html, _ = disclosure(2026)
    assert "Предварительные данные по состоянию на 5 декабря 2026 г." in html
    assert "(предварительно)</title>" in html
    assert "только за закончившиеся месяцы (январь–ноябрь)" in html


def test_the_unfinished_month_is_compared_with_nothing(disclosure):
    _, parsed = disclosure(2026)
    november, december = parsed.tables["d-wait"]["body"][4], parsed.tables["d-wait"]["body"][5]
    assert november[2:] == ["Ноябрь", "0:03:20 2025: 0:01:40 +100,0 %"]
    assert december[2:] == ["Декабрь (не закончен)", "0:06:40"]  # not «2025: 0:16:40 −60,0 %»


def test_the_totals_compare_the_same_finished_months_of_both_years(disclosure):
    _, parsed = disclosure(2026)
    total = parsed.tables["d-wait"]["body"][-1]
    # The year so far is (200 + 400) / 2 s; January–November against January–November: 200 s against 100 s,
    # not against 2025's whole year, (100 + 1000) / 2 s.
    assert total[-1] == "0:05:00 январь–ноябрь: 0:03:20; 2025: 0:01:40 +100,0 %"
    channels = parsed.tables["d-channels-2"]
    assert channels["head"][0][-4:] == ["Итого", "Январь–ноябрь", "Январь–ноябрь 2025", "Изменение"]
    individuals = next(row for row in channels["body"] if row[0] == "ЦОК ФЛ")
    assert individuals[-4:] == ["2", "1", "1", "±0,0 %"]  # 2025's December is left out: 1, not 2


def test_a_finished_year_is_final_and_compared_month_by_month(disclosure):
    html, parsed = disclosure(2025)
    assert "Предварительные" not in html and "не закончен" not in html
    # 2024 has no data at all: no comparison anywhere, and no columns of dashes.
    assert parsed.tables["d-wait"]["body"][5][2:] == ["Декабрь", "0:16:40"]
    assert parsed.tables["d-channels-2"]["head"][0][-1] == "Итого"


def test_the_reports_page_calls_the_current_years_disclosure_preliminary(client, django_user_model, two_years):
    client.force_login(make_user(django_user_model, "boss", role=Membership.Role.MANAGER))
    with time_machine.travel(TODAY, tick=False):
        current = client.get("/reports/?year=2026").content.decode()
        last = client.get("/reports/?year=2025").content.decode()
    assert "Раскрытие информации за 2026 год (предварительно)" in current
    assert "Раскрытие информации за 2025 год</a>" in last


def test_a_disclosure_in_january_compares_nothing(client, django_user_model, two_years):
    with time_machine.travel(datetime(2027, 1, 20, 9, tzinfo=UTC), tick=False):
        client.force_login(make_user(django_user_model, "boss", role=Membership.Role.MANAGER))
        html = client.get("/reports/disclosure/2027/").content.decode()
    assert "Ни один месяц года ещё не закончился: сравнения с 2026 годом нет." in html
    assert "2026:" not in html
