"""A message lost while Redis is away (down, or failing over) is not lost silently to the screens."""

import redis

from tickets import broadcast

GROUP = "office-1-display"


class FlakyRedis:
    def __init__(self, seq: int):
        self.values = {broadcast._seq_key(GROUP): seq}
        self.down = False

    def incr(self, key):
        if self.down:
            raise redis.ConnectionError("Connection refused")
        self.values[key] = self.values.get(key, 0) + 1
        return self.values[key]

    def get(self, key):
        if self.down:
            raise redis.ConnectionError("Connection refused")
        return self.values.get(key)


def test_a_message_lost_while_redis_was_away_leaves_a_gap_that_sends_open_screens_for_a_snapshot(settings, monkeypatch):
    settings.REDIS = {"address": "redis://127.0.0.1:1/0"}
    client = FlakyRedis(seq=5)
    sent = []
    monkeypatch.setattr(broadcast, "_redis", lambda: client)
    monkeypatch.setattr(broadcast, "_lost_groups", set())
    monkeypatch.setattr(broadcast, "_send", lambda group, message, **envelope: sent.append(message))

    client.down = True
    broadcast._send_numbered(GROUP, {"type": "ticket.called", "ticket": "А001"})
    assert sent == []
    client.down = False
    # A screen that kept its socket (at 5) pings: the pong's number is above its own, so it asks for a snapshot.
    assert broadcast.current_seq(GROUP) == 6
    broadcast._send_numbered(GROUP, {"type": "ticket.called", "ticket": "А002"})
    assert [m["seq"] for m in sent] == [7]  # and the next message shows the gap too
    assert broadcast.current_seq(GROUP) == 7  # bumped once only
