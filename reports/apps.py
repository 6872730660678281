"""The reports app: monthly report selectors, report API and pages, CSV imports of history."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Отчёты"
    name = "reports"
