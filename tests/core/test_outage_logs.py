"""An outage is logged once a minute, however many requests meet it; the rate limits fail open."""

import logging

import time_machine
from rest_framework.throttling import SimpleRateThrottle

from tickets import outages, throttles


class StoreDown(SimpleRateThrottle):
    scope = "test_store_down"
    rate = "1/minute"

    def get_cache_key(self, request, view):
        raise ConnectionError("Redis is away")


def test_a_rate_limit_whose_store_is_down_lets_every_request_through_and_logs_once_a_minute(caplog, monkeypatch):
    monkeypatch.setattr(outages, "_last", {})
    caplog.set_level(logging.WARNING, logger="tickets.throttles")
    with time_machine.travel(0, tick=False) as clock:
        assert all(throttles.allow(StoreDown(), None, None) for _ in range(50))
        assert [r.getMessage() for r in caplog.records] == [
            "rate limit store unavailable (ConnectionError('Redis is away')): limits not applied "
            "(logged once a minute while it lasts)"
        ]
        assert not any(r.exc_info for r in caplog.records)
        clock.shift(outages.INTERVAL_SECONDS + 1)
        assert throttles.allow(StoreDown(), None, None)
    assert len(caplog.records) == 2
