"""The feedback app: clients' ratings of a finished visit, from their phone or the counter's tablet."""

from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Оценки обслуживания"
    name = "feedback"
