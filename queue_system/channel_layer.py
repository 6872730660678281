"""The Redis channel layer: a connection pool sized on purpose, and one leak of channels-redis 4.3 closed.

Pool. channels-redis gives each process (each event loop) a redis-py pool,
which by default holds at most 100 connections and raises «Too many
connections» for the 101st command in flight. When 500 or 1,000 screens drop
at once (a switch, a Wi-Fi access point, a restart of nginx), every one of
them removes itself from its groups at the same moment: most of those
removals failed, and the dead channels stayed in the groups for
``group_expiry`` (48 hours), each later message sent to them too. Here the
pool is a blocking one: at most ``max_connections`` connections, and a
command beyond them waits up to ``pool_timeout`` seconds for a free one instead of
failing (a ZREM takes well under a millisecond, so a queue of a thousand
drains in a fraction of a second). Both come from the settings' host entry.

Leak. A WebSocket consumer that disconnects while its receive() holds the
layer's receive lock is cancelled inside receive_single(); channels-redis then
never deletes that channel's receive buffer (its cleanup catches Exception,
and cancellation is a BaseException). Every such socket left a queue behind,
so memory grew with the phones and displays that came and went all day.

Outage. While Redis is unreachable, receive() waits for it instead of raising:
the exception would end the consumer with a 500 (at a handshake) and a
traceback per socket. The consumer itself closes the socket when it finds
the layer down (joining its groups, or at the next heartbeat).
"""

import asyncio
import logging

import redis.asyncio
import redis.exceptions
from channels_redis import core

from tickets import outages

logger = logging.getLogger(__name__)
RETRY_SECONDS = 2


class RedisChannelLayer(core.RedisChannelLayer):
    def create_pool(self, index):
        host = dict(self.hosts[index])
        timeout = host.pop("pool_timeout", 20)
        if "address" not in host:
            # Sentinel: channels-redis' own pool (not a blocking one), still capped at max_connections.
            return core.create_pool(host)
        return redis.asyncio.BlockingConnectionPool.from_url(host.pop("address"), timeout=timeout, **host)

    async def receive(self, channel):
        while True:
            try:
                return await super().receive(channel)
            except asyncio.CancelledError:
                # Only a consumer that is going away cancels its receive: nobody reads this buffer again.
                self.receive_buffer.pop(channel, None)
                raise
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
                outages.channel_layer_unreachable(logger, error)
                await asyncio.sleep(RETRY_SECONDS)
