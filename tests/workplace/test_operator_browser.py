"""The operator's workplace at 1366×768 in headless Chromium: it fits, lists the queue and the pool,
calls a chosen ticket, brings the pool back when due, transfers with a note, breaks with a reason,
and keeps one user at one counter."""

import re
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from offices.models import Counter, CounterEvent, Membership
from tests.helpers import (
    ConsoleErrors,
    add_counter,
    add_services,
    make_office,
    make_user,
    sign_in,
    token_client,
)
from tickets import services as svc
from tickets.models import Ticket, TicketEvent

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

SIZE = {"width": 1366, "height": 768}
SHOTS = "/tmp/operator-{}.png"


@pytest.fixture
def site(django_user_model):
    office = make_office("desk", name="ЦОК Рабочее место")
    services = add_services(office)
    one = add_counter(office, "1", [services["fl"]], [services["ul"]], state=Counter.State.CLOSED)
    two = add_counter(office, "2", [services["fl"], services["cash"]], state=Counter.State.CLOSED)
    anna = make_user(django_user_model, "anna", office=office, role=Membership.Role.OPERATOR, first_name="Анна")
    boris = make_user(django_user_model, "boris", office=office, role=Membership.Role.OPERATOR, first_name="Борис")
    return office, services, one, two, anna, boris


def open_desk(daphne_server, browser, user, counter, **options):
    context = browser.new_context(viewport=SIZE, locale="ru-RU", **options)
    sign_in(context, daphne_server, user)
    page = context.new_page()
    page.errors = ConsoleErrors(
        page, ignore=["HTTP 409", "HTTP 400", "HTTP 403", "status of 409", "status of 400", "status of 403"]
    )
    page.goto(f"{daphne_server.url}/operator/{counter.pk}/")
    expect(page.locator("#operator")).to_have_attribute("data-connected", "1")
    return page


def issue(office, services, code="fl", n=1, priority=False) -> list[Ticket]:
    return [svc.ticket_issue(office=office, service=services[code], priority=priority) for _ in range(n)]


class Api:
    """Another operator acting through the server, so that its broadcasts reach the pages."""

    def __init__(self, server, user):
        key = token_client(user)._credentials["HTTP_AUTHORIZATION"]
        self.client = httpx.Client(base_url=server.url + "/api/v1/", headers={"Authorization": key}, timeout=10)

    def post(self, path: str, body: dict | None = None) -> dict:
        response = self.client.post(path, json=body or {})
        assert response.status_code < 300, response.text
        return response.json() if response.status_code != 204 else {}


def assert_fits(page, name: str) -> None:
    """Every visible control inside the 1366×768 viewport, and the page itself does not scroll."""
    page.screenshot(path=SHOTS.format(name))
    scroll = page.evaluate("[document.documentElement.scrollHeight, document.documentElement.scrollWidth]")
    assert scroll[0] <= SIZE["height"] and scroll[1] <= SIZE["width"], f"{name}: the page scrolls ({scroll})"
    controls = page.locator(".actions button, .op-head a, .op-dialog[open] button, .op-dialog[open] select")
    checked = 0
    for i in range(controls.count()):
        control = controls.nth(i)
        if not control.is_visible():
            continue
        box = control.bounding_box()
        assert box["x"] >= 0 and box["y"] >= 0, f"{name}: {control.inner_text()} starts outside"
        assert box["x"] + box["width"] <= SIZE["width"], f"{name}: {control.inner_text()!r} beyond the right edge"
        assert box["y"] + box["height"] <= SIZE["height"], f"{name}: {control.inner_text()!r} below 768 px ({box})"
        checked += 1
    assert checked >= 3, f"{name}: only {checked} controls visible"


