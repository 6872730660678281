"""Ticket and counter operations: each one transaction, one transition, one announcement
(an issue takes its number just before, in a statement of its own: ``ticket_prepare``).

Every service calls its transition by name (``ticket.finish`` in
``ticket_finish``) and hands the event type to ``broadcast.announce``.
"""

import logging
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from offices import access
from offices.models import Counter, Office, Service

from . import broadcast, daily, rollups, selectors, webhooks
from .errors import (
    CallChosenDisabled,
    CounterBusy,
    CounterInactive,
    CounterNotOpen,
    InvalidOutcome,
    InvalidPostpone,
    InvalidTransfer,
    InvalidTransition,
    NoOpenCounter,
    NotWaiting,
    NumberingExhausted,
    OfficeClosed,
    OutcomeRequired,
    ServiceInactive,
    TicketNotForCounter,
    TicketNotWaiting,
    UnknownBreakReason,
    UnknownService,
)
from .models import DailySequence, Ticket, TicketEvent, call_order

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
    """The ticket's INSERT failed on a constraint: its number, if that was taken, is stepped over."""


def _skip_taken_numbers(*, office: Office, prefix: str, day, seq: int, failed: int) -> int:
    """The first number from seq on that no ticket of the day holds; the sequence row moves there.

    ``failed``, the number found taken, counts as the first one stepped over.
    """
    taken = set(
        Ticket.objects.filter(office=office, local_date=day, number__startswith=prefix).values_list("number", flat=True)
    )
    free = seq
    while f"{prefix}{free:03d}" in taken:
        free += 1
        if free - failed >= MAX_SKIPPED_NUMBERS:
            raise NumberingExhausted()
    DailySequence.objects.filter(office=office, prefix=prefix, day=day).update(last=free)
    return free


def ticket_issue(
    *,
    office: Office,
    service: Service,
    priority: bool = False,
    slot_start: datetime | None = None,
    now: datetime | None = None,
) -> Ticket:
    """A ticket for ``service``; with ``slot_start``, a booked client's (bookings' check-in):
    numbered with the office's booking prefix and called from its slot's start on."""
    prepared = ticket_prepare(office=office, service=service, priority=priority, slot_start=slot_start, now=now)
    return ticket_issue_prepared(prepared)


def ticket_prepare(
    *,
    office: Office,
    service: Service,
    priority: bool = False,
    slot_start: datetime | None = None,
    now: datetime | None = None,
) -> Ticket:
    """The first half of ``ticket_issue``: its checks, its promise and its number, on an unsaved ticket.

    The day's sequence row is locked from the number to its transaction's
    commit, and every issue of the prefix queues behind it. Taken here, in a
    transaction of its own where the caller has none open, it is locked for one
    statement instead of also for the ticket's insert, log, outbox rows and
    rollup: at 16 kiosks the issues spent most of their time waiting there. The
    price is a gap: a number whose ticket is then not written (the database
    gone in between) stays unused. A number is never given twice.
    """
    now = now or timezone.now()
    if service.office_id != office.pk:
        raise UnknownService()
    if not service.active:
        raise ServiceInactive()
    if not office.is_issuing(now):
        raise OfficeClosed.at(office, now)
    # A booked client's check-in keeps its appointment whatever the counters.
    if slot_start is None and not office.issue_without_counter and not selectors.serves(office.pk, service.pk):
        raise NoOpenCounter()
    ticket = Ticket(
        office=office,
        service=service,
        local_date=office.local_date(now),
        priority=priority,
        issued_at=now,
        queued_at=now,
        slot_start=slot_start,
    )
    # The place and wait the kiosk shows are the promise recorded on the ticket
    # (estimate accuracy); counted before the number, and handed to the
    # response, which then counts nothing again.
    ticket.issue_place = selectors.place(ticket, now)
    ticket.promised_wait_seconds = ticket.issue_place[1] if ticket.issue_place else None
    ticket.number = _number(ticket, _next_number(office=office, prefix=_prefix(ticket), day=ticket.local_date))
    return ticket


