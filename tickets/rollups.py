"""Monthly rollups of tickets (``ServiceMonth``), kept exact as tickets change.

A ticket adds its ``Share`` to the row of its office, service and month: one to
``tickets`` (whatever its status), one to the count of its final status, and
its wait and service (and whether the wait was over the norm) when done. Every
service whose change alters a share calls ``record`` once, as its last
statement, with the share from before the change: issue (no share before),
transfer (the service may change), finish, no-show, cancel and expire, and any
reversal of these. Imports add their shares in bulk (``reports.imports``).

The topics (``OutcomeMonth``) move with the same call: a ticket that became
done adds 1 to the row of each outcome ticked at its finish, or to its row
«Без темы» (code "") when none was, as an imported done ticket always does.
Done is final (no transition leaves it), so a topic row is only ever added to.

The write is one ``INSERT … ON CONFLICT DO UPDATE SET x = x + excluded.x`` at
the end of the transaction, so the row lock is held only from there to the
commit: counters finishing at once queue on the row for microseconds, not for
their whole transaction.

On PostgreSQL every such write also takes a shared advisory lock on the office
(no wait between writers); ``rebuild`` takes it exclusively, so a rebuild never
reads the tickets between a writer's ticket change and its rollup delta.
"""

from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import BigIntegerField, Count, Exists, F, Max, OuterRef, Q, Sum
from django.db.models.functions import Abs, Cast, Round, TruncMonth

from offices.models import Office, Service

from . import daily
from .models import OutcomeMonth, ServiceMonth, Ticket, TicketOutcome

COUNTS = [
    "tickets", "done", "no_show", "cancelled", "expired", "wait_us", "service_us", "over_norm",
    "over_double_norm", "promised", "promise_error_us", "promise_bias_us", "promise_within",
]  # fmt: skip
DONE = COUNTS.index("done")
# A promise within this many seconds of the real wait counts as kept (estimate accuracy).
PROMISE_WITHIN_SECONDS = 300
FINAL = {
    Ticket.Status.DONE: "done",
    Ticket.Status.NO_SHOW: "no_show",
    Ticket.Status.CANCELLED: "cancelled",
    Ticket.Status.EXPIRED: "expired",
}
# pg_advisory_xact_lock(ADVISORY_SPACE, office_id): rollup writers share it, rebuild holds it alone.
ADVISORY_SPACE = 24_001


def micro(seconds: float) -> int:
    return round(seconds * 1_000_000)


def month_of(day: date) -> date:
    return day.replace(day=1)


@dataclass(frozen=True)
class Share:
    """What one ticket adds to its office, service and month."""

    key: tuple[int, int, date]
    counts: tuple[int, ...]  # in COUNTS order
    norm: int | None  # the norm over_norm was judged by; None when the ticket is not done

    @classmethod
    def of(cls, ticket: Ticket) -> "Share":
        done = ticket.status == Ticket.Status.DONE
        # The wait of the definitions is the ticket's wait_seconds, however a
        # transition computed it: the rollup never recomputes it.
        return cls.counted(
            office_id=ticket.office_id,
            service_id=ticket.service_id,
            local_date=ticket.local_date,
            status=ticket.status,
            wait_seconds=ticket.wait_seconds,
            service_seconds=ticket.service_seconds,
            norm=ticket.office.wait_norm_minutes if done else None,
            promised=ticket.promised_wait_seconds,
        )

    @classmethod
    def counted(
        cls,
        *,
        office_id,
        service_id,
        local_date,
        status,
        wait_seconds,
        service_seconds,
        norm: int | None,
        promised: int | None = None,
    ) -> "Share":
        final = FINAL.get(status)
        done = final == "done"
        counts = {
            "tickets": 1,
            "wait_us": micro(wait_seconds) if done else 0,
            "service_us": micro(service_seconds) if done else 0,
            "over_norm": int(done and wait_seconds > norm * 60),
            "over_double_norm": int(done and wait_seconds > norm * 120),
        }
        if done and promised is not None:
            error = promised - wait_seconds
            counts |= {
                "promised": 1,
                "promise_error_us": micro(abs(error)),
                "promise_bias_us": micro(error),
                "promise_within": int(abs(error) <= PROMISE_WITHIN_SECONDS),
            }
        if final:
            counts[final] = 1
        return cls(
            key=(office_id, service_id, month_of(local_date)),
            counts=tuple(counts.get(name, 0) for name in COUNTS),
            norm=norm if done else None,
        )


