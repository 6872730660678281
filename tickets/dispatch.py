"""When committed announcements go out: after the HTTP response, in commit order.

``broadcast`` hands every announcement to ``after_commit``. Outside a request
(a management command, a test calling a service, the admin's own code paths
without the middleware) it runs as soon as the transaction commits, as
``transaction.on_commit`` would. Inside a request wrapped by
``queue_system.middleware.BroadcastAfterResponseMiddleware`` it waits until the
response has been sent: the kiosk and the operator get their answer without
waiting for Redis and for the queries an announcement makes, and the same
thread sends it right after.

Order: every committed job takes a number in one process-wide queue, and jobs
run strictly in that order, one at a time, so the ``seq`` numbers a process
takes from Redis go out in the order of its commits. A request that flushes runs
every earlier job still queued (another request's, whose response is still on
its way out: that message then beats its response, as it always could). A job
whose request never flushes (the client went away mid-response) goes out with
the next flush in the process. Between processes, ordering is what it always
was: each message carries ``seq`` and a screen that sees a gap asks for a
snapshot.
"""

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction

logger = logging.getLogger(__name__)

_jobs: deque[tuple[int, Callable[[], None]]] = deque()
_jobs_lock = threading.Lock()  # guards _jobs and _taken
_sending = threading.Lock()  # one sender at a time: jobs run in the order they were taken
_taken = 0
_done = 0


class Pending:
    """The jobs a request committed: the last one's number, flushed once the response is out."""

    def __init__(self):
        self.last = 0

    def flush(self) -> None:
        if self.last:
            flush(until=self.last)


_request: ContextVar[Pending | None] = ContextVar("broadcast_after_response", default=None)


def _enqueue(job: Callable[[], None]) -> None:
    global _taken
    with _jobs_lock:
        _taken += 1
        number = _taken
        _jobs.append((number, job))
    pending = _request.get()
    if pending is None:
        flush(until=number)
    else:
        pending.last = number


def after_commit(job: Callable[[], None]) -> None:
    """Run ``job`` once the current transaction commits (never if it rolls back), after the response."""
    transaction.on_commit(lambda: _enqueue(job))


def flush(*, until: int) -> None:
    """Run the queued jobs in order until job number ``until`` has run."""
    global _done
    with _sending:
        while _done < until:
            with _jobs_lock:
                if not _jobs:
                    return
                number, job = _jobs.popleft()
            try:
                job()
            except Exception:
                # A lost message must not take the jobs queued behind it with it.
                logger.exception("announcement failed")
            _done = number


@contextmanager
def after_response() -> Iterator[Pending]:
    """Inside, committed jobs wait for the ``Pending.flush`` the caller runs once its response is sent."""
    pending = Pending()
    token = _request.set(pending)
    try:
        yield pending
    finally:
        _request.reset(token)
