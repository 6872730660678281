"""The hall display in headless Chromium: live calls, announcements, recovery after a restart."""

import httpx
import pytest
from playwright.sync_api import expect

from offices.models import Membership
from tests.helpers import ConsoleErrors, add_counter, add_services, make_office, make_user, token_client, wait_for
from tickets import services as svc

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1920, "height": 1080}}  # a hall TV


@pytest.fixture
def hall(django_user_model):
    office = make_office("hall", name="ЦОК Тестовый")
    office.ticker_text = "Контакт-центр: 1357"
    office.save()
    services = add_services(office)
    counters = {n: add_counter(office, n, [services["fl"]]) for n in ("1", "3")}
    operator = make_user(django_user_model, "hall-op", office=office, role=Membership.Role.OPERATOR)
    token = token_client(operator)._credentials["HTTP_AUTHORIZATION"]
    return office, services, counters, operator, token


def test_a_call_appears_and_is_announced_within_two_seconds(daphne, page, hall):
    office, services, counters, operator, token = hall
    server = daphne()
    console = ConsoleErrors(page)
    page.goto(f"{server.url}/display/hall/")
    expect(page.locator("#display")).to_have_attribute("data-connected", "1")
    expect(page.locator("#offline")).to_be_hidden()
    expect(page.locator("#ticker-text")).to_have_text("Контакт-центр: 1357")

    api = httpx.Client(base_url=server.url, headers={"Authorization": token}, timeout=10)
    for _ in range(15):
        assert api.post("/api/v1/offices/hall/tickets/", json={"service": "fl"}).status_code == 201
    expect(page.locator('[data-service="fl"]')).to_have_text("15", timeout=2000)

    # Two near-simultaneous calls: both shown, both announced in full, in order.
    first = api.post(f"/api/v1/counters/{counters['3'].pk}/call-next/").json()
    second = api.post(f"/api/v1/counters/{counters['1'].pk}/call-next/").json()
    latest = page.locator("#calls li").first
    expect(latest).to_have_attribute("data-ticket", second["number"], timeout=2000)
    expect(latest.locator(".counter")).to_have_text("1")
    expect(latest).to_have_class("call fresh ")
    expect(page.locator(f'#calls li[data-ticket="{first["number"]}"] .counter')).to_have_text("3")

    log = page.evaluate("window.announcer.log")
    assert [item["text"] for item in log] == [
        "Талон А один, пройдите к окну три",
        "Талон А два, пройдите к окну один",
    ]
    assert log[0]["clips"] == ["w_talon", "l_0410", "n_1", "w_go_to", "n_3"]
    assert all(item["chime"] and item["voice"] for item in log)
    # The queue plays them one after the other, and both finish.
    wait_for(page, "window.announcer.log.every(i => i.state === 'done')", timeout=15000)
    assert console.errors == []


def test_numbers_are_spelled_in_russian(daphne, page, hall):
    server = daphne()
    page.goto(f"{server.url}/display/hall/?voice=0")
    texts = page.evaluate(
        """[["А015", "3"], ["Б120", "12"], ["К1001", "2"], ["Я999", "5а"]].map(
            ([t, c]) => buildAnnouncement(t, c).text)"""
    )
    assert texts == [
        "Талон А пятнадцать, пройдите к окну три",
        "Талон Б сто двадцать, пройдите к окну двенадцать",
        "Талон К одна тысяча один, пройдите к окну два",
        "Талон Я девятьсот девяносто девять, пройдите к окну пять А",
    ]


def test_voice_can_be_switched_off_while_the_chime_stays(daphne, page, hall):
    office, services, counters, operator, token = hall
    server = daphne()
    page.goto(f"{server.url}/display/hall/?voice=0")
    expect(page.locator("#display")).to_have_attribute("data-connected", "1")
    svc.ticket_issue(office=office, service=services["fl"])
    httpx.post(f"{server.url}/api/v1/counters/{counters['1'].pk}/call-next/", headers={"Authorization": token})
    wait_for(page, "window.announcer.log.length === 1", timeout=2000)
    item = page.evaluate("window.announcer.log[0]")
    assert item["chime"] is True and item["voice"] is False


def test_the_display_reconnects_after_a_restart_and_shows_the_current_state(daphne, page, hall):
    office, services, counters, operator, token = hall
    server = daphne()
    console = ConsoleErrors(page, ignore=["WebSocket connection to", "ERR_CONNECTION_REFUSED"])
    page.goto(f"{server.url}/display/hall/")
    expect(page.locator("#display")).to_have_attribute("data-connected", "1")

    server.stop()
    expect(page.locator("#offline")).to_be_visible(timeout=5000)
    expect(page.locator("#offline")).to_have_text("Нет связи с сервером — табло обновится само")

    # While the server is down, the queue moves on (another process, say).
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_call_next(counter=counters["3"], operator=operator)
    svc.ticket_issue(office=office, service=services["fl"])

    server.start()
    expect(page.locator("#offline")).to_be_hidden(timeout=20000)
    expect(page.locator("#calls li").first).to_have_attribute("data-ticket", ticket.number)
    expect(page.locator('[data-service="fl"]')).to_have_text("1")
    assert console.errors == []


def test_a_closed_office_says_so_with_its_hours(daphne, page, db):
    from datetime import time

    from offices.models import OfficeHours

    office = make_office("shut", all_day=False)
    add_services(office)
    OfficeHours.objects.create(office=office, weekday=0, opens=time(0, 0), closes=time(0, 1))
    server = daphne()
    page.goto(f"{server.url}/display/shut/")
    expect(page.locator("#closed")).to_be_visible()
    expect(page.locator("#closed")).to_contain_text("Офис закрыт")
    expect(page.locator("#closed-next")).to_contain_text("Откроется ")
    expect(page.locator("#closed-next")).to_contain_text(" в 00:00")
    expect(page.locator("#closed-hours")).to_contain_text("Пн: 00:00–00:01")
    expect(page.locator("#closed-hours")).to_contain_text("Вс: выходной")
