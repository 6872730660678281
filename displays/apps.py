"""The displays app: the screens (hall display, kiosk, operator workplace, monitor, tracking) and their consumers."""

from django.apps import AppConfig


class DisplaysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "displays"
