"""CSV imports: historical tickets and the data of the other channels.

Every import reads and checks the whole file first and reports every bad line
as ``line N: reason``; a file with any bad line changes nothing unless
``partial=True``. Importing the same file again changes nothing: tickets are
keyed by office, local date and number; appeals and calls by a hash of the
line (and its occurrence within the file); monthly counts are replaced.
Times are ISO 8601 with an offset.
"""

import csv
import hashlib
import io
import re
import secrets
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from offices.models import Counter, Office, Service
from tickets import daily, rollups
from tickets.models import Ticket

from . import ticket_copy
from .models import REMOTE_CHANNELS, Appeal, Call, ContactCount

T = TypeVar("T")

REMOTE_KEYS = {key for key, _ in REMOTE_CHANNELS}
IN_PERSON_KEYS = set(Service.Channel.values)
MAX_REPORTED_ERRORS = 1000
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# The largest count a PositiveIntegerField holds on PostgreSQL.
MAX_COUNT = 2_147_483_647


class ImportFailed(Exception):
    def __init__(self, errors: list[str], total: int):
        shown = errors[:MAX_REPORTED_ERRORS]
        more = f"\n… и ещё {len(errors) - len(shown)} ошибок" if len(errors) > len(shown) else ""
        super().__init__("\n".join(shown) + more)
        self.errors = errors
        self.total = total


@dataclass
class ImportResult:
    imported: int = 0
    skipped: int = 0
    replaced: int = 0
    errors: list[str] = field(default_factory=list)


class BadLine(Exception):
    pass


def parse_time(value: str, column: str, *, required: bool = True) -> datetime | None:
    value = value.strip()
    if not value:
        if required:
            raise BadLine(f"не заполнено поле {column}")
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadLine(f"{column}: «{value}» — не время в формате ISO 8601") from None
    if moment.tzinfo is None:
        raise BadLine(f"{column}: «{value}» — нет смещения часового пояса (например, +03:00)")
    # 9999-12-31T23:59:59-14:00 parses, but converting it to any other zone overflows.
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise BadLine(f"{column}: «{value}» — дата вне диапазона {EARLIEST.year}–{LATEST.year - 1} гг.")
    return moment


def not_after(now: datetime, *moments: tuple[str, datetime | None]) -> None:
    """BadLine for the first moment after ``now``: appeals and calls that have not happened yet."""
    for column, moment in moments:
        if moment is not None and moment > now:
            raise BadLine(f"{column}: «{moment.isoformat()}» — время в будущем; импортируются только прошедшие события")


def read_rows(stream: Iterable[str], columns: list[str]) -> Iterator[tuple[int, dict | BadLine]]:
    reader = csv.DictReader(stream)
    header = [name.strip() for name in (reader.fieldnames or [])]
    if header != columns:
        raise ImportFailed([f"line 1: ожидаются столбцы {','.join(columns)}, в файле: {','.join(header)}"], 0)
    reader.fieldnames = header
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            # The reader drops the rest of the bad line and goes on with the next one;
            # line_num has not yet counted the bad line.
            reason = f"поле длиннее {csv.field_size_limit()} символов" if "field limit" in str(error) else str(error)
            yield reader.line_num + 1, BadLine(reason)
            continue
        if None in row or any(value is None for value in row.values()):
            yield reader.line_num, BadLine("неверное число столбцов")
        elif any("\x00" in value for value in row.values()):
            # PostgreSQL text cannot hold NUL: COPY would fail after every check had passed.
            yield reader.line_num, BadLine("в строке есть символ NUL")
        else:
            yield reader.line_num, row


def parsed_rows(
    rows: Iterable[tuple[int, dict | BadLine]], parse: Callable[[dict], T], errors: list[str]
) -> Iterator[tuple[int, T]]:
    """(line, parse(row)) for every good row of read_rows; a row that read_rows could
    not read, or one that parse rejects with BadLine, is added to errors instead."""
    for line, raw in rows:
        if isinstance(raw, BadLine):
            errors.append(f"line {line}: {raw}")
            continue
        try:
            value = parse(raw)
        except BadLine as error:
            errors.append(f"line {line}: {error}")
            continue
        yield line, value


def _progress(rows: Iterable, total: int | None, show: bool):
    return tqdm(rows, total=total, disable=not show, unit=" строк", desc="Проверка", mininterval=1)


def _finish(errors: list[str], total: int, partial: bool) -> None:
    if errors and not partial:
        raise ImportFailed(errors, total)


# Tickets