def test_every_control_is_visible_at_1366x768_in_every_state(daphne, browser, site):
    office, services, one, two, anna, boris = site
    server = daphne()
    issue(office, services, n=25)
    issue(office, services, "ul", n=10)
    page = open_desk(server, browser, anna, one)
    assert_fits(page, "closed")

    page.get_by_role("button", name="Открыть окно").click()
    expect(page.locator("#state-badge")).to_have_text("Окно открыто")
    expect(page.locator("#queue-total")).to_have_text("(35)")
    assert_fits(page, "open-idle")

    # A priority client who was transferred here with a note: the fullest "called" card.
    vip = issue(office, services, "cash", priority=True)[0]
    other = Api(server, boris)
    other.post(f"counters/{two.pk}/state/", {"state": "open"})
    other.post(f"counters/{two.pk}/call/", {"ticket": vip.pk})
    note = "Клиенту нужна справка о переплате за 2023 год"
    other.post(f"tickets/{vip.pk}/transfer/", {"to_counter": one.pk, "position": "front", "note": note})
    for ticket in issue(office, services, n=3):
        other.post(f"counters/{two.pk}/call/", {"ticket": ticket.pk})
        other.post(f"tickets/{ticket.pk}/postpone/", {"minutes": 30})
    page.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(page.locator("#cur-number")).to_have_text(vip.number)
    expect(page.locator("#cur-priority")).to_have_text("Льготная категория")
    expect(page.locator("#cur-history")).to_contain_text("Клиенту нужна справка")
    expect(page.locator("#pool-total")).to_have_text("(3)")
    page.get_by_role("button", name="Повторный вызов").click()
    expect(page.locator("#cur-recalls")).to_have_text("1")
    assert_fits(page, "called")

    for action in ("transfer", "postpone"):
        page.locator(f'[data-action="{action}"]').click()
        expect(page.locator(f"#{action}-dialog")).to_be_visible()
        assert_fits(page, f"dialog-{action}")
        page.locator(f"#{action}-dialog [data-close]").click()

    page.get_by_role("button", name="Начать обслуживание").click()
    expect(page.locator("#cur-status")).to_have_text("обслуживается")
    assert_fits(page, "serving")

    page.get_by_role("button", name="Завершить F", exact=True).click()
    expect(page.locator("#cur-number")).to_have_text("—")
    # An error message: the ticket the operator chooses was cancelled a moment ago (no broadcast yet).
    # Let the list settle after «Завершить» (its reload is debounced by 250 ms).
    page.wait_for_timeout(700)
    gone = int(page.locator("#queue-list li").first.get_attribute("data-ticket"))
    Ticket.objects.filter(pk=gone).update(status=Ticket.Status.CANCELLED)
    page.locator(f'#queue-list li[data-ticket="{gone}"] [data-call]').click()
    expect(page.locator("#message")).to_have_text("Этот талон уже вызван или больше не ожидает.")
    expect(page.locator(f'#queue-list li[data-ticket="{gone}"]')).to_have_count(0)
    assert_fits(page, "idle-after-error")
    page.get_by_role("button", name="Перерыв").click()
    assert_fits(page, "dialog-break")
    page.get_by_label("Обучение").check()
    page.get_by_role("button", name="Уйти на перерыв").click()
    expect(page.locator("#state-badge")).to_have_text("Перерыв — Обучение")
    assert_fits(page, "break")
    assert page.errors.errors == []


def open_counter(page) -> None:
    page.get_by_role("button", name="Открыть окно").click()
    expect(page.locator("#state-badge")).to_have_text("Окно открыто")


def test_the_list_shows_the_queue_in_call_order_and_calls_a_chosen_ticket(daphne, browser, site):
    office, services, one, two, anna, boris = site
    a1, a2, a3 = issue(office, services, n=3)
    vip = issue(office, services, priority=True)[0]
    issue(office, services, "cash")  # not this counter's service: not listed
    server = daphne()
    page = open_desk(server, browser, anna, one)
    open_counter(page)
    rows = page.locator("#queue-list li")
    expect(rows).to_have_count(4)
    expect(rows.locator(".num")).to_have_text([vip.number, a1.number, a2.number, a3.number])
    expect(rows.first.locator(".mark.priority")).to_have_text("Льготная категория")
    assert_fits(page, "list")

    page.locator(f'#queue-list li[data-ticket="{a2.pk}"] [data-call]').click()
    expect(page.locator("#cur-number")).to_have_text(a2.number)
    expect(page.locator("#message")).to_have_text(f"Вызван талон {a2.number} (вне очереди).")
    expect(page.locator("#queue-list li .num")).to_have_text([vip.number, a1.number, a3.number])
    event = TicketEvent.objects.get(ticket=a2, type="called")
    assert event.operator == anna and event.counter == one and event.data == {"chosen": True}
    assert page.errors.errors == []