def ticket_issue_prepared(ticket: Ticket) -> Ticket:
    """The second half of ``ticket_issue``: write the ``ticket_prepare``d ticket, log and announce it."""
    try:
        return _write_issued(ticket)
    except _NumberTaken as taken:
        if not Ticket.objects.filter(office=ticket.office, local_date=ticket.local_date, number=ticket.number).exists():
            raise taken.__cause__ from None  # another constraint: not ours to step over
    # Something other than the kiosk took a number of the day (an import of
    # today's tickets, a manual insert): the sequence row is behind. This rare
    # path steps over the taken numbers with the row locked to the end, so that
    # one issue at a time reads and steps. It starts from a fresh number: one
    # below it may belong to an issue between its number and its insert.
    logger.warning(
        "ticket number %s of office %s is already taken today; moving the sequence past the taken numbers",
        ticket.number,
        ticket.office.code,
    )
    with transaction.atomic():
        prefix, day = _prefix(ticket), ticket.local_date
        seq = _next_number(office=ticket.office, prefix=prefix, day=day)
        failed = int(ticket.number.removeprefix(prefix))
        seq = _skip_taken_numbers(office=ticket.office, prefix=prefix, day=day, seq=seq, failed=failed)
        ticket.number = _number(ticket, seq)
        return _write_issued(ticket)


def _prefix(ticket: Ticket) -> str:
    return ticket.office.booking_prefix if ticket.slot_start is not None else ticket.service.prefix


def _number(ticket: Ticket, seq: int) -> str:
    return f"{_prefix(ticket)}{seq:03d}"


@transaction.atomic
def _write_issued(ticket: Ticket) -> Ticket:
    try:
        ticket.save(force_insert=True)
    except IntegrityError as error:
        raise _NumberTaken() from error  # leaving the atomic block rolls it back
    booked = {"slot_start": ticket.slot_start.isoformat()} if ticket.slot_start is not None else {}
    ticket._log(TicketEvent.Type.ISSUED, ticket.issued_at, priority=ticket.priority, **booked)
    broadcast.announce(ticket, TicketEvent.Type.ISSUED)
    webhooks.record_ticket(ticket, TicketEvent.Type.ISSUED)
    rollups.record(ticket)
    return ticket


def _lock_ticket(ticket: Ticket) -> Ticket:
    # Lock the bare row, then read it with its related rows. After waiting for
    # the lock (a concurrent call), PostgreSQL re-checks only the locked row:
    # rows joined to it come from the statement's old snapshot, so a ticket
    # just called would have counter_id set and counter None. The second
    # statement takes a fresh snapshot, after the lock is ours.
    Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk").get()
    return Ticket.objects.select_related("office", "service", "counter").get(pk=ticket.pk)


def _remote(ticket: Ticket, operator) -> bool:
    """Whether ``operator`` acts on a ticket at a counter someone else holds as a
    manager of its office (allowed, and logged as remote). Anyone else who is not
    the counter's holder is refused by the transition (not_counter_holder)."""
    holder = ticket.holder_id
    return holder is not None and holder != operator.pk and access.can_manage(operator, ticket.office)


def _lock_open_counter(counter: Counter) -> Counter:
    # Locking the counter serialises a double click at one counter; tickets
    # themselves are claimed with SKIP LOCKED (or waited for, when chosen) so
    # other counters never wait on this one. of=self: without it PostgreSQL
    # also locks the joined office row, and every counter of the office would
    # queue behind every other one. The joined office is not re-read after a
    # lock wait (see _lock_ticket), which is harmless: it is never missing.
    counter = Counter.objects.select_for_update(of=("self",)).select_related("office").get(pk=counter.pk)
    # Retired in the admin's form (not by its action, which closes it): still
    # open, hidden from the screens, and it must not take clients any more.
    if not counter.active:
        raise CounterInactive(CounterInactive.NO_CALLS)
    if counter.state != Counter.State.OPEN:
        raise CounterNotOpen()
    if Ticket.objects.at_counter(counter).exists():
        raise CounterBusy()
    return counter


