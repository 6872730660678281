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
from dataclasses import dataclass
from functools import cache, partial
from typing import Literal, TypedDict

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from offices.models import Counter, Service

from . import redis_connection, selectors
from .models import Ticket, TicketEvent

logger = logging.getLogger(__name__)


# Payloads


class TicketCalled(TypedDict):
    type: Literal["ticket.called"]
    ticket: str
    counter: str
    recall: bool
    at: str


class TicketStarted(TypedDict):
    type: Literal["ticket.started"]
    ticket: str
    counter: str
    at: str


class TicketCleared(TypedDict):
    type: Literal["ticket.cleared"]
    ticket: str
    counter: str
    status: str


class QueueUpdated(TypedDict):
    type: Literal["queue.updated"]
    waiting: dict[str, int]
    oldest: dict[str, str]


class QueueOrder(TypedDict):
    type: Literal["queue.order"]
    service: str
    numbers: list[str]
    per_client_seconds: float
    counters: int


class TicketStatus(TypedDict):
    type: Literal["ticket.status"]
    number: str
    status: str
    status_label: str
    service: str
    position: int | None
    estimated_wait_seconds: int | None
    counter: str | None
    actions: list[str]
    alert: bool


class CounterUpdated(TypedDict):
    type: Literal["counter.updated"]
    counter: str
    id: int
    state: str
    status_label: str
    state_changed_at: str | None
    operator: str | None
    operator_id: int | None
    break_reason: str
    break_reason_label: str


Message = TicketCalled | TicketStarted | TicketCleared | QueueUpdated | QueueOrder | TicketStatus | CounterUpdated


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
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "forward", "message": message, **envelope})
    except Exception:
        logger.warning("broadcast lost: %s to %s", message.get("type"), group, exc_info=True)


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


def _send_numbered(group: str, message: dict) -> None:
    try:
        seq = _next_seq(group)
    except redis.RedisError:
        logger.warning("broadcast lost: %s to %s", message.get("type"), group, exc_info=True)
        with _local_lock:
            _lost_groups.add(group)
        return
    _send(group, {**message, "seq": seq})


def _send_office(office_id: int, message: dict) -> None:
    _send_numbered(display_group(office_id), message)
    _send_numbered(operators_group(office_id), message)


def _send_operators(office_id: int, message: dict) -> None:
    _send_numbered(operators_group(office_id), message)


def _after_commit(func, *args, **kwargs) -> None:
    transaction.on_commit(partial(func, *args, **kwargs))


def _publish_queue(office, services) -> None:
    """Counts to the screens; the new order of these services' queues to the phones."""
    waiting, oldest = selectors.waiting_summary(office)
    _send_office(office.pk, QueueUpdated(type="queue.updated", waiting=waiting, oldest=oldest))
    for service in services:
        _send(service_group(service.pk), QueueOrder(type="queue.order", **selectors.service_queue(office, service)))


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
        _after_commit(_publish_queue, ticket.office, [ticket.service] if ticket.priority else [])
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
            _after_commit(_publish_queue, ticket.office, [ticket.service])
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
        _after_commit(_publish_queue, ticket.office, [ticket.service])
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
        _after_commit(_publish_queue, ticket.office, services)


def publish_snapshots(office_id: int, *, display: dict, operators: dict) -> None:
    """Replace what the office's screens show (built by displays/snapshots.py); call it after commit."""
    _send(display_group(office_id), display)
    _send(operators_group(office_id), operators)


def announce_counter(counter: Counter) -> None:
    message = CounterUpdated(
        type="counter.updated",
        counter=counter.number,
        id=counter.pk,
        state=counter.state,
        status_label=counter.state_label,
        state_changed_at=counter.state_changed_at.isoformat() if counter.state_changed_at else None,
        operator=counter.operator_name,
        operator_id=counter.operator_id,
        break_reason=counter.break_reason,
        break_reason_label=counter.break_reason_label,
    )
    _after_commit(_send_operators, counter.office_id, message)