def test_a_postponed_ticket_comes_back_to_the_list_when_its_time_comes(daphne, browser, site):
    """The page's own timer, set from returns_at and the server's clock, reads the list again when
    the pool ticket falls due. The browser's clock is Playwright's (page.clock), fast-forwarded;
    the server's clock is real, so the server's side of "five minutes later" is the ticket's return
    time moved to the past (the query's own handling of now is pinned in test_call_order.py)."""
    office, services, one, two, anna, boris = site
    first = issue(office, services)[0]
    server = daphne()
    context = browser.new_context(viewport=SIZE, locale="ru-RU")
    sign_in(context, server, anna)
    page = context.new_page()
    page.clock.install()
    page.goto(f"{server.url}/operator/{one.pk}/")
    open_counter(page)
    page.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(page.locator("#cur-number")).to_have_text(first.number)

    page.get_by_role("button", name="Отложить").click()
    page.get_by_role("button", name="5 мин", exact=True).click()
    expect(page.locator("#pool-list li .num")).to_have_text([first.number])
    expect(page.locator("#pool-list .returns")).to_contain_text("через 4 мин 5")
    expect(page.locator("#queue-list li.empty")).to_have_text("Ожидающих нет")
    # Not due yet: call-next does not take it.
    page.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(page.locator("#message")).to_have_text("Очередь пуста: ожидающих клиентов нет.")

    Ticket.objects.filter(pk=first.pk).update(returns_at=timezone.now() - timedelta(seconds=1))
    page.clock.fast_forward("05:01")
    expect(page.locator("#queue-list li .num")).to_have_text([first.number])
    expect(page.locator("#queue-list li .mark")).to_have_text(["Вернулся из отложенных"])
    expect(page.locator("#pool-list li.empty")).to_have_text("Отложенных нет")
    page.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(page.locator("#cur-number")).to_have_text(first.number)


def test_a_pool_ticket_can_be_called_from_the_pool_at_any_time(daphne, browser, site):
    office, services, one, two, anna, boris = site
    first, second = issue(office, services, n=2)
    server = daphne()
    page = open_desk(server, browser, anna, one)
    open_counter(page)
    page.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    page.get_by_role("button", name="Отложить").click()
    page.locator("#postpone-minutes").fill("45")
    page.locator("#postpone-form").get_by_role("button", name="Отложить").click()
    expect(page.locator("#pool-list li .num")).to_have_text([first.number])
    page.locator(f'#pool-list li[data-ticket="{first.pk}"] [data-call]').click()
    expect(page.locator("#cur-number")).to_have_text(first.number)
    assert TicketEvent.objects.filter(ticket=first, type="called").last().data == {"chosen": True, "from_pool": True}
    expect(page.locator("#queue-list li .num")).to_have_text([second.number])


def transfer(page, kind: str, choice: str, note: str) -> None:
    page.get_by_role("button", name="Перенаправить").first.click()
    dialog = page.locator("#transfer-dialog")
    expect(dialog.locator("#transfer-service")).to_be_hidden()
    dialog.get_by_label({"service": "На услугу", "counter": "В окно", "operator": "Оператору"}[kind]).check()
    dialog.locator(f"#transfer-{kind}").select_option(label=choice)
    dialog.locator("#transfer-note").fill(note)
    dialog.get_by_role("button", name="Перенаправить").click()


def test_transfer_to_an_operator_and_to_a_counter_with_notes_the_next_operator_sees(daphne, browser, site):
    office, services, one, two, anna, boris = site
    ticket = issue(office, services)[0]
    server = daphne()
    anna_page = open_desk(server, browser, anna, one)
    open_counter(anna_page)
    boris_page = open_desk(server, browser, boris, two)
    open_counter(boris_page)
    # Both counters serve «Физические лица»; Anna calls first.
    anna_page.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(anna_page.locator("#cur-number")).to_have_text(ticket.number)

    # The service is not preselected: the operator chooses.
    anna_page.get_by_role("button", name="Перенаправить").first.click()
    anna_page.get_by_label("На услугу").check()
    expect(anna_page.locator("#transfer-service")).to_have_value("")
    anna_page.locator("#transfer-dialog [data-close]").click()

    transfer(anna_page, "operator", "Борис (окно 2)", "Проверить показания счётчика")
    expect(anna_page.locator("#message")).to_have_text(f"Талон {ticket.number} перенаправлен.")
    row = boris_page.locator(f'#queue-list li[data-ticket="{ticket.pk}"]')
    expect(row.locator(".mark")).to_contain_text(["Перенаправлен вам"])
    expect(row.locator(".note")).to_have_text("Проверить показания счётчика")
    expect(anna_page.locator(f'#queue-list li[data-ticket="{ticket.pk}"]')).to_have_count(0)

    boris_page.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(boris_page.locator("#cur-number")).to_have_text(ticket.number)
    expect(boris_page.locator("#cur-history")).to_contain_text("Проверить показания счётчика")
    expect(boris_page.locator("#cur-history")).to_contain_text("окно 1, Анна")

    transfer(boris_page, "counter", "Окно 1 — открыто", "Вернуть Анне: нужна подпись")
    row = anna_page.locator(f'#queue-list li[data-ticket="{ticket.pk}"]')
    expect(row.locator(".mark")).to_contain_text(["Перенаправлен в это окно"])
    anna_page.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(anna_page.locator("#cur-number")).to_have_text(ticket.number)
    history = anna_page.locator("#cur-history p")
    expect(history).to_have_count(2)
    expect(history.nth(1)).to_contain_text("Вернуть Анне: нужна подпись")
    events = TicketEvent.objects.filter(ticket=ticket, type="transferred").order_by("id")
    assert [e.data["to_operator"] for e in events] == [boris.pk, None]
    assert [e.data["to_counter"] for e in events] == [None, "1"]
    assert anna_page.errors.errors == [] and boris_page.errors.errors == []