@transaction.atomic
def ticket_call_next(*, counter: Counter, operator, now: datetime | None = None) -> Ticket | None:
    """The first ticket in call order this counter may take: main services and
    tickets transferred to it or to the operator first, then backup services.

    The postponed pool is checked against ``now`` inside the query, so a ticket
    whose return time has passed is taken at once, with no timer process.
    """
    now = now or timezone.now()
    counter = _lock_open_counter(counter)
    queue = Ticket.objects.waiting_today(counter.office, now).in_queue(now)
    ticket = None
    for backup in (False, True):
        line = queue.for_counter(counter, operator, backup=backup).order_by(*call_order(now))
        # SKIP LOCKED: a ticket another counter is claiming right now is not
        # waited for; the next one is taken instead. On PostgreSQL the status
        # and returns_at conditions are checked again on the locked row. of=self:
        # the query joins the targets' counter and user (outer joins), which
        # PostgreSQL refuses to lock, and which need no lock.
        ticket = line.select_for_update(skip_locked=True, of=("self",)).first()
        if ticket is not None:
            break
    if ticket is None:
        return None
    # The announcement reads the ticket's office: the counter's, already loaded,
    # instead of a query while the counter's lock is held.
    ticket.office = counter.office
    ticket.call(counter=counter, operator=operator, at=now)
    broadcast.announce(ticket, TicketEvent.Type.CALLED)
    webhooks.record_ticket(ticket, TicketEvent.Type.CALLED)
    return ticket


@transaction.atomic
def ticket_call_chosen(*, counter: Counter, ticket: Ticket, operator, now: datetime | None = None) -> Ticket:
    """Call one chosen waiting ticket out of order: from the queue list, or from
    the postponed pool before its time. Refused where the office switched it off.
    """
    now = now or timezone.now()
    counter = _lock_open_counter(counter)
    if not counter.office.call_chosen:
        raise CallChosenDisabled()
    # Unlike call-next, wait for the ticket's lock: of two operators choosing
    # the same ticket, the second then sees it called and is refused.
    ticket = _lock_ticket(ticket)
    if ticket.office_id != counter.office_id:
        raise TicketNotForCounter()
    if ticket.status != Ticket.Status.WAITING or ticket.local_date != counter.office.local_date(now):
        raise TicketNotWaiting()
    if not Ticket.objects.may_call(ticket.pk, counter, operator):
        raise TicketNotForCounter()
    ticket.call(counter=counter, operator=operator, at=now, chosen=True)
    broadcast.announce(ticket, TicketEvent.Type.CALLED)
    webhooks.record_ticket(ticket, TicketEvent.Type.CALLED)
    return ticket


@transaction.atomic
def ticket_recall(*, ticket: Ticket, operator, counter: Counter | None = None, now: datetime | None = None) -> Ticket:
    ticket = _lock_ticket(ticket)
    ticket.recall(operator=operator, counter=counter, at=now or timezone.now(), remote=_remote(ticket, operator))
    broadcast.announce(ticket, TicketEvent.Type.RECALLED)
    webhooks.record_ticket(ticket, TicketEvent.Type.RECALLED)
    return ticket


@transaction.atomic
def ticket_start(*, ticket: Ticket, operator, counter: Counter | None = None, now: datetime | None = None) -> Ticket:
    ticket = _lock_ticket(ticket)
    ticket.start(operator=operator, counter=counter, at=now or timezone.now(), remote=_remote(ticket, operator))
    broadcast.announce(ticket, TicketEvent.Type.STARTED)
    webhooks.record_ticket(ticket, TicketEvent.Type.STARTED)
    return ticket


