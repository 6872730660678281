"""The Redis channel layer, with one leak of channels-redis 4.3 closed.

A WebSocket consumer that disconnects while its receive() holds the layer's
receive lock is cancelled inside receive_single(); channels-redis then never
deletes that channel's receive buffer (its cleanup catches Exception, and
cancellation is a BaseException). Every such socket left a queue behind, so
memory grew with the phones and displays that came and went all day.

And while Redis is unreachable, receive() waits for it instead of raising:
the exception would end the consumer with a 500 (at a handshake) and a
traceback per socket. The consumer itself closes the socket when it finds
the layer down (joining its groups, or at the next heartbeat).
"""

import asyncio
import logging

import redis.exceptions
from channels_redis import core

from tickets import outages

logger = logging.getLogger(__name__)
RETRY_SECONDS = 2


class RedisChannelLayer(core.RedisChannelLayer):
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