def test_a_break_takes_one_of_the_offices_reasons_and_logs_it(daphne, browser, site):
    office, services, one, two, anna, boris = site
    office.break_reasons = [{"code": "lunch", "name": "Обед"}, {"code": "meeting", "name": "Планёрка"}]
    office.save(update_fields=["break_reasons"])
    server = daphne()
    page = open_desk(server, browser, anna, one)
    open_counter(page)
    page.get_by_role("button", name="Перерыв").click()
    reasons = page.locator("#break-reasons label")
    expect(reasons).to_have_text(["Обед", "Планёрка"])
    page.get_by_label("Планёрка").check()
    page.get_by_role("button", name="Уйти на перерыв").click()
    expect(page.locator("#state-badge")).to_have_text("Перерыв — Планёрка")
    event = CounterEvent.objects.filter(counter=one).last()
    assert (event.type, event.user, event.data["reason"], event.data["reason_label"]) == (
        "break",
        anna,
        "meeting",
        "Планёрка",
    )
    page.get_by_role("button", name="Вернуться").click()
    expect(page.locator("#state-badge")).to_have_text("Окно открыто")
    assert CounterEvent.objects.filter(counter=one).last().type == "resumed"


def test_opening_a_second_counter_closes_the_first_after_a_confirmation(daphne, browser, site):
    office, services, one, two, anna, boris = site
    server = daphne()
    page = open_desk(server, browser, anna, one)
    open_counter(page)
    page.goto(f"{server.url}/operator/{two.pk}/")
    expect(page.locator("#state-badge")).to_have_text("Окно закрыто")
    page.get_by_role("button", name="Открыть окно").click()
    expect(page.locator("#confirm-text")).to_have_text("Окно 1 будет закрыто. Продолжить?")
    assert_fits(page, "dialog-confirm")
    page.get_by_role("button", name="Отмена").click()
    expect(page.locator("#confirm-dialog")).to_be_hidden()
    one.refresh_from_db(), two.refresh_from_db()
    assert (one.state, two.state) == ("open", "closed")

    page.get_by_role("button", name="Открыть окно").click()
    page.get_by_role("button", name="Продолжить").click()
    expect(page.locator("#state-badge")).to_have_text("Окно открыто")
    one.refresh_from_db(), two.refresh_from_db()
    assert (one.state, one.operator, two.state, two.operator) == ("closed", None, "open", anna)
    assert CounterEvent.objects.filter(counter=one).last().type == "closed"