@transaction.atomic
def ticket_finish(
    *,
    ticket: Ticket,
    operator,
    counter: Counter | None = None,
    outcomes: list[str] = (),
    note: str = "",
    now: datetime | None = None,
) -> Ticket:
    """Served, with the visit's outcomes (codes of the ticket's service's outcomes) and a note."""
    ticket = _lock_ticket(ticket)
    outcomes = list(dict.fromkeys(outcomes))
    # Checked against the service the locked ticket has now: a transfer may have changed it.
    known = ticket.service.outcome_names()
    if any(code not in known for code in outcomes):
        raise InvalidOutcome()
    if ticket.service.outcomes_required and not outcomes and ticket.status in Ticket.ACTIVE:
        raise OutcomeRequired()
    before = broadcast.Before.of(ticket)
    counted = rollups.Share.of(ticket)
    ticket.finish(
        operator=operator,
        counter=counter,
        at=now or timezone.now(),
        remote=_remote(ticket, operator),
        outcomes=outcomes,
        note=note,
    )
    broadcast.announce(ticket, TicketEvent.Type.FINISHED, before=before)
    webhooks.record_ticket(ticket, TicketEvent.Type.FINISHED, outcomes=outcomes, note=note)
    rollups.record(ticket, before=counted, outcomes=outcomes)
    return ticket


@transaction.atomic
def ticket_finish_and_call_next(
    *,
    ticket: Ticket,
    counter: Counter,
    operator,
    outcomes: list[str] = (),
    note: str = "",
    now: datetime | None = None,
) -> tuple[Ticket, Ticket | None]:
    """«Завершить и вызвать следующего»: finish the client at ``counter``, then call the next one there.

    One transaction: if the finish is refused (an outcome required, the ticket
    not at this counter) nothing is called, and if the call is refused nothing
    is finished. The second ticket is None when nobody waits.
    """
    now = now or timezone.now()
    # The counter first, then the ticket: the order call-next and call-chosen take
    # their locks in, so two requests from one counter queue up here instead of
    # deadlocking; other counters only meet this one on the skipped-locked tickets.
    Counter.objects.select_for_update(of=("self",)).filter(pk=counter.pk).values_list("pk").get()
    finished = ticket_finish(ticket=ticket, operator=operator, counter=counter, outcomes=outcomes, note=note, now=now)
    return finished, ticket_call_next(counter=counter, operator=operator, now=now)


@transaction.atomic
def ticket_no_show(*, ticket: Ticket, operator, counter: Counter | None = None, now: datetime | None = None) -> Ticket:
    ticket = _lock_ticket(ticket)
    before = broadcast.Before.of(ticket)
    counted = rollups.Share.of(ticket)
    ticket.no_show(operator=operator, counter=counter, at=now or timezone.now(), remote=_remote(ticket, operator))
    broadcast.announce(ticket, TicketEvent.Type.NO_SHOW, before=before)
    webhooks.record_ticket(ticket, TicketEvent.Type.NO_SHOW)
    rollups.record(ticket, before=counted)
    return ticket


@transaction.atomic
def ticket_postpone(
    *,
    ticket: Ticket,
    operator,
    minutes: int | None = None,
    counter: Counter | None = None,
    now: datetime | None = None,
) -> Ticket:
    """With ``minutes`` (1..240), into the postponed pool until then; without, to the back of the queue."""
    if minutes is not None and not InvalidPostpone.MIN_MINUTES <= minutes <= InvalidPostpone.MAX_MINUTES:
        raise InvalidPostpone()
    ticket = _lock_ticket(ticket)
    before = broadcast.Before.of(ticket)
    ticket.postpone(
        operator=operator,
        minutes=minutes,
        counter=counter,
        at=now or timezone.now(),
        remote=_remote(ticket, operator),
    )
    broadcast.announce(ticket, TicketEvent.Type.POSTPONED, before=before)
    webhooks.record_ticket(ticket, TicketEvent.Type.POSTPONED)
    return ticket


