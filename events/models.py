"""Webhook subscriptions and the delivery outbox: events, one delivery per subscription, every attempt.

This app sits below ``tickets`` (it imports no other app of ours), so that a
transition can write its outbox rows in its own transaction; ``booking`` and
``feedback`` events later go through the same tables.
"""

import uuid

from django.db import models
from django.db.models import Q

# Every event type a subscription may ask for. Adding one here (booking.*,
# feedback.created) is all a new producer needs besides calling event_record.
EVENT_TYPES = {
    "ticket.issued": "Талон выдан",
    "ticket.called": "Талон вызван",
    "ticket.recalled": "Повторный вызов",
    "ticket.started": "Начато обслуживание",
    "ticket.finished": "Обслуживание завершено",
    "ticket.no_show": "Клиент не явился",
    "ticket.postponed": "Талон отложен",
    "ticket.transferred": "Талон перенаправлен",
    "ticket.cancelled": "Талон отменён",
    "ticket.expired": "Талон истёк",
    "counter.opened": "Окно открыто",
    "counter.closed": "Окно закрыто",
    "counter.break": "Окно на перерыве",
    "feedback.created": "Клиент оценил обслуживание",
}


class Subscription(models.Model):
    url = models.URLField("адрес", max_length=500)
    # Never returned by the API or shown in the admin's list: it signs every body.
    secret = models.CharField("секрет", max_length=200)
    events = models.JSONField("события", default=list, help_text="типы событий, например ticket.finished")
    personal_data = models.BooleanField(
        "передавать персональные данные", default=False, help_text="имена, телефоны, заметки операторов"
    )
    active = models.BooleanField("активна", default=True)
    created_at = models.DateTimeField("создана", auto_now_add=True)

    class Meta:
        verbose_name = "подписка на события"
        verbose_name_plural = "подписки на события"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return event_type in self.events


class Event(models.Model):
    """What happened, once; its deliveries carry it to each subscription."""

    uid = models.UUIDField("идентификатор", default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField("тип", max_length=40)
    # What the order is kept for: "ticket:42", "counter:7".
    key = models.CharField("объект", max_length=60)
    occurred_at = models.DateTimeField("время")
    data = models.JSONField("данные", default=dict)
    # Top-level keys of data sent only to subscriptions with personal_data.
    personal = models.JSONField("персональные поля", default=list, blank=True)

    class Meta:
        verbose_name = "событие"
        verbose_name_plural = "события"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.type} {self.key}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Ожидает отправки"
        DELIVERED = "delivered", "Доставлено"
        DEAD = "dead", "Не доставлено"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries", verbose_name="событие")
    # A webhook delivery names its subscription; a client's message (notify) names its channel instead.
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name="подписка",
    )
    channel = models.CharField("канал", max_length=20, blank=True)
    # The event's key, copied here so that the claim's "oldest pending per
    # (subscription, key)" check is one index lookup.
    key = models.CharField("объект", max_length=60)
    status = models.CharField("статус", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField("попыток", default=0)
    next_attempt_at = models.DateTimeField("следующая попытка")
    # Retries stop this long after here: the delivery's creation, or a «Повторить».
    retry_from = models.DateTimeField("повторы с")
    delivered_at = models.DateTimeField("доставлено", null=True, blank=True)
    last_error = models.CharField("последняя ошибка", max_length=500, blank=True)

    class Meta:
        verbose_name = "доставка события"
        verbose_name_plural = "доставки событий"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "subscription"], name="one_delivery_per_subscription"),
            models.CheckConstraint(condition=Q(status__in=["pending", "delivered", "dead"]), name="delivery_status"),
            models.CheckConstraint(
                condition=Q(subscription__isnull=False, channel="") | Q(subscription__isnull=True) & ~Q(channel=""),
                name="delivery_subscription_or_channel",
            ),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at", "id"], condition=Q(status="pending"), name="delivery_due_idx"),
            models.Index(
                fields=["subscription", "key", "id"], condition=Q(status="pending"), name="delivery_order_idx"
            ),
            models.Index(
                fields=["channel", "key", "id"],
                condition=Q(status="pending", subscription__isnull=True),
                name="delivery_channel_order_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription or self.channel}"


class Attempt(models.Model):
    """One try at a delivery: what the receiver answered (or why it could not), and how long it took."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name="доставка"
    )
    at = models.DateTimeField("время")
    status_code = models.PositiveIntegerField("код ответа", null=True, blank=True)
    duration_ms = models.PositiveIntegerField("длительность, мс")
    error = models.CharField("ошибка", max_length=500, blank=True)

    class Meta:
        verbose_name = "попытка доставки"
        verbose_name_plural = "попытки доставки"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
