"""Synchronous Redis clients built from ``settings.REDIS``, the rule the channel layer also follows.

``settings.REDIS`` is a channels-redis host entry: ``{"address": url}`` for one
Redis, or ``{"sentinels", "master_name", "db", ...}`` for Redis Sentinel. Here
the same entry becomes a redis-py client (the ``seq`` counters) or the
connection pool of Django's Redis cache (throttles), through redis-py's own
Sentinel support: after a failover they find the new master as the layer does.
"""

import redis
from redis.sentinel import Sentinel, SentinelConnectionPool


def _sentinel_pool(host: dict, **options) -> SentinelConnectionPool:
    host = {**host, **options}
    sentinels = host.pop("sentinels")
    master_name = host.pop("master_name")
    sentinel_kwargs = host.pop("sentinel_kwargs", None)
    return SentinelConnectionPool(master_name, Sentinel(sentinels, sentinel_kwargs=sentinel_kwargs), **host)


def client(host: dict, **options) -> redis.Redis:
    """A client for ``host`` (a ``settings.REDIS`` entry) with ``options`` (timeouts) on its connections."""
    if "address" in host:
        return redis.Redis.from_url(host["address"], **options)
    return redis.Redis(connection_pool=_sentinel_pool(host, **options))


class CachePool:
    """``pool_class`` of Django's RedisCache under Sentinel: its OPTIONS carry the sentinels, not LOCATION."""

    @classmethod
    def from_url(cls, url: str, **options) -> SentinelConnectionPool:
        return _sentinel_pool(options)
