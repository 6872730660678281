"""Kiosk, operator workplace, tracking and monitor in headless Chromium, end to end."""

import re
from datetime import time

import httpx
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from playwright.sync_api import expect

from offices.models import KioskDevice, Membership, OfficeHours
from tests.helpers import (
    ConsoleErrors,
    add_counter,
    add_services,
    make_office,
    make_user,
    sign_in,
    token_client,
    wait_for,
)
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

NO_PRINT_DIALOG = "window.__printed = 0; window.print = () => { window.__printed += 1; };"


@pytest.fixture
def site(django_user_model):
    office = make_office("site", name="ЦОК Тестовый")
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]], [services["ul"]])
    add_counter(office, "2", [services["cash"]])
    operator = make_user(django_user_model, "site-op", office=office, role=Membership.Role.OPERATOR, first_name="Анна")
    manager = make_user(django_user_model, "site-mgr", office=office, role=Membership.Role.MANAGER)
    return office, services, counter, operator, manager


def test_one_tap_at_the_kiosk_gives_exactly_one_printed_ticket(daphne, page, site):
    office = site[0]
    device = KioskDevice.objects.create(office=office, name="Киоск у входа")
    server = daphne()
    console = ConsoleErrors(page)
    page.add_init_script(NO_PRINT_DIALOG)
    # A paired kiosk: only it (or staff) may grant priority.
    page.goto(f"{server.url}/kiosk/pair/{device.pairing_code}/")
    page.get_by_role("button", name="Подключить киоск").click()
    expect(page).to_have_url(f"{server.url}/kiosk/site/")
    expect(page.locator("#kiosk")).to_have_attribute("data-connected", "1")
    page.get_by_role("button", name="Льготная категория").click()
    page.locator('button[data-service="fl"]').click()
    # A priority ticket is confirmed first; a double tap there still gives one ticket.
    confirm = page.get_by_role("button", name="Да, льготный талон")
    confirm.dblclick()
    page.locator("#confirm-yes").dispatch_event("click")  # a third tap, on the dialog closed by then
    expect(page.locator("#ticket")).to_be_visible()
    expect(page.locator("#t-number")).to_have_text("А001")
    assert Ticket.objects.count() == 1
    assert Ticket.objects.get().priority is True
    expect(page.locator("#t-ahead")).to_have_text("никого")
    # The printable ticket carries the number and a QR code made by the project.
    expect(page.locator("#p-number")).to_have_text("А001")
    qr = page.locator("#p-qr")
    token = Ticket.objects.get().token
    expect(qr).to_have_attribute("src", f"/t/{token}/qr.svg")
    wait_for(page, "document.getElementById('p-qr').complete && document.getElementById('p-qr').naturalWidth > 0")
    assert page.evaluate("window.__printed") == 1
    qr_svg = httpx.get(f"{server.url}/t/{token}/qr.svg")
    assert qr_svg.headers["content-type"] == "image/svg+xml" and b"<svg" in qr_svg.content
    page.emulate_media(media="print")
    expect(page.locator("#print-ticket")).to_be_visible()
    expect(page.locator("#kiosk")).to_be_hidden()
    page.emulate_media(media="screen")
    # Back to the start screen by itself.
    expect(page.locator("#start")).to_be_visible(timeout=12000)
    expect(page.get_by_role("button", name="Льготная категория")).to_have_attribute("aria-pressed", "false")
    assert console.errors == []


def test_the_kiosk_of_a_closed_office_says_so(daphne, page, db):
    office = make_office("shut", all_day=False)
    add_services(office)
    OfficeHours.objects.create(office=office, weekday=0, opens=time(0, 0), closes=time(0, 1))
    server = daphne()
    console = ConsoleErrors(page)
    page.goto(f"{server.url}/kiosk/shut/")
    expect(page.locator("#closed")).to_be_visible()
    expect(page.locator("#closed-title")).to_have_text("Офис закрыт")
    expect(page.locator("#closed-hours")).to_contain_text("Пн: 00:00–00:01")
    expect(page.locator('button[data-service="fl"]')).to_be_disabled()
    assert console.errors == []


def test_the_kiosk_says_clearly_when_the_server_is_unreachable(daphne, page, site):
    server = daphne()
    page.add_init_script(NO_PRINT_DIALOG)
    page.goto(f"{server.url}/kiosk/site/")
    expect(page.locator("#kiosk")).to_have_attribute("data-connected", "1")
    server.stop()
    # The whole screen says so before anyone taps, and no tile takes a touch until the connection is back.
    expect(page.locator("#offline")).to_be_visible(timeout=5000)
    expect(page.locator(".offline-title")).to_have_text("Терминал временно не работает")
    expect(page.locator('button[data-service="fl"]')).to_be_disabled()
    server.start()
    expect(page.locator("#offline")).to_be_hidden(timeout=15000)
    expect(page.locator('button[data-service="fl"]')).to_be_enabled()