TICKET_COLUMNS = [
    "office",
    "service",
    "number",
    "issued_at",
    "called_at",
    "started_at",
    "finished_at",
    "status",
    "counter",
]
TICKET_STATUSES = {"done", "no_show", "cancelled"}
# Columns written for an imported ticket, in COPY order.
TICKET_FIELDS = [
    "office_id", "service_id", "number", "local_date", "priority", "status", "counter_id", "operator_id",
    "issued_at", "queued_at", "front", "called_at", "started_at", "finished_at", "recall_count",
    "wait_seconds", "service_seconds", "token", "imported",
]  # fmt: skip
# What must match for a repeated row to count as the same ticket.
SAME = slice(0, 17)


class _Lookups:
    def __init__(self):
        self.offices = {o.code: o for o in Office.objects.all()}
        self.services = {(s.office_id, s.code): s for s in Service.objects.all()}
        self.counters = {(c.office_id, c.number): c.pk for c in Counter.objects.all()}
        self.zones = {o.pk: ZoneInfo(o.timezone) for o in self.offices.values()}
        now = timezone.now()
        self.today = {o.pk: o.local_date(now) for o in self.offices.values()}


def _ticket_row(row: dict, lookups: _Lookups) -> tuple:
    office = lookups.offices.get(row["office"].strip())
    if office is None:
        raise BadLine(f"неизвестный офис «{row['office']}»")
    service = lookups.services.get((office.pk, row["service"].strip()))
    if service is None:
        raise BadLine(f"в офисе «{office.code}» нет услуги «{row['service']}»")
    number = row["number"].strip()
    if not number or len(number) > 12:
        raise BadLine("номер талона пуст или длиннее 12 символов")
    status = row["status"].strip()
    if status not in TICKET_STATUSES:
        raise BadLine(f"статус «{status}» — допустимы done, no_show, cancelled")
    issued = parse_time(row["issued_at"], "issued_at")
    done = status == "done"
    called = parse_time(row["called_at"], "called_at", required=done)
    started = parse_time(row["started_at"], "started_at", required=False)
    finished = parse_time(row["finished_at"], "finished_at", required=done)
    if started is None and done:
        started = called  # no start pressed: service began at the call
    if started is not None and called is None:
        raise BadLine("started_at без called_at")
    times = [("issued_at", issued), ("called_at", called), ("started_at", started), ("finished_at", finished)]
    present = [(name, moment) for name, moment in times if moment is not None]
    for (name_a, a), (name_b, b) in zip(present, present[1:], strict=False):
        if b < a:
            raise BadLine(f"{name_b} раньше {name_a}")
    counter_id = None
    if row["counter"].strip():
        counter_id = lookups.counters.get((office.pk, row["counter"].strip()))
        if counter_id is None:
            raise BadLine(f"в офисе «{office.code}» нет окна «{row['counter']}»")
    wait = (called - issued).total_seconds() if called else 0.0
    service_seconds = (finished - started).total_seconds() if done else 0.0
    local_date = issued.astimezone(lookups.zones[office.pk]).date()
    if local_date >= lookups.today[office.pk]:
        # Today's numbers belong to the live queue: an imported К001 would take the
        # number the kiosk is about to issue (and tomorrow's, tomorrow's first).
        raise BadLine(
            f"талон за {local_date:%d.%m.%Y}: импортируются только прошедшие дни, "
            "сегодняшние и будущие талоны выдаёт очередь"
        )
    return (
        office.pk, service.pk, number, local_date, False, status, counter_id, None,
        issued, issued, False, called, started if done else None, finished, 0,
        wait, service_seconds, secrets.token_urlsafe(16), True,
    )  # fmt: skip


def _existing_tickets(keys: set[tuple]) -> dict[tuple, tuple]:
    """Tickets already stored under any of these (office, local date, number) keys."""
    if not keys:
        return {}
    office_ids = {k[0] for k in keys}
    days = [k[1] for k in keys]
    stored = Ticket.objects.filter(office_id__in=office_ids, local_date__range=(min(days), max(days)))
    result = {}
    for values in stored.values_list(*TICKET_FIELDS[:17]).iterator(chunk_size=20000):
        key = (values[0], values[3], values[2])
        if key in keys:
            result[key] = values
    return result


def _same_ticket(a: tuple, b: tuple) -> bool:
    return a[SAME] == b[SAME]


