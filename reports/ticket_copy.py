"""import_tickets on PostgreSQL: COPY into a staging table, validate in SQL, insert set-based.

The file is streamed in 1 MB chunks into a temporary table of (line, raw) with
COPY, so memory stays flat whatever its size. SQL then splits every line and
validates it: a line that passes every check of ``imports._ticket_row`` in
its plainest form (exact codes, ISO times with an offset, times in order, a
past day) is parsed there. Every other line (a bad one, or a good one in a
rarer form: spaces around a code, another ISO layout) is handed to
``_ticket_row`` itself, so a bad line's ``line N: reason`` is word for word the
one the Python path gives, and a good one is taken as it would be there.
Duplicates within the file and rows already stored are found with set-based
queries; then one statement inserts the good rows and adds them to the
rollups. All of it is one transaction: a file with a bad line changes nothing.

Only files in which a line is a record go this way: a file with a quote
character (a quoted field may hold a comma or a line break), or a byte COPY
would read differently (NUL, the two control characters used as delimiter and
quote here), raises ``NotPlain`` before anything is kept, and the caller reads
it with the Python path instead.
"""

import io

from django.db import DataError, connection, transaction

from offices.models import Counter, Office, Service
from tickets import rollups
from tickets.models import HourLoad, OutcomeMonth, RollupMark, ServiceMonth, Ticket

CHUNK = 1 << 20
FIELD_LIMIT = 131072  # csv.field_size_limit(): a longer line goes to the Python check
NOT_PLAIN = ('"', "\x00", "\x01", "\x02")
# ISO 8601 as exports write it: date, T, time with 0, 3 or 6 decimals, ±HH:MM.
# Python's fromisoformat reads every such value to the same instant as PostgreSQL.
TIME = (
    r"^(19[7-9][0-9]|20[0-9][0-9])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{3}|\.[0-9]{6})?[+-]([01][0-9]|2[0-3]):[0-5][0-9]$"
)
NUMBER = r"^[0-9A-Za-zА-Яа-яЁё_-]{1,12}$"


class NotPlain(Exception):
    pass


def _time(field: str) -> str:
    # Nested CASE: the cast only ever sees a valid date (not 30 February).
    return (
        f"CASE WHEN {field} ~ '{TIME}' THEN CASE WHEN substr({field}, 9, 2)::int <= extract(day FROM "
        f"make_date(substr({field}, 1, 4)::int, substr({field}, 6, 2)::int, 1) + interval '1 month - 1 day')::int "
        f"THEN {field}::timestamptz END END"
    )


def _in_range(value: str) -> str:
    return f"({value} IS NULL OR ({value} >= '1970-01-01T00:00:00Z' AND {value} < '2100-01-01T00:00:00Z'))"


