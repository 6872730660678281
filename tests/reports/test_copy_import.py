"""On PostgreSQL import_tickets validates in SQL: it must say and do exactly what the Python path does."""

import io

import pytest

from reports import imports, ticket_copy
from tests.reports.test_imports import GOOD, HEADER
from tickets import rollups
from tickets.models import Ticket

LINES = [
    "main,fl,А010,2024-01-10T09:00:00+03:00,2024-01-10T09:05:00+03:00,,2024-01-10T09:16:00+03:00,done,1",
    "nowhere,fl,А011,2024-01-10T09:00:00+03:00,2024-01-10T09:05:00+03:00,,2024-01-10T09:16:00+03:00,done,",
    "main,zz,А012,2024-01-10T09:00:00+03:00,2024-01-10T09:05:00+03:00,,2024-01-10T09:16:00+03:00,done,",
    "main,fl,А013,2024-01-10T09:00:00,2024-01-10T09:05:00+03:00,,2024-01-10T09:16:00+03:00,done,",
    "main,fl,А014,2024-01-10T09:00:00+03:00,2024-01-10T08:05:00+03:00,,2024-01-10T09:16:00+03:00,done,",
    "main,fl,А015,2024-01-10T09:00:00+03:00,,,,done,",
    "main,fl,А016,2024-01-10T09:00:00+03:00,,,,lost,",
    "main,fl,А017,yesterday,,,,cancelled,",
    "main,fl,А018,2024-01-10T09:00:00+03:00,2024-01-10T09:05:00+03:00,,2024-01-10T09:16:00+03:00,done,99",
    "main,fl,А010,2024-01-10T09:00:00+03:00,2024-01-10T09:06:00+03:00,,2024-01-10T09:16:00+03:00,done,1",
    "main,fl,А010,2024-01-10T09:00:00+03:00,2024-01-10T09:05:00+03:00,,2024-01-10T09:16:00+03:00,done,1",
    "main,fl",
    "",
    " main ,fl,А019,2024-01-10 09:00:00+03:00,,,,cancelled, 1 ",  # odd but good: only Python reads it
    "main,fl,А020,2024-02-30T09:00:00+03:00,,,,cancelled,",
    "main,fl,А021,2024-01-10T09:00:00.123+03:00,2024-01-10T09:00:01.5+03:00,,,no_show,",
    "main,fl,А022,2024-01-10T09:00:00+03:00,2024-01-10T09:05:00+03:00,2024-01-10T09:04:00+03:00,,no_show,",
    "main,fl,А023,2024-01-10T09:00:00+03:00,,2024-01-10T09:04:00+03:00,,cancelled,",
    "main,fl,А024,1969-12-31T23:00:00-03:00,,,,cancelled,",
    "main,fl,А025,2024-01-10T09:00:00+03:00,2024-01-10T09:05:00+03:00,,2024-01-10T09:05:00+03:00,done,",
    "main,fl,1234567890123,2024-01-10T09:00:00+03:00,,,,cancelled,",
    "main,fl,А026,2024-01-10T09:00:00+03:00,2024-01-10T09:05:00.000001+03:00,,2024-01-10T10:16:00+03:00,done,3",
]
FIELDS = [f for f in imports.TICKET_FIELDS if f != "token"]


def run(text: str, *, through_copy: bool, partial: bool = False):
    # A plain iterator is not seekable: import_tickets takes the Python path with it.
    stream = io.StringIO(text) if through_copy else iter(io.StringIO(text).readlines())
    try:
        result = imports.import_tickets(stream, partial=partial)
    except imports.ImportFailed as failed:
        return ("failed", failed.errors, Ticket.objects.count())
    return (result.imported, result.skipped, result.errors)


def stored():
    return sorted(Ticket.objects.values_list(*FIELDS))


@pytest.mark.postgres
@pytest.mark.parametrize("partial", [False, True])
def test_the_copy_path_reports_and_keeps_what_the_python_path_does(counters, partial, monkeypatch):
    copy_import = ticket_copy.copy_import
    used = []
    monkeypatch.setattr(ticket_copy, "copy_import", lambda *a, **k: used.append(1) or copy_import(*a, **k))
    text = HEADER + "\n".join(LINES) + "\n"
    through_copy = run(text, through_copy=True, partial=partial)
    assert used, "the COPY path was not taken"
    copied, copied_rollups = stored(), rollups.expected()
    Ticket.objects.all().delete()
    rollups.rebuild()
    assert run(text, through_copy=False, partial=partial) == through_copy
    assert stored() == copied and rollups.expected() == copied_rollups
    if partial:
        assert through_copy[0] == 6 and len(copied) == 6
        assert rollups.drift() == []


@pytest.mark.postgres
def test_a_reimport_through_copy_skips_every_row_and_a_changed_one_is_an_error(counters):
    assert run(GOOD, through_copy=True) == (5, 0, [])
    assert run(GOOD, through_copy=True) == (0, 5, [])
    changed = GOOD.replace("2024-01-10T09:16:00+03:00,done,1", "2024-01-10T09:17:00+03:00,done,1")
    assert run(changed, through_copy=True) == (
        "failed",
        ["талон А001 за 10.01.2024 уже есть в базе с другими данными"],
        5,
    )
    assert rollups.drift() == []


@pytest.mark.postgres
def test_a_quoted_field_takes_the_python_path(counters, monkeypatch):
    text = GOOD.replace("main,ul,Б002", '"main",ul,Б002')
    assert run(text, through_copy=True) == (5, 0, [])
    assert rollups.drift() == []
