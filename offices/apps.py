"""The offices app: offices, hours, services, counters, staff roles and kiosks; the base every other app builds on."""

from django.apps import AppConfig


class OfficesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Офисы"
    name = "offices"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import groups, tokens

        tokens.connect_receivers()
        post_migrate.connect(groups.after_migrate, dispatch_uid="offices-manager-group")