def _deltas(before: Share | None, after: Share | None) -> dict[tuple, tuple[tuple[int, ...], int | None]]:
    deltas: dict[tuple, list] = {}
    for share, sign in ((before, -1), (after, 1)):
        if share is None:
            continue
        counts, norm = deltas.get(share.key, ([0] * len(COUNTS), None))
        deltas[share.key] = ([c + sign * s for c, s in zip(counts, share.counts, strict=True)], norm or share.norm)
    return {key: (tuple(counts), norm) for key, (counts, norm) in deltas.items() if any(counts)}


_TABLE = ServiceMonth._meta.db_table
_OFFICE_TABLE = Office._meta.db_table
_COLUMNS = ", ".join(["office_id", "service_id", "month", *COUNTS, "norm_minutes"])
_ADD = ", ".join(f"{name} = {_TABLE}.{name} + excluded.{name}" for name in COUNTS)
# A row keeps the norm its over_norm was counted by; a done delta judged by
# another norm (the office's norm was edited meanwhile) leaves it NULL: stale,
# recounted by refresh() before the next read.
UPSERT_TAIL = (
    f"ON CONFLICT (office_id, service_id, month) DO UPDATE SET {_ADD}, "
    f"norm_minutes = CASE WHEN excluded.done = 0 OR {_TABLE}.norm_minutes = excluded.norm_minutes "
    f"THEN {_TABLE}.norm_minutes END"
)
_TOPICS = OutcomeMonth._meta.db_table
TOPICS_UPSERT = (
    f"INSERT INTO {_TOPICS} (office_id, service_id, month, code, count) VALUES {{rows}} "
    f"ON CONFLICT (office_id, service_id, month, code) DO UPDATE SET count = {_TOPICS}.count + excluded.count"
)


def share_writers(cursor, office_ids) -> None:
    """Take the office locks every rollup writer shares (PostgreSQL; SQLite serialises writers anyway)."""
    if connection.vendor == "postgresql":
        for office_id in sorted(set(office_ids)):
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", [ADVISORY_SPACE, office_id])


def record(ticket: Ticket, *, before: Share | None = None, outcomes=()) -> None:
    """Move the ticket's share in the rollups from ``before`` to what it is now.

    ``outcomes``: the codes ticked when it was finished, for its topics (finish only).
    Call it last in the service's transaction (the row lock lasts until commit).
    """
    after = Share.of(ticket)
    topics = {}
    if after.counts[DONE] and not (before and before.counts[DONE]):
        topics = {(*after.key, code): 1 for code in outcomes or [""]}
    _write(_deltas(before, after), topics)


def record_changes(changes) -> None:
    """``record`` for many tickets at once (close_day): (before, ticket) pairs, summed per row."""
    _write_summed(
        (key, counts, norm)
        for before, ticket in changes
        for key, (counts, norm) in _deltas(before, Share.of(ticket)).items()
    )


def record_many(shares) -> None:
    """Add the shares of new tickets (an import), summed per row: one statement per 500 rows.

    New tickets have no outcomes: their done ones add to the rows «Без темы».
    """
    total = _write_summed((share.key, share.counts, share.norm) for share in shares)
    topics = {(*key, ""): counts[DONE] for key, (counts, _) in total.items() if counts[DONE]}
    keys = sorted(topics)
    for start in range(0, len(keys), 500):
        _write({}, {key: topics[key] for key in keys[start : start + 500]})


def _write_summed(deltas) -> dict[tuple, tuple[list[int], int | None]]:
    """Sum (key, counts, norm) deltas per row and write them, 500 rows per statement; returns the sums."""
    total: dict[tuple, tuple[list[int], int | None]] = {}
    for key, counts, norm in deltas:
        summed, summed_norm = total.get(key, ([0] * len(COUNTS), None))
        total[key] = ([a + c for a, c in zip(summed, counts, strict=True)], summed_norm or norm)
    keys = sorted(key for key, (counts, _) in total.items() if any(counts))
    for start in range(0, len(keys), 500):
        _write({key: (tuple(total[key][0]), total[key][1]) for key in keys[start : start + 500]})
    return total


