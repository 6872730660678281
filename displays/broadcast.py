"""The one module that sends to the channel layer.

Services call ``announce_*`` inside their transaction; every send is deferred
with ``transaction.on_commit`` so that a rolled-back transition never reaches a
screen. A failed send (Redis down) is logged and dropped: the transition has
committed already, and screens resynchronise from their snapshot on reconnect.

Groups: ``office-<id>-display`` (hall displays), ``office-<id>-operators``
(operator screens and the monitor), ``ticket-<token>`` (a client's phone) and
``service-<id>`` (the order of one service's queue, which tracking consumers
turn into their own ticket's position). A transition costs a fixed number of
sends, however long the queue. Every message has a ``type``.

Every message to an office's display or operators group carries ``seq``, a
number that grows by one per message to that group, and snapshots carry the
current one. A screen
that sees a gap, or a number lower than the last (the counter was reset),
asks for a fresh snapshot; so does one whose ``pong`` shows it fell behind.
The numbers come from a Redis counter (a process-local one with the in-memory
layer), never from a database lock on the issue or call path.
"""

import itertools
import logging
import threading
from collections import defaultdict
from functools import cache, partial

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def display_group(office_id: int) -> str:
    return f"office-{office_id}-display"


def operators_group(office_id: int) -> str:
    return f"office-{office_id}-operators"


def ticket_group(token: str) -> str:
    return f"ticket-{token}"


def service_group(service_id: int) -> str:
    return f"service-{service_id}"


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
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


# The in-memory layer lives in one process, so its numbers can too.
_local_seq: defaultdict[str, itertools.count] = defaultdict(lambda: itertools.count(1))
_local_last: dict[str, int] = {}
_local_lock = threading.Lock()


def _next_seq(group: str) -> int:
    if settings.REDIS_URL:
        return int(_redis().incr(_seq_key(group)))
    with _local_lock:
        _local_last[group] = next(_local_seq[group])
        return _local_last[group]


def current_seq(group: str) -> int:
    """The ``seq`` of the group's latest message: a snapshot built after reading it covers that message."""
    if settings.REDIS_URL:
        return int(_redis().get(_seq_key(group)) or 0)
    with _local_lock:
        return _local_last.get(group, 0)


def _send_numbered(group: str, message: dict) -> None:
    try:
        seq = _next_seq(group)
    except redis.RedisError:
        logger.warning("broadcast lost: %s to %s", message.get("type"), group, exc_info=True)
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
    # Imported here: tickets imports this module, so a top-level import would be circular.
    from tickets import selectors

    waiting, oldest = selectors.waiting_summary(office)
    _send_office(office.pk, {"type": "queue.updated", "waiting": waiting, "oldest": oldest})
    for service in services:
        _send(service_group(service.pk), {"type": "queue.order", **selectors.service_queue(office, service)})


def _publish_ticket(ticket) -> None:
    """The ticket's new status to the phone following it (the object as committed, not read again)."""
    from tickets import selectors

    message = {"type": "ticket.status", **selectors.tracking_status(ticket)}
    # service_id stays in the envelope: it lets the consumer follow a transfer.
    _send(ticket_group(ticket.token), message, service_id=ticket.service_id)


def announce_issued(ticket) -> None:
    # A ticket joining at the back moves nobody: only a priority ticket changes
    # the positions of those already waiting.
    _after_commit(_publish_queue, ticket.office, [ticket.service] if ticket.priority else [])


def announce_called(ticket, *, recall: bool) -> None:
    message = {
        "type": "ticket.called",
        "ticket": ticket.number,
        "counter": ticket.counter.number,
        "recall": recall,
        "at": ticket.called_at.isoformat(),
    }
    _after_commit(_send_office, ticket.office_id, message)
    _after_commit(_publish_ticket, ticket)
    if not recall:
        _after_commit(_publish_queue, ticket.office, [ticket.service])


def announce_started(ticket) -> None:
    message = {"type": "ticket.started", "ticket": ticket.number, "counter": ticket.counter.number}
    _after_commit(_send_operators, ticket.office_id, message)
    _after_commit(_publish_ticket, ticket)


def announce_cleared(ticket, *, counter_number: str, status: str, requeued_from=None) -> None:
    """The ticket left its counter; ``requeued_from`` is the service it left when it went back to a queue."""
    message = {"type": "ticket.cleared", "ticket": ticket.number, "counter": counter_number, "status": status}
    _after_commit(_send_office, ticket.office_id, message)
    _after_commit(_publish_ticket, ticket)
    if requeued_from is not None:
        services = [ticket.service] if requeued_from.pk == ticket.service_id else [requeued_from, ticket.service]
        _after_commit(_publish_queue, ticket.office, services)


def announce_left_queue(ticket) -> None:
    """A waiting ticket was cancelled or expired."""
    _after_commit(_publish_ticket, ticket)
    _after_commit(_publish_queue, ticket.office, [ticket.service])


def announce_counter(counter) -> None:
    message = {
        "type": "counter.updated",
        "counter": counter.number,
        "id": counter.pk,
        "state": counter.state,
        "operator": counter.operator.get_full_name() or counter.operator.username if counter.operator else None,
    }
    _after_commit(_send_operators, counter.office_id, message)
