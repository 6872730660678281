"""The one module that sends to the channel layer.

Services call ``announce`` (or ``announce_counter``) inside their transaction;
every send is deferred with ``transaction.on_commit`` so that a rolled-back
transition never reaches a screen. A failed send (Redis down) is logged and
dropped: the transition has committed already, and screens resynchronise from
their snapshot on reconnect.

Groups: ``office-<id>-display`` (hall displays), ``office-<id>-operators``
(operator screens and the monitor), ``ticket-<token>`` (a client's phone) and
``service-<id>`` (the order of one service's queue, which tracking consumers
turn into their own ticket's position). A transition costs a fixed number of
sends, however long the queue. Every message is one of the ``TypedDict``s
below, told apart by its ``type``.

Every message to an office's display or operators group carries ``seq``, a
number that grows by one per message to that group, and snapshots carry the
current one. A screen
that sees a gap, or a number lower than the last (the counter was reset),
asks for a fresh snapshot; so does one whose ``pong`` shows it fell behind.
The numbers come from a Redis counter (a process-local one with the in-memory
layer), never from a database lock on the issue or call path.
"""

import logging
import threading
import uuid
from dataclasses import dataclass
from functools import cache, partial

import redis
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from offices.models import Counter, Service

from . import dispatch, outages, payloads, redis_connection, selectors
from .models import Ticket, TicketEvent
from .payloads import (
    FeedbackChanged,
    QueueChanged,
    QueueLines,
    QueueUpdated,
    TicketCalled,
    TicketCleared,
    TicketStarted,
    TicketStatus,
)

logger = logging.getLogger(__name__)


# Payloads: every message is one of the shapes in payloads.py.

Message = payloads.Message


# Groups


def display_group(office_id: int) -> str:
    return f"office-{office_id}-display"


def operators_group(office_id: int) -> str:
    return f"office-{office_id}-operators"


def ticket_group(token: str) -> str:
    return f"ticket-{token}"


def service_group(service_id: int) -> str:
    return f"service-{service_id}"


# Sending


def _send(group: str, message: dict, **envelope) -> None:
    dispatch.send(group, {"type": "forward", "message": message, **envelope})


def _seq_key(group: str) -> str:
    return f"queue:seq:{group}"


@cache
def _redis() -> redis.Redis:
    return redis_connection.client(settings.REDIS, socket_timeout=2, socket_connect_timeout=2)


# The in-memory layer lives in one process, so its numbers can too.
_local_seq: dict[str, int] = {}
_local_lock = threading.Lock()
# Groups whose message this process could not number (Redis away, or failing over).
# Their counter is bumped once Redis answers again: a screen that kept its socket
# through the outage then sees a gap (at the next message, or in the pong of its
# next heartbeat) and asks for a snapshot, instead of never learning of the call.
_lost_groups: set[str] = set()


def _bump_lost(client: redis.Redis) -> None:
    with _local_lock:
        groups = list(_lost_groups)
        _lost_groups.clear()
    for n, group in enumerate(groups):
        try:
            client.incr(_seq_key(group))
        except redis.RedisError:
            with _local_lock:
                _lost_groups.update(groups[n:])
            raise


def _next_seq(group: str) -> int:
    if settings.REDIS:
        client = _redis()
        if _lost_groups:
            _bump_lost(client)
        return int(client.incr(_seq_key(group)))
    with _local_lock:
        _local_seq[group] = _local_seq.get(group, 0) + 1
        return _local_seq[group]


def current_seq(group: str) -> int:
    """The ``seq`` of the group's latest message: a snapshot built after reading it covers that message."""
    if settings.REDIS:
        client = _redis()
        if _lost_groups:
            _bump_lost(client)
        return int(client.get(_seq_key(group)) or 0)
    with _local_lock:
        return _local_seq.get(group, 0)


def current_seqs(office_id: int) -> tuple[int, int]:
    """The latest ``seq`` of the office's display and operators groups, in one read."""
    groups = (display_group(office_id), operators_group(office_id))
    if settings.REDIS:
        display, operators = _redis().mget([_seq_key(g) for g in groups])
        return int(display or 0), int(operators or 0)
    with _local_lock:
        return _local_seq.get(groups[0], 0), _local_seq.get(groups[1], 0)


# Which life of the numbers this is: Redis restarted without its data starts them
# from 0 again, and a state built in the previous life must not pass for current.
_EPOCH_KEY = "queue:epoch"
_local_epoch = uuid.uuid4().hex


def current_version(office_id: int) -> tuple[str, int, int]:
    """The numbers' epoch and the office's two ``seq``s, in one read: what a live state is built at."""
    if not settings.REDIS:
        return (_local_epoch, *current_seqs(office_id))
    keys = [_EPOCH_KEY, _seq_key(display_group(office_id)), _seq_key(operators_group(office_id))]
    epoch, display, operators = _redis().mget(keys)
    if epoch is None:
        _redis().set(_EPOCH_KEY, uuid.uuid4().hex, nx=True)
        epoch = _redis().get(_EPOCH_KEY)
    return epoch.decode(), int(display or 0), int(operators or 0)


