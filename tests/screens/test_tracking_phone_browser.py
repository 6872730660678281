"""The client's phone at 390×844 under Chromium's default autoplay policy: alert, transfer, giving up, states."""

import re
import time

import httpx
import pytest
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from offices.models import Membership
from tests.helpers import CHROMIUM_ARGS, ConsoleErrors, add_counter, add_services, make_office, make_user, wait_for
from tickets import services as svc
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

# Every AudioContext the page makes, every tone it starts (with its context's state at that moment)
# and every vibration it asks for (with the browser's answer: false while it is still locked).
RECORDER = """
window.__contexts = []; window.__tones = []; window.__vibrations = [];
(function () {
  const Original = window.AudioContext;
  window.AudioContext = class extends Original {
    constructor(...args) { super(...args); window.__contexts.push(this); }
  };
  const createOscillator = Original.prototype.createOscillator;
  Original.prototype.createOscillator = function () {
    const osc = createOscillator.call(this), context = this, start = osc.start.bind(osc);
    osc.start = function (...args) {
      window.__tones.push({ frequency: osc.frequency.value, state: context.state });
      return start(...args);
    };
    return osc;
  };
  const vibrate = navigator.vibrate.bind(navigator);
  navigator.vibrate = function (pattern) {
    const ok = vibrate(pattern);
    window.__vibrations.push({ pattern, ok });
    return ok;
  };
})();
"""
PROMISE = "телефон подаст сигнал"


@pytest.fixture(scope="module")
def default_policy_browser(browser_type_launch_args, browser_type):
    # The launch args first: they create the test database before Playwright starts its event loop.
    """Chromium as a phone has it: sound stays locked until a user gesture, whatever the suite's default flags."""
    args = [arg for arg in CHROMIUM_ARGS if not arg.startswith("--autoplay-policy")]
    browser = browser_type.launch(**{**browser_type_launch_args, "args": args})
    yield browser
    browser.close()


@pytest.fixture
def phone(default_policy_browser):
    context = default_policy_browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.add_init_script(RECORDER)
    yield page
    context.close()


@pytest.fixture
def hall(django_user_model, daphne):
    office = make_office("hall", name="ЦОК Тестовый")
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]])
    add_counter(office, "2", [services["cash"]])
    operator = make_user(django_user_model, "hall-op", office=office, role=Membership.Role.OPERATOR)
    server = daphne(TICKET_CANCELS_PER_CLIENT="1000/hour")
    kiosk = httpx.Client(base_url=server.url, timeout=10)
    staff = httpx.Client(
        base_url=server.url, timeout=10, headers={"Authorization": f"Token {Token.objects.create(user=operator).key}"}
    )
    return server, kiosk, staff, counter


def visible_text(page) -> str:
    return page.inner_text("body")  # innerText: only what is rendered


def open_ticket(phone, server, ticket) -> ConsoleErrors:
    console = ConsoleErrors(phone)
    phone.goto(f"{server.url}/t/{ticket['token']}/")
    expect(phone.locator("#tracking")).to_have_attribute("data-connected", "1")
    return console


class Peek:
    """Reads the page without touching it.

    Every Playwright evaluation, expect() and locator query included, runs as a
    user gesture and so unlocks sound (navigator.userActivation turns true). Before
    the tap under test, the page is read through the debugging protocol's plain
    Runtime.evaluate, which is not a gesture.
    """

    def __init__(self, page):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)

    def __call__(self, expression: str):
        answer = self.cdp.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return answer["result"].get("value")

    def wait(self, expression: str, timeout: float = 5) -> None:
        deadline = time.monotonic() + timeout
        while not self(expression):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            time.sleep(0.05)


def open_untouched(phone, server, ticket) -> Peek:
    phone.goto(f"{server.url}/t/{ticket['token']}/")
    peek = Peek(phone)
    peek.wait("document.getElementById('tracking').dataset.connected === '1'")
    assert peek("navigator.userActivation.hasBeenActive") is False
    return peek