PARSE = f"""
CREATE TEMPORARY TABLE import_parsed ON COMMIT DROP AS
SELECT line, office_id, service_id, number, local_date, status, counter_id, issued, called, started, finished,
       coalesce(extract(epoch FROM called - issued)::float8, 0) AS wait,
       CASE WHEN status = 'done' THEN extract(epoch FROM finished - started)::float8 ELSE 0 END AS service_s,
       (office_id IS NOT NULL AND service_id IS NOT NULL AND fields = 9 AND short
        AND number ~ '{NUMBER}' AND status IN ('done', 'no_show', 'cancelled')
        AND issued IS NOT NULL AND (called_raw = '' OR called IS NOT NULL)
        AND (started_raw = '' OR started IS NOT NULL) AND (finished_raw = '' OR finished IS NOT NULL)
        AND (status <> 'done' OR (called IS NOT NULL AND finished IS NOT NULL))
        AND (started_raw = '' OR called IS NOT NULL)
        AND (called IS NULL OR called >= issued)
        AND (started_any IS NULL OR started_any >= coalesce(called, issued))
        AND (finished IS NULL OR finished >= coalesce(started_any, called, issued))
        AND {_in_range("issued")} AND {_in_range("called")} AND {_in_range("started")} AND {_in_range("finished")}
        AND (counter_raw = '' OR counter_id IS NOT NULL)
        AND local_date < today) IS TRUE AS plain
FROM (
    SELECT l.line, o.id AS office_id, s.id AS service_id, l.f[3] AS number, l.f[8] AS status,
           c.id AS counter_id, l.f[9] AS counter_raw, cardinality(l.f) AS fields,
           length(l.raw) <= {FIELD_LIMIT} AS short,
           t.today, l.f[5] AS called_raw, l.f[6] AS started_raw, l.f[7] AS finished_raw,
           issued, called, finished,
           -- No start pressed: service began at the call; a start is kept only for done tickets.
           CASE WHEN l.f[8] = 'done' THEN coalesce(started, called) ELSE started END AS started_any,
           CASE WHEN l.f[8] = 'done' THEN coalesce(started, called) END AS started,
           (issued AT TIME ZONE o.timezone)::date AS local_date
    FROM (SELECT line, raw, f,
                 {_time("f4")} AS issued, {_time("f5")} AS called,
                 {_time("f6")} AS started, {_time("f7")} AS finished
          -- OFFSET 0 keeps each step from being inlined into the next: every use of a
          -- field would split the line again.
          FROM (SELECT line, raw, f, f[4] AS f4, f[5] AS f5, f[6] AS f6, f[7] AS f7
                FROM (SELECT line, raw, string_to_array(raw, ',') AS f FROM import_lines
                      WHERE raw IS NOT NULL OFFSET 0) split
                WHERE cardinality(f) = 9 AND length(raw) <= {FIELD_LIMIT} OFFSET 0) fields
          UNION ALL
          SELECT line, raw, ARRAY[]::text[], NULL, NULL, NULL, NULL FROM import_lines
          WHERE raw IS NOT NULL AND (cardinality(string_to_array(raw, ',')) <> 9 OR length(raw) > {FIELD_LIMIT})
         ) l
    LEFT JOIN {Office._meta.db_table} o ON o.code = l.f[1]
    LEFT JOIN {Service._meta.db_table} s ON s.office_id = o.id AND s.code = l.f[2]
    LEFT JOIN {Counter._meta.db_table} c ON c.office_id = o.id AND c.number = l.f[9]
    LEFT JOIN unnest(%s::bigint[], %s::date[]) AS t(office_id, today) ON t.office_id = o.id
) parsed
"""

# What must match for a repeated row to count as the same ticket (imports.SAME).
SAME_AS_STORED = (
    "(t.service_id, t.status, t.counter_id, t.operator_id, t.priority, t.issued_at, t.queued_at, t.front, "
    "t.called_at, t.started_at, t.finished_at, t.recall_count, t.wait_seconds, t.service_seconds) "
    "IS NOT DISTINCT FROM (g.service_id, g.status, g.counter_id, NULL::integer, false, g.issued, g.issued, false, "
    "g.called, g.started, g.finished, 0, g.wait, g.service_s)"
)
SAME_IN_FILE = (
    "(a.service_id, a.status, a.counter_id, a.issued, a.called, a.started, a.finished, a.wait, a.service_s) "
    "IS NOT DISTINCT FROM "
    "(b.service_id, b.status, b.counter_id, b.issued, b.called, b.started, b.finished, b.wait, b.service_s)"
)

# The rows of `dropped` that differ, in line order, then one row with how many were the same:
# the skipped rows are only counted, so a re-import of millions keeps memory flat.
DIFFERENT_AND_COUNT = """
SELECT * FROM (SELECT line, number, local_date, NULL::bigint FROM dropped WHERE NOT same ORDER BY line) different
UNION ALL SELECT NULL, NULL, NULL, count(*) FROM dropped WHERE same
"""

