"""When committed announcements go out: after the HTTP response, in commit order.

``broadcast`` hands every announcement to ``after_commit``. Outside a request
(a management command, a test calling a service, the admin's own code paths
without the middleware) it runs as soon as the transaction commits, as
``transaction.on_commit`` would. Inside a request wrapped by
``queue_system.middleware.BroadcastAfterResponseMiddleware`` it waits until the
response has been sent: the kiosk and the operator get their answer without
waiting for Redis and for the queries an announcement makes, and the same
thread sends it right after.

Order: every committed job joins one process-wide queue, and jobs run strictly
in that order, one at a time, so the ``seq`` numbers a process takes from
Redis go out in the order of its commits. The thread that flushes runs every
job queued, other requests' too (whose response may still be on its way out:
that message then beats its response, as it always could). A job whose request
never flushes (the client went away mid-response) goes out with the next flush
in the process. Between processes, ordering is what it always
was: each message carries ``seq`` and a screen that sees a gap asks for a
snapshot.

The messages the jobs send (``send``) are collected and handed to the channel
layer together, in order: one hop from this thread to the event loop for a
run of jobs, not one per message.
"""

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import DatabaseError, transaction

from . import outages

logger = logging.getLogger(__name__)

_jobs: deque[Callable[[], None]] = deque()
_sending = threading.Lock()  # held by the one thread running jobs, in the order they were queued
_outgoing = threading.local()  # .batch: the messages of the jobs being run, not yet sent
# Messages a run of jobs holds back at most: under a steady load the queue of jobs never empties.
SEND_BATCH = 20


class Pending:
    """Whether a request committed jobs: they go out once its response has been sent."""

    def __init__(self):
        self.any = False

    def flush(self) -> None:
        if self.any:
            flush()


_request: ContextVar[Pending | None] = ContextVar("broadcast_after_response", default=None)


def _enqueue(job: Callable[[], None]) -> None:
    _jobs.append(job)
    pending = _request.get()
    if pending is None:
        flush()
    else:
        pending.any = True


def after_commit(job: Callable[[], None]) -> None:
    """Run ``job`` once the current transaction commits (never if it rolls back), after the response."""
    transaction.on_commit(lambda: _enqueue(job))


def flush() -> None:
    """Run every queued job, in order; or leave them to the thread that is running them already.

    Only one thread runs jobs at a time, and it runs them until the queue is
    empty, so nobody waits for that thread: a request whose jobs it takes over
    is done. The check after releasing covers a job queued between its last
    look at the queue and the release, whose owner found the lock still held.
    """
    while _jobs:
        if not _sending.acquire(blocking=False):
            return
        _outgoing.batch = []
        try:
            while _jobs:
                job = _jobs.popleft()
                if _later_of_its_kind(job):
                    continue  # it went into the last queued job of its kind
                try:
                    job()
                except DatabaseError as error:
                    # The database went away after the commit: screens resynchronise from
                    # their snapshot later; one line a minute, not a traceback per message.
                    outages.warn(logger, "announcement", "announcement lost, the database went away: %r", error)
                except Exception:
                    # A lost message must not take the jobs queued behind it with it.
                    logger.exception("announcement failed")
                if len(_outgoing.batch) >= SEND_BATCH or not _jobs:
                    # Still holding the lock: the next run's messages cannot overtake these.
                    batch, _outgoing.batch = _outgoing.batch, []
                    _send_all(batch)
        finally:
            _outgoing.batch = None
            _sending.release()


def send(group: str, payload: dict) -> None:
    """``group_send`` to the channel layer: with the messages of the jobs being run, or now."""
    batch = getattr(_outgoing, "batch", None)
    if batch is None:
        _send_all([(group, payload)])
    else:
        batch.append((group, payload))


def _send_all(messages: list[tuple[str, dict]]) -> None:
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    try:
        async_to_sync(_group_send_each)(layer, messages)
    except Exception as error:
        outages.warn(logger, "broadcast", "%d messages lost (%r)", len(messages), error)


async def _group_send_each(layer, messages: list[tuple[str, dict]]) -> None:
    # One after another: a group's messages must arrive in the order of their seq.
    for group, payload in messages:
        try:
            await layer.group_send(group, payload)
        except Exception as error:
            message_type = payload.get("message", {}).get("type")
            outages.warn(logger, "broadcast", "broadcast lost: %s to %s (%r)", message_type, group, error)


def _later_of_its_kind(job) -> bool:
    """Merge a job that has a ``merge_key`` (broadcast.QueuePublish) and every queued job with the
    same key into the last of them; whether there was one.

    The merged job goes out where the last one would have: what it sends is
    read when it runs, so it is as new as that one's, and the messages queued
    between keep their place before it. Only this thread takes jobs out, other
    threads only append, so the positions found stay valid.
    """
    key = getattr(job, "merge_key", None)
    if key is None:
        return False
    same = [n for n, queued in enumerate(_jobs) if getattr(queued, "merge_key", None) == key]
    if not same:
        return False
    merged = job
    for n in same:
        merged = merged.merge(_jobs[n])
    _jobs[same[-1]] = merged
    for n in reversed(same[:-1]):
        del _jobs[n]
    return True


@contextmanager
def after_response() -> Iterator[Pending]:
    """Inside, committed jobs wait for the ``Pending.flush`` the caller runs once its response is sent."""
    pending = Pending()
    token = _request.set(pending)
    try:
        yield pending
    finally:
        _request.reset(token)