def test_operator_works_a_client_through_and_every_screen_follows_live(daphne, context, site):
    office, services, counter, operator, manager = site
    server = daphne()
    api = httpx.Client(base_url=server.url, timeout=10)
    first = api.post("/api/v1/offices/site/tickets/", json={"service": "fl"}).json()
    second = api.post("/api/v1/offices/site/tickets/", json={"service": "fl"}).json()

    sign_in(context, server, operator)
    desk, hall, phone = context.new_page(), context.new_page(), context.new_page()
    errors = [ConsoleErrors(p) for p in (desk, hall, phone)]
    hall.goto(f"{server.url}/display/site/?voice=0&chime=0")
    phone.goto(f"{server.url}/t/{second['token']}/")
    desk.goto(f"{server.url}/operator/{counter.pk}/")
    expect(phone.locator("#position")).to_have_text("1 человек")
    expect(desk.locator("#state-badge")).to_have_text("Окно открыто")
    expect(desk.locator("#queue-total")).to_have_text("(2)")
    expect(desk.locator('[data-action="start"]')).to_be_disabled()

    desk.keyboard.press("n")  # «Вызвать следующего»
    expect(desk.locator("#cur-number")).to_have_text(first["number"])
    expect(desk.locator('[data-action="call"]')).to_be_disabled()
    expect(hall.locator("#calls li").first).to_have_attribute("data-ticket", first["number"], timeout=2000)
    expect(phone.locator("#position")).to_have_text("никого", timeout=2000)

    desk.get_by_role("button", name="Начать обслуживание").click()
    expect(desk.locator("#cur-status")).to_have_text("обслуживается")
    desk.get_by_role("button", name="Завершить F", exact=True).click()
    expect(desk.locator("#cur-number")).to_have_text("—")
    expect(desk.locator("#served")).to_have_text("1")

    desk.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(desk.locator("#cur-number")).to_have_text(second["number"])
    expect(phone.locator("#called")).to_be_visible(timeout=2000)
    expect(phone.locator("#counter")).to_have_text("1")

    desk.get_by_role("button", name="Перенаправить").first.click()
    desk.get_by_label("На услугу").check()
    desk.locator("#transfer-service").select_option("cash")
    desk.get_by_label("в конец").check()
    desk.locator("#transfer-dialog").get_by_role("button", name="Перенаправить").click()
    expect(desk.locator("#message")).to_have_text(f"Талон {second['number']} перенаправлен.")
    expect(phone.locator("#status")).to_have_text("Ожидает вызова", timeout=2000)
    expect(hall.locator(f'#calls li[data-ticket="{second["number"]}"]')).to_have_class(re.compile(r"\bpast\b"))
    assert Ticket.objects.get(pk=second["id"]).service.code == "cash"

    third = api.post("/api/v1/offices/site/tickets/", json={"service": "fl"}).json()
    desk.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(desk.locator("#cur-number")).to_have_text(third["number"])
    desk.get_by_role("button", name="Не явился").click()
    expect(desk.locator("#cur-number")).to_have_text("—")
    assert Ticket.objects.get(pk=third["id"]).status == "no_show"

    desk.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(desk.locator("#message")).to_have_text("Очередь пуста: ожидающих клиентов нет.")
    for collected in errors:
        assert collected.errors == []


def test_a_second_tab_and_a_managers_change_stay_consistent(daphne, context, site):
    office, services, counter, operator, manager = site
    server = daphne()
    sign_in(context, server, operator)
    one, two = context.new_page(), context.new_page()
    for tab in (one, two):
        tab.goto(f"{server.url}/operator/{counter.pk}/")
        expect(tab.locator("#operator")).to_have_attribute("data-connected", "1")
    httpx.post(f"{server.url}/api/v1/offices/site/tickets/", json={"service": "fl"})
    one.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(two.locator("#cur-number")).to_have_text("А001", timeout=5000)
    two.get_by_role("button", name="Завершить F", exact=True).click()
    expect(one.locator("#cur-number")).to_have_text("—", timeout=5000)
    # A manager closes the counter elsewhere: the operator's next call is refused clearly.
    closed = httpx.post(
        f"{server.url}/api/v1/counters/{counter.pk}/state/",
        json={"state": "closed"},
        headers={"Authorization": token_client(manager)._credentials["HTTP_AUTHORIZATION"]},
    )
    assert closed.status_code == 200
    expect(one.locator("#state-badge")).to_have_text("Окно закрыто", timeout=5000)
    expect(one.get_by_role("button", name="Открыть окно")).to_be_enabled()


def test_an_operator_of_another_office_is_refused(daphne, page, site, django_user_model):
    office, services, counter, operator, manager = site
    other = make_office("elsewhere")
    stranger = make_user(django_user_model, "stranger", office=other, role=Membership.Role.OPERATOR)
    # The server process checks passwords with the production hasher, not the tests' fast one.
    hasher = PBKDF2PasswordHasher()
    stranger.password = hasher.encode("pass-12345", hasher.salt())
    stranger.save()
    server = daphne()
    page.goto(f"{server.url}/operator/{counter.pk}/")
    expect(page).to_have_url(f"{server.url}/login/?next=/operator/{counter.pk}/")
    page.get_by_label("Имя пользователя").fill("stranger")
    page.get_by_label("Пароль").fill("pass-12345")
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("heading", name="Нет доступа")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Вы не работаете в окнах этого офиса.")


def test_the_monitor_shows_offices_live_and_highlights_long_waits(daphne, context, site):
    office, services, counter, operator, manager = site
    office.wait_norm_minutes = 0
    office.save()
    server = daphne()
    sign_in(context, server, manager)
    page = context.new_page()
    console = ConsoleErrors(page)
    page.goto(f"{server.url}/monitor/")
    card = page.locator("#office-site")
    expect(card).to_have_attribute("data-connected", "1")
    expect(card.locator('[data-field="waiting"]')).to_have_text("0")
    httpx.post(f"{server.url}/api/v1/offices/site/tickets/", json={"service": "fl"})
    expect(card.locator('[data-field="waiting"]')).to_have_text("1", timeout=2000)
    expect(card).to_have_class(re.compile(r"\bover-norm\b"), timeout=3000)
    expect(card.locator('[data-field="counters"] tr').first).to_contain_text("открыто")
    assert console.errors == []