def test_the_operator_is_told_when_a_manager_sends_the_counter_to_a_break_from_the_monitor(
    daphne, browser, site, django_user_model
):
    office, services, one, two, anna, boris = site
    chief = make_user(django_user_model, "chief", office=office, role=Membership.Role.MANAGER)
    server = daphne()
    page = open_desk(server, browser, anna, one)
    open_counter(page)
    # Her own break and return say nothing about a change from elsewhere.
    page.get_by_role("button", name="Перерыв").click()
    page.get_by_role("button", name="Уйти на перерыв").click()
    expect(page.locator("#state-badge")).to_have_text("Перерыв — Обед")
    page.get_by_role("button", name="Вернуться").click()
    expect(page.locator("#state-badge")).to_have_text("Окно открыто")
    page.wait_for_timeout(500)
    expect(page.locator("#message")).not_to_contain_text("изменено")

    Api(server, chief).post(f"counters/{one.pk}/remote/", {"state": "break", "reason": "training"})
    expect(page.locator("#state-badge")).to_have_text("Перерыв — Обучение")
    expect(page.locator("#message")).to_have_text("Состояние окна изменено: Перерыв — Обучение.")
    Api(server, chief).post(f"counters/{one.pk}/remote/", {"state": "closed"})
    expect(page.locator("#message")).to_have_text("Состояние окна изменено: Окно закрыто.")
    assert page.errors.errors == []


def test_a_wrong_number_of_minutes_to_postpone_is_refused_in_russian_by_the_page(daphne, browser, site):
    office, services, one, two, anna, boris = site
    issue(office, services)
    server = daphne()
    page = open_desk(server, browser, anna, one)
    open_counter(page)
    page.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(page.locator("#cur-number")).to_have_text("А001")
    page.get_by_role("button", name="Отложить").click()
    dialog = page.locator("#postpone-dialog")
    for wrong in ("0", "241", "2.5"):
        dialog.get_by_label("Другое время, мин").fill(wrong)
        dialog.get_by_role("button", name="Отложить").click()
        # Not the browser's own bubble, in the browser's language: the page's line.
        expect(page.locator("#postpone-error")).to_have_text("Укажите от 1 до 240 минут.")
        expect(dialog).to_be_visible()
    dialog.get_by_label("Другое время, мин").fill("7")
    dialog.get_by_role("button", name="Отложить").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#pool-list")).to_contain_text("А001")
    assert page.errors.errors == []


def test_the_time_at_the_counter_counts_on_the_servers_clock_when_the_pcs_clock_is_off(daphne, browser, site):
    office, services, one, two, anna, boris = site
    issue(office, services)
    server = daphne()
    context = browser.new_context(viewport=SIZE, locale="ru-RU")
    sign_in(context, server, anna)
    page = context.new_page()
    # The counter PC's clock runs ten minutes fast.
    page.clock.install(time=timezone.now() + timedelta(minutes=10))
    page.clock.resume()
    page.goto(f"{server.url}/operator/{one.pk}/")
    expect(page.locator("#operator")).to_have_attribute("data-connected", "1")
    open_counter(page)
    page.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(page.locator("#cur-number")).to_have_text("А001")
    page.wait_for_timeout(1500)
    expect(page.locator("#timer")).to_have_text(re.compile(r"^\d с$"))
    context.close()


def test_the_operator_sees_how_long_the_counter_has_been_on_its_break(daphne, browser, site):
    office, services, one, two, anna, boris = site
    svc.counter_set_state(counter=one, state="open", user=anna)
    svc.counter_set_state(
        counter=one, state="break", user=anna, reason="lunch", now=timezone.now() - timedelta(minutes=5)
    )
    server = daphne()
    page = open_desk(server, browser, anna, one)
    expect(page.locator("#state-badge")).to_have_text("Перерыв — Обед")
    expect(page.locator("#break-time")).to_have_text(re.compile(r"^на перерыве 5 мин \d с$"))
    assert_fits(page, "break-time")
    page.get_by_role("button", name="Вернуться").click()
    expect(page.locator("#state-badge")).to_have_text("Окно открыто")
    expect(page.locator("#break-time")).to_be_hidden()
    assert page.errors.errors == []


AXE = "tests/vendor/axe.min.js"


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=AXE)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert len(result["passes"]) > 10  # axe did look at the page
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]]


def test_the_workplace_and_its_dialogs_pass_axe(daphne, browser, site):
    office, services, one, two, anna, boris = site
    issue(office, services, n=3)
    issue(office, services, priority=True)
    server = daphne()
    # bypass_csp: only to inject axe itself, which the page's CSP (rightly) refuses.
    page = open_desk(server, browser, anna, one, bypass_csp=True)
    open_counter(page)
    page.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(page.locator("#cur-priority")).to_be_visible()
    assert axe_violations(page) == []
    for action in ("transfer", "postpone"):
        page.locator(f'[data-action="{action}"]').click()
        assert axe_violations(page) == [], action
        page.locator(f"#{action}-dialog [data-close]").click()