def bump_seqs(office_id: int) -> None:
    """Move both groups' numbers on without a message: what was built before is outdated."""
    try:
        _next_seq(display_group(office_id))
        _next_seq(operators_group(office_id))
    except redis.RedisError:
        logger.warning("office %s: numbers not moved on", office_id, exc_info=True)


def _send_numbered(group: str, message: dict) -> int:
    try:
        seq = _next_seq(group)
    except redis.RedisError as error:
        outages.warn(logger, "broadcast", "broadcast lost: %s to %s (%r)", message.get("type"), group, error)
        with _local_lock:
            _lost_groups.add(group)
        return 0
    _send(group, {**message, "seq": seq})
    return seq


def _send_office(office_id: int, message: dict) -> tuple[int, int]:
    return _send_numbered(display_group(office_id), message), _send_numbered(operators_group(office_id), message)


def _send_operators(office_id: int, message: dict) -> None:
    _send_numbered(operators_group(office_id), message)


def _after_commit(func, *args, **kwargs) -> None:
    # Once committed, and after the HTTP response in a request: tickets/dispatch.py.
    dispatch.after_commit(partial(func, *args, **kwargs))


def _publish_queue(
    office, services, *, added: list[Ticket] = (), removed: list[int] = (), reload: bool = False
) -> None:
    """Counts and estimates to the screens; to these services' phones, that their queue changed.

    The phones' message is the same few bytes however long the queue: each
    phone's consumer reads its place from the office's live state
    (tickets/live.py), built once per process after the change. ``seqs`` tells
    it which state is new enough.
    """
    waiting, oldest, estimates, serving = selectors.queue_counts(office)
    counts = QueueUpdated(type="queue.updated", waiting=waiting, oldest=oldest, estimates=estimates, serving=serving)
    # The operators' pages keep their lists from the lines that joined or left: no page reads its list again.
    now = timezone.now()
    lines = QueueLines(
        **counts,
        added=[
            payloads.queue_line(ticket, now=now, counter=None, operator=None, may_call=False, section="")
            for ticket in added
        ],
        removed=list(removed),
        reload=reload,
    )
    seqs = _send_numbered(display_group(office.pk), counts), _send_numbered(operators_group(office.pk), lines)
    if not services:
        return
    try:
        epoch = current_version(office.pk)[0]
    except redis.RedisError:
        return  # the phones' messages would be lost too
    for service in services:
        message = QueueChanged(type="queue.changed", service=service.pk)
        _send(service_group(service.pk), message, version=[epoch, *seqs])


@dataclass
class QueuePublish:
    """One office's queue changed: a job for dispatch that absorbs the same office's later ones.

    Under load the queue of jobs grows while one is sent; counting the queue once
    for all the changes waiting to go out, not once per ticket, is what keeps the
    sender ahead of the kiosks and counters. The merged job runs where the last
    of them would have (tickets/dispatch.py), and it counts the queue when it
    runs, so its counts are never older than the messages before it.
    """

    office: object
    services: list
    added: list[Ticket]
    removed: list[int]
    reload: bool = False

    @property
    def merge_key(self) -> tuple[str, int]:
        return ("queue", self.office.pk)

    def merge(self, later: "QueuePublish") -> "QueuePublish":
        # Pages drop ``removed`` before they add ``added``: a ticket that joined and
        # left within one run is left out of both lists' effect by dropping its line.
        gone = set(later.removed)
        added = [t for t in self.added if t.pk not in gone] + later.added
        known = {s.pk for s in self.services}
        services = self.services + [s for s in later.services if s.pk not in known]
        return QueuePublish(self.office, services, added, self.removed + later.removed, self.reload or later.reload)

    def __call__(self) -> None:
        _publish_queue(self.office, self.services, added=self.added, removed=self.removed, reload=self.reload)


def _queue_changed(office, services, *, added: Ticket | None = None, removed: Ticket | None = None, reload=False):
    dispatch.after_commit(
        QueuePublish(
            office,
            list(services),
            [added] if added is not None else [],
            [removed.pk] if removed is not None else [],
            reload,
        )
    )


def _publish_ticket(ticket: Ticket) -> None:
    """The ticket's new status to the phone following it (the object as committed, not read again)."""
    message = TicketStatus(type="ticket.status", **selectors.tracking_status(ticket))
    # service_id stays in the envelope: it lets the consumer follow a transfer.
    _send(ticket_group(ticket.token), message, service_id=ticket.service_id)


# Announcing


@dataclass(frozen=True)
class Before:
    """What a transition changes and an announcement still needs: taken before the transition."""

    status: str
    counter_number: str
    service: Service

    @classmethod
    def of(cls, ticket: Ticket) -> "Before":
        return cls(ticket.status, ticket.counter.number if ticket.counter_id else "", ticket.service)


# The status a screen is told when a ticket leaves its counter.
CLEARED_STATUS = {
    TicketEvent.Type.FINISHED: "done",
    TicketEvent.Type.NO_SHOW: "no_show",
    TicketEvent.Type.TRANSFERRED: "transferred",
    TicketEvent.Type.POSTPONED: "postponed",
    TicketEvent.Type.EXPIRED: "expired",
}


