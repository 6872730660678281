"""Ticket and counter operations: each one transaction, one transition, one announcement.

Every service calls its transition by name (``ticket.finish`` in
``ticket_finish``) and hands the event type to ``broadcast.announce``.
"""

import logging
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from offices.models import Counter, Office, Service

from . import broadcast
from .errors import (
    CounterBusy,
    CounterInactive,
    CounterNotOpen,
    InvalidTransition,
    NumberingExhausted,
    OfficeClosed,
    ServiceInactive,
    UnknownBreakReason,
    UnknownService,
)
from .models import DailySequence, Ticket, TicketEvent

logger = logging.getLogger(__name__)


def _next_number(*, office: Office, prefix: str, day) -> int:
    # One upsert creates today's row or increments it, and returns the value.
    # The row stays locked until commit, so concurrent issues queue up here
    # and each gets its own number. The ORM has no UPDATE ... RETURNING, and
    # this is the hottest statement of the kiosk, hence the raw SQL (the same
    # text runs on PostgreSQL and SQLite ≥ 3.35).
    table = DailySequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (office_id, prefix, day, last) VALUES (%s, %s, %s, 1) "
            f"ON CONFLICT (office_id, prefix, day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [office.pk, prefix, day.isoformat()],
        )
        return cursor.fetchone()[0]


# How many taken numbers an issue steps over before it gives up with numbering_exhausted.
MAX_SKIPPED_NUMBERS = 1000


class _NumberTaken(Exception):
    def __init__(self, day, number: str):
        self.day = day
        self.number = number


def _skip_taken_numbers(*, office: Office, prefix: str, day, seq: int) -> int:
    """The first number from seq on that no ticket of the day holds; the sequence row moves there."""
    taken = set(
        Ticket.objects.filter(office=office, local_date=day, number__startswith=prefix).values_list("number", flat=True)
    )
    free = seq
    while f"{prefix}{free:03d}" in taken:
        free += 1
        if free - seq >= MAX_SKIPPED_NUMBERS:
            raise NumberingExhausted()
    DailySequence.objects.filter(office=office, prefix=prefix, day=day).update(last=free)
    return free


def ticket_issue(*, office: Office, service: Service, priority: bool = False, now: datetime | None = None) -> Ticket:
    now = now or timezone.now()
    try:
        return _issue(office=office, service=service, priority=priority, now=now, skip_taken=False)
    except _NumberTaken as taken:
        if not Ticket.objects.filter(office=office, local_date=taken.day, number=taken.number).exists():
            raise taken.__cause__ from None  # another constraint: not ours to step over
        # Something other than the kiosk took a number of the day (an import of
        # today's tickets, a manual insert): the sequence row is behind. The failed
        # INSERT aborted the transaction (on PostgreSQL nothing more can run in it),
        # so the whole issue runs again, this time stepping over the taken numbers.
        # Only this rare path pays for the extra query.
        logger.warning(
            "ticket number %s of office %s is already taken today; moving the sequence past the taken numbers",
            taken.number,
            office.code,
        )
        return _issue(office=office, service=service, priority=priority, now=now, skip_taken=True)


@transaction.atomic
def _issue(*, office: Office, service: Service, priority: bool, now: datetime, skip_taken: bool) -> Ticket:
    if service.office_id != office.pk:
        raise UnknownService()
    if not service.active:
        raise ServiceInactive()
    if not office.is_issuing(now):
        raise OfficeClosed.at(office, now)
    day = office.local_date(now)
    seq = _next_number(office=office, prefix=service.prefix, day=day)
    if skip_taken:
        seq = _skip_taken_numbers(office=office, prefix=service.prefix, day=day, seq=seq)
    number = f"{service.prefix}{seq:03d}"
    try:
        ticket = Ticket.objects.create(
            office=office,
            service=service,
            number=number,
            local_date=day,
            priority=priority,
            issued_at=now,
            queued_at=now,
        )
    except IntegrityError as error:
        raise _NumberTaken(day, number) from error  # leaving the atomic block rolls it back
    ticket._log(TicketEvent.Type.ISSUED, now, priority=priority)
    broadcast.announce(ticket, TicketEvent.Type.ISSUED)
    return ticket


