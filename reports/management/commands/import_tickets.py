"""manage.py import_tickets: tickets of a previous queue system from CSV."""

from reports import imports

from ._import import ImportCommand


def count_lines(path) -> int:
    with open(path, "rb") as f:
        return max(sum(buf.count(b"\n") for buf in iter(lambda: f.read(1 << 20), b"")) - 1, 0)


class Command(ImportCommand):
    help = (
        "Импорт талонов прежней системы очереди из CSV: "
        "office,service,number,issued_at,called_at,started_at,finished_at,status,counter"
    )
    what = "Талоны"

    def run(self, stream, file, **options):
        total = count_lines(file)
        return imports.import_tickets(stream, partial=options["partial"], progress=total > 50_000, total=total)
