"""The shared base of the CSV import commands."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports import imports


class ImportCommand(BaseCommand):
    """A CSV import: all-or-nothing unless --partial, every bad line listed."""

    importer = None
    what = ""

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--partial", action="store_true", help="импортировать верные строки, даже если в файле есть ошибки"
        )

    def run(self, stream, **options):
        return self.importer(stream, partial=options["partial"])

    def handle(self, *args, file: Path, **options):
        try:
            with imports.open_text(file) as stream:
                result = self.run(stream, file=file, **options)
        except OSError as exc:
            raise CommandError(f"Не удалось прочитать {file}: {exc}") from None
        except UnicodeDecodeError:
            raise CommandError(f"Файл {file} не в кодировке UTF-8. Ничего не импортировано.") from None
        except imports.ImportFailed as exc:
            raise CommandError(
                f"Файл {file} не импортирован, ничего не изменено. Ошибок: {len(exc.errors)}.\n{exc}"
            ) from None
        for error in result.errors:
            self.stderr.write(error)
        parts = [f"импортировано {result.imported}"]
        if result.replaced:
            parts.append(f"заменено {result.replaced}")
        parts.append(f"пропущено как уже загруженные {result.skipped}")
        if result.errors:
            parts.append(f"строк с ошибками пропущено {len(result.errors)}")
        self.stdout.write(self.style.SUCCESS(f"{self.what}: " + ", ".join(parts) + "."))
