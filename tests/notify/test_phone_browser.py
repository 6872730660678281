"""The client's phone (390×844) subscribes to its ticket in Telegram; the call reaches the chat and an SMS, once."""

import time
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from bookings.models import Booking
from bookings.services import booking_check_in
from offices.models import Membership
from tests.events.test_workers import wait_for
from tests.helpers import ConsoleErrors, add_counter, add_services, make_office, make_user
from tests.receiver import FakeReceiver
from tests.servers import EventWorker

from .fakes import TOKEN, FakeTelegram

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]


class NotifyLoop(EventWorker):
    COMMAND = ["manage.py", "notify"]


@pytest.fixture
def fakes():
    telegram, gateway = FakeTelegram().start(), FakeReceiver().start()
    yield telegram, gateway
    telegram.stop()
    gateway.stop()


def called(texts: list[str]) -> list[str]:
    return [t for t in texts if "вызван к окну" in t]


def test_the_phone_subscribes_in_telegram_and_the_call_arrives_once_by_telegram_and_sms(
    browser, daphne, django_user_model, fakes, tmp_path
):
    telegram, gateway = fakes
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BOT_USERNAME": "queue_test_bot",
        "TELEGRAM_API_URL": telegram.url,
        "SMS_GATEWAY_URL": gateway.url,
        "SMS_GATEWAY_AUTH": "Bearer sms-key",
        "NOTIFY_POLL_SECONDS": "0.1",
        "WEBHOOK_POLL_SECONDS": "0.05",
    }
    office = make_office("hall", name="ЦОК Тестовый")
    services = add_services(office)
    counter = add_counter(office, "3", [services["fl"]])
    operator = make_user(django_user_model, "hall-op", office=office, role=Membership.Role.OPERATOR)
    server = daphne(**env)
    loops = [NotifyLoop(log_dir=tmp_path / "notify", **env).start(), EventWorker(log_dir=tmp_path, **env).start()]
    staff = httpx.Client(
        base_url=server.url, timeout=10, headers={"Authorization": f"Token {Token.objects.create(user=operator).key}"}
    )
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    # No Telegram from the test machine: the deep link's address is what counts (a route
    # does not see a redirect's target, so the requests are watched instead, and refused).
    deep_links = []
    context.on("request", lambda request: deep_links.append(request.url) if "t.me/" in request.url else None)
    try:
        ticket = httpx.post(f"{server.url}/api/v1/offices/hall/tickets/", json={"service": "fl"}).json()
        phone = context.new_page()
        console = ConsoleErrors(phone)
        phone.goto(f"{server.url}/t/{ticket['token']}/")
        expect(phone.locator("#tracking")).to_have_attribute("data-connected", "1")
        button = phone.get_by_role("button", name="Уведомить в Telegram")
        expect(button).to_be_visible()
        with context.expect_page():
            button.tap()
        wait_for(lambda: deep_links, timeout=10)
        assert deep_links[0].startswith("https://t.me/queue_test_bot?start=")
        code = deep_links[0].rsplit("=", 1)[1]
        # The client presses «Start» in Telegram: the bot gets /start <code> through getUpdates.
        telegram.send_start(4242, f"/start {code}")
        wait_for(lambda: any("Готово" in t for t in telegram.texts(4242)), timeout=15)
        assert telegram.texts(4242) == ["Готово: сообщим сюда, когда подойдёт очередь талона А001 (ЦОК Тестовый)."]

        # A booked client with a phone checks in: the SMS gateway hears of their ticket.
        now = timezone.now()
        Booking.objects.create(
            office=office,
            service=services["fl"],
            start=now + timedelta(minutes=5),
            end=now + timedelta(minutes=20),
            local_date=office.local_date(now),
            code="123456",
            phone="79001234567",
            consent=True,
            created_at=now - timedelta(days=3),
        )
        booked = booking_check_in(office=office, code="123456").ticket

        for expected in (ticket["number"], booked.number):
            response = staff.post(f"/api/v1/counters/{counter.pk}/call-next/")
            assert response.status_code == 200, response.text
            assert response.json()["number"] == expected
            if expected == ticket["number"]:
                expect(phone.locator("#counter")).to_have_text("3")
            assert staff.post(f"/api/v1/tickets/{response.json()['id']}/finish/").status_code == 200
        wait_for(lambda: called(telegram.texts(4242)), timeout=15)
        wait_for(lambda: called([r.payload["text"] for r in gateway.accepted()]), timeout=15)
        time.sleep(1.5)  # a second copy, if any, would come by now
        assert called(telegram.texts(4242)) == ["Ваш талон А001 вызван к окну 3."]
        assert called([r.payload["text"] for r in gateway.accepted()]) == [
            f"Ваш талон {booked.number} вызван к окну 3."
        ]
        assert {r.payload["phone"] for r in gateway.accepted()} == {"+79001234567"}
        assert console.errors == []
    finally:
        context.close()
        for loop in loops:
            loop.stop()
