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
"""

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DatabaseError, transaction

from . import outages

logger = logging.getLogger(__name__)

_jobs: deque[Callable[[], None]] = deque()
_sending = threading.Lock()  # held by the one thread running jobs, in the order they were queued


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
        finally:
            _sending.release()


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
