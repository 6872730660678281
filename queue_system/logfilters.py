"""Logging filters: what a stranger can make the server log is kept to one short line now and then."""

import logging
import threading
import time


class OneLinePerMinute(logging.Filter):
    """At most one record per minute through this filter, without its traceback.

    A request with a wrong Host header (a scanner, a misrouted probe) is refused
    with a 400 each time; Django logs each with a full traceback, so anyone can
    fill the log at the rate they send requests. The line says how many were
    left out since the last one.
    """

    interval = 60.0

    def __init__(self, name: str = ""):
        super().__init__(name)
        self.lock = threading.Lock()
        self.last = float("-inf")
        self.skipped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        with self.lock:
            now = time.monotonic()
            if now - self.last < self.interval:
                self.skipped += 1
                return False
            self.last, skipped, self.skipped = now, self.skipped, 0
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        if skipped:
            record.msg = f"{record.getMessage()} (and {skipped} more in the last minute, not logged)"
            record.args = None
        return True
