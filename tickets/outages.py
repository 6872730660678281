"""One log line a minute for each kind of outage (Redis away, for instance), however many
requests or sockets meet it: a traceback per socket buried the log every few seconds."""

import logging
import threading
import time

INTERVAL_SECONDS = 60

_last: dict[str, float] = {}
_lock = threading.Lock()


def warn(logger: logging.Logger, kind: str, message: str, *args) -> bool:
    """Log ``message`` at warning level unless ``kind`` was logged in the last minute; whether it was logged."""
    now = time.monotonic()
    with _lock:
        if kind in _last and now - _last[kind] < INTERVAL_SECONDS:
            return False
        _last[kind] = now
    logger.warning(message + " (logged once a minute while it lasts)", *args)
    return True


def channel_layer_unreachable(logger: logging.Logger, error: Exception) -> None:
    """The sockets' one line: from the consumers and the layer's receive alike."""
    warn(logger, "channel_layer", "channel layer unreachable (%r): screens are told to come back later", error)
