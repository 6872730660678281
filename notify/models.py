"""A client's Telegram chat for a ticket, and each message put into the outbox, once."""

from django.db import models
from django.db.models import Q

from bookings.models import Booking
from events.models import Event
from tickets.models import Ticket


class Subscriber(models.Model):
    """A Telegram chat that follows one ticket.

    Created with a one-time ``code`` when the client presses «Уведомить в
    Telegram»; linked (``chat_id`` set, code spent) when the bot receives
    ``/start <code>``. The chat id is personal data: the row is deleted once
    the ticket has ended and its last message is out (services.subscriptions_end).
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", verbose_name="талон")
    code = models.CharField("код привязки", max_length=32, unique=True, null=True, blank=True)
    chat_id = models.CharField("чат Telegram", max_length=32, blank=True)
    created_at = models.DateTimeField("создана")
    linked_at = models.DateTimeField("привязана", null=True, blank=True)

    class Meta:
        verbose_name = "подписка клиента"
        verbose_name_plural = "подписки клиентов"
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "chat_id"], condition=~Q(chat_id=""), name="subscriber_once_per_chat"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {'привязана' if self.chat_id else 'ожидает'}"


class Message(models.Model):
    """One message to one client, in the outbox as ``event``.

    ``key`` names the ticket or booking, the message's kind and its recipient
    («ticket:42:called:517:telegram:s9»): two notify loops that both see a call
    insert one row, and only the one whose insert wins records the event.
    """

    key = models.CharField("ключ", max_length=120, unique=True)
    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="+", verbose_name="событие")
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages", verbose_name="подписка"
    )
    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name="запись"
    )
    created_at = models.DateTimeField("создано")

    class Meta:
        verbose_name = "уведомление клиенту"
        verbose_name_plural = "уведомления клиентам"

    def __str__(self) -> str:
        return self.key
