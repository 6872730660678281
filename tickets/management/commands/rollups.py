"""manage.py rollups --check | --rebuild: the monthly and daily rollups against a recount from the tickets."""

from django.core.management.base import BaseCommand, CommandError

from offices.models import Office
from tickets import rollups


class Command(BaseCommand):
    help = (
        "Сверить помесячные и подневные итоги отчётов с талонами и журналами окон (--check: код выхода 1 и по "
        "строке на каждое расхождение) или пересчитать их заново (--rebuild)."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--check", action="store_true")
        action.add_argument("--rebuild", action="store_true")
        parser.add_argument("--office", help="код офиса; по умолчанию все офисы")

    def handle(self, *args, check=False, rebuild=False, office=None, **options):
        office_ids = None
        if office:
            office_ids = list(Office.objects.filter(code=office).values_list("pk", flat=True))
            if not office_ids:
                raise CommandError(f"Офис «{office}» не найден.")
        if rebuild:
            rows = rollups.rebuild(office_ids)
            self.stdout.write(self.style.SUCCESS(f"Итоги пересчитаны: строк {rows}."))
            return
        lines = rollups.drift(office_ids)
        for line in lines:
            self.stdout.write(line)
        if lines:
            raise CommandError(
                f"Итоги расходятся с талонами: строк {len(lines)}. Исправление: manage.py rollups --rebuild"
            )
        self.stdout.write(self.style.SUCCESS("Итоги совпадают с талонами."))
