from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "notify"
    verbose_name = "Уведомления клиентам"

    def ready(self):
        # The outbox below cannot import this app: it learns our channels here.
        from events.services import channel_register

        from .channels import CHANNELS

        for channel in CHANNELS:
            channel_register(channel)
