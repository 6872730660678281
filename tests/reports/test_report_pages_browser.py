"""The report pages in headless Chromium: tables like the published ones, charts, downloads."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from reports.models import ContactCount, Disclosure
from tests.helpers import ConsoleErrors, sign_in
from tickets import services as svc

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]


@pytest.fixture
def history(office, services, counters, operator):
    for year, wait in ((2023, 240), (2024, 200)):
        t = datetime(year, 3, 5, 7, tzinfo=UTC)
        for i in range(2):
            ticket = svc.ticket_issue(office=office, service=services["fl"], now=t + timedelta(minutes=i))
            svc.ticket_call_next(counter=counters["1"], operator=operator, now=t + timedelta(minutes=i, seconds=wait))
            svc.ticket_finish(ticket=ticket, operator=operator, now=t + timedelta(minutes=i, seconds=wait + 360))
    ContactCount.objects.create(month=datetime(2024, 3, 1).date(), channel="contact_center", count=22953)
    Disclosure.objects.create(
        year=2024,
        measures_done="Внедрение CRM-системы\nБлагоустройство ЦОК",
        remote_hours="Контакт-центр: пн-пт 8:00-18:00",
    )


def test_the_reports_page_shows_the_tables_charts_and_downloads(daphne, context, history, django_user_model):
    from tests.helpers import make_user

    boss = make_user(django_user_model, "boss", role="manager")
    server = daphne()
    sign_in(context, server, boss)
    page = context.new_page()
    console = ConsoleErrors(page)
    page.goto(f"{server.url}/reports/?year=2024")
    wait = page.locator("#table-wait")
    expect(wait.locator("tbody tr").nth(2)).to_contain_text("Март")
    expect(wait.locator("tbody tr").nth(2).locator("td").first).to_have_text("0:03:20")
    expect(wait.locator("tr.total")).to_contain_text("0:03:20")
    expect(page.locator("#table-service tr.total")).to_contain_text("0:06:00")
    expect(page.locator("#table-channels .row-contact_center td").nth(2)).to_have_text("22\u202f953")
    expect(page.locator("#table-channels .row-total td").last).to_have_text("22\u202f955")
    assert page.evaluate("window.reportCharts.length") == 5  # the in-person and the remote channels apart
    assert page.evaluate("window.reportCharts.every(c => c.canvas.width > 0)")
    link = page.locator("#wait-h ~ .downloads a", has_text="XLSX")
    href = link.get_attribute("href")
    response = page.request.get(server.url + href)
    assert response.status == 200 and "spreadsheetml" in response.headers["content-type"]
    # Choosing another year reloads the page for it.
    page.locator("#year").select_option("2023")
    page.get_by_role("button", name="Показать").click()
    expect(page.locator("h1")).to_have_text("Качество обслуживания клиентов, 2023 год")
    expect(page.locator("#table-wait tr.total")).to_contain_text("0:04:00")
    assert console.errors == []


def test_time_axes_of_the_report_charts_step_by_whole_minutes_or_seconds(daphne, context, history, manager):
    server = daphne()
    sign_in(context, server, manager)
    page = context.new_page()
    console = ConsoleErrors(page)
    page.goto(f"{server.url}/reports/?year=2024")
    axes = page.evaluate(
        """Object.fromEntries(window.reportCharts
             .filter(c => ["chart-times", "chart-calls"].includes(c.canvas.id))
             .map(c => [c.canvas.id, c.scales.y.ticks.map(t => [t.value, t.label])]))"""
    )
    ticks = axes["chart-times"]  # waits of 0:03:20 and services of 0:06:00
    steps = {b[0] - a[0] for a, b in zip(ticks, ticks[1:], strict=False)}
    assert steps == {60}, ticks
    assert [label for _, label in ticks[:3]] == ["0:00:00", "0:01:00", "0:02:00"]
    assert len(ticks) >= 4
    assert console.errors == []


def test_a_year_without_tickets_stays_chosen_when_the_form_is_sent_again(daphne, context, history, manager):
    server = daphne()
    sign_in(context, server, manager)
    page = context.new_page()
    page.goto(f"{server.url}/reports/?year=2021")
    expect(page.locator("h1")).to_have_text("Качество обслуживания клиентов, 2021 год")
    expect(page.locator("#year")).to_have_value("2021")
    # «Показать» again (say, for another office) keeps the year the page shows.
    page.get_by_role("button", name="Показать").click()
    expect(page.locator("h1")).to_have_text("Качество обслуживания клиентов, 2021 год")
    expect(page.locator("#table-wait tr.total")).to_contain_text("—")


def test_the_disclosure_page_compares_with_the_previous_year(daphne, context, history, manager):
    server = daphne()
    sign_in(context, server, manager)
    page = context.new_page()
    console = ConsoleErrors(page)
    page.goto(f"{server.url}/reports/disclosure/2024/")
    expect(page.locator("h1")).to_have_text("АО «Белгородэнергосбыт»")
    expect(page.locator("main")).to_contain_text("Внедрение CRM-системы")
    march = page.locator("#d-wait tbody tr").nth(2).locator("td").first
    expect(march).to_contain_text("0:03:20")
    expect(march).to_contain_text("2023: 0:04:00")
    expect(march).to_contain_text("−16,7\u00a0%")
    expect(page.locator("main")).to_contain_text("Контакт-центр: пн-пт 8:00-18:00")
    page.emulate_media(media="print")
    expect(page.locator(".noprint")).to_be_hidden()
    assert console.errors == []
    assert httpx.get(f"{server.url}/reports/disclosure/2024/", follow_redirects=False).status_code == 302
