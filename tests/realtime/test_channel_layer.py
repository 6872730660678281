"""The Redis channel layer keeps nothing of a consumer that went away."""

import asyncio

import pytest
from channels_redis.core import RedisChannelLayer as LibraryLayer
from django.conf import settings

from queue_system.channel_layer import RedisChannelLayer

pytestmark = pytest.mark.redis


async def cancel_while_holding_the_receive_lock(layer) -> str:
    channel = await layer.new_channel()
    receiving = asyncio.ensure_future(layer.receive(channel))
    # The only receiver takes the receive lock and blocks in Redis' BZPOPMIN.
    await asyncio.sleep(0.3)
    assert layer.receive_lock is not None and layer.receive_lock.locked()
    receiving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await receiving
    return channel


async def test_a_consumer_cancelled_while_it_holds_the_receive_lock_leaves_no_buffer_behind():
    layer = RedisChannelLayer(hosts=[settings.REDIS_URL])
    channel = await cancel_while_holding_the_receive_lock(layer)
    assert channel not in layer.receive_buffer
    await layer.close_pools()


async def test_the_library_layer_alone_would_keep_that_buffer():
    # Pins the cause: if channels-redis fixes it, this fails and the subclass can go.
    layer = LibraryLayer(hosts=[settings.REDIS_URL])
    channel = await cancel_while_holding_the_receive_lock(layer)
    assert channel in layer.receive_buffer
    await layer.close_pools()
