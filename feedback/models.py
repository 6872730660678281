"""A client's rating of one finished visit."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from tickets.models import Ticket

MIN_RATING, MAX_RATING = 1, 5
# Ratings a manager should look at: on the monitor until marked seen.
LOW_RATING = 2
MAX_COMMENT = 1000


class Feedback(models.Model):
    class Source(models.TextChoices):
        PHONE = "phone", "Телефон клиента"
        TABLET = "tablet", "Планшет у окна"

    # One rating per visit; the ticket holds the month, office, service and operator the reports group by.
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="feedback", verbose_name="талон")
    rating = models.PositiveSmallIntegerField("оценка")
    # Personal data: a client may write their name or phone here. Erased with the bookings' personal data.
    comment = models.TextField("комментарий", max_length=MAX_COMMENT, blank=True)
    source = models.CharField("откуда", max_length=10, choices=Source.choices, default=Source.PHONE)
    created_at = models.DateTimeField("получена")
    # A low rating stays on the monitor until a manager of the office marks it seen.
    seen_at = models.DateTimeField("просмотрена", null=True, blank=True)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="кем просмотрена",
    )

    class Meta:
        verbose_name = "оценка обслуживания"
        verbose_name_plural = "оценки обслуживания"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=MIN_RATING, rating__lte=MAX_RATING), name="feedback_rating_1_to_5"
            ),
        ]
        indexes = [
            # The monitor's unseen low ratings.
            models.Index(fields=["rating"], condition=Q(seen_at__isnull=True), name="feedback_unseen_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.rating}"

    @property
    def low(self) -> bool:
        return self.rating <= LOW_RATING
