"""The bot: webhook mode (its secret header checked before anything is read), polling, the phone page's button."""

import pytest

from notify.bot import poll_once
from notify.models import Subscriber
from notify.services import subscriber_start
from tickets import services as ts

pytestmark = pytest.mark.django_db
SECRET = "webhook-secret-0123456789"


@pytest.fixture
def webhook_mode(telegram, settings):
    settings.TELEGRAM_MODE = "webhook"
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET


def start_update(code: str) -> dict:
    return {"update_id": 1, "message": {"message_id": 1, "chat": {"id": 777}, "text": f"/start {code}"}}


@pytest.mark.parametrize("header", [{}, {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": "wrong"}])
def test_a_wrong_secret_is_refused_with_a_code_and_links_nothing(webhook_mode, anon, office, services, header):
    code = subscriber_start(ticket=ts.ticket_issue(office=office, service=services["fl"])).rsplit("=", 1)[1]
    response = anon.post("/notify/telegram/", start_update(code), format="json", **header)
    assert response.status_code == 403
    assert response.json() == {
        "error": {"code": "telegram_secret_invalid", "message": "Неверный секретный токен Telegram."}
    }
    assert not Subscriber.objects.exclude(chat_id="").exists()


def test_the_right_secret_links_the_chat_and_answers_in_the_response(webhook_mode, anon, office, services):
    ticket = ts.ticket_issue(office=office, service=services["fl"])
    code = subscriber_start(ticket=ticket).rsplit("=", 1)[1]
    response = anon.post(
        "/notify/telegram/", start_update(code), format="json", HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET
    )
    assert response.status_code == 200
    assert response.json()["method"] == "sendMessage" and response.json()["chat_id"] == "777"
    assert "А001" in response.json()["text"]
    assert Subscriber.objects.get(ticket=ticket).chat_id == "777"


def test_a_body_that_is_not_an_update_is_a_400(webhook_mode, anon):
    response = anon.generic(
        "POST",
        "/notify/telegram/",
        b"[1,",
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET,
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "telegram_update_invalid"


def test_in_polling_mode_or_without_a_bot_there_is_no_webhook(telegram, anon, settings):
    assert anon.post("/notify/telegram/", {}, format="json").status_code == 404
    settings.TELEGRAM_BOT_TOKEN = ""
    assert anon.post("/t/whatever/telegram/").status_code == 404


@pytest.mark.parametrize(
    "message",
    [
        {"chat": {"id": 1}, "text": "/start a\u0000b"},
        {"chat": {"id": 1}, "text": "/start " + "x" * 5000},
        {"chat": {"id": 2**70}, "text": "/start abc"},
        {"chat": {"id": "1"}, "text": "/start abc"},
        {"chat": {"id": 1}},
        "not a message",
    ],
)
def test_hostile_updates_are_answered_or_ignored_never_a_500(webhook_mode, anon, db, message):
    response = anon.post(
        "/notify/telegram/",
        {"update_id": 1, "message": message},
        format="json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET,
    )
    assert response.status_code == 200
    assert response.json() in ({}, {"method": "sendMessage", "chat_id": "1", "text": response.json().get("text")})
    assert not Subscriber.objects.exists()


def test_the_phone_page_offers_telegram_only_when_a_bot_is_configured(anon, settings, office, services):
    ticket = ts.ticket_issue(office=office, service=services["fl"])
    assert "Уведомить в Telegram" not in anon.get(f"/t/{ticket.token}/").content.decode()
    settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_BOT_USERNAME = "1:x", "queue_test_bot"
    page = anon.get(f"/t/{ticket.token}/").content.decode()
    assert "Уведомить в Telegram" in page and f'action="/t/{ticket.token}/telegram/"' in page


def test_the_button_leads_to_the_bot_with_one_code_per_hour(anon, settings, office, services):
    settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_BOT_USERNAME = "1:x", "queue_test_bot"
    ticket = ts.ticket_issue(office=office, service=services["fl"])
    first = anon.post(f"/t/{ticket.token}/telegram/")
    again = anon.post(f"/t/{ticket.token}/telegram/")
    assert first.status_code == 303 and first["Location"].startswith("https://t.me/queue_test_bot?start=")
    assert again["Location"] == first["Location"]
    assert Subscriber.objects.count() == 1
    ts.ticket_cancel(ticket=ticket)
    assert anon.post(f"/t/{ticket.token}/telegram/")["Location"] == f"/t/{ticket.token}/"


def test_polling_links_the_chat_answers_and_moves_past_the_update(telegram, office, services):
    ticket = ts.ticket_issue(office=office, service=services["fl"])
    code = subscriber_start(ticket=ticket).rsplit("=", 1)[1]
    telegram.send_start(31, f"/start {code}")
    telegram.send_start(32, "привет")
    offset, handled = poll_once(0, 0)
    assert (offset, handled) == (3, 2)
    assert telegram.texts(31) == ["Готово: сообщим сюда, когда подойдёт очередь талона А001 (ЦОК main)."]
    assert telegram.texts(32)[0].startswith("Здравствуйте!")
    assert poll_once(offset, 0) == (3, 0)  # confirmed: not handled again
    assert Subscriber.objects.get(ticket=ticket).chat_id == "31"


def test_polling_survives_telegram_being_down(telegram):
    telegram.stop()
    assert poll_once(7, 0) == (7, 0)
