"""Pre-bookings of a visit and the per-slot place counters that keep slots from overfilling."""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from offices.models import Office, Service
from tickets.models import Ticket


def new_token() -> str:
    return secrets.token_urlsafe(16)


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


class BookingSlot(models.Model):
    """How many places of one slot of a service are taken: the row every booking of the slot locks.

    Created on the slot's first booking; a booking increments it only while
    it is below the service's ``per_slot``, a cancellation decrements it.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+", verbose_name="услуга")
    start = models.DateTimeField("начало слота")
    taken = models.PositiveIntegerField("занято мест", default=0)

    class Meta:
        verbose_name = "слот записи"
        verbose_name_plural = "слоты записи"
        constraints = [models.UniqueConstraint(fields=["service", "start"], name="booking_slot_unique")]

    def __str__(self) -> str:
        return f"{self.service_id} {self.start:%Y-%m-%d %H:%M}: {self.taken}"


class BookingQuerySet(models.QuerySet):
    def active(self, now: datetime) -> "BookingQuerySet":
        """Booked and still ahead (not a no-show yet): what the per-phone and per-address limits count."""
        return self.filter(status=Booking.Status.BOOKED, start__gte=now - Booking.late_window())

    def no_show(self, now: datetime) -> "BookingQuerySet":
        """Not checked in by slot start + the late window, whether close_day has made it permanent or not."""
        late = Q(status=Booking.Status.BOOKED, start__lt=now - Booking.late_window())
        return self.filter(late | Q(status=Booking.Status.NO_SHOW))


class Booking(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "Записан"
        CHECKED_IN = "checked_in", "Получил талон"
        CANCELLED = "cancelled", "Отменена"
        NO_SHOW = "no_show", "Не пришёл"
        DONE = "done", "Обслужен"

    # Stored statuses; `done` and a not yet permanent `no_show` are read (status_at).
    STORED = (Status.BOOKED, Status.CHECKED_IN, Status.CANCELLED, Status.NO_SHOW)

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="bookings", verbose_name="офис")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bookings", verbose_name="услуга")
    start = models.DateTimeField("начало")
    end = models.DateTimeField("окончание")
    # The slot's date in the office's time zone: the day of the visit.
    local_date = models.DateField("дата визита (местная)")
    # Typed at the kiosk; unique in the office among bookings not yet used.
    code = models.CharField("код записи", max_length=6)
    token = models.CharField("ссылка записи", max_length=32, unique=True, default=new_token, editable=False)
    status = models.CharField("статус", max_length=12, choices=Status.choices, default=Status.BOOKED)
    # Personal data (152-ФЗ): optional, with consent; erased BOOKING_DATA_DAYS after the visit.
    name = models.CharField("имя", max_length=100, blank=True)
    phone = models.CharField("телефон", max_length=20, blank=True)
    consent = models.BooleanField("согласие на обработку персональных данных", default=False)
    # The client's address, for BOOKINGS_PER_ADDRESS; erased with the personal data.
    client_address = models.CharField("адрес клиента", max_length=45, blank=True)
    created_at = models.DateTimeField("создана")
    checked_in_at = models.DateTimeField("талон получен", null=True, blank=True)
    cancelled_at = models.DateTimeField("отменена", null=True, blank=True)
    ticket = models.OneToOneField(
        Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="booking", verbose_name="талон"
    )

    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = "предварительная запись"
        verbose_name_plural = "предварительные записи"
        ordering = ["start", "id"]
        constraints = [
            # A code names one booking of the office among those that may still check in.
            models.UniqueConstraint(
                fields=["office", "code"], condition=Q(status="booked"), name="booking_code_unique_while_booked"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["booked", "checked_in", "cancelled", "no_show"]), name="booking_status_stored"
            ),
            models.CheckConstraint(
                condition=Q(status="booked") | Q(status="cancelled") | Q(status="no_show") | Q(ticket__isnull=False),
                name="checked_in_booking_has_ticket",
            ),
        ]
        indexes = [
            models.Index(fields=["office", "local_date"], name="booking_office_day_idx"),
            models.Index(fields=["phone", "status"], name="booking_phone_idx"),
            models.Index(fields=["client_address", "status"], name="booking_address_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.start:%Y-%m-%d %H:%M}"

    @staticmethod
    def late_window() -> timedelta:
        return timedelta(minutes=settings.BOOKING_CHECKIN_LATE_MINUTES)

    @staticmethod
    def early_window() -> timedelta:
        return timedelta(minutes=settings.BOOKING_CHECKIN_EARLY_MINUTES)

    def status_at(self, now: datetime) -> str:
        """The status everyone reads: a booking not checked in by start + the late window
        is a no-show (no timer makes it so; close_day stores it), a served visit is done."""
        if self.status == self.Status.BOOKED and now > self.start + self.late_window():
            return self.Status.NO_SHOW
        if self.status == self.Status.CHECKED_IN and self.ticket is not None:
            if self.ticket.status == Ticket.Status.DONE:
                return self.Status.DONE
        return self.status

    def local_start(self) -> datetime:
        return self.start.astimezone(self.office.tz)
