from django.apps import AppConfig


class DisplaysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "displays"