def _write(deltas: dict[tuple, tuple[tuple[int, ...], int | None]], topics: dict[tuple, int] | None = None) -> None:
    """The ServiceMonth deltas, then the OutcomeMonth ones ((office, service, month, code) → count).

    Every writer locks its rows in this order (the months, then the topics, each
    in key order), so two writers never wait for each other in a cycle.
    """
    topics = {key: count for key, count in (topics or {}).items() if count}
    if not deltas and not topics:
        return
    with connection.cursor() as cursor:
        share_writers(cursor, [key[0] for key in [*deltas, *topics]])
        if deltas:
            _write_months(cursor, deltas)
        if topics:
            keys = sorted(topics)
            params = [value for key in keys for value in (*key, topics[key])]
            cursor.execute(TOPICS_UPSERT.format(rows=", ".join(["(%s, %s, %s, %s, %s)"] * len(keys))), params)


def _write_months(cursor, deltas: dict[tuple, tuple[tuple[int, ...], int | None]]) -> None:
    rows, params = [], []
    # Keys in order, so two transfers in opposite directions lock rows alike.
    for key in sorted(deltas):
        counts, norm = deltas[key]
        rows.append(
            f"(%s, %s, %s, {', '.join(['%s'] * len(COUNTS))}, "
            f"COALESCE(%s, (SELECT wait_norm_minutes FROM {_OFFICE_TABLE} WHERE id = %s)))"
        )
        params += [*key, *counts, norm, key[0]]
    cursor.execute(f"INSERT INTO {_TABLE} ({_COLUMNS}) VALUES {', '.join(rows)} {UPSERT_TAIL}", params)


# Recounting from the tickets


def expected(office_ids=None) -> dict[tuple, dict]:
    """The rows the tickets make now, keyed (office, service, month), counted in SQL."""
    done = Q(status=Ticket.Status.DONE)
    promised = done & Q(promised_wait_seconds__isnull=False)
    error = F("promised_wait_seconds") - F("wait_seconds")
    tickets = Ticket.objects.annotate(within=Abs(error))
    if office_ids is not None:
        tickets = tickets.filter(office_id__in=list(office_ids))
    rows = (
        tickets.annotate(m=TruncMonth("local_date"))
        .values("office_id", "service_id", "m")
        .annotate(
            tickets=Count("id"),
            done=Count("id", filter=done),
            no_show=Count("id", filter=Q(status=Ticket.Status.NO_SHOW)),
            cancelled=Count("id", filter=Q(status=Ticket.Status.CANCELLED)),
            expired=Count("id", filter=Q(status=Ticket.Status.EXPIRED)),
            wait_us=Sum(daily.micro_of("wait_seconds"), filter=done),
            service_us=Sum(daily.micro_of("service_seconds"), filter=done),
            over_norm=Count("id", filter=done & Q(wait_seconds__gt=F("office__wait_norm_minutes") * 60)),
            over_double_norm=Count("id", filter=done & Q(wait_seconds__gt=F("office__wait_norm_minutes") * 120)),
            promised=Count("id", filter=promised),
            promise_error_us=Sum(Cast(Round(Abs(error) * 1_000_000), BigIntegerField()), filter=promised),
            promise_bias_us=Sum(Cast(Round(error * 1_000_000), BigIntegerField()), filter=promised),
            promise_within=Count("id", filter=promised & Q(within__lte=PROMISE_WITHIN_SECONDS)),
            norm_minutes=Max("office__wait_norm_minutes"),
        )
        .order_by()
    )
    result = {}
    for row in rows:
        key = _month_key(row.pop("office_id"), row.pop("service_id"), row.pop("m"))
        result[key] = {name: int(row[name] or 0) for name in COUNTS} | {"norm_minutes": row["norm_minutes"]}
    return result


def _month_key(office_id, service_id, month) -> tuple[int, int, date]:
    return office_id, service_id, month if isinstance(month, date) else month.date()


