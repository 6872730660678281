"""manage.py load_config: offices, hours, services and counters from a YAML file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from offices import config


class Command(BaseCommand):
    help = "Загрузить офисы, часы работы, услуги и окна из YAML-файла (повторная загрузка ничего не дублирует)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Не удалось прочитать {file}: {exc}") from None
        try:
            result = config.apply(config.parse(text))
        except config.ConfigError as exc:
            lines = "\n".join(f"  - {p}" for p in exc.problems)
            raise CommandError(
                f"Файл {file} не загружен, ничего не изменено. Ошибки ({len(exc.problems)}):\n{lines}"
            ) from None
        for note in result.notes:
            self.stdout.write(note)
        self.stdout.write(
            self.style.SUCCESS(f"Загружено: офисов {result.offices}, услуг {result.services}, окон {result.counters}.")
        )
