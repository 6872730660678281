"""Hundreds of screens dropping at once leave no dead member in any group (the Redis layer's pool)."""

import asyncio
import copy

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer as LibraryLayer
from django.conf import settings
from django.test import override_settings
from redis.exceptions import ConnectionError as RedisConnectionError

from queue_system.channel_layer import RedisChannelLayer
from tests.helpers import connect_screen
from tickets import broadcast
from tickets import services as svc

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# Far fewer connections than sockets leaving at once: the burst must queue for them.
SMALL_POOL = 10
BURST = 250


def layer_config(prefix: str) -> dict:
    config = copy.deepcopy(settings.CHANNEL_LAYERS["default"]["CONFIG"])
    config["hosts"][0]["max_connections"] = SMALL_POOL
    config["prefix"] = prefix
    return config


async def members(layer, group: str) -> int:
    key = layer._group_key(group)
    return await layer.connection(layer.consistent_hash(group)).zcard(key)


async def discard_all_at_once(layer, group: str) -> list:
    channels = [await layer.new_channel() for _ in range(BURST)]
    for channel in channels:
        await layer.group_add(group, channel)
    assert await members(layer, group) == BURST
    return await asyncio.gather(*(layer.group_discard(group, c) for c in channels), return_exceptions=True)


async def test_a_burst_of_removals_larger_than_the_pool_waits_for_connections_and_empties_the_group():
    layer = RedisChannelLayer(**layer_config("test-burst"))
    results = await discard_all_at_once(layer, "hall")
    assert [r for r in results if r is not None] == []
    assert await members(layer, "hall") == 0
    await layer.flush()
    await layer.close_pools()


async def test_the_library_pool_alone_refuses_that_burst_and_leaves_members_behind():
    # Pins the cause: channels-redis' own pool raises «Too many connections» beyond its size.
    config = layer_config("test-burst-library")
    del config["hosts"][0]["pool_timeout"]  # ours alone
    layer = LibraryLayer(**config)
    results = await discard_all_at_once(layer, "hall")
    assert any(isinstance(r, RedisConnectionError) for r in results)
    assert await members(layer, "hall") > 0
    await layer.flush()
    await layer.close_pools()


@database_sync_to_async
def issue_ticket(office, service):
    return svc.ticket_issue(office=office, service=service)


async def test_displays_and_phones_closing_at_once_leave_every_group_empty(office, services):
    with override_settings(
        CHANNEL_LAYERS={"default": {**settings.CHANNEL_LAYERS["default"], "CONFIG": layer_config("test-mass")}}
    ):
        ticket = await issue_ticket(office, services["fl"])
        paths = [f"/ws/offices/{office.code}/display/"] * (BURST - 50) + [f"/ws/tickets/{ticket.token}/"] * 50
        sockets = []
        for start in range(0, len(paths), 50):
            sockets += await asyncio.gather(*(connect_screen(path) for path in paths[start : start + 50]))
        layer = get_channel_layer()
        groups = [
            broadcast.display_group(office.pk),
            broadcast.ticket_group(ticket.token),
            broadcast.service_group(services["fl"].pk),
        ]
        assert [await members(layer, g) for g in groups] == [BURST - 50, 50, 50]

        await asyncio.wait_for(asyncio.gather(*(s.disconnect() for s in sockets)), timeout=60)

        assert [await members(layer, g) for g in groups] == [0, 0, 0]
        await layer.flush()