_COUNTS = ", ".join(rollups.COUNTS)
INSERT = f"""
WITH added AS (
    INSERT INTO {Ticket._meta.db_table} (
        office_id, service_id, number, local_date, priority, status, counter_id, operator_id, issued_at, queued_at,
        front, called_at, started_at, finished_at, recall_count, wait_seconds, service_seconds, token, imported, note)
    SELECT office_id, service_id, number, local_date, false, status, counter_id, NULL, issued, issued,
           false, called, started, finished, 0, wait, service_s, replace(gen_random_uuid()::text, '-', ''), true, ''
    FROM import_parsed WHERE plain
    RETURNING office_id, service_id, local_date, status, wait_seconds, service_seconds, issued_at
), hours AS (
    -- Imported tickets have no operator and no counter log: of the daily rows only the load by hour
    -- changes, and only on days already rolled (up to the office's mark; later days are read live).
    INSERT INTO {HourLoad._meta.db_table} AS h (office_id, day, hour, issued, done, wait_us)
    SELECT a.office_id, a.local_date, extract(hour FROM a.issued_at AT TIME ZONE o.timezone)::int, count(*),
           count(*) FILTER (WHERE a.status = 'done'),
           coalesce(sum(round(a.wait_seconds * 1000000)::bigint) FILTER (WHERE a.status = 'done'), 0)
    FROM added a JOIN {Office._meta.db_table} o ON o.id = a.office_id
    JOIN {RollupMark._meta.db_table} m ON m.office_id = a.office_id AND a.local_date <= m.through
    GROUP BY 1, 2, 3
    ON CONFLICT (office_id, day, hour) DO UPDATE SET
        issued = h.issued + excluded.issued, done = h.done + excluded.done, wait_us = h.wait_us + excluded.wait_us
), topics AS (
    -- Imported tickets have no outcomes: the done ones count «Без темы» (code ''). The main
    -- statement does not read this one, so PostgreSQL runs it after that: the month rows are
    -- locked before the topic rows, in the order every rollup writer takes them (rollups._write).
    INSERT INTO {OutcomeMonth._meta.db_table} AS t (office_id, service_id, month, code, count)
    SELECT office_id, service_id, date_trunc('month', local_date)::date, '', count(*)
    FROM added WHERE status = 'done'
    GROUP BY 1, 2, 3
    ON CONFLICT (office_id, service_id, month, code) DO UPDATE SET count = t.count + excluded.count
)
INSERT INTO {ServiceMonth._meta.db_table} (office_id, service_id, month, {_COUNTS}, norm_minutes)
SELECT a.office_id, a.service_id, date_trunc('month', a.local_date)::date, count(*),
       count(*) FILTER (WHERE status = 'done'), count(*) FILTER (WHERE status = 'no_show'),
       count(*) FILTER (WHERE status = 'cancelled'), 0,
       coalesce(sum(round(wait_seconds * 1000000)::bigint) FILTER (WHERE status = 'done'), 0),
       coalesce(sum(round(service_seconds * 1000000)::bigint) FILTER (WHERE status = 'done'), 0),
       count(*) FILTER (WHERE status = 'done' AND wait_seconds > o.wait_norm_minutes * 60),
       count(*) FILTER (WHERE status = 'done' AND wait_seconds > o.wait_norm_minutes * 120), 0, 0, 0, 0,
       o.wait_norm_minutes
FROM added a JOIN {Office._meta.db_table} o ON o.id = a.office_id
GROUP BY a.office_id, a.service_id, date_trunc('month', a.local_date), o.wait_norm_minutes
{rollups.UPSERT_TAIL}
"""


def _copy_lines(cursor, stream) -> None:
    with cursor.cursor.copy(
        "COPY import_lines (raw) FROM STDIN WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')"
    ) as copy:
        while chunk := stream.read(CHUNK):
            if any(char in chunk for char in NOT_PLAIN):
                raise NotPlain()
            copy.write(chunk)


def copy_import(stream, *, header: str, lookups, result, partial: bool) -> None:
    """Everything after the header line; raises NotPlain (nothing kept) for a file to read in Python."""
    from . import imports  # the Python checks and messages; imports imports this module lazily too

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '128MB'")
        # ON COMMIT DROP does not fire inside an outer transaction (the import as part of a larger one).
        cursor.execute("DROP TABLE IF EXISTS import_lines, import_parsed")
        # The line number is the identity, counted from the header's line 1; with no
        # quote in the file every physical line is one record, as the csv module reads it.
        cursor.execute(
            "CREATE TEMPORARY TABLE import_lines (line bigint GENERATED ALWAYS AS IDENTITY (START WITH 2), raw text) "
            "ON COMMIT DROP"
        )
        try:
            _copy_lines(cursor, stream)
        except DataError as error:  # a lone carriage return, bytes COPY reads otherwise
            raise NotPlain() from error
        offices = list(lookups.today)
        cursor.execute(PARSE, [offices, [lookups.today[pk] for pk in offices]])
        cursor.execute("CREATE INDEX ON import_parsed (line) WHERE NOT plain")
        errors: list[tuple[int, str]] = []
        _check_other_lines(cursor, header, lookups, errors, imports)
        cursor.execute("ANALYZE import_parsed")
        skipped = _drop_repeats_in_file(cursor, errors)
        stored_errors, skipped_stored = _drop_stored(cursor)
        result.skipped += skipped + skipped_stored
        result.errors.extend(message for _, message in sorted(errors))
        result.errors.extend(stored_errors)
        cursor.execute("SELECT count(*) FROM import_parsed WHERE plain")
        (count,) = cursor.fetchone()
        imports._finish(result.errors, count, partial)
        rollups.share_writers(cursor, offices)
        cursor.execute(INSERT)
        cursor.execute("DROP TABLE import_lines, import_parsed")
        result.imported = count


