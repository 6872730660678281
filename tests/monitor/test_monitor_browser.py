"""The manager's monitor in headless Chromium at 1366×768, with the browser's default autoplay policy."""

import json
import re
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from offices.models import CounterEvent, Membership
from tests.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ConsoleErrors,
    add_counter,
    add_services,
    make_office,
    make_user,
    sign_in,
    token_client,
    wait_for,
)
from tickets import services as svc
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

MONITOR_SIZE = {"width": 1366, "height": 768}
# Counts what the page asks of the Web Audio API: every oscillator started is a beep.
RECORD_SOUND = """
window.__oscillators = 0;
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) { window.__oscillators += 1; return start.apply(this, args); };
"""


@pytest.fixture(scope="module")
def default_policy_browser(browser_type_launch_args, playwright):
    # The shared launch arguments may lift the autoplay policy; a manager's browser does not.
    args = [a for a in CHROMIUM_ARGS if not a.startswith("--autoplay-policy")]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
    yield browser
    browser.close()


@pytest.fixture
def desk(allow_orm_in_browser_tests, transactional_db, django_user_model):
    office = make_office("site", name="ЦОК Тестовый", wait_norm_minutes=15)
    services = add_services(office)
    first = add_counter(office, "1", [services["fl"]], [services["ul"]], state="closed")
    second = add_counter(office, "2", [services["cash"]], state="closed")
    operator = make_user(django_user_model, "site-op", office=office, role=Membership.Role.OPERATOR, first_name="Анна")
    manager = make_user(django_user_model, "site-mgr", office=office, role=Membership.Role.MANAGER)
    return office, services, first, second, operator, manager


@pytest.fixture
def monitor_page(default_policy_browser, daphne, desk):
    """A manager's monitor page; the server and the context are the test's own."""
    server = daphne()
    context = default_policy_browser.new_context(viewport=MONITOR_SIZE)
    sign_in(context, server, desk[5])
    page = context.new_page()
    page.add_init_script(RECORD_SOUND)
    yield server, page
    context.close()


def api(server, user) -> httpx.Client:
    token = token_client(user)._credentials["HTTP_AUTHORIZATION"]
    return httpx.Client(base_url=server.url, headers={"Authorization": token}, timeout=10)


def row(page, number: str):
    return page.locator(f'#office-site tr[data-counter="{number}"]')


def test_counter_states_appear_live_one_after_another_and_the_page_never_asks_for_a_snapshot(monitor_page, desk):
    server, page = monitor_page
    office, services, counter, _, operator, _ = desk
    sent, snapshots = [], []

    def follow(ws):
        ws.on("framesent", lambda payload: sent.append(json.loads(payload)))
        ws.on("framereceived", lambda payload: json.loads(payload)["type"] == "snapshot" and snapshots.append(1))

    page.on("websocket", follow)
    console = ConsoleErrors(page)
    page.goto(f"{server.url}/monitor/")
    expect(page.locator("#office-site")).to_have_attribute("data-connected", "1")
    expect(row(page, "1").locator(".state")).to_have_text("Окно закрыто")
    desk_api = api(server, operator)
    steps = [
        ({"state": "open"}, "Окно открыто"),
        ({"state": "break", "reason": "lunch"}, "Перерыв: Обед"),
        ({"state": "open"}, "Окно открыто"),
        ({"state": "closed"}, "Окно закрыто"),
    ]
    for body, label in steps:
        assert desk_api.post(f"/api/v1/counters/{counter.pk}/state/", json=body).status_code == 200
        expect(row(page, "1").locator(".state")).to_have_text(label, timeout=5000)
        if label == "Окно открыто":
            expect(row(page, "1")).to_contain_text("Анна")
    assert [m for m in sent if m.get("type") == "sync"] == []
    assert len(snapshots) == 1  # the one on connect
    assert console.errors == []


