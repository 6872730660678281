"""The whole pre-booking in headless Chromium: book on a phone, check in at the kiosk, be called on time."""

import threading
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from bookings.models import Booking
from offices.models import Membership
from tests.helpers import ConsoleErrors, add_counter, add_services, make_office, make_user
from tickets.services import ticket_call_next, ticket_issue

# The call is made in this process with its time injected; the hall display, in
# the Daphne process, hears of it through Redis.
pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

PHONE = {"width": 390, "height": 844}
KIOSK = {"width": 1080, "height": 1920}
ALL_DAY = {day: "00:00-24:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def office(django_user_model):
    office = make_office("bkb", name="ЦОК Запись", kiosk_open=True)
    services = add_services(office)
    fl = services["fl"]
    fl.booking_enabled, fl.slot_minutes, fl.per_slot, fl.cutoff_minutes, fl.booking_hours = True, 15, 2, 0, ALL_DAY
    fl.save()
    office.fl = fl
    office.counter = add_counter(office, "1", [fl])
    office.operator = make_user(django_user_model, "bkb-op", office=office, role=Membership.Role.OPERATOR)
    return office


def call_next_at(office, now):
    """ticket_call_next at ``now``, in a thread of its own: this one runs Playwright's event loop,
    in which the broadcast's async_to_sync refuses to run."""
    result = {}

    def call():
        from django.db import connection

        try:
            result["ticket"] = ticket_call_next(counter=office.counter, operator=office.operator, now=now)
        finally:
            connection.close()

    worker = threading.Thread(target=call)
    worker.start()
    worker.join(timeout=30)
    return result["ticket"]


def test_booked_on_the_phone_checked_in_at_the_kiosk_and_called_ahead_of_walk_ins(daphne, browser, office):
    server = daphne()
    walk_ins = [ticket_issue(office=office, service=office.fl) for _ in range(2)]

    phone = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True).new_page()
    console = ConsoleErrors(phone)
    phone.goto(f"{server.url}/book/bkb/")
    phone.get_by_role("link", name="Физические лица").click()
    phone.locator("a.day").first.click()
    # The next slot starts within 15 minutes: check-in is open for it at once.
    phone.locator(".time:not(.full)").first.click()
    phone.get_by_role("textbox", name="Имя").fill("Анна")
    phone.get_by_role("textbox", name="Телефон").fill("+7 900 555-44-33")
    phone.locator(".consent input").check()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.get_by_role("button", name="Записаться").click()
    expect(phone.locator("#status")).to_have_text("Записан")
    code = phone.locator("#code").inner_text()
    assert len(code) == 6 and code.isdigit()
    booking = Booking.objects.get(code=code)
    assert booking.name == "Анна" and booking.phone == "79005554433"
    expect(phone.locator("img.qr")).to_be_visible()
    assert console.errors == []

    display = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    display.goto(f"{server.url}/display/bkb/")
    expect(display.locator("#display")).to_have_attribute("data-connected", "1")

    kiosk = browser.new_context(viewport=KIOSK, has_touch=True).new_page()
    kiosk.add_init_script("window.print = () => {};")
    kiosk.goto(f"{server.url}/kiosk/bkb/")
    expect(kiosk.locator("#kiosk")).to_have_attribute("data-connected", "1")
    kiosk.get_by_role("button", name="У меня предварительная запись").click()
    expect(kiosk.locator("#keypad")).to_be_visible()
    box = kiosk.locator('#keypad [data-digit="5"]').bounding_box()
    assert box["width"] >= 150 and box["height"] >= 90  # a large keypad
    for digit in code:
        kiosk.locator(f'#keypad [data-digit="{digit}"]').click()
    expect(kiosk.locator("#keypad-code")).to_have_attribute("data-code", code)
    kiosk.get_by_role("button", name="Получить талон").click()
    expect(kiosk.locator("#t-number")).to_have_text("З001")
    expect(kiosk.locator("#t-booked")).to_contain_text("По записи на")

    # Time injected: the moment the slot starts, the booked client goes first.
    called = call_next_at(office, booking.start + timedelta(seconds=1))
    assert called.number == "З001"
    assert all(t.number.startswith("А") for t in walk_ins)
    expect(display.locator("#calls li").first).to_have_attribute("data-ticket", "З001", timeout=5000)

    phone.goto(f"{server.url}/b/{booking.token}/")
    expect(phone.locator("#status")).to_have_text("Получил талон")
    expect(phone.get_by_role("link", name="Ваш талон З001")).to_be_visible()
