"""What a client is told through the outbox: once per event and recipient, retried, ended with the ticket."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.services import booking_check_in, booking_create, bookings_close_day
from events.models import Attempt, Delivery, Event
from events.services import deliver_batch, event_record_for_channel
from notify.channels import Telegram
from notify.models import Message, Subscriber
from notify.services import notify_due, subscriber_link, subscriber_start, subscriptions_end
from tickets import services as ts
from tickets.models import Ticket

from ..bookings.conftest import NOW, booking_office  # noqa: F401

pytestmark = pytest.mark.django_db
CHAT = 5551


def subscribe(ticket: Ticket, chat_id: int = CHAT) -> Subscriber:
    link = subscriber_start(ticket=ticket)
    assert link.startswith("https://t.me/queue_test_bot?start=")
    answer, subscriber = subscriber_link(code=link.rsplit("=", 1)[1], chat_id=str(chat_id))
    assert subscriber is not None, answer
    return subscriber


def deliver_all(timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while Delivery.objects.filter(status=Delivery.Status.PENDING).exists():
        assert time.monotonic() < deadline, "deliveries still pending"
        if not deliver_batch():
            time.sleep(0.02)


def call(counter, operator) -> Ticket:
    return ts.ticket_call_next(counter=counter, operator=operator)


def test_the_call_reaches_a_subscribed_chat_once_however_often_the_loop_looks(
    telegram, office, services, counters, operator
):
    ticket = ts.ticket_issue(office=office, service=services["fl"])
    subscribe(ticket)
    assert call(counters["1"], operator).pk == ticket.pk
    for _ in range(3):
        notify_due()
    deliver_all()
    assert [t for t in telegram.texts(CHAT) if "вызван к окну" in t] == [f"Ваш талон {ticket.number} вызван к окну 1."]
    assert Message.objects.filter(key__contains=":called:").count() == 1
    # The event names the subscriber, never the chat.
    assert str(CHAT) not in str(list(Event.objects.values_list("data", flat=True)))


def test_a_refused_message_is_retried_through_the_outbox_and_logged(telegram, office, services, counters, operator):
    telegram.refuse_first = 2
    ticket = ts.ticket_issue(office=office, service=services["fl"])
    subscribe(ticket)
    call(counters["1"], operator)
    notify_due()
    deliver_all()
    delivery = Delivery.objects.get(channel="telegram", event__type="notify.called")
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 3
    assert [a.status_code for a in Attempt.objects.filter(delivery=delivery)] == [502, 502, 200]
    assert telegram.texts(CHAT) == [f"Ваш талон {ticket.number} вызван к окну 1."]


def test_ahead_is_told_once_when_notify_ahead_are_left(telegram, settings, office, services, counters, operator):
    settings.NOTIFY_AHEAD = 2
    tickets = [ts.ticket_issue(office=office, service=services["fl"]) for _ in range(5)]
    subscribe(tickets[4])
    notify_due()
    assert not Message.objects.exists()  # four ahead
    call(counters["1"], operator)
    ts.ticket_finish(ticket=Ticket.objects.get(pk=tickets[0].pk), operator=operator)
    notify_due()
    assert not Message.objects.exists()  # three ahead
    call(counters["1"], operator)
    notify_due()
    ts.ticket_finish(ticket=Ticket.objects.get(pk=tickets[1].pk), operator=operator)
    call(counters["1"], operator)
    notify_due()
    deliver_all()
    assert telegram.texts(CHAT) == ["Перед вами 2 человека. Ваш талон А005, пожалуйста, будьте рядом."]


def test_transfer_and_postponement_are_told(telegram, office, services, counters, operator):
    ticket = ts.ticket_issue(office=office, service=services["fl"])
    subscribe(ticket)
    call(counters["1"], operator)
    ts.ticket_postpone(ticket=Ticket.objects.get(pk=ticket.pk), operator=operator, minutes=10)
    notify_due()
    deliver_all()
    assert telegram.texts(CHAT) == [
        "Ваш талон А001 вызван к окну 1.",
        "Ваш талон А001 отложен на 10 мин. Затем вас вызовут в первую очередь.",
    ]


def test_a_code_links_one_chat_once(telegram, office, services):
    ticket = ts.ticket_issue(office=office, service=services["fl"])
    code = subscriber_start(ticket=ticket).rsplit("=", 1)[1]
    first, linked = subscriber_link(code=code, chat_id="1")
    assert linked is not None and "А001" in first
    again, none = subscriber_link(code=code, chat_id="2")
    assert none is None and "Ссылка устарела" in again
    assert list(Subscriber.objects.values_list("chat_id", flat=True)) == ["1"]


def test_with_no_channel_nothing_is_queued_and_the_call_costs_the_same(settings, office, services, counters, operator):
    def call_cost() -> int:
        ts.ticket_issue(office=office, service=services["fl"])
        with CaptureQueriesContext(connection) as captured:
            call(counters["1"], operator)
        ts.ticket_finish(ticket=counters["1"].tickets.get(status="called"), operator=operator)
        return len(captured)

    unconfigured = call_cost()
    assert notify_due() == 0
    ticket = ts.ticket_issue(office=office, service=services["fl"])
    settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_BOT_USERNAME = "1:x", "queue_test_bot"
    subscribe(ticket)
    configured = call_cost()
    settings.TELEGRAM_BOT_TOKEN = ""
    assert configured == unconfigured
    assert notify_due() == 0
    assert not Event.objects.exists() and not Delivery.objects.exists() and not Message.objects.exists()


def test_a_subscription_ends_with_its_ticket_after_its_last_message(telegram, office, services, counters, operator):
    ticket = ts.ticket_issue(office=office, service=services["fl"])
    subscribe(ticket)
    call(counters["1"], operator)
    ts.ticket_finish(ticket=Ticket.objects.get(pk=ticket.pk), operator=operator)
    notify_due()  # records the call, and keeps the chat until it is sent
    assert Subscriber.objects.filter(chat_id=str(CHAT)).exists()
    deliver_all()
    subscriptions_end()
    assert not Subscriber.objects.exists()
    assert telegram.texts(CHAT) == ["Ваш талон А001 вызван к окну 1."]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM notify_subscriber WHERE chat_id = %s", [str(CHAT)])
        assert cursor.fetchone()[0] == 0


def test_a_message_whose_phone_was_erased_is_dropped_not_retried(sms, booking_office):  # noqa: F811
    fl = booking_office.svc["fl"]
    with time_machine.travel(NOW, tick=False):
        booking = booking_create(
            office=booking_office, service=fl, start=datetime(2026, 12, 8, 6, 0, tzinfo=UTC), phone="8 900 123-45-67"
        )
        notify_due()
    with time_machine.travel(NOW + timedelta(days=60), tick=False):
        bookings_close_day()
        booking.refresh_from_db()
        assert booking.phone == ""
        deliver_all()
    delivery = Delivery.objects.get(channel="sms")
    assert delivery.status == Delivery.Status.DEAD and delivery.attempts == 1
    assert sms.received == []
    assert "79001234567" not in str(list(Event.objects.values_list("data", flat=True)))


def test_a_booking_is_confirmed_and_reminded_by_sms_and_its_ticket_called(sms, booking_office):  # noqa: F811
    fl = booking_office.svc["fl"]
    start = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)  # 09:00 Moscow, the day after NOW
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        booking = booking_create(office=booking_office, service=fl, start=start, phone="+7 900 123-45-67")
        notify_due()
    for moment in (start - timedelta(hours=23), start - timedelta(minutes=59), start - timedelta(minutes=50)):
        with time_machine.travel(moment, tick=False):
            notify_due()
    with time_machine.travel(start - timedelta(minutes=5), tick=False):
        booking_check_in(office=booking_office, code=booking.code)
        from django.contrib.auth import get_user_model

        operator = get_user_model().objects.create_user("bk-op")
        ts.ticket_call_next(counter=booking_office.counter, operator=operator)
        notify_due()
    with time_machine.travel(start):  # the messages are due by then; time runs for the retries
        deliver_all()
    texts = [r.payload["text"] for r in sms.accepted()]
    assert {r.payload["phone"] for r in sms.accepted()} == {"+79001234567"}
    assert texts[0].startswith("Вы записаны: ЦОК bk, Физические лица, 08.12.2026 в 09:00. Код записи")
    assert texts[1].startswith("Напоминаем о записи: ЦОК bk, 08.12.2026 в 09:00.")
    assert texts[2].startswith("Через час, в 09:00, вас ждут: ЦОК bk.")
    assert texts[3].endswith("вызван к окну 1.") and len(texts) == 4


def test_a_holiday_added_later_cancels_the_booking_and_says_so(sms, booking_office):  # noqa: F811
    fl = booking_office.svc["fl"]
    with time_machine.travel(NOW, tick=False):
        booking = booking_create(
            office=booking_office, service=fl, start=datetime(2026, 12, 10, 6, 0, tzinfo=UTC), phone="89001234567"
        )
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        booking_office.closed_dates = [*booking_office.closed_dates, "2026-12-10"]
        booking_office.save(update_fields=["closed_dates"])
        notify_due()
        notify_due()
    with time_machine.travel(NOW + timedelta(hours=3)):
        deliver_all()
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert [r.payload["text"] for r in sms.accepted()] == [
        "ЦОК bk не работает 10.12.2026: ваша запись на 09:00 отменена. Пожалуйста, запишитесь на другой день."
    ]


def test_close_day_expiring_a_followed_ticket_deletes_its_chat_id(telegram, office, services):
    ticket = ts.ticket_issue(office=office, service=services["fl"])
    subscribe(ticket)
    unused = subscriber_start(ticket=ts.ticket_issue(office=office, service=services["fl"]))
    assert unused and Subscriber.objects.count() == 2
    ts.close_day(office=office, include_today=True)
    notify_due()
    assert not Subscriber.objects.exists()
    assert not Event.objects.exists()  # an expiry tells nobody anything


def test_a_later_message_waits_behind_a_refused_one_of_the_same_chat(telegram, office, services, counters, operator):
    telegram.refuse_first = 1
    ticket = ts.ticket_issue(office=office, service=services["fl"])
    subscribe(ticket)
    call(counters["1"], operator)
    ts.ticket_postpone(ticket=Ticket.objects.get(pk=ticket.pk), operator=operator)
    notify_due()
    deliver_all()
    assert [m["text"] for m in telegram.sent] == [
        "Ваш талон А001 вызван к окну 1.",  # refused
        "Ваш талон А001 вызван к окну 1.",
        "Ваш талон А001 перенесён в конец очереди. Ожидайте вызова.",
        "Вы следующий: скоро вызовут ваш талон А001.",  # alone in the queue again
    ]


def test_a_channel_that_fails_does_not_hold_up_the_other_deliveries(
    telegram, sms, monkeypatch, office, services, counters, operator
):
    def broken(self, event):
        raise RuntimeError("bug")

    monkeypatch.setattr(Telegram, "send", broken)
    ticket = ts.ticket_issue(office=office, service=services["fl"])
    subscribe(ticket)
    call(counters["1"], operator)
    notify_due()
    event_record_for_channel(channel="sms", type="notify.test", key="sms:x", data={"text": "т", "to": {}})
    deliver_batch()
    assert Delivery.objects.get(channel="sms").attempts == 1  # tried, in the same batch
    failed = Delivery.objects.get(channel="telegram")
    assert failed.status == Delivery.Status.PENDING and failed.last_error == "RuntimeError: bug"