def import_tickets(
    stream: Iterable[str], *, partial: bool = False, progress: bool = False, total: int | None = None
) -> ImportResult:
    lookups = _Lookups()
    result = ImportResult()
    if connection.vendor == "postgresql" and getattr(stream, "seekable", lambda: False)():
        header = stream.readline()
        if [name.strip() for name in next(csv.reader([header]), [])] == TICKET_COLUMNS and '"' not in header:
            try:
                ticket_copy.copy_import(
                    stream, header=",".join(TICKET_COLUMNS) + "\n", lookups=lookups, result=result, partial=partial
                )
                return result
            except ticket_copy.NotPlain:
                result = ImportResult()  # nothing was kept: the Python path reads the file again
        stream.seek(0)
    rows: dict[tuple, tuple] = {}
    lines = _progress(read_rows(stream, TICKET_COLUMNS), total, progress)
    for line, values in parsed_rows(lines, lambda raw: _ticket_row(raw, lookups), result.errors):
        key = (values[0], values[3], values[2])
        if key in rows:
            if _same_ticket(rows[key], values):
                result.skipped += 1
            else:
                result.errors.append(
                    f"line {line}: талон {values[2]} за {values[3]:%d.%m.%Y} уже есть в файле с другими данными"
                )
            continue
        rows[key] = values
    existing = _existing_tickets(set(rows))
    for key, stored in existing.items():
        if _same_ticket(stored, rows[key]):
            result.skipped += 1
        else:
            result.errors.append(f"талон {key[2]} за {key[1]:%d.%m.%Y} уже есть в базе с другими данными")
        del rows[key]
    _finish(result.errors, len(rows), partial)
    with transaction.atomic():
        _write_tickets(list(rows.values()), progress)
        rollups.record_many(_shares(rows.values(), lookups))
        touched: dict[int, set] = {}
        for values in rows.values():
            touched.setdefault(values[0], set()).add(values[3])
        daily.reroll(touched)
    result.imported = len(rows)
    return result


def _shares(rows: Iterable[tuple], lookups: "_Lookups") -> Iterator[rollups.Share]:
    norms = {office.pk: office.wait_norm_minutes for office in lookups.offices.values()}
    for row in rows:
        values = dict(zip(TICKET_FIELDS, row, strict=True))
        yield rollups.Share.counted(
            office_id=values["office_id"],
            service_id=values["service_id"],
            local_date=values["local_date"],
            status=values["status"],
            wait_seconds=values["wait_seconds"],
            service_seconds=values["service_seconds"],
            norm=norms[values["office_id"]],
        )


def _write_tickets(rows: list[tuple], progress: bool) -> None:
    if connection.vendor == "postgresql":
        # COPY is an order of magnitude faster than INSERT for a million rows.
        # COPY bypasses Django's field defaults: every NOT NULL column without a
        # database default must be listed, hence the empty operator note.
        columns = ", ".join([*TICKET_FIELDS, "note"])
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {Ticket._meta.db_table} ({columns}) FROM STDIN") as copy:
                for row in tqdm(rows, disable=not progress, unit=" строк", desc="Запись", mininterval=1):
                    copy.write_row((*row, ""))
        return
    batch = []
    for row in rows:
        values = dict(zip(TICKET_FIELDS, row, strict=True))
        batch.append(Ticket(**values))
        if len(batch) == 5000:
            Ticket.objects.bulk_create(batch)
            batch = []
    Ticket.objects.bulk_create(batch)


# Monthly contacts of the remote channels


def import_contacts(stream: Iterable[str], *, partial: bool = False) -> ImportResult:
    result = ImportResult()
    rows: dict[tuple[date, str], int] = {}
    for line, (month, channel, count) in parsed_rows(
        read_rows(stream, ["month", "channel", "count"]), _contact_row, result.errors
    ):
        if (month, channel) in rows:
            result.errors.append(f"line {line}: {month:%Y-%m} {channel} уже указан в файле")
            continue
        rows[(month, channel)] = count
    _finish(result.errors, len(rows), partial)
    with transaction.atomic():
        for (month, channel), count in rows.items():
            current = ContactCount.objects.filter(month=month, channel=channel).first()
            if current is None:
                ContactCount.objects.create(month=month, channel=channel, count=count)
                result.imported += 1
            elif current.count != count:
                current.count = count
                current.save(update_fields=["count"])
                result.replaced += 1
            else:
                result.skipped += 1
    return result


def _contact_row(raw: dict) -> tuple[date, str, int]:
    month = _parse_month(raw["month"])
    channel = raw["channel"].strip()
    if channel in IN_PERSON_KEYS:
        raise BadLine(f"канал «{channel}» — очное обслуживание считается по талонам и не импортируется")
    if channel not in REMOTE_KEYS:
        raise BadLine(f"неизвестный канал «{channel}», допустимы {', '.join(sorted(REMOTE_KEYS))}")
    return month, channel, _parse_count(raw["count"])


def _parse_month(value: str) -> date:
    try:
        year, month = value.strip().split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise BadLine(f"месяц «{value}» — нужен формат ГГГГ-ММ") from None