def _lock_ticket(ticket: Ticket) -> Ticket:
    # of=self: the joined counter is nullable, and PostgreSQL refuses FOR
    # UPDATE on the nullable side of an outer join.
    return (
        Ticket.objects.select_for_update(of=("self",)).select_related("office", "service", "counter").get(pk=ticket.pk)
    )


@transaction.atomic
def ticket_call_next(*, counter: Counter, operator, now: datetime | None = None) -> Ticket | None:
    now = now or timezone.now()
    # Locking the counter serialises a double click at one counter; tickets
    # themselves are claimed with SKIP LOCKED so other counters never wait.
    counter = Counter.objects.select_for_update().select_related("office").get(pk=counter.pk)
    if counter.state != Counter.State.OPEN:
        raise CounterNotOpen()
    if Ticket.objects.at_counter(counter).exists():
        raise CounterBusy()
    queue = Ticket.objects.waiting_today(counter.office, now).in_call_order()
    ticket = None
    for services in (counter.services.all(), counter.backup_services.all()):
        ticket = queue.filter(service__in=services).select_for_update(skip_locked=True).first()
        if ticket is not None:
            break
    if ticket is None:
        return None
    ticket.call(counter=counter, operator=operator, at=now)
    broadcast.announce(ticket, TicketEvent.Type.CALLED)
    return ticket


@transaction.atomic
def ticket_recall(*, ticket: Ticket, operator, counter: Counter | None = None, now: datetime | None = None) -> Ticket:
    ticket = _lock_ticket(ticket)
    ticket.recall(operator=operator, counter=counter, at=now or timezone.now())
    broadcast.announce(ticket, TicketEvent.Type.RECALLED)
    return ticket


@transaction.atomic
def ticket_start(*, ticket: Ticket, operator, counter: Counter | None = None, now: datetime | None = None) -> Ticket:
    ticket = _lock_ticket(ticket)
    ticket.start(operator=operator, counter=counter, at=now or timezone.now())
    broadcast.announce(ticket, TicketEvent.Type.STARTED)
    return ticket


@transaction.atomic
def ticket_finish(*, ticket: Ticket, operator, counter: Counter | None = None, now: datetime | None = None) -> Ticket:
    ticket = _lock_ticket(ticket)
    before = broadcast.Before.of(ticket)
    ticket.finish(operator=operator, counter=counter, at=now or timezone.now())
    broadcast.announce(ticket, TicketEvent.Type.FINISHED, before=before)
    return ticket


@transaction.atomic
def ticket_no_show(*, ticket: Ticket, operator, counter: Counter | None = None, now: datetime | None = None) -> Ticket:
    ticket = _lock_ticket(ticket)
    before = broadcast.Before.of(ticket)
    ticket.no_show(operator=operator, counter=counter, at=now or timezone.now())
    broadcast.announce(ticket, TicketEvent.Type.NO_SHOW, before=before)
    return ticket


@transaction.atomic
def ticket_postpone(*, ticket: Ticket, operator, counter: Counter | None = None, now: datetime | None = None) -> Ticket:
    ticket = _lock_ticket(ticket)
    before = broadcast.Before.of(ticket)
    ticket.postpone(operator=operator, counter=counter, at=now or timezone.now())
    broadcast.announce(ticket, TicketEvent.Type.POSTPONED, before=before)
    return ticket


@transaction.atomic
def ticket_transfer(
    *,
    ticket: Ticket,
    service: Service,
    to_front: bool,
    operator,
    counter: Counter | None = None,
    now: datetime | None = None,
) -> Ticket:
    if service.office_id != ticket.office_id:
        raise UnknownService()
    if not service.active:
        raise ServiceInactive()
    ticket = _lock_ticket(ticket)
    before = broadcast.Before.of(ticket)
    ticket.transfer(service=service, to_front=to_front, operator=operator, counter=counter, at=now or timezone.now())
    broadcast.announce(ticket, TicketEvent.Type.TRANSFERRED, before=before)
    return ticket


