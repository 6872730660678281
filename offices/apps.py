"""The offices app: offices, hours, services, counters, staff roles and kiosks; the base every other app builds on."""

from django.apps import AppConfig


class OfficesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "offices"

    def ready(self):
        from . import tokens

        tokens.connect_receivers()
