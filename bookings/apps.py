"""The bookings app: pre-booking a visit online, checking in at the kiosk, the booking pages and API."""

from django.apps import AppConfig


class BookingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Предварительная запись"
    name = "bookings"