def _parse_count(value: str) -> int:
    # Digits only: int() would also take "1_000" and non-ASCII digits. Spaces group thousands.
    digits = value.strip().replace(" ", "")
    if re.fullmatch(r"-[0-9]+", digits):
        raise BadLine("количество не может быть отрицательным")
    if not re.fullmatch(r"[0-9]+", digits):
        raise BadLine(f"количество «{value[:20]}» — не целое число")
    count = int(digits)
    if count > MAX_COUNT:
        raise BadLine(f"количество «{value[:20]}» — больше {MAX_COUNT}")
    return count


# Appeals and calls: one row per event, keyed by the line itself


def _company_month(moment: datetime) -> date:
    local = moment.astimezone(ZoneInfo(settings.TIME_ZONE))
    return date(local.year, local.month, 1)


def _line_keys(lines: list[tuple[int, tuple]]) -> list[tuple[int, str]]:
    seen: Tally = Tally()
    keys = []
    for line, values in lines:
        seen[values] += 1
        digest = hashlib.sha256(("|".join(map(str, values)) + f"#{seen[values]}").encode()).hexdigest()
        keys.append((line, digest))
    return keys


def _insert_new(model, objects: list, result: ImportResult) -> None:
    keys = [o.key for o in objects]
    existing = set()
    for start in range(0, len(keys), 5000):
        chunk = keys[start : start + 5000]
        existing.update(model.objects.filter(key__in=chunk).values_list("key", flat=True))
    new = [o for o in objects if o.key not in existing]
    result.skipped += len(objects) - len(new)
    with transaction.atomic():
        model.objects.bulk_create(new, batch_size=5000)
    result.imported += len(new)


def import_appeals(stream: Iterable[str], *, partial: bool = False) -> ImportResult:
    result = ImportResult()
    now = timezone.now()
    parsed = [
        (line, (channel, received.isoformat(), answered.isoformat() if answered else ""), received, answered)
        for line, (channel, received, answered) in parsed_rows(
            read_rows(stream, ["channel", "received_at", "answered_at"]),
            lambda raw: _appeal_row(raw, now),
            result.errors,
        )
    ]
    _finish(result.errors, len(parsed), partial)
    keys = dict(_line_keys([(line, values) for line, values, _, _ in parsed]))
    objects = [
        Appeal(
            key=keys[line],
            channel=values[0],
            received_at=received,
            answered_at=answered,
            month=_company_month(received),
            response_seconds=(answered - received).total_seconds() if answered else None,
        )
        for line, values, received, answered in parsed
    ]
    _insert_new(Appeal, objects, result)
    return result


def _appeal_row(raw: dict, now: datetime) -> tuple[str, datetime, datetime | None]:
    channel = raw["channel"].strip()
    if channel not in REMOTE_KEYS:
        raise BadLine(f"неизвестный канал «{channel}»")
    received = parse_time(raw["received_at"], "received_at")
    answered = parse_time(raw["answered_at"], "answered_at", required=False)
    if answered is not None and answered < received:
        raise BadLine("answered_at раньше received_at")
    not_after(now, ("received_at", received), ("answered_at", answered))
    return channel, received, answered


def import_calls(stream: Iterable[str], *, partial: bool = False) -> ImportResult:
    result = ImportResult()
    now = timezone.now()
    parsed = [
        (
            line,
            (started.isoformat(), answered.isoformat() if answered else "", ended.isoformat()),
            started,
            answered,
            ended,
        )
        for line, (started, answered, ended) in parsed_rows(
            read_rows(stream, ["started_at", "answered_at", "ended_at"]), lambda raw: _call_row(raw, now), result.errors
        )
    ]
    _finish(result.errors, len(parsed), partial)
    keys = dict(_line_keys([(line, values) for line, values, *_ in parsed]))
    objects = [
        Call(
            key=keys[line],
            started_at=started,
            answered_at=answered,
            ended_at=ended,
            month=_company_month(started),
            wait_seconds=(answered - started).total_seconds() if answered else None,
            talk_seconds=(ended - answered).total_seconds() if answered else None,
        )
        for line, values, started, answered, ended in parsed
    ]
    _insert_new(Call, objects, result)
    return result


def _call_row(raw: dict, now: datetime) -> tuple[datetime, datetime | None, datetime]:
    started = parse_time(raw["started_at"], "started_at")
    answered = parse_time(raw["answered_at"], "answered_at", required=False)
    ended = parse_time(raw["ended_at"], "ended_at")
    if answered is not None and not started <= answered <= ended:
        raise BadLine("нужно started_at ≤ answered_at ≤ ended_at")
    if ended < started:
        raise BadLine("ended_at раньше started_at")
    not_after(now, ("started_at", started), ("answered_at", answered), ("ended_at", ended))
    return started, answered, ended


def open_text(path) -> io.TextIOWrapper:
    return open(path, encoding="utf-8-sig", newline="")
