import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

from notify.bot import poll_once
from notify.channels import configured
from notify.services import notify_due, telegram_enabled

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Уведомления клиентам (Telegram, СМС): находит, о чём сообщить, и ставит сообщения в очередь "
        "отправки (их отправляет deliver_events); в режиме polling ещё и читает сообщения боту. "
        "Без настроенных каналов ничего не делает. --once — один проход."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="один проход и выход")

    def handle(self, *args, once: bool = False, **options):
        stopping = []

        def stop(signum, frame):
            stopping.append(signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if not configured():
            self.stdout.write("Каналы уведомлений не настроены (TELEGRAM_BOT_TOKEN, SMS_GATEWAY_URL): ждём остановки.")
            # Started beside the worker by tools/serve.sh, which stops everything when one ends: stay.
            while not once and not stopping:
                time.sleep(1)
            return
        polling = telegram_enabled() and settings.TELEGRAM_MODE == "polling"
        names = ", ".join(channel.label for channel in configured())
        self.stdout.write(f"Уведомления клиентам: {names}" + (" (Telegram: polling)" if polling else ""))
        # Telegram's long poll is the loop's pause when it is a second or more.
        long_poll = int(settings.NOTIFY_POLL_SECONDS)
        offset = 0
        while not stopping:
            try:
                if polling:
                    offset, _ = poll_once(offset, long_poll)
                notify_due()
            except Exception:
                # The database restarting must not end the loop: log, wait, go on.
                logger.exception("notify round failed")
                connection.close()
            if once:
                return
            if not polling or not long_poll:
                time.sleep(settings.NOTIFY_POLL_SECONDS)
