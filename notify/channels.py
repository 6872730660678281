"""The ways to a client: each channel is one class, registered with the outbox (apps.py).

A further channel: subclass ``Channel``, give it a ``name``, say when it is
``configured``, whom it reaches (``followers``: the recipients of ticket
messages; ``for_booking``: of booking messages), how an address is found
(``address``) and how a text is sent (``deliver``); add an instance to CHANNELS.
"""

import json
import string
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from bookings.models import Booking
from events.models import Event
from events.services import Channel as OutboxChannel
from events.services import Outcome, post

from .models import Subscriber

# A ticket that ended this long ago has nothing more to be told.
RECENT = timedelta(minutes=10)


@dataclass(frozen=True)
class Recipient:
    channel: str
    # In message keys and the delivery's order key: "s9" (subscriber 9), "b5" (booking 5).
    tag: str
    # What the channel finds the address from when it sends: ids only, never the address.
    to: dict = field(hash=False)
    # Ticket events before this moment are not told (a chat linked later hears only what follows).
    since: datetime | None = None
    subscriber_id: int | None = None
    booking_id: int | None = None


def _recent_tickets(now: datetime) -> Q:
    return Q(ticket__finished_at__isnull=True) | Q(ticket__finished_at__gte=now - RECENT)


class Channel(OutboxChannel):
    label = ""

    def configured(self) -> bool:
        raise NotImplementedError

    def followers(self, now: datetime) -> dict[int, list[Recipient]]:
        """Per ticket id (tickets still open or just ended): who hears of it through this channel."""
        return {}

    def for_booking(self, booking: Booking) -> Recipient | None:
        return None

    def address(self, to: dict) -> str:
        raise NotImplementedError

    def deliver(self, address: str, text: str) -> Outcome:
        raise NotImplementedError

    def send(self, event: Event) -> Outcome:
        if not self.configured():
            return Outcome(None, f"канал «{self.label}» не настроен", 0)
        address = self.address(event.data["to"])
        if not address:
            # Erased with the ticket's or booking's personal data: no retry can reach anyone.
            return Outcome(None, "адрес клиента удалён", 0, final=True)
        return self.deliver(address, event.data["text"])


class Telegram(Channel):
    name = "telegram"
    label = "Telegram"

    def configured(self) -> bool:
        return bool(settings.TELEGRAM_BOT_TOKEN)

    def followers(self, now: datetime) -> dict[int, list[Recipient]]:
        found: dict[int, list[Recipient]] = {}
        linked = Subscriber.objects.exclude(chat_id="").filter(_recent_tickets(now))
        for subscriber in linked.only("id", "ticket_id", "linked_at"):
            found.setdefault(subscriber.ticket_id, []).append(
                Recipient(
                    self.name,
                    f"s{subscriber.pk}",
                    {"subscriber": subscriber.pk},
                    since=subscriber.linked_at,
                    subscriber_id=subscriber.pk,
                )
            )
        return found

    def address(self, to: dict) -> str:
        return Subscriber.objects.filter(pk=to.get("subscriber")).values_list("chat_id", flat=True).first() or ""

    def deliver(self, address: str, text: str) -> Outcome:
        return bot_call("sendMessage", {"chat_id": address, "text": text})


def bot_url(method: str) -> str:
    return f"{settings.TELEGRAM_API_URL}/bot{settings.TELEGRAM_BOT_TOKEN}/{method}"


def bot_call(method: str, payload: dict) -> Outcome:
    body = json.dumps(payload, ensure_ascii=False).encode()
    outcome = post(bot_url(method), body, {"Content-Type": "application/json; charset=utf-8"})
    # The address holds the bot's token: never let it into an error that is stored and shown.
    outcome.error = outcome.error.replace(settings.TELEGRAM_BOT_TOKEN, "…")
    return outcome


class Sms(Channel):
    """An HTTP gateway: SMS_GATEWAY_URL, SMS_GATEWAY_AUTH (the Authorization header) and SMS_TEMPLATE."""

    name = "sms"
    label = "СМС"

    def configured(self) -> bool:
        return bool(settings.SMS_GATEWAY_URL)

    def followers(self, now: datetime) -> dict[int, list[Recipient]]:
        # A booked client who checked in hears of their ticket at the phone they booked with.
        bookings = Booking.objects.filter(status=Booking.Status.CHECKED_IN, ticket__isnull=False).exclude(phone="")
        bookings = bookings.filter(_recent_tickets(now), checked_in_at__gte=now - timedelta(days=1))
        return {
            ticket_id: [Recipient(self.name, f"b{pk}", {"booking": pk}, booking_id=pk)]
            for pk, ticket_id in bookings.values_list("pk", "ticket_id")
        }

    def for_booking(self, booking: Booking) -> Recipient | None:
        if not booking.phone:
            return None
        return Recipient(self.name, f"b{booking.pk}", {"booking": booking.pk}, booking_id=booking.pk)

    def address(self, to: dict) -> str:
        return Booking.objects.filter(pk=to.get("booking")).values_list("phone", flat=True).first() or ""

    def deliver(self, address: str, text: str) -> Outcome:
        template = settings.SMS_TEMPLATE
        phone = f"+{address}"
        if template.lstrip().startswith("{"):
            # Inside a JSON string: escaped as JSON, without the quotes.
            values = {"phone": json.dumps(phone)[1:-1], "text": json.dumps(text, ensure_ascii=False)[1:-1]}
            content_type = "application/json; charset=utf-8"
        else:
            values = {"phone": urllib.parse.quote(phone), "text": urllib.parse.quote(text)}
            content_type = "application/x-www-form-urlencoded"
        body = string.Template(template).safe_substitute(values).encode()
        headers = {"Content-Type": content_type, "User-Agent": "queue-system-notify/1"}
        if settings.SMS_GATEWAY_AUTH:
            headers["Authorization"] = settings.SMS_GATEWAY_AUTH
        return post(settings.SMS_GATEWAY_URL, body, headers)


CHANNELS: list[Channel] = [Telegram(), Sms()]


def configured() -> list[Channel]:
    return [channel for channel in CHANNELS if channel.configured()]


def by_name(name: str) -> Channel:
    return next(channel for channel in CHANNELS if channel.name == name)
