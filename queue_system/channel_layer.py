"""The Redis channel layer, with one leak of channels-redis 4.3 closed.

A WebSocket consumer that disconnects while its receive() holds the layer's
receive lock is cancelled inside receive_single(); channels-redis then never
deletes that channel's receive buffer (its cleanup catches Exception, and
cancellation is a BaseException). Every such socket left a queue behind, so
memory grew with the phones and displays that came and went all day.
"""

import asyncio

from channels_redis import core


class RedisChannelLayer(core.RedisChannelLayer):
    async def receive(self, channel):
        try:
            return await super().receive(channel)
        except asyncio.CancelledError:
            # Only a consumer that is going away cancels its receive: nobody reads this buffer again.
            self.receive_buffer.pop(channel, None)
            raise