def test_the_alert_unlocks_sound_and_vibration_with_the_tap_and_a_call_then_signals(phone, hall):
    server, kiosk, staff, counter = hall
    ticket = kiosk.post("/api/v1/offices/hall/tickets/", json={"service": "fl"}).json()
    console = ConsoleErrors(phone)
    peek = open_untouched(phone, server, ticket)

    # Before the tap: no running audio, and the page says how to enable the signal without promising it.
    assert peek("window.__contexts.every((c) => c.state !== 'running')") is True
    assert peek("document.getElementById('alert-on').checkVisibility()") is True
    how = peek("document.getElementById('alert-how').innerText")
    assert how.startswith("Нажмите «Включить оповещение», чтобы телефон подал звуковой сигнал и вибрацию")
    assert PROMISE not in peek("document.body.innerText")
    assert peek("navigator.userActivation.hasBeenActive") is False  # nothing above touched the page

    button = phone.get_by_role("button", name="Включить оповещение")
    button.tap()
    wait_for(phone, "window.__contexts.length === 1 && window.__contexts[0].state === 'running'")
    expect(phone.locator("#alert-done")).to_have_text("Оповещение включено: телефон подаст сигнал, когда вас вызовут.")
    expect(button).to_be_hidden()
    assert [t["frequency"] for t in phone.evaluate("window.__tones")] == [660]  # the confirmation tone
    assert phone.evaluate("window.__vibrations") == [{"pattern": 150, "ok": True}]

    staff.post(f"/api/v1/counters/{counter.pk}/call-next/").raise_for_status()
    expect(phone.locator("#status")).to_have_text("Вас вызывают к окну 1")
    wait_for(phone, "window.__tones.filter((t) => t.frequency === 880).length === 2")
    assert {t["state"] for t in phone.evaluate("window.__tones") if t["frequency"] == 880} == {"running"}
    assert phone.evaluate("window.__vibrations[1]") == {"pattern": [300, 150, 300, 150, 600], "ok": True}
    assert phone.evaluate("window.__contexts.length") == 1  # the unlocked context, not a new one
    # Called: the promise is kept, and no longer shown.
    assert PROMISE not in visible_text(phone)
    assert console.errors == []


def test_without_the_tap_the_browser_keeps_sound_and_vibration_locked(phone, hall):
    # What the button is for, and proof that the policy under test is Chromium's default:
    # on a page nobody touched, sound stays suspended; the call is shown, and the page does not
    # try to sound or vibrate (the refused vibration was a console error on the client's phone).
    server, kiosk, staff, counter = hall
    ticket = kiosk.post("/api/v1/offices/hall/tickets/", json={"service": "fl"}).json()
    console = ConsoleErrors(phone)
    peek = open_untouched(phone, server, ticket)
    staff.post(f"/api/v1/counters/{counter.pk}/call-next/").raise_for_status()
    peek.wait("document.getElementById('tracking').dataset.status === 'called'")
    assert peek("document.getElementById('status').innerText") == "Вас вызывают к окну 1"
    phone.wait_for_timeout(300)
    assert peek("window.__tones.length + window.__vibrations.length") == 0
    assert peek("(new AudioContext()).state") == "suspended"
    assert console.errors == []


def test_after_a_transfer_the_phone_shows_the_new_service_without_reload(phone, hall):
    server, kiosk, staff, counter = hall
    ticket = kiosk.post("/api/v1/offices/hall/tickets/", json={"service": "fl"}).json()
    open_ticket(phone, server, ticket)
    expect(phone.locator("#service")).to_have_text("Физические лица")
    phone.evaluate("window.__sameDocument = true")
    called = staff.post(f"/api/v1/counters/{counter.pk}/call-next/").json()
    expect(phone.locator("#status")).to_have_text("Вас вызывают к окну 1")
    staff.post(f"/api/v1/tickets/{called['id']}/transfer/", json={"service": "cash"}).raise_for_status()
    expect(phone.locator("#service")).to_have_text("Касса")
    expect(phone.locator("#status")).to_have_text("Ожидает вызова")
    expect(phone.locator("#position")).to_have_text("никого")
    assert phone.evaluate("window.__sameDocument") is True
    # A reload agrees with what the socket said.
    phone.reload()
    expect(phone.locator("#service")).to_have_text("Касса")


def test_the_client_gives_up_the_ticket_after_confirming(phone, hall):
    server, kiosk, staff, counter = hall
    first = kiosk.post("/api/v1/offices/hall/tickets/", json={"service": "fl"}).json()
    mine = kiosk.post("/api/v1/offices/hall/tickets/", json={"service": "fl"}).json()
    console = open_ticket(phone, server, mine)
    expect(phone.locator("#position")).to_have_text("1 человек")
    phone.screenshot(path="/tmp/h2-phone-waiting.png")

    phone.get_by_role("button", name="Отказаться от талона").tap()
    dialog = phone.get_by_role("alertdialog")
    expect(dialog).to_contain_text(f"Отказаться от талона {mine['number']}? Ваше место в очереди освободится")
    phone.screenshot(path="/tmp/h2-phone-confirm.png")
    phone.get_by_role("button", name="Нет, остаюсь в очереди").tap()
    expect(dialog).to_be_hidden()
    assert Ticket.objects.get(token=mine["token"]).status == "waiting"

    phone.get_by_role("button", name="Отказаться от талона").tap()
    phone.get_by_role("button", name="Да, отказаться").tap()
    expect(phone.locator("#status")).to_have_text("Талон отменён, место в очереди освобождено")
    assert Ticket.objects.get(token=mine["token"]).status == "cancelled"
    for gone in ("#cancel", "#alert", "#waiting", "#called"):
        expect(phone.locator(gone)).to_be_hidden()
    assert PROMISE not in visible_text(phone)
    # The place is free: the client behind is first now, and the desk calls the first client as before.
    assert staff.post(f"/api/v1/counters/{counter.pk}/call-next/").json()["number"] == first["number"]
    assert console.errors == []


