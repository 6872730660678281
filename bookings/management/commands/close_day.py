"""manage.py close_day: expire the unfinished tickets of past days, store the bookings' no-shows,
erase old bookings' personal data (and, through settings.CLOSE_DAY_HOOKS, old feedback comments),
forget Idempotency-Keys older than 24 h.

It lives in the bookings app, the highest of the three it closes: tickets
cannot import bookings (import-linter layers).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from bookings.services import bookings_close_day
from offices.models import Office
from tickets import idempotency
from tickets.services import close_day


class Command(BaseCommand):
    help = (
        "Закрыть день: незавершённые талоны прошедших дней получают статус «Истёк». "
        "С --include-today — и талоны сегодняшнего дня (запускайте после закрытия офиса). "
        "Записи, по которым не пришли, получают статус «Не пришёл»; имена, телефоны "
        "и комментарии к оценкам удаляются через BOOKING_DATA_DAYS дней после визита. "
        "Заодно удаляет ключи Idempotency-Key старше 24 часов."
    )

    def add_arguments(self, parser):
        parser.add_argument("--office", help="код офиса; по умолчанию все офисы")
        parser.add_argument("--include-today", action="store_true")

    def handle(self, *args, office=None, include_today=False, **options):
        target = None
        if office:
            target = Office.objects.filter(code=office).first()
            if target is None:
                raise CommandError(f"Офис «{office}» не найден.")
        expired = close_day(office=target, include_today=include_today)
        no_shows, erased = bookings_close_day()
        # Keys of every office: they belong to issuers, not offices.
        forgotten = idempotency.forget_expired()
        self.stdout.write(
            self.style.SUCCESS(
                f"Истёкших талонов: {expired}. Неявок по записи: {no_shows}. "
                f"Удалены персональные данные записей: {erased}. Удалено ключей повтора: {forgotten}."
            )
        )
        # Apps bookings may not import (feedback's comments) erase their personal data here too.
        for hook in settings.CLOSE_DAY_HOOKS:
            self.stdout.write(self.style.SUCCESS(import_string(hook)()))
