"""The hall TV (1920×1080) under Chromium's default autoplay policy: what it shows when sound is
blocked or the connection is lost, with an injected clock instead of waiting."""

import httpx
import pytest
from playwright.sync_api import expect

from offices.models import Membership
from tests.helpers import ConsoleErrors, add_counter, add_services, make_office, make_user, token_client, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

TV = {"width": 1920, "height": 1080}


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": TV}


@pytest.fixture
def hall(django_user_model):
    office = make_office("tv")
    services = add_services(office)
    counter = add_counter(office, "4", [services["fl"]])
    operator = make_user(django_user_model, "tv-op", office=office, role=Membership.Role.OPERATOR)
    auth = {"Authorization": token_client(operator)._credentials["HTTP_AUTHORIZATION"]}
    return office, counter, auth


def assert_readable_across_the_hall(banner):
    box = banner.bounding_box()
    assert box["width"] >= TV["width"] - 1
    assert banner.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 48


def test_blocked_sound_shows_a_large_banner_until_someone_taps_it(daphne, page, hall):
    office, counter, auth = hall
    server = daphne()
    page.goto(f"{server.url}/display/tv/")
    expect(page.locator("#display")).to_have_attribute("data-connected", "1")
    banner = page.locator("#enable-sound")
    expect(banner).to_have_text("Звук выключен — нажмите, чтобы включить")
    expect(banner).to_be_visible()
    assert_readable_across_the_hall(banner)
    assert page.evaluate("window.announcer.stateAtStart") == "suspended"
    # Playwright's evaluate counts as a user activation, after which Chromium resumes a suspended
    # context by itself when the chime starts: so no call is made before the tap here.
    banner.click()  # as someone in the hall would
    expect(banner).to_be_hidden()
    assert page.evaluate("window.announcer.audio.state") == "running"
    api = httpx.Client(base_url=server.url, headers=auth, timeout=10)
    api.post("/api/v1/offices/tv/tickets/", json={"service": "fl"})
    api.post(f"/api/v1/counters/{counter.pk}/call-next/")
    wait_for(page, "window.announcer.log.length === 1 && window.announcer.log[0].state === 'done'", timeout=15000)
    assert page.evaluate("window.announcer.log[0].audio") == "running"


def test_offline_calls_lose_their_highlight_after_a_minute_and_clear_after_five(daphne, page, hall):
    office, counter, auth = hall
    server = daphne()
    console = ConsoleErrors(page, ignore=["WebSocket connection to", "ERR_CONNECTION_REFUSED"])
    page.clock.install()
    page.goto(f"{server.url}/display/tv/?voice=0&chime=0")
    expect(page.locator("#display")).to_have_attribute("data-connected", "1")
    expect(page.locator("#offline")).to_be_hidden()
    api = httpx.Client(base_url=server.url, headers=auth, timeout=10)
    number = api.post("/api/v1/offices/tv/tickets/", json={"service": "fl"}).json()["number"]
    api.post(f"/api/v1/counters/{counter.pk}/call-next/")
    call = page.locator(f'#calls li[data-ticket="{number}"]')
    expect(call).to_have_class("call fresh ")

    server.stop()
    offline = page.locator("#offline")
    expect(offline).to_be_visible(timeout=5000)
    expect(offline).to_have_text("Нет связи с сервером — табло обновится само")
    assert_readable_across_the_hall(offline)

    page.clock.fast_forward(30_000)
    expect(call).to_have_class("call  ")  # still the current call, without the first flash
    page.clock.fast_forward(35_000)  # the call is now over a minute old
    expect(call).to_have_class("call  stale")
    page.clock.fast_forward("04:00")  # five minutes offline
    expect(page.locator("#calls li")).to_have_text(["Вызовы появятся, когда связь восстановится"])
    expect(offline).to_be_visible()
    assert console.errors == []


def test_back_online_the_display_shows_the_current_calls_again(daphne, page, hall):
    office, counter, auth = hall
    server = daphne()
    page.clock.install()
    page.goto(f"{server.url}/display/tv/?voice=0&chime=0")
    expect(page.locator("#display")).to_have_attribute("data-connected", "1")
    api = httpx.Client(base_url=server.url, headers=auth, timeout=10)
    number = api.post("/api/v1/offices/tv/tickets/", json={"service": "fl"}).json()["number"]
    api.post(f"/api/v1/counters/{counter.pk}/call-next/")
    # The call is announced just after its answer (tickets/dispatch.py): on screen before the server goes.
    expect(page.locator(f'#calls li[data-ticket="{number}"]')).to_have_count(1)
    server.stop()
    expect(page.locator("#offline")).to_be_visible(timeout=5000)
    page.clock.fast_forward("06:00")
    expect(page.locator(f'#calls li[data-ticket="{number}"]')).to_have_count(0)
    server.start()
    page.clock.fast_forward(10_000)  # the next reconnect attempt
    expect(page.locator("#offline")).to_be_hidden(timeout=10000)
    # The snapshot brings the call back; it is no longer highlighted as stale.
    expect(page.locator(f'#calls li[data-ticket="{number}"]')).to_have_class("call  ")