def announce(ticket: Ticket, event: TicketEvent.Type, *, before: Before | None = None) -> None:
    """Tell every screen concerned about one committed transition of ``ticket``.

    ``before`` is required for the transitions that end a stay at a counter or
    in a queue (finish, no-show, transfer, postpone, cancel, expire).
    """
    if event == TicketEvent.Type.ISSUED:
        # A ticket joining at the back moves nobody: only a priority ticket
        # changes the positions of those already waiting.
        _queue_changed(ticket.office, [ticket.service] if ticket.priority else [], added=ticket)
        return
    if event in (TicketEvent.Type.CALLED, TicketEvent.Type.RECALLED):
        recall = event == TicketEvent.Type.RECALLED
        message = TicketCalled(
            type="ticket.called",
            ticket=ticket.number,
            counter=ticket.counter.number,
            recall=recall,
            at=ticket.called_at.isoformat(),
        )
        _after_commit(_send_office, ticket.office_id, message)
        _after_commit(_publish_ticket, ticket)
        if not recall:
            _queue_changed(ticket.office, [ticket.service], removed=ticket)
        return
    if event == TicketEvent.Type.STARTED:
        message = TicketStarted(
            type="ticket.started", ticket=ticket.number, counter=ticket.counter.number, at=ticket.started_at.isoformat()
        )
        _after_commit(_send_operators, ticket.office_id, message)
        _after_commit(_publish_ticket, ticket)
        return
    assert before is not None, f"announcing {event} needs the ticket's state before it"
    if before.status == Ticket.Status.WAITING:
        # Left a queue (cancelled or expired while waiting): only the queue changed.
        _after_commit(_publish_ticket, ticket)
        _queue_changed(ticket.office, [ticket.service], removed=ticket)
        return
    message = TicketCleared(
        type="ticket.cleared", ticket=ticket.number, counter=before.counter_number, status=CLEARED_STATUS[event]
    )
    _after_commit(_send_office, ticket.office_id, message)
    _after_commit(_publish_ticket, ticket)
    if ticket.status == Ticket.Status.WAITING:
        # Back in a queue (transfer, postpone): the queue it left and the one it joined.
        left = before.service
        services = [ticket.service] if left.pk == ticket.service_id else [left, ticket.service]
        # A postponed ticket joins again where its own fields say; a transfer's targets only the server can place.
        if event == TicketEvent.Type.POSTPONED and not (ticket.target_counter_id or ticket.target_operator_id):
            _queue_changed(ticket.office, services, added=ticket)
        else:
            _queue_changed(ticket.office, services, reload=True)


def announce_expired(office, expired: list[tuple[Ticket, str]]) -> None:
    """The end of a day (services.close_day): these tickets (loaded with service and counter) expired,
    each given with its status before.

    One queue announcement for the office, a ``ticket.cleared`` for each ticket
    that was at a counter (at most one per counter), and each phone its status.
    """
    services = {t.service_id: t.service for t, status in expired if status == Ticket.Status.WAITING}
    _queue_changed(office, list(services.values()), reload=True)
    for ticket, status in expired:
        if status in Ticket.ACTIVE and ticket.counter_id:
            message = TicketCleared(
                type="ticket.cleared", ticket=ticket.number, counter=ticket.counter.number, status="expired"
            )
            _after_commit(_send_office, office.pk, message)
    _after_commit(_publish_expired, [(t.token, t.number, t.service.name, t.service_id) for t, _ in expired])


def _publish_expired(tickets: list[tuple]) -> None:
    for token, number, service, service_id in tickets:
        status = selectors.tracking_message(
            number=number,
            status=Ticket.Status.EXPIRED,
            service=service,
            position=None,
            estimated_wait_seconds=None,
            counter=None,
        )
        _send(ticket_group(token), TicketStatus(type="ticket.status", **status), service_id=service_id)


def publish_snapshots(office_id: int, *, display: dict, operators: dict) -> None:
    """Replace what the office's screens show (built by displays/snapshots.py); call it after commit."""
    _send(display_group(office_id), display)
    _send(operators_group(office_id), operators)


def announce_counter(counter: Counter) -> None:
    """The counter's new state to the operators and the monitor (and its queue's estimates to every screen)."""
    _after_commit(_send_operators, counter.office_id, payloads.counter_updated(counter))
    # An open counter more or less changes the estimates the kiosk and the phones show, and whether
    # any counter serves a service at all: the phones of its services are told too.
    _after_commit(_publish_counter_queues, counter)


def _publish_counter_queues(counter: Counter) -> None:
    served = Service.objects.filter(active=True).filter(Q(main_counters=counter.pk) | Q(backup_counters=counter.pk))
    _publish_queue(counter.office, list(served.distinct()))


def announce_feedback(office_id: int) -> None:
    """A low rating came in or was marked seen: the office's monitors read their figures again."""
    _after_commit(_send_operators, office_id, FeedbackChanged(type="feedback.changed"))
