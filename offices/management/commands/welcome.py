"""manage.py welcome: the addresses of a running system's pages."""

from django.conf import settings
from django.core.management.base import BaseCommand

from offices.models import Office


class Command(BaseCommand):
    help = "Показать адреса страниц запущенной системы."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host: str, port: str, **options):
        base = f"http://{host}:{port}"
        office = Office.objects.filter(code="korocha").first() or Office.objects.first()
        code = office.code if office else "<office>"
        db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        layer = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
        lines = [
            f"База данных: {db}; слой каналов: {layer}",
            f"Главная:         {base}/",
            f"Киоск:           {base}/kiosk/{code}/",
            f"Оператор:        {base}/operator/",
            f"Табло:           {base}/display/{code}/",
            f"Монитор:         {base}/monitor/",
            f"Отчёты:          {base}/reports/",
            f"Администрирование: {base}/admin/",
            f"Документация API: {base}/api/docs/",
        ]
        self.stdout.write("\n".join(lines))
