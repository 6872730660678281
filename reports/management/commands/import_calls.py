"""manage.py import_calls: contact-centre calls from CSV."""

from reports import imports

from ._import import ImportCommand


class Command(ImportCommand):
    help = "Импорт звонков в контакт-центр: started_at,answered_at,ended_at"
    what = "Звонки"
    importer = staticmethod(imports.import_calls)
