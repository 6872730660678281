import signal

from django.core.management.base import BaseCommand

from events.services import deliver_batch, deliver_forever


class Command(BaseCommand):
    help = (
        "Отправляет события подписчикам (вебхуки) и сообщения клиентам (Telegram, СМС): "
        "работает, пока не остановят; --once — отправить должное и выйти."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="отправить всё, что пора, и выйти")

    def handle(self, *args, once: bool = False, **options):
        if once:
            total = 0
            while delivered := deliver_batch():
                total += delivered
            self.stdout.write(f"delivered {total}")
            return
        stopping = []

        def stop(signum, frame):
            # Finish the batch in hand (its rows are locked and half sent), then leave.
            stopping.append(signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        deliver_forever(stop=lambda: bool(stopping))