def test_each_counter_shows_its_time_in_state_operator_ticket_and_service_time_with_limits_highlighted(
    monitor_page, desk
):
    server, page = monitor_page
    office, services, first, second, operator, _ = desk
    office.break_limit_minutes = 0
    office.service_limit_minutes = 0
    office.save()
    desk_api = api(server, operator)
    for counter in (first, second):
        desk_api.post(f"/api/v1/counters/{counter.pk}/state/", json={"state": "open"})
    page.goto(f"{server.url}/monitor/")
    expect(page.locator("#office-site")).to_have_attribute("data-connected", "1")
    ticket = desk_api.post("/api/v1/offices/site/tickets/", json={"service": "fl"}).json()
    desk_api.post(f"/api/v1/counters/{first.pk}/call-next/")
    expect(row(page, "1")).to_contain_text(ticket["number"], timeout=5000)
    expect(row(page, "1").locator('[data-time="service"]')).to_contain_text("вызван")
    desk_api.post(f"/api/v1/tickets/{ticket['id']}/start/")
    service_time = row(page, "1").locator('[data-time="service"]')
    expect(service_time).to_have_text(re.compile(r"^0:0\d$"), timeout=5000)
    # A limit of 0 minutes: any service time is over it.
    expect(service_time).to_have_class(re.compile(r"\bover-limit\b"), timeout=3000)
    desk_api.post(f"/api/v1/counters/{second.pk}/state/", json={"state": "break", "reason": "technical"})
    expect(row(page, "2").locator(".state")).to_have_text("Перерыв: Технический перерыв", timeout=5000)
    in_state = row(page, "2").locator('[data-time="state"]')
    expect(in_state).to_have_class(re.compile(r"\bover-limit\b"), timeout=3000)
    first_reading = in_state.text_content()
    expect(in_state).not_to_have_text(first_reading, timeout=3000)  # it ticks
    # The ticket leaves the counter: the row follows.
    desk_api.post(f"/api/v1/tickets/{ticket['id']}/finish/")
    expect(row(page, "1").locator("td").nth(3)).to_have_text("—", timeout=5000)
    expect(page.locator('#office-site [data-field="served"]')).to_have_text("1", timeout=5000)


def issue_waiting_since(office, service, minutes: float) -> Ticket:
    """A ticket that has waited ``minutes`` already (written straight to the database: no broadcast)."""
    return svc.ticket_issue(office=office, service=service, now=timezone.now() - timedelta(minutes=minutes))


def test_crossing_the_norm_sounds_one_alert_after_the_unlock_click_and_none_when_switched_off(monitor_page, desk):
    server, page = monitor_page
    office, services, *_ = desk
    page.goto(f"{server.url}/monitor/")
    card = page.locator("#office-site")
    expect(card).to_have_attribute("data-connected", "1")
    unlock = page.get_by_role("button", name="Включить звук оповещений")
    expect(unlock).to_be_visible()
    unlock.click()
    expect(page.locator("#sound-state")).to_have_text("Звук включён")
    assert page.evaluate("window.monitorSound.ctx.state") == "running"

    late = issue_waiting_since(office, services["fl"], 20)
    # Any change of the queue makes the server push the figures: the monitor sees someone over the norm.
    httpx.post(f"{server.url}/api/v1/offices/site/tickets/", json={"service": "cash"})
    expect(card.locator('[data-field="over-now"]')).to_have_text("1", timeout=5000)
    expect(card).to_have_class(re.compile(r"\bover-norm\b"))
    expect(card.locator('tr[data-service="fl"] [data-over="fl"]')).to_have_text("1")
    wait_for(page, "window.monitorSound.played.length === 1")
    assert page.evaluate("window.__oscillators") == 3
    # Still over the norm, another arrival: no second alert.
    httpx.post(f"{server.url}/api/v1/offices/site/tickets/", json={"service": "ul"})
    page.wait_for_timeout(2500)
    assert page.evaluate("window.monitorSound.played") == ["site"]

    # Switched off, and remembered after a reload.
    svc.ticket_cancel(ticket=late)
    page.get_by_label("Звуковое оповещение о превышении норматива").uncheck()
    page.reload()
    expect(card).to_have_attribute("data-connected", "1")
    expect(page.get_by_label("Звуковое оповещение о превышении норматива")).not_to_be_checked()
    expect(card.locator('[data-field="over-now"]')).to_have_text("0")
    page.get_by_role("button", name="Включить звук оповещений").click()
    expect(page.locator("#sound-state")).to_have_text("Звук выключен")
    issue_waiting_since(office, services["ul"], 20)
    httpx.post(f"{server.url}/api/v1/offices/site/tickets/", json={"service": "cash"})
    expect(card.locator('[data-field="over-now"]')).to_have_text("1", timeout=5000)
    page.wait_for_timeout(1500)
    assert page.evaluate("window.monitorSound.played") == []
    assert page.evaluate("window.__oscillators") == 0


