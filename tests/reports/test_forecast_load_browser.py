"""The forecast page at 1366×768 and the public load page on a phone at 390×844, in Debian's Chromium."""

from datetime import datetime, time, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from offices.models import Membership
from reports import erlang
from tests.helpers import ConsoleErrors, make_user, sign_in
from tickets import services as svc
from tickets.models import Ticket

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe.min.js"
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]


def history(office, service, per_hour: int = 10) -> None:
    """Eight weeks of ten clients an hour from 09:00 to 18:00, each served in 300 s."""
    today = office.local_date()
    tickets = []
    for days in range(1, 8 * 7 + 1):
        day = today - timedelta(days=days)
        for hour in range(9, 18):
            for i in range(per_hour):
                at = datetime.combine(day, time(hour, i * 60 // per_hour), tzinfo=office.tz)
                tickets.append(
                    Ticket(office=office, service=service, number=f"{hour}-{i}", local_date=day, status="done",
                           issued_at=at, queued_at=at, service_seconds=300)
                )  # fmt: skip
    Ticket.objects.bulk_create(tickets, batch_size=2000)


def test_the_forecast_page_shows_the_table_and_the_chart_at_1366(daphne, browser, office, services, manager):
    history(office, services["fl"])
    needed = erlang.counters_needed(10, 300, 15 * 60, 0.8)
    server = daphne()
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ru-RU")
    sign_in(context, server, manager)
    page = context.new_page()
    console = ConsoleErrors(page)
    page.goto(f"{server.url}/reports/")
    page.get_by_role("link", name="Прогноз загрузки и штат").click()
    expect(page.locator("h1")).to_have_text("Прогноз загрузки и штат")
    overview = page.locator("#table-overview")
    expect(overview.locator("thead th")).to_have_count(8)  # the hour and seven days
    expect(overview.locator("tbody tr")).to_have_count(24)  # open around the clock
    ten = overview.locator("tbody tr", has_text="10:00–11:00")
    expect(ten.locator("td").first.locator("b")).to_have_text(str(needed))
    expect(overview.locator("tbody tr", has_text="03:00–04:00").locator("td").first.locator("b")).to_have_text("0")
    day = page.locator("#table-day-0")
    expect(day).to_be_visible()
    row = day.locator("tbody tr", has_text="10:00–11:00")
    expect(row.locator("td")).to_have_text(["10,0", "0:05:00", str(needed), "0,0"])
    assert page.evaluate("window.forecastChart.data.datasets.length") == 3
    assert page.evaluate("window.forecastChart.canvas.width") > 0
    assert page.evaluate("window.forecastChart.data.datasets[1].data[10]") == needed
    # Another day: its table and its chart.
    page.locator("#forecast-day").select_option("3")
    expect(page.locator("#table-day-3")).to_be_visible()
    expect(page.locator("#table-day-0")).to_be_hidden()
    label = page.locator("#forecast-day option").nth(3).inner_text()
    assert page.evaluate("window.forecastChart.options.plugins.title.text") == label
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    assert console.errors == []
    context.close()


def test_the_public_load_page_on_a_phone_follows_a_call_within_10_seconds(
    daphne, browser, office, services, counters, django_user_model
):
    history(office, services["fl"], per_hour=4)
    operator = make_user(
        django_user_model, "op-login", office=office, role=Membership.Role.OPERATOR, first_name="Мария",
        last_name="Иванова",
    )  # fmt: skip
    # Opened by the named operator: the staff screens show her name, the public ones must not.
    svc.counter_set_state(counter=counters["1"], state="closed", user=operator)
    svc.counter_set_state(counter=counters["1"], state="open", user=operator)
    first = svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_call_next(counter=counters["1"], operator=operator)
    svc.ticket_transfer(ticket=first, to_front=False, operator=operator, service=services["fl"], note="Заметка коллеге")
    token = Token.objects.create(user=operator)
    server = daphne()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    console = ConsoleErrors(page)
    page.goto(f"{server.url}/")
    page.get_by_role("link", name="Загрузка офисов сейчас").click()
    page.get_by_role("link", name="ЦОК main").click()
    expect(page.locator("h1")).to_have_text("ЦОК main")
    expect(page.locator("#load-open")).to_have_text("Сейчас открыто")
    fl = page.locator('#load-services tr[data-service="fl"]')
    expect(fl.locator(".waiting")).to_have_text("2")
    expect(page.locator("#load-counters")).to_have_text("3")
    expect(page.locator("#usual-chart .bar")).to_have_count(24)
    expect(page.locator("#best-time")).to_contain_text("Лучшее время для визита")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    html = page.content()
    for secret in ("Мария", "Иванова", "op-login", "Заметка коллеге"):
        assert secret not in html

    # The operator calls the next client from the workplace's API: the phone shows it within 10 s.
    staff = httpx.Client(base_url=server.url, timeout=10, headers={"Authorization": f"Token {token.key}"})
    called = staff.post(f"/api/v1/counters/{counters['1'].pk}/call-next/", json={})
    assert called.status_code == 200, called.text
    expect(fl.locator(".waiting")).to_have_text("1", timeout=10_000)
    answer = page.request.get(f"{server.url}/api/v1/offices/main/load/").text()
    for secret in ("Мария", "Иванова", "op-login", "Заметка коллеге"):
        assert secret not in page.content() and secret not in answer

    # The company's site frames the page with ?embed=1: no header, the same live counts.
    page.set_content(f'<iframe src="{server.url}/load/main/?embed=1" width="380" height="700"></iframe>')
    frame = page.frame_locator("iframe")
    expect(frame.locator("h1")).to_have_text("ЦОК main")
    expect(frame.locator('#load-services tr[data-service="fl"] .waiting')).to_have_text("1")
    expect(frame.locator(".topbar")).to_have_count(0)
    assert console.errors == []
    context.close()


def test_the_public_load_page_passes_axe_wcag_aa_on_a_phone(daphne, browser, office, services, counters):
    history(office, services["fl"], per_hour=4)
    server = daphne()
    # bypass_csp only so that the test can inject axe-core.
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{server.url}/load/main/")
    expect(page.locator("#best-time")).to_be_visible()
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } })"
        ".then(r => r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))"
    )
    assert violations == []
    context.close()