def expected_topics(office_ids=None) -> dict[tuple, int]:
    """(office, service, month, code) → the done tickets with that outcome; code "" for those with none."""
    done = Ticket.objects.filter(status=Ticket.Status.DONE)
    if office_ids is not None:
        done = done.filter(office_id__in=list(office_ids))
    marked = (
        TicketOutcome.objects.filter(ticket__in=done)
        .values("ticket__office_id", "ticket__service_id", "code", m=TruncMonth("ticket__local_date"))
        .annotate(n=Count("id"))
        .values_list("ticket__office_id", "ticket__service_id", "m", "code", "n")
        .order_by()
    )
    bare = (
        done.filter(~Exists(TicketOutcome.objects.filter(ticket=OuterRef("pk"))))
        .values("office_id", "service_id", m=TruncMonth("local_date"))
        .annotate(n=Count("id"))
        .values_list("office_id", "service_id", "m", "n")
        .order_by()
    )
    result = {(*_month_key(o, s, m), code): n for o, s, m, code, n in marked}
    return result | {(*_month_key(o, s, m), ""): n for o, s, m, n in bare}


def rebuild(office_ids=None, *, days: bool = True, topics: bool = True) -> int:
    """Replace the rollups of these offices (all by default) with a recount; returns the rows written.

    ``days`` and ``topics``: the daily rows (``tickets.daily``) and the topics too;
    a norm's refresh needs the monthly ones only.
    """
    with transaction.atomic():
        ids = sorted(office_ids if office_ids is not None else Office.objects.values_list("pk", flat=True))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for office_id in ids:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_SPACE, office_id])
        ServiceMonth.objects.filter(office_id__in=ids).delete()
        rows = [
            ServiceMonth(office_id=key[0], service_id=key[1], month=key[2], **values)
            for key, values in expected(ids).items()
        ]
        ServiceMonth.objects.bulk_create(rows, batch_size=2000)
        written = len(rows)
        if topics:
            OutcomeMonth.objects.filter(office_id__in=ids).delete()
            counted = [
                OutcomeMonth(office_id=key[0], service_id=key[1], month=key[2], code=key[3], count=count)
                for key, count in expected_topics(ids).items()
            ]
            written += len(OutcomeMonth.objects.bulk_create(counted, batch_size=2000))
        if days:
            written += daily.rebuild(ids)
    return written


def refresh(offices=None) -> None:
    """Recount the offices whose norm changed since their rows were counted.

    Readers call it first: the norm is edited in the office's admin, which
    cannot reach the rollups (offices is below tickets); a stale row costs one
    office's recount, once.
    """
    rows = ServiceMonth.objects.exclude(norm_minutes=F("office__wait_norm_minutes"))
    if offices is not None:
        rows = rows.filter(office__in=offices)
    stale = set(rows.values_list("office_id", flat=True).distinct().order_by())
    if stale:
        rebuild(stale, days=False, topics=False)


def drift(office_ids=None) -> list[str]:
    """One line per office, service and month whose stored row differs from a recount."""
    stored = {
        (r.office_id, r.service_id, r.month): r
        for r in ServiceMonth.objects.filter(**({"office_id__in": list(office_ids)} if office_ids else {}))
    }
    fresh = expected(office_ids)
    norms = dict(Office.objects.values_list("pk", "wait_norm_minutes"))
    codes = dict(Office.objects.values_list("pk", "code"))
    services = dict(Service.objects.values_list("pk", "code"))
    zero = dict.fromkeys(COUNTS, 0)
    lines = []

    def where(key) -> str:
        return f"{codes.get(key[0], key[0])} {services.get(key[1], key[1])} {key[2]:%Y-%m}"

    for key in sorted(set(stored) | set(fresh)):
        want = fresh.get(key, zero)
        row = stored.get(key)
        have = {name: getattr(row, name) for name in COUNTS} if row else zero
        if row is not None and row.norm_minutes != norms.get(key[0]):
            # Counted by an older norm: refresh() recounts it before any read; not drift.
            have = have | {"over_norm": want["over_norm"], "over_double_norm": want["over_double_norm"]}
        differs = [f"{name} {have[name]} ≠ {want[name]}" for name in COUNTS if have[name] != want[name]]
        if differs:
            lines.append(f"{where(key)}: " + ", ".join(differs))
    topics = OutcomeMonth.objects.filter(**({"office_id__in": list(office_ids)} if office_ids else {}))
    stored_topics = {(r.office_id, r.service_id, r.month, r.code): r.count for r in topics}
    fresh_topics = expected_topics(office_ids)
    for key in sorted(set(stored_topics) | set(fresh_topics)):
        have, want = stored_topics.get(key, 0), fresh_topics.get(key, 0)
        if have != want:
            lines.append(f"{where(key)} {key[3] or 'без темы'}: count {have} ≠ {want}")
    return lines + daily.drift(office_ids)