def test_the_day_chart_draws_todays_arrivals_against_the_usual(monitor_page, desk):
    server, page = monitor_page
    office, services, *_ = desk
    for _ in range(3):
        svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_issue(office=office, service=services["fl"], now=timezone.now() - timedelta(weeks=1))
    page.goto(f"{server.url}/monitor/")
    card = page.locator("#office-site")
    expect(card).to_have_attribute("data-chart", "1")
    canvas = "document.querySelector('#office-site canvas')"
    wait_for(page, f"Chart.getChart({canvas}).data.datasets.length === 4")
    arrivals = page.evaluate(f"Chart.getChart({canvas}).data.datasets[0].data.reduce((a, b) => a + b, 0)")
    usual = page.evaluate(f"Chart.getChart({canvas}).data.datasets[1].data.reduce((a, b) => a + (b || 0), 0)")
    assert (arrivals, usual) == (3, 1)
    box = page.locator("#office-site canvas").bounding_box()
    assert box["width"] > 300 and box["height"] > 150
    expect(card.locator('[data-field="chart-usual"]')).to_contain_text("дней с данными: 1")
    # A new arrival reaches the chart with the next push of the figures.
    httpx.post(f"{server.url}/api/v1/offices/site/tickets/", json={"service": "fl"})
    wait_for(page, f"Chart.getChart({canvas}).data.datasets[0].data.reduce((a, b) => a + b, 0) === 4")
    # The page fits 1366 px without scrolling sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= MONITOR_SIZE["width"]


def test_a_manager_sends_a_counter_to_a_break_and_closes_another_from_the_monitor(monitor_page, desk):
    server, page = monitor_page
    office, services, first, second, operator, manager = desk
    desk_api = api(server, operator)
    for counter in (first, second):
        desk_api.post(f"/api/v1/counters/{counter.pk}/state/", json={"state": "open"})
    console = ConsoleErrors(page, ignore=["HTTP 409", "409 (Conflict)"])
    page.goto(f"{server.url}/monitor/")
    expect(page.locator("#office-site")).to_have_attribute("data-connected", "1")

    page.get_by_role("button", name="Окно 1: перерыв").click()
    panel = page.locator('#office-site [data-field="remote"]')
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Окно 1: отправить на перерыв?")
    panel.get_by_label("Причина").select_option(label="Обучение")
    panel.get_by_role("button", name="Подтвердить").click()
    expect(row(page, "1").locator(".state")).to_have_text("Перерыв: Обучение", timeout=5000)
    expect(page.locator('#office-site [data-field="message"]')).to_have_text("Окно 1 отправлено на перерыв.")
    # On a break, only closing is offered; opening stays with the operator.
    expect(page.get_by_role("button", name="Окно 1: перерыв")).to_have_count(0)
    event = CounterEvent.objects.filter(counter=first).last()
    assert (event.type, event.user, event.data["remote"], event.data["reason"]) == ("break", manager, True, "training")

    # A counter with a client is refused, and the manager is told why.
    httpx.post(f"{server.url}/api/v1/offices/site/tickets/", json={"service": "cash"})
    desk_api.post(f"/api/v1/counters/{second.pk}/call-next/")
    expect(row(page, "2")).to_contain_text("К001", timeout=5000)
    page.get_by_role("button", name="Окно 2: закрыть").click()
    panel.get_by_role("button", name="Подтвердить").click()
    expect(page.locator('#office-site [data-field="message"]')).to_contain_text(
        "В окне обслуживают клиента", timeout=5000
    )
    expect(row(page, "2").locator(".state")).to_have_text("Окно открыто")

    page.get_by_role("button", name="Окно 1: закрыть").click()
    expect(panel.get_by_label("Причина")).to_be_hidden()
    panel.get_by_role("button", name="Подтвердить").click()
    expect(row(page, "1").locator(".state")).to_have_text("Окно закрыто", timeout=5000)
    expect(row(page, "1").locator("button")).to_have_count(0)
    page.screenshot(path="/tmp/monitor-remote.png")
    assert console.errors == []


