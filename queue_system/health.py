"""/healthz for a load balancer: the database and the channel layer, reported separately."""

import asyncio
import logging

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse

from .errors import log_database_unavailable

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 2


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0] == 1
    except Exception as exc:
        # Probed every few seconds by each balancer: the rate-limited line, not a traceback per probe.
        log_database_unavailable(exc)
        return False


async def _layer_ok() -> bool:
    layer = get_channel_layer()
    try:
        channel = await layer.new_channel()
        await asyncio.wait_for(layer.send(channel, {"type": "health.ping"}), TIMEOUT_SECONDS)
        message = await asyncio.wait_for(layer.receive(channel), TIMEOUT_SECONDS)
        return message.get("type") == "health.ping"
    except Exception:
        logger.warning("health: channel layer unavailable", exc_info=True)
        return False


async def healthz(request):
    database, layer = await asyncio.gather(database_sync_to_async(_database_ok)(), _layer_ok())
    body = {"database": "ok" if database else "unavailable", "channel_layer": "ok" if layer else "unavailable"}
    return JsonResponse(body, status=200 if database and layer else 503)
