"""The tickets app: the queue itself -- tickets, transitions, services, read model, API and the event publisher."""

from django.apps import AppConfig


class TicketsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Талоны"
    name = "tickets"