def test_the_monitor_passes_axe_with_a_counter_on_a_break_over_its_limit_and_an_office_over_the_norm(
    default_policy_browser, daphne, desk
):
    office, services, first, second, operator, manager = desk
    office.break_limit_minutes = 0
    office.save()
    svc.counter_set_state(counter=first, state="open", user=operator)
    svc.counter_set_state(counter=first, state="break", user=operator, reason="lunch")
    issue_waiting_since(office, services["fl"], 20)
    server = daphne()
    # axe is injected as an inline script: only this test's context lifts the page's CSP.
    context = default_policy_browser.new_context(viewport=MONITOR_SIZE, bypass_csp=True)
    sign_in(context, server, manager)
    page = context.new_page()
    page.goto(f"{server.url}/monitor/")
    card = page.locator("#office-site")
    expect(card).to_have_class(re.compile(r"\bover-norm\b"), timeout=5000)
    expect(row(page, "1").locator('[data-time="state"]')).to_have_class(re.compile(r"\bover-limit\b"), timeout=3000)
    page.add_script_tag(path="tests/vendor/axe.min.js")
    violations = page.evaluate(
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']}).then(r => r.violations.map(v => v.id + ': ' + "
        "v.nodes.map(n => n.target.join(' ')).join(', ')))"
    )
    context.close()
    assert violations == []


def test_a_ticket_crossing_the_norm_by_time_alone_counts_and_sounds_without_any_message(monitor_page, desk):
    server, page = monitor_page
    office, services, *_ = desk
    issue_waiting_since(office, services["fl"], 14)  # crosses the 15-minute norm a minute from now
    received = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: received.append(frame)))
    page.clock.install()  # the page's clock, moved on below instead of waiting
    page.goto(f"{server.url}/monitor/")
    card = page.locator("#office-site")
    expect(card).to_have_attribute("data-connected", "1")
    page.get_by_role("button", name="Включить звук оповещений").click()
    expect(card.locator('[data-field="over-now"]')).to_have_text("0")
    expect(card.locator('[data-field="over-norm"]')).to_have_text("—")
    seen = len(received)
    page.clock.fast_forward("02:00")
    expect(card.locator('[data-field="over-now"]')).to_have_text("1", timeout=3000)
    expect(card.locator('[data-field="over-norm"]')).to_have_text("100%")
    expect(card.locator('[data-field="longest"]')).to_have_text(re.compile(r"^16:0\d$"))
    wait_for(page, "window.monitorSound.played.length === 1")
    # Only heartbeats came in meanwhile: the count moved with the clock.
    assert all(json.loads(frame)["type"] == "pong" for frame in received[seen:])


def test_every_heading_and_cell_of_the_counters_table_fits_its_column_at_1366(monitor_page, desk):
    server, page = monitor_page
    office, services, first, second, operator, _ = desk
    desk_api = api(server, operator)
    desk_api.post(f"/api/v1/counters/{first.pk}/state/", json={"state": "open"})
    desk_api.post(f"/api/v1/counters/{first.pk}/state/", json={"state": "break", "reason": "technical"})
    page.goto(f"{server.url}/monitor/")
    expect(row(page, "1").locator(".state")).to_have_text("Перерыв: Технический перерыв")
    # Text running out of a cell of the fixed-layout table shows over the next column;
    # only the operator's name is cut on purpose (with an ellipsis and its title).
    spills = page.evaluate(
        """[...document.querySelectorAll("#office-site .counters th, #office-site .counters td")]
             .filter(c => !c.classList.contains("operator") && c.scrollWidth > c.clientWidth)
             .map(c => c.textContent.trim())"""
    )
    assert spills == []
    assert page.evaluate("document.documentElement.scrollWidth") <= MONITOR_SIZE["width"]


