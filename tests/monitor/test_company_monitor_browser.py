"""The monitor for a whole company at 1366×768 (issue #26): a compact table of every office on top,
worst first and live, each row opening its office's card; and the card's own third-pass points."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from offices.models import Membership
from tests.helpers import ConsoleErrors, add_counter, add_services, make_office, make_user, sign_in
from tickets import services as svc

from .test_monitor_browser import (
    MONITOR_SIZE,
    api,
    default_policy_browser,  # noqa: F401 (the manager's browser)
    desk,  # noqa: F401 (one office, two counters, an operator and a manager)
    monitor_page,  # noqa: F401
    row,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

OFFICES = 20


@pytest.fixture
def company(allow_orm_in_browser_tests, transactional_db, django_user_model):
    """Twenty offices of one manager: «o00» has a client over the norm, «o07» is closed (no hours)."""
    offices, counters = [], {}
    for n in range(OFFICES):
        office = make_office(f"o{n:02d}", name=f"ЦОК №{n + 1}", wait_norm_minutes=15, all_day=n != 7)
        services = add_services(office)
        counters[office.code] = add_counter(office, "1", [services["fl"]], state="closed")
        add_counter(office, "2", [services["cash"]], state="closed")
        offices.append(office)
    manager = make_user(django_user_model, "chief", first_name="Ольга")
    for office in offices:
        Membership.objects.create(user=manager, office=office, role=Membership.Role.MANAGER)
    operator = make_user(django_user_model, "o05-op", office=offices[5], role=Membership.Role.OPERATOR)
    late = offices[0]
    svc.ticket_issue(office=late, service=late.services.get(code="fl"), now=timezone.now() - timedelta(minutes=20))
    return offices, counters, manager, operator


def company_row(page, code: str):
    return page.locator(f'#company-rows tr[data-office-row="{code}"]')


def open_monitor(browser, server, manager, **options):
    context = browser.new_context(viewport=MONITOR_SIZE, **options)
    sign_in(context, server, manager)
    page = context.new_page()
    page.goto(f"{server.url}/monitor/")
    expect(page.locator('#company-rows tr[data-connected="1"]')).to_have_count(OFFICES, timeout=20000)
    return context, page


def test_twenty_offices_fit_one_table_worst_first_and_a_call_changes_its_row_live(
    default_policy_browser,  # noqa: F811
    daphne,
    company,
):
    offices, counters, manager, operator = company
    server = daphne()
    context, page = open_monitor(default_policy_browser, server, manager)
    console = ConsoleErrors(page)
    rows = page.locator("#company-rows tr")
    expect(rows).to_have_count(OFFICES)
    # Worst first: the office with a client over the norm heads the table.
    expect(rows.first).to_have_attribute("data-office-row", "o00", timeout=5000)
    expect(company_row(page, "o00").locator('[data-col="over"]')).to_have_text("1")
    expect(company_row(page, "o00").locator('[data-col="longest"]')).to_have_text(re.compile(r"^20 мин \d{1,2} с$"))
    expect(company_row(page, "o00").locator('[data-col="within"]')).to_have_text("0%")
    expect(company_row(page, "o07").locator('[data-col="open"]')).to_have_text("Закрыт")
    expect(company_row(page, "o07")).to_have_class(re.compile(r"\bclosed\b"))
    expect(company_row(page, "o03").locator('[data-col="open"]')).to_have_text("Открыт")
    # Every row in view at 1366×768, and the page itself does not scroll.
    page.screenshot(path="/tmp/monitor-company.png")
    for i in range(OFFICES):
        box = rows.nth(i).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= MONITOR_SIZE["height"], (i, box)
    scroll = page.evaluate("[document.documentElement.scrollHeight, document.documentElement.scrollWidth]")
    assert scroll[0] <= MONITOR_SIZE["height"] and scroll[1] <= MONITOR_SIZE["width"], scroll
    # No card until a row is chosen: twenty of them would be a very long page.
    expect(page.locator(".office-card:visible")).to_have_count(0)

    # A client arrives at office 5 and is called there: its row follows within seconds.
    desk_api = api(server, operator)
    counter = counters["o05"]
    assert desk_api.post(f"/api/v1/counters/{counter.pk}/state/", json={"state": "open"}).status_code == 200
    expect(company_row(page, "o05").locator('[data-col="open-counters"]')).to_have_text("1", timeout=5000)
    assert desk_api.post("/api/v1/offices/o05/tickets/", json={"service": "fl"}).status_code == 201
    expect(company_row(page, "o05").locator('[data-col="waiting"]')).to_have_text("1", timeout=5000)
    assert desk_api.post(f"/api/v1/counters/{counter.pk}/call-next/").status_code == 200
    expect(company_row(page, "o05").locator('[data-col="waiting"]')).to_have_text("0", timeout=5000)
    assert desk_api.post(f"/api/v1/counters/{counter.pk}/state/", json={"state": "closed"}).status_code == 409
    assert console.errors == []
    context.close()


def test_a_row_opens_its_office_card_which_fits_768_px_and_the_page_passes_axe(
    default_policy_browser,  # noqa: F811
    daphne,
    company,
):
    offices, counters, manager, operator = company
    server = daphne()
    # bypass_csp: only to inject axe itself, which the page's CSP (rightly) refuses.
    context, page = open_monitor(default_policy_browser, server, manager, bypass_csp=True)
    company_row(page, "o03").locator("td").first.click()
    card = page.locator("#office-o03")
    expect(card).to_be_visible()
    expect(page.locator(".office-card:visible")).to_have_count(1)
    expect(company_row(page, "o03")).to_have_class(re.compile(r"\bselected\b"))
    expect(company_row(page, "o03").get_by_role("link")).to_have_attribute("aria-current", "true")
    assert page.evaluate("location.hash") == "#office-o03"
    box = card.bounding_box()
    # Brought into view whole: a card is no taller than the screen.
    assert box["height"] <= MONITOR_SIZE["height"]
    assert box["y"] >= -1 and box["y"] + box["height"] <= MONITOR_SIZE["height"] + 1, box
    # The name opens another office's card in its place.
    company_row(page, "o07").get_by_role("link", name="ЦОК №8").click()
    expect(page.locator("#office-o07")).to_be_visible()
    expect(card).to_be_hidden()
    expect(page.locator('#office-o07 [data-field="closed"]')).to_have_text("офис закрыт")
    page.screenshot(path="/tmp/monitor-company-card.png")
    page.add_script_tag(path="tests/vendor/axe.min.js")
    violations = page.evaluate(
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']}).then(r => r.violations.map(v => v.id + ': ' + "
        "v.nodes.map(n => n.target.join(' ')).join(', ')))"
    )
    context.close()
    assert violations == []


def test_a_client_called_and_not_started_past_the_service_limit_is_flagged(monitor_page, desk):  # noqa: F811
    server, page = monitor_page
    office, services, first, second, operator, _ = desk
    office.service_limit_minutes = 1
    office.save()
    desk_api = api(server, operator)
    desk_api.post(f"/api/v1/counters/{first.pk}/state/", json={"state": "open"})
    ticket = desk_api.post("/api/v1/offices/site/tickets/", json={"service": "fl"}).json()
    page.clock.install()
    page.goto(f"{server.url}/monitor/")
    expect(page.locator("#office-site")).to_have_attribute("data-connected", "1")
    desk_api.post(f"/api/v1/counters/{first.pk}/call-next/")
    cell = row(page, "1").locator('[data-time="service"]')
    expect(cell).to_contain_text("вызван", timeout=5000)
    expect(cell).not_to_have_class(re.compile(r"\bover-limit\b"))
    page.clock.fast_forward("01:05")
    expect(cell).to_have_class(re.compile(r"\bover-limit\b"), timeout=3000)
    expect(cell).to_have_attribute("title", re.compile("не начато"))
    # Started: the flag is the service time's own again.
    desk_api.post(f"/api/v1/tickets/{ticket['id']}/start/")
    expect(cell).not_to_contain_text("вызван", timeout=5000)


def test_the_remote_buttons_are_finger_sized_and_a_busy_office_card_fits_768_px(monitor_page, desk):  # noqa: F811
    server, page = monitor_page
    office, services, first, second, operator, _ = desk
    extra = [add_counter(office, str(n), [services["fl"]], state="closed") for n in range(3, 9)]
    for counter in [first, second, *extra]:
        svc.counter_set_state(counter=counter, state="open", user=operator)
    page.goto(f"{server.url}/monitor/")
    card = page.locator("#office-site")
    expect(card).to_have_attribute("data-connected", "1")
    buttons = card.locator(".counters button")
    expect(buttons).to_have_count(16)  # «Перерыв» and «Закрыть» for each of 8 open counters
    for i in range(16):
        box = buttons.nth(i).bounding_box()
        assert box["height"] >= 32 and box["width"] >= 44, box
    # With one office its card shows at once, under a one-row table, and stays within a 768 px screen.
    expect(page.locator("#company-rows tr")).to_have_count(1)
    expect(company_row(page, "site").locator('[data-col="open-counters"]')).to_have_text("8")
    expect(card).to_be_visible()
    page.screenshot(path="/tmp/monitor-busy-card.png", full_page=True)
    assert card.bounding_box()["height"] <= MONITOR_SIZE["height"]
