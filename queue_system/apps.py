"""Third-party apps as the product names them in the admin."""

from axes.apps import AppConfig as AxesAppConfig


class AxesConfig(AxesAppConfig):
    # django-axes names its section «Axes»; the admin is Russian throughout.
    verbose_name = "Защита входа"