def test_the_answer_to_a_remote_action_goes_away_after_a_while(monitor_page, desk):
    server, page = monitor_page
    office, services, first, second, operator, _ = desk
    api(server, operator).post(f"/api/v1/counters/{first.pk}/state/", json={"state": "open"})
    page.clock.install()
    page.goto(f"{server.url}/monitor/")
    expect(page.locator("#office-site")).to_have_attribute("data-connected", "1")
    page.get_by_role("button", name="Окно 1: перерыв").click()
    page.locator('#office-site [data-field="remote"]').get_by_role("button", name="Подтвердить").click()
    message = page.locator('#office-site [data-field="message"]')
    expect(message).to_have_text("Окно 1 отправлено на перерыв.")
    page.clock.fast_forward("00:10")
    expect(message).to_be_visible()
    # Later the counter may be open again: the monitor does not keep saying it went on a break.
    page.clock.fast_forward("00:11")
    expect(message).to_be_hidden()
    expect(row(page, "1").locator(".state")).to_have_text("Перерыв: Обед")


def test_todays_wait_of_a_single_hour_is_a_visible_point_on_the_day_chart(monitor_page, desk):
    server, page = monitor_page
    office, services, first, second, operator, _ = desk
    svc.counter_set_state(counter=first, state="open", user=operator)
    svc.ticket_issue(office=office, service=services["fl"], now=timezone.now() - timedelta(minutes=4))
    svc.ticket_call_next(counter=first, operator=operator)
    page.goto(f"{server.url}/monitor/")
    expect(page.locator("#office-site")).to_have_attribute("data-chart", "1")
    canvas = "document.querySelector('#office-site canvas')"
    wait_for(page, f"Chart.getChart({canvas}).data.datasets[2].data.some(v => v !== null)")
    # The opening hour has one value and no line through it: its point alone must be seen.
    point = page.evaluate(
        f"""(() => {{
          const chart = Chart.getChart({canvas});
          const i = chart.data.datasets[2].data.findIndex(v => v !== null);
          const o = chart.getDatasetMeta(2).data[i].options;
          return [chart.data.datasets[2].data[i], o.pointStyle, o.radius];
        }})()"""
    )
    assert point[0] == pytest.approx(4, abs=0.2)
    assert point[1] == "circle" and point[2] >= 3
    legend = page.evaluate(f"Chart.getChart({canvas}).legend.legendItems.map(i => [i.text, i.pointStyle])")
    assert legend == [
        ["Пришли сегодня", "rect"],
        ["Пришли обычно", "rect"],
        ["Ожидание сегодня, мин", "line"],
        ["Ожидание обычно, мин", "line"],
    ]


def test_the_remote_panel_cancels_with_escape_and_gives_the_keyboard_back_to_its_button(monitor_page, desk):
    server, page = monitor_page
    office, services, first, second, operator, _ = desk
    api(server, operator).post(f"/api/v1/counters/{first.pk}/state/", json={"state": "open"})
    page.goto(f"{server.url}/monitor/")
    opener = page.get_by_role("button", name="Окно 1: перерыв")
    opener.focus()
    page.keyboard.press("Enter")
    panel = page.locator('#office-site [data-field="remote"]')
    expect(panel).to_be_visible()
    expect(panel.get_by_role("button", name="Подтвердить")).to_be_focused()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(opener).to_be_focused()
    # «Отмена» does the same.
    page.keyboard.press("Enter")
    panel.get_by_role("button", name="Отмена").click()
    expect(panel).to_be_hidden()
    expect(opener).to_be_focused()
    first.refresh_from_db()
    assert first.state == "open"