@transaction.atomic
def ticket_cancel(*, ticket: Ticket, operator=None, now: datetime | None = None) -> Ticket:
    ticket = _lock_ticket(ticket)
    before = broadcast.Before.of(ticket)
    ticket.cancel(operator=operator, at=now or timezone.now())
    broadcast.announce(ticket, TicketEvent.Type.CANCELLED, before=before)
    return ticket


@transaction.atomic
def counter_set_state(*, counter: Counter, state: str, user, reason: str = "", now: datetime | None = None) -> Counter:
    """Open, close or pause a counter: the one way a counter's state changes.

    Sets state, state_changed_at, operator and break_reason together, appends
    one ``offices.CounterEvent`` (with ``user``: the operator, or a manager
    acting remotely) and broadcasts the counter. ``reason`` is the code of one
    of the office's ``break_reasons`` and only counts for a break; a break
    without one gets «Другое» (``Office.DEFAULT_BREAK_REASON``). Setting the
    state the counter is in changes nothing (except a break's reason).
    """
    counter = Counter.objects.select_for_update().select_related("office").get(pk=counter.pk)
    if state not in Counter.State.values:
        raise InvalidTransition(InvalidTransition.UNKNOWN_COUNTER_STATE)
    if state == Counter.State.BREAK:
        reason = reason or counter.office.default_break_reason()
        if not counter.office.has_break_reason(reason):
            raise UnknownBreakReason()
    else:
        reason = ""
    if state == Counter.State.OPEN and not counter.active:
        raise CounterInactive()
    if state != Counter.State.OPEN and Ticket.objects.at_counter(counter).exists():
        raise CounterBusy(CounterBusy.STILL_SERVING)
    if counter.state == state and counter.break_reason == reason:
        return counter
    counter.set_state(state, user=user, reason=reason, at=now or timezone.now())
    broadcast.announce_counter(counter)
    return counter


# What a manager may set from the monitor: opening a counter stays with its operator.
REMOTE_STATES = (Counter.State.CLOSED, Counter.State.BREAK)


@transaction.atomic
def counter_remote_set_state(
    *, counter: Counter, state: str, manager, reason: str = "", now: datetime | None = None
) -> Counter:
    """A manager closes a counter or sends it to a break from the monitor.

    A counter with a called or served client is refused (``counter_busy``):
    the client's visit is the operator's to finish, and a break "after this
    client" would be a pending state the counter does not have. The change
    goes through ``counter_set_state``, so it is logged (``CounterEvent`` with
    the manager as user, marked remote) and broadcast like the operator's own.
    """
    if state not in REMOTE_STATES:
        raise InvalidTransition(InvalidTransition.UNKNOWN_COUNTER_STATE)
    # The lock makes the busy check hold until commit: ticket_call_next takes it too.
    counter = Counter.objects.select_for_update().get(pk=counter.pk)
    if Ticket.objects.at_counter(counter).exists():
        raise CounterBusy(CounterBusy.REMOTE_SERVING)
    if state == Counter.State.BREAK and counter.state != Counter.State.OPEN:
        raise InvalidTransition(InvalidTransition.REMOTE_BREAK_NOT_OPEN)
    return counter_set_state(counter=counter, state=state, user=manager, reason=reason, now=now)


def close_day(*, now: datetime | None = None, office: Office | None = None, include_today: bool = False) -> int:
    """Expire every unfinished ticket of past local days (and of today, if asked).

    Each office is closed in its own transaction, so a failure in one office
    leaves the others done.
    """
    now = now or timezone.now()
    offices = [office] if office else list(Office.objects.all())
    expired = 0
    for current in offices:
        today = current.local_date(now)
        with transaction.atomic():
            stale = Ticket.objects.select_for_update().filter(office=current, status__in=Ticket.UNFINISHED)
            stale = stale.filter(local_date__lte=today) if include_today else stale.filter(local_date__lt=today)
            for ticket in stale:
                before = broadcast.Before.of(ticket)
                ticket.expire(at=now)
                broadcast.announce(ticket, TicketEvent.Type.EXPIRED, before=before)
                expired += 1
    return expired