def test_the_texts_and_buttons_follow_the_ticket_through_its_states(phone, hall):
    server, kiosk, staff, counter = hall
    ticket = kiosk.post("/api/v1/offices/hall/tickets/", json={"service": "fl"}).json()
    open_ticket(phone, server, ticket)
    alert, cancel = phone.locator("#alert"), phone.locator("#cancel")

    # Waiting: how many ahead, the alert and the way out.
    expect(phone.locator("#status")).to_have_text("Ожидает вызова")
    expect(phone.locator("#waiting")).to_contain_text("Перед вами: никого")
    expect(alert).to_be_visible()
    expect(cancel).to_be_visible()
    phone.get_by_role("button", name="Включить оповещение").tap()
    assert PROMISE in visible_text(phone)

    called = staff.post(f"/api/v1/counters/{counter.pk}/call-next/").json()
    expect(phone.locator("#status")).to_have_text("Вас вызывают к окну 1")
    expect(phone.locator("#counter")).to_have_text("1")
    for gone in (alert, cancel, phone.locator("#waiting")):
        expect(gone).to_be_hidden()
    assert PROMISE not in visible_text(phone)

    staff.post(f"/api/v1/tickets/{called['id']}/start/", json={}).raise_for_status()
    expect(phone.locator("#status")).to_have_text("Вас обслуживают у окна 1")

    staff.post(f"/api/v1/tickets/{called['id']}/finish/", json={}).raise_for_status()
    expect(phone.locator("#status")).to_have_text("Обслуживание завершено. Спасибо!")
    for gone in (alert, cancel, phone.locator("#waiting"), phone.locator("#called")):
        expect(gone).to_be_hidden()
    assert PROMISE not in visible_text(phone)
    phone.screenshot(path="/tmp/h2-phone-done.png")

    # No-show, cancelled by staff, expired: each says so, none offers or promises anything.
    endings = []
    absent = kiosk.post("/api/v1/offices/hall/tickets/", json={"service": "fl"}).json()
    open_ticket(phone, server, absent)
    staff.post(f"/api/v1/counters/{counter.pk}/call-next/").raise_for_status()
    expect(phone.locator("#status")).to_have_text("Вас вызывают к окну 1")
    staff.post(f"/api/v1/tickets/{absent['id']}/no-show/", json={}).raise_for_status()
    endings.append("Талон закрыт: вы не подошли к окну")
    expect(phone.locator("#status")).to_have_text(endings[-1])
    assert PROMISE not in visible_text(phone) and not alert.is_visible() and not cancel.is_visible()

    withdrawn = kiosk.post("/api/v1/offices/hall/tickets/", json={"service": "fl"}).json()
    open_ticket(phone, server, withdrawn)
    staff.post(f"/api/v1/tickets/{withdrawn['id']}/cancel/").raise_for_status()
    expect(phone.locator("#status")).to_have_text("Талон отменён, место в очереди освобождено")
    assert PROMISE not in visible_text(phone) and not alert.is_visible() and not cancel.is_visible()

    stale = kiosk.post("/api/v1/offices/hall/tickets/", json={"service": "fl"}).json()
    svc.close_day(include_today=True)  # in this process: the page learns it from its snapshot on reload
    open_ticket(phone, server, stale)
    expect(phone.locator("#status")).to_have_text("Срок действия талона истёк")
    assert phone.locator("#tracking").get_attribute("data-status") == "expired"
    assert PROMISE not in visible_text(phone) and not alert.is_visible() and not cancel.is_visible()


def test_a_ticket_called_while_the_client_confirms_says_why_it_cannot_be_given_up(phone, hall):
    server, kiosk, staff, counter = hall
    mine = kiosk.post("/api/v1/offices/hall/tickets/", json={"service": "fl"}).json()
    # The socket's news is held back, so that the page still offers the button when the call happens.
    held, relay_state = [], {"holding": False, "page": None}

    def relay(ws):
        relay_state["page"] = ws
        upstream = ws.connect_to_server()
        upstream.on_message(lambda m: held.append(m) if relay_state["holding"] else ws.send(m))

    phone.route_web_socket(re.compile(r"/ws/tickets/"), relay)
    open_ticket(phone, server, mine)
    phone.get_by_role("button", name="Отказаться от талона").tap()
    relay_state["holding"] = True
    staff.post(f"/api/v1/counters/{counter.pk}/call-next/").raise_for_status()
    phone.get_by_role("button", name="Да, отказаться").tap()
    expect(phone.locator("#cancel-error")).to_have_text("Талон уже не ожидает в очереди: отказаться от него нельзя.")
    expect(phone.get_by_role("alertdialog")).to_be_hidden()
    assert Ticket.objects.get(token=mine["token"]).status == "called"
    # The held news arrives: the page shows the call and drops the button.
    relay_state["holding"] = False
    for message in held:
        relay_state["page"].send(message)
    expect(phone.locator("#status")).to_have_text("Вас вызывают к окну 1")
    expect(phone.locator("#cancel")).to_be_hidden()
