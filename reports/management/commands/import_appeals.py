"""manage.py import_appeals: personal-account appeals from CSV."""

from reports import imports

from ._import import ImportCommand


class Command(ImportCommand):
    help = "Импорт обращений в Личный кабинет: channel,received_at,answered_at"
    what = "Обращения в ЛК"
    importer = staticmethod(imports.import_appeals)