def _check_other_lines(cursor, header: str, lookups, errors: list, imports) -> None:
    """The lines SQL did not take: _ticket_row gives each its reason, or takes it as it would in Python."""
    good = []
    with connection.chunked_cursor() as lines:
        lines.execute("SELECT p.line, l.raw FROM import_parsed p JOIN import_lines l USING (line) WHERE NOT p.plain")
        while batch := lines.fetchmany(2000):
            for line, raw in batch:
                for _, value in imports.read_rows(io.StringIO(header + raw + "\n"), imports.TICKET_COLUMNS):
                    if isinstance(value, imports.BadLine):
                        errors.append((line, f"line {line}: {value}"))
                        continue
                    try:
                        good.append((line, imports._ticket_row(value, lookups)))
                    except imports.BadLine as error:
                        errors.append((line, f"line {line}: {error}"))
    cursor.execute("DELETE FROM import_parsed WHERE NOT plain")
    if good:
        with cursor.cursor.copy(
            "COPY import_parsed (line, office_id, service_id, number, local_date, status, counter_id, issued, called, "
            "started, finished, wait, service_s, plain) FROM STDIN"
        ) as copy:
            for line, row in good:
                (
                    office,
                    service,
                    number,
                    local_date,
                    _,
                    status,
                    counter,
                    _,
                    issued,
                    _,
                    _,
                    called,
                    started,
                    finished,
                ) = row[:14]
                copy.write_row(
                    (line, office, service, number, local_date, status, counter, issued, called, started, finished)
                    + (row[15], row[16], True)
                )


def _drop_repeats_in_file(cursor, errors: list) -> int:
    """A key seen again later in the file: the same ticket is skipped, other data is a bad line."""
    cursor.execute(
        f"""
        WITH first AS (
            SELECT DISTINCT ON (office_id, local_date, number) * FROM import_parsed
            WHERE (office_id, local_date, number) IN (
                SELECT office_id, local_date, number FROM import_parsed GROUP BY 1, 2, 3 HAVING count(*) > 1)
            ORDER BY office_id, local_date, number, line
        )
        , dropped AS (
            DELETE FROM import_parsed b USING first a
            WHERE b.office_id = a.office_id AND b.local_date = a.local_date AND b.number = a.number
              AND b.line > a.line
            RETURNING b.line, b.number, b.local_date, {SAME_IN_FILE} AS same
        )
        {DIFFERENT_AND_COUNT}
        """
    )
    skipped = 0
    for line, number, local_date, same_count in cursor.fetchall():
        if line is None:
            skipped = same_count
        else:
            errors.append(
                (line, f"line {line}: талон {number} за {local_date:%d.%m.%Y} уже есть в файле с другими данными")
            )
    return skipped


def _drop_stored(cursor) -> tuple[list[str], int]:
    """Rows whose ticket is already stored: skipped when identical, an error otherwise."""
    cursor.execute(
        f"""
        WITH dropped AS (
            DELETE FROM import_parsed g USING {Ticket._meta.db_table} t
            WHERE t.office_id = g.office_id AND t.local_date = g.local_date AND t.number = g.number
            RETURNING g.line, g.number, g.local_date, {SAME_AS_STORED} AS same
        )
        {DIFFERENT_AND_COUNT}
        """
    )
    errors, skipped = [], 0
    for line, number, local_date, same_count in cursor.fetchall():
        if line is None:
            skipped = same_count
        else:
            errors.append(f"талон {number} за {local_date:%d.%m.%Y} уже есть в базе с другими данными")
    return errors, skipped