@transaction.atomic
def ticket_transfer(
    *,
    ticket: Ticket,
    to_front: bool,
    operator,
    service: Service | None = None,
    to_counter: Counter | None = None,
    to_operator=None,
    note: str = "",
    counter: Counter | None = None,
    now: datetime | None = None,
) -> Ticket:
    """To another service's queue, or for one counter or one operator only, with a note for them.

    At least one target; a counter of this office that is in work, or an
    operator of this office. A ticket sent to a counter keeps its service unless
    one is given too.
    """
    if service is None and to_counter is None and to_operator is None:
        raise InvalidTransfer()
    if to_counter is not None and to_operator is not None:
        raise InvalidTransfer(InvalidTransfer.BOTH_TARGETS)
    if service is not None:
        if service.office_id != ticket.office_id:
            raise UnknownService()
        if not service.active:
            raise ServiceInactive()
    if to_counter is not None:
        if to_counter.office_id != ticket.office_id or not to_counter.active:
            raise InvalidTransfer(InvalidTransfer.UNKNOWN_COUNTER)
        if to_counter.pk == ticket.counter_id:
            raise InvalidTransfer(InvalidTransfer.SAME_COUNTER)
    if to_operator is not None and not (to_operator.is_active and access.can_operate(to_operator, ticket.office)):
        raise InvalidTransfer(InvalidTransfer.UNKNOWN_OPERATOR)
    # Only someone at work can call a targeted ticket: a closed counter, or an
    # operator at no counter, would leave the client waiting for nobody. The
    # target's counter rows are locked because closing takes the same lock and
    # then releases the tickets sent there; without it a transfer committed
    # just after that release would be stranded.
    if to_counter is not None:
        if Counter.objects.select_for_update(of=("self",)).get(pk=to_counter.pk).state == Counter.State.CLOSED:
            raise InvalidTransfer(InvalidTransfer.COUNTER_CLOSED)
    if to_operator is not None:
        # After waiting for a lock, PostgreSQL checks the row's state again.
        at_work = Counter.objects.held_by(to_operator).filter(office_id=ticket.office_id, active=True)
        if not at_work.select_for_update(of=("self",)):
            raise InvalidTransfer(InvalidTransfer.OPERATOR_AWAY)
    ticket = _lock_ticket(ticket)
    before = broadcast.Before.of(ticket)
    counted = rollups.Share.of(ticket)
    ticket.transfer(
        service=service,
        to_counter=to_counter,
        to_operator=to_operator,
        note=note,
        to_front=to_front,
        operator=operator,
        counter=counter,
        at=now or timezone.now(),
        remote=_remote(ticket, operator),
    )
    broadcast.announce(ticket, TicketEvent.Type.TRANSFERRED, before=before)
    webhooks.record_ticket(ticket, TicketEvent.Type.TRANSFERRED)
    rollups.record(ticket, before=counted)
    return ticket


@transaction.atomic
def ticket_cancel(*, ticket: Ticket, operator=None, now: datetime | None = None) -> Ticket:
    """Cancel a waiting ticket: by staff (``operator``), or by its client from the phone (no operator).

    The client is told ``not_waiting`` when the ticket was called, served or
    closed meanwhile; the check runs under the row lock, so a call that wins
    the race is never undone.
    """
    ticket = _lock_ticket(ticket)
    if operator is None and ticket.status != Ticket.Status.WAITING:
        raise NotWaiting()
    before = broadcast.Before.of(ticket)
    counted = rollups.Share.of(ticket)
    ticket.cancel(operator=operator, at=now or timezone.now())
    broadcast.announce(ticket, TicketEvent.Type.CANCELLED, before=before)
    webhooks.record_ticket(ticket, TicketEvent.Type.CANCELLED)
    rollups.record(ticket, before=counted)
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
    counter = Counter.objects.select_for_update(of=("self",)).select_related("office").get(pk=counter.pk)
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
    leaving = counter.operator if state == Counter.State.CLOSED else None
    counter.set_state(state, user=user, reason=reason, at=now or timezone.now())
    if state == Counter.State.CLOSED:
        _release_targets(counter, leaving)
    broadcast.announce_counter(counter)
    webhooks.record_counter(counter)
    return counter


