"""Third-party apps as the product names them in the admin."""

from axes.apps import AppConfig as AxesAppConfig


class AxesConfig(AxesAppConfig):
    # django-axes names its section «Axes»; the admin is Russian throughout.
    # Its untranslated field names are in locale/ru (LOCALE_PATHS).
    verbose_name = "Защита входа"

    def ready(self):
        super().ready()
        from django.contrib import admin

        from . import axes_admin

        # The admin app, listed before axes, has registered axes' admins already.
        axes_admin.register(admin.site)
