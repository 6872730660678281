"""manage.py import_contacts: monthly contact counts per channel from CSV."""

from reports import imports

from ._import import ImportCommand


class Command(ImportCommand):
    help = "Импорт количества обращений по дистанционным каналам за месяц: month,channel,count"
    what = "Обращения по каналам"
    importer = staticmethod(imports.import_contacts)