def _release_targets(counter: Counter, operator) -> None:
    """Tickets transferred to a counter that closes, or to an operator who leaves their
    last counter, go back to their service's queue (keeping front and note): nobody
    else could call them, and the client would wait for no one."""
    Ticket.objects.filter(status=Ticket.Status.WAITING, target_counter=counter).update(target_counter=None)
    if operator is not None and not Counter.objects.held_by(operator).exists():
        Ticket.objects.filter(status=Ticket.Status.WAITING, target_operator=operator).update(target_operator=None)


@transaction.atomic
def counter_open_alone(*, counter: Counter, user, now: datetime | None = None) -> Counter:
    """Open ``counter`` for ``user`` after closing every other counter the user holds.

    The operator page's rule (one user, one counter); the API's plain state
    change leaves other counters alone, so benches may drive several at once.
    A counter still serving a client is not closed: CounterBusy, nothing changes.
    """
    for other in Counter.objects.held_by(user).exclude(pk=counter.pk):
        if Ticket.objects.at_counter(other).exists():
            # Said with the other counter's number: the one being opened has no client.
            raise CounterBusy(CounterBusy.SERVING_ELSEWHERE.format(number=other.number))
        counter_set_state(counter=other, state=Counter.State.CLOSED, user=user, now=now)
    return counter_set_state(counter=counter, state=Counter.State.OPEN, user=user, now=now)


@transaction.atomic
def counter_retire(*, counter: Counter, user, now: datetime | None = None) -> Counter:
    """Take a counter out of work (the admin's «Вывести из работы»): closed, logged, announced, hidden.

    A counter with a client is refused (``counter_busy``). An open counter is
    closed through its transition (a ``CounterEvent`` by ``user``), the tickets
    sent to it go back to their queues, and the screens are told.
    """
    counter = Counter.objects.select_for_update(of=("self",)).select_related("office", "operator").get(pk=counter.pk)
    if Ticket.objects.at_counter(counter).exists():
        raise CounterBusy(CounterBusy.STILL_SERVING)
    if counter.state != Counter.State.CLOSED:
        leaving = counter.operator
        counter.set_state(Counter.State.CLOSED, user=user, at=now or timezone.now())
        _release_targets(counter, leaving)
    counter.active = False
    counter.save(update_fields=["active"])
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
    leaves the others done. Set-based: one update and one insert of event rows
    per office, and one announcement per office, however many tickets expire.
    """
    now = now or timezone.now()
    offices = [office] if office else list(Office.objects.all())
    expired = 0
    for current in offices:
        today = current.local_date(now)
        # Expiry changes no daily figure (issued, done, served, no-show), so the days roll first.
        daily.close(current, now)
        with transaction.atomic():
            stale = Ticket.objects.filter(office=current, status__in=Ticket.UNFINISHED)
            stale = stale.filter(local_date__lte=today) if include_today else stale.filter(local_date__lt=today)
            # Lock the bare rows, then read them with their related rows in a second
            # statement (see _lock_ticket): a row locked after waiting for a concurrent
            # call is re-checked alone, its joined counter coming from the old snapshot.
            locked = list(stale.select_for_update().values_list("pk", flat=True))
            if not locked:
                continue
            tickets = list(Ticket.objects.filter(pk__in=locked).select_related("service", "counter").order_by("pk"))
            previous = [t.status for t in tickets]
            Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(status=Ticket.Status.EXPIRED, finished_at=now)
            TicketEvent.objects.bulk_create(
                TicketEvent(
                    ticket=t,
                    type=TicketEvent.Type.EXPIRED,
                    at=now,
                    counter_id=t.counter_id,
                    data={"previous": t.status},
                )
                for t in tickets
            )
            counted = [rollups.Share.of(t) for t in tickets]
            for ticket in tickets:
                # The rows changed by the update above; the copies say so for the webhook's data.
                ticket.status, ticket.finished_at, ticket.logged_at = Ticket.Status.EXPIRED, now, now
            webhooks.record_tickets(tickets, TicketEvent.Type.EXPIRED)
            rollups.record_changes(zip(counted, tickets, strict=True))
            broadcast.announce_expired(current, list(zip(tickets, previous, strict=True)))
            expired += len(tickets)
    return expired
