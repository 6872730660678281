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


AXE = "tests/vendor/axe.min.js"


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=AXE)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert len(result["passes"]) > 10  # axe did look at the page
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]]


def test_report_charts_write_numbers_the_russian_way_in_an_english_browser(daphne, browser, history, django_user_model):
    from reports.models import Appeal
    from tests.helpers import make_user

    boss = make_user(django_user_model, "boss", role="manager")  # company-wide: the remote channels' chart too

    received = datetime(2024, 3, 4, 7, tzinfo=UTC)
    Appeal.objects.create(
        key="a1", received_at=received, answered_at=received + timedelta(days=1.4), month=datetime(2024, 3, 1).date(),
        response_seconds=1.4 * 86400,
    )  # fmt: skip
    server = daphne()
    # bypass_csp: only to inject axe itself, which the page's CSP (rightly) refuses.
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-US", bypass_csp=True)
    sign_in(context, server, boss)
    page = context.new_page()
    console = ConsoleErrors(page)
    page.goto(f"{server.url}/reports/?year=2024")
    assert page.evaluate("navigator.language") == "en-US"
    charts = page.evaluate(
        """Object.fromEntries(window.reportCharts.map(c => [c.canvas.id, {
             ticks: c.scales.y.ticks.map(t => t.label),
             tooltip: c.options.plugins.tooltip.callbacks.label({dataset: {label: "x"}, parsed: {y: c.data.datasets
               .flatMap(d => d.data).filter(v => v !== null).reduce((a, b) => Math.max(a, b), 0)}}),
           }]))"""
    )
    remote = charts["chart-remote"]
    assert "20\u202f000" in remote["ticks"], remote  # not «20,000»
    assert remote["tooltip"] == "x: 22\u202f953"
    account = charts["chart-account"]
    assert account["tooltip"] == "x: 1,40", account  # as the table's «1,40», not «1.4»
    assert all("." not in label for label in account["ticks"]), account
    assert any("," in label for label in account["ticks"]), account
    assert page.locator("#table-account tbody tr").nth(2).locator("td").first.text_content() == "1,40"
    assert charts["chart-times"]["tooltip"] == "x: 0:06:00"
    assert axe_violations(page) == []
    assert console.errors == []
    context.close()


def test_the_current_years_disclosure_is_preliminary_at_1366_and_passes_axe(
    daphne, browser, manager, office, services, counters, operator
):
    from django.utils import timezone

    counter = counters["1"]
    today = timezone.localdate()
    for year in (today.year - 1, today.year):
        issued = datetime(year, today.month, 1, 7, tzinfo=UTC)
        ticket = svc.ticket_issue(office=office, service=services["fl"], now=issued)
        svc.ticket_call_next(counter=counter, operator=operator, now=issued + timedelta(seconds=200))
        svc.ticket_finish(ticket=ticket, operator=operator, now=issued + timedelta(seconds=500))
    server = daphne()
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ru-RU", bypass_csp=True)
    sign_in(context, server, manager)
    page = context.new_page()
    console = ConsoleErrors(page)
    page.goto(f"{server.url}/reports/?year={today.year}")
    page.get_by_role("link", name=f"Раскрытие информации за {today.year} год (предварительно)").click()
    banner = page.locator("#preliminary")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(f"Предварительные данные по состоянию на {today.day} ")
    box = banner.bounding_box()
    assert box["y"] + box["height"] < 768  # seen without scrolling
    # This month is not over: its figure stands alone, with no comparison to a whole month a year ago.
    month_cell = page.locator("#d-wait tbody th", has_text="(не закончен)")
    expect(month_cell).to_have_count(1)
    assert str(today.year - 1) not in month_cell.locator("xpath=following-sibling::td[1]").text_content()
    page.emulate_media(media="print")
    expect(banner).to_be_visible()  # printed too: the paper says it is preliminary
    page.emulate_media(media="screen")
    assert axe_violations(page) == []
    page.goto(f"{server.url}/reports/disclosure/{today.year - 1}/")
    expect(page.locator("#preliminary")).to_have_count(0)
    assert axe_violations(page) == []
    assert console.errors == []
    context.close()
