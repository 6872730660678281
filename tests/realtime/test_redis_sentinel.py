"""Redis Sentinel: REDIS_SENTINELS reaches every Redis user, and a group_send follows a failover."""

import asyncio
import json
import os
import shutil
import subprocess
import sys

import pytest
from django.conf import settings
from redis.exceptions import RedisError

from queue_system.channel_layer import RedisChannelLayer
from tests.servers import RedisSentinelSet
from tickets import redis_connection

SENTINEL_ENV = {
    "REDIS_URL": "",
    "REDIS_SENTINELS": "10.0.0.5:26379,10.0.0.6:26379,[::1]:26380",
    "REDIS_SENTINEL_MASTER": "queue",
    "REDIS_DB": "3",
}

# Builds every Redis user the product has, as a process would at start, without connecting.
PROBE = """
import django, json; django.setup()
from django.conf import settings
from redis.exceptions import RedisError
from django.core.cache import cache
from channels.layers import get_channel_layer
from channels_redis.utils import create_pool
from redis.asyncio.sentinel import SentinelConnectionPool as AsyncPool
from redis.sentinel import SentinelConnectionPool
from tickets import broadcast

def describe(pool):
    assert isinstance(pool, (SentinelConnectionPool, AsyncPool)), type(pool)
    return {
        "master": pool.service_name,
        "sentinels": ["{host}:{port}".format(**s.connection_pool.connection_kwargs)
                      for s in pool.sentinel_manager.sentinels],
        "db": pool.connection_kwargs["db"],
        "sentinel_timeout": pool.sentinel_manager.sentinel_kwargs.get("socket_timeout"),
    }

layer = get_channel_layer()
print(json.dumps({
    "layer": describe(create_pool(layer.hosts[0])),
    "layer_socket_timeout": layer.hosts[0]["socket_timeout"],
    "seq": describe(broadcast._redis().connection_pool),
    "cache": describe(cache._cache._get_connection_pool(write=True)),
}))
"""


def test_the_sentinel_settings_reach_the_channel_layer_the_seq_counters_and_the_cache():
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**os.environ, **SENTINEL_ENV, "DJANGO_SETTINGS_MODULE": "queue_system.settings"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stderr
    users = json.loads(result.stdout)
    expected = {
        "master": "queue",
        "sentinels": ["10.0.0.5:26379", "10.0.0.6:26379", "::1:26380"],
        "db": 3,
        "sentinel_timeout": 2,
    }
    assert users.pop("layer_socket_timeout") == settings.REDIS_SOCKET_TIMEOUT
    assert users == {"layer": expected, "seq": expected, "cache": expected}


@pytest.fixture
def sentinel_set(tmp_path):
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        pytest.fail("redis-server and redis-cli are needed for a Sentinel set-up")
    servers = RedisSentinelSet(tmp_path / "sentinel").start()
    try:
        yield servers.ready()
    finally:
        servers.stop()


def host_entry(servers: RedisSentinelSet) -> dict:
    return {
        "sentinels": [("127.0.0.1", port) for port in servers.sentinel_ports],
        "master_name": servers.master_name,
        "sentinel_kwargs": {"socket_timeout": 2, "socket_connect_timeout": 2},
        "socket_timeout": 5,
        "socket_connect_timeout": 2,
    }


async def send_and_receive(layer, group: str, text: str) -> dict:
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    await layer.group_send(group, {"type": "forward", "text": text})
    return await asyncio.wait_for(layer.receive(channel), 5)


async def retried(attempt, times: int = 3):
    for _ in range(times - 1):
        try:
            return await attempt()
        except (RedisError, OSError):  # the one error of a connection to the dead master
            await asyncio.sleep(0.2)
    return await attempt()


async def test_a_group_send_reaches_its_consumer_through_the_master_the_sentinels_name_before_and_after_a_failover(
    sentinel_set,
):
    old_master = sentinel_set.master_port()
    assert old_master == sentinel_set.primary.port
    layer = RedisChannelLayer(hosts=[host_entry(sentinel_set)])
    counter = redis_connection.client(host_entry(sentinel_set))
    assert (await send_and_receive(layer, "office-1-display", "before"))["text"] == "before"
    assert counter.incr("queue:seq:office-1-display") == 1
    # Replication is asynchronous: without this a write just before the kill may be lost
    # (a seq that goes back, which screens take for a reset).
    assert counter.execute_command("WAIT", 1, 2000) == 1

    sentinel_set.primary.kill()
    new_master = await asyncio.to_thread(sentinel_set.wait_failover, old_master)
    assert new_master == sentinel_set.replica.port
    # The same layer and client, as in a running node: a connection to the dead
    # master fails once, and the next one goes to the master the sentinels name.
    assert (await retried(lambda: send_and_receive(layer, "office-1-display", "after")))["text"] == "after"
    # The counter went over with the replica; a client that had the old master finds the new one.
    assert await retried(lambda: asyncio.to_thread(counter.incr, "queue:seq:office-1-display")) == 2
    await layer.close_pools()
