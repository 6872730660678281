"""WebSocket consumers: thin and read-only.

Each joins its groups, accepts, and sends a full snapshot; handlers only
forward what tickets/broadcast.py sends. Whatever a client sends is ignored,
except a {"type": "ping"} heartbeat, answered with {"type": "pong"} (with the
group's current ``seq`` on office screens), and a {"type": "sync"} request
for a fresh snapshot.
"""

import asyncio
import json
import logging
import time
from importlib import import_module

import redis
from asgiref.sync import sync_to_async
from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder

from offices import access
from offices.models import Office
from tickets import broadcast, live, outages, selectors
from tickets.errors import MESSAGES, OFFICE_NOT_FOUND, TICKET_NOT_FOUND
from tickets.models import Ticket

from . import monitor, snapshots

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
# A screen may ask for a fresh snapshot (the office opening or closing is a
# change of time, not an event), but not more often than this.
SYNC_INTERVAL_SECONDS = 10
# The channel layer (Redis) is unreachable: come back later (as an HTTP 503).
# Not RFC 6455's 1013: Daphne (autobahn) sends only 1000 and 3000-4999. The
# screens back off longer after it than after an ordinary drop (static/js/live.js).
CLOSE_LAYER_DOWN = 4503

logger = logging.getLogger(__name__)


class ScreenConsumer(AsyncJsonWebsocketConsumer):
    groups_to_join: list[str]
    # The group whose numbered messages this screen follows (office screens only).
    sequenced_group: str | None = None
    last_sync = 0.0
    pending_sync: asyncio.Task | None = None

    @classmethod
    async def encode_json(cls, content):
        return json.dumps(content, cls=DjangoJSONEncoder, ensure_ascii=False)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return json.loads(text_data)
        except (TypeError, ValueError, RecursionError):  # '[' × 1000 fits in 1 KB
            return None

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # Screens are read-only: a ping or a request for a fresh snapshot is
        # all they may send; anything else, garbage included, is ignored.
        if text_data is None or len(text_data) > 1024:
            return
        content = await self.decode_json(text_data)
        if not isinstance(content, dict):
            return
        if content.get("type") == "ping":
            await self.heartbeat()
        elif content.get("type") == "sync":
            await self.sync()

    async def heartbeat(self) -> None:
        # Re-joining is idempotent, and it repairs membership that Redis lost
        # (a restart without persistence, or group_expiry) while this socket
        # stayed open: otherwise the screen would wait for events forever.
        try:
            for group in getattr(self, "joined", []):
                await self.channel_layer.group_add(group, self.channel_name)
            pong = {"type": "pong"}
            if self.sequenced_group:
                # Not thread-sensitive: a Redis read must not queue behind the requests in the sync thread.
                pong["seq"] = await sync_to_async(broadcast.current_seq, thread_sensitive=False)(self.sequenced_group)
        except Exception as error:
            # The layer is unreachable: drop the socket so that the screen
            # reconnects, and resynchronises, once it is back.
            outages.channel_layer_unreachable(logger, error)
            await self.close(code=CLOSE_LAYER_DOWN)
            return
        await self.send_json(pong)

    async def sync(self) -> None:
        """A fresh snapshot now, or once the interval has passed; a request is never dropped."""
        if self.pending_sync is not None:
            return
        wait = self.last_sync + SYNC_INTERVAL_SECONDS - time.monotonic()
        if wait <= 0:
            self.last_sync = time.monotonic()
            await self.send_json(await self.snapshot())
            return

        async def later():
            await asyncio.sleep(wait)
            self.pending_sync = None
            await self.sync()

        self.pending_sync = asyncio.ensure_future(later())

    async def snapshot(self) -> dict:
        raise NotImplementedError

    async def refuse(self, code: int, error: str, message: str) -> None:
        await self.accept()
        await self.send_json({"type": "error", "code": error, "message": message})
        await self.close(code=code)

    async def join(self, *groups: str) -> bool:
        """Join the groups; when the channel layer is unreachable, accept and close
        with CLOSE_LAYER_DOWN (a refused handshake would be a 500), and say False."""
        self.joined = []
        try:
            for group in groups:
                await self.channel_layer.group_add(group, self.channel_name)
                self.joined.append(group)
        except Exception as error:
            await self.layer_down(error)
            return False
        return True

    async def layer_down(self, error: Exception) -> None:
        """Accept and close with CLOSE_LAYER_DOWN: the screen backs off and returns (a refused handshake is a 500)."""
        outages.channel_layer_unreachable(logger, error)
        await self.accept()
        await self.close(code=CLOSE_LAYER_DOWN)

    async def disconnect(self, code):
        if self.pending_sync is not None:
            self.pending_sync.cancel()
        try:
            for group in getattr(self, "joined", []):
                await self.channel_layer.group_discard(group, self.channel_name)
        except Exception as error:
            # Redis lost the membership with everything else; group_expiry ends it if not.
            outages.channel_layer_unreachable(logger, error)

    async def forward(self, event):
        await self.send_json(event["message"])


class RefusedConsumer(AsyncWebsocketConsumer):
    """An unknown path: closing before accept makes Daphne answer the handshake with 403."""

    async def connect(self):
        await self.close()


@database_sync_to_async
def _office_id(code: str) -> int | None:
    return Office.objects.filter(code=code).values_list("pk", flat=True).first()


async def _live_state(office_id: int) -> live.LiveState:
    """The office's live state: a current one without the database thread, else built there (once per change)."""
    # Not thread-sensitive: a cache read must not queue behind the requests in the sync thread.
    state = await sync_to_async(live.cached, thread_sensitive=False)(office_id)
    if state is None:
        state = await database_sync_to_async(live.get)(office_id)
    return state


class DisplayConsumer(ScreenConsumer):
    # Only the office's id is kept: every snapshot reads the office afresh, so
    # an admin's edit of hours or ticker shows at the next snapshot.
    async def connect(self):
        self.office_id = await _office_id(self.scope["url_route"]["kwargs"]["code"])
        if self.office_id is None:
            return await self.refuse(CLOSE_NOT_FOUND, "not_found", OFFICE_NOT_FOUND)
        self.sequenced_group = broadcast.display_group(self.office_id)
        if not await self.join(self.sequenced_group):
            return
        await self.accept()
        await self.send_json(await self.snapshot())

    async def snapshot(self) -> dict:
        return (await _live_state(self.office_id)).display_snapshot()


class OperatorsConsumer(ScreenConsumer):
    async def connect(self):
        self.office_id = await _office_id(self.scope["url_route"]["kwargs"]["code"])
        if self.office_id is None:
            return await self.refuse(CLOSE_NOT_FOUND, "not_found", OFFICE_NOT_FOUND)
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return await self.refuse(CLOSE_NOT_SIGNED_IN, "not_authenticated", MESSAGES["not_authenticated"])
        # Membership is re-checked on every connect: a revoked operator loses access at the next reconnect.
        try:
            await database_sync_to_async(self.check_access)(user)
        except PermissionDenied as refusal:
            return await self.refuse(CLOSE_FORBIDDEN, "permission_denied", str(refusal))
        self.user_id = user.pk
        self.sequenced_group = broadcast.operators_group(self.office_id)
        if not await self.join(self.sequenced_group):
            return
        await self.accept()
        await self.send_json(await self.snapshot())
        self.access_watch = asyncio.ensure_future(self.watch_access())

    def check_access(self, user) -> None:
        _require_staff(user, self.office_id)

    async def snapshot(self) -> dict:
        return (await _live_state(self.office_id)).operators_snapshot()

    async def watch_access(self) -> None:
        # Nothing tells an open socket that its session ended (a logout in another
        # tab, a password change) or that the user lost the office: it asks again
        # on a short timer, and closes as the connect would have refused.
        while True:
            await asyncio.sleep(settings.OPERATOR_SOCKET_RECHECK_SECONDS)
            refusal = await self.access_refusal()
            if refusal is not None:
                code, error, message = refusal
                await self.send_json({"type": "error", "code": error, "message": message})
                await self.close(code=code)
                return

    async def access_refusal(self) -> tuple[int, str, str] | None:
        session = self.scope.get("session")
        # A fresh store: the scope's session was read once, at connect.
        fresh = import_module(settings.SESSION_ENGINE).SessionStore(session.session_key if session else None)
        user = await get_user({"session": fresh})
        if not user.is_authenticated or user.pk != self.user_id:
            return CLOSE_NOT_SIGNED_IN, "not_authenticated", "Сеанс завершён. Войдите в систему снова."
        try:
            await database_sync_to_async(self.check_access)(user)
        except PermissionDenied:
            return CLOSE_FORBIDDEN, "permission_denied", "Вы больше не работаете в этом офисе."
        return None

    async def disconnect(self, code):
        watch = getattr(self, "access_watch", None)
        if watch is not None:
            watch.cancel()
        await super().disconnect(code)


class MonitorConsumer(OperatorsConsumer):
    """The manager's monitor of one office: the operators group's messages, its own snapshot, pushed figures.

    The monitor applies counter and ticket messages itself and never asks for
    a snapshot. What only the database knows (today's figures, the norm, the
    day chart) it gets as a ``monitor.stats`` message, which this consumer
    pushes shortly after a change of the queue (coalesced: at most one per
    STATS_INTERVAL_SECONDS) and every STATS_REFRESH_SECONDS. Those are reads
    made once per connected monitor; managers are few, and the reads are a
    fixed number of queries.
    """

    STATS_DELAY_SECONDS = 0.3
    STATS_INTERVAL_SECONDS = 2.0
    STATS_REFRESH_SECONDS = 60.0
    # The messages after which the figures may have changed.
    STATS_AFTER = ("queue.updated", "ticket.called", "ticket.cleared", "feedback.changed")
    stats_task: asyncio.Task | None = None
    last_stats = 0.0

    def check_access(self, user) -> None:
        office = Office.objects.filter(pk=self.office_id).first()
        if office is None:
            raise PermissionDenied(access.NOT_MANAGER)
        access.require_office_manager(user, office)

    async def snapshot(self) -> dict:
        self.last_stats = time.monotonic()
        return await database_sync_to_async(monitor.monitor_snapshot)(self.office_id)

    async def connect(self):
        await super().connect()
        if getattr(self, "access_watch", None) is not None:  # accepted
            self.refresher = asyncio.ensure_future(self.refresh_stats())

    async def forward(self, event):
        kind = event["message"].get("type")
        if kind == "snapshot":
            # The operators' snapshot after an admin edit of the office: the monitor gets its own instead.
            await self.send_json(await self.snapshot())
            return
        await super().forward(event)
        if kind in self.STATS_AFTER:
            self.schedule_stats()

    def schedule_stats(self) -> None:
        if self.stats_task is not None:
            return  # the pending push will read the latest state
        wait = max(self.STATS_DELAY_SECONDS, self.last_stats + self.STATS_INTERVAL_SECONDS - time.monotonic())

        async def push():
            await asyncio.sleep(wait)
            self.stats_task = None
            await self.send_stats()

        self.stats_task = asyncio.ensure_future(push())

    async def send_stats(self) -> None:
        self.last_stats = time.monotonic()
        try:
            stats = await database_sync_to_async(monitor.monitor_stats)(self.office_id)
        except Exception:
            # The database is away: the figures wait for the next push; the socket stays.
            logger.warning("monitor figures not built", exc_info=True)
            return
        await self.send_json(stats)

    async def refresh_stats(self) -> None:
        # The chart's hours and the day's figures move on with time alone.
        while True:
            await asyncio.sleep(self.STATS_REFRESH_SECONDS)
            await self.send_stats()

    async def disconnect(self, code):
        for task in (self.stats_task, getattr(self, "refresher", None)):
            if task is not None:
                task.cancel()
        await super().disconnect(code)


def _require_staff(user, office_id: int) -> None:
    office = Office.objects.filter(pk=office_id).first()
    if office is None:
        raise PermissionDenied(access.NOT_STAFF)
    access.require_staff(user, office)


@database_sync_to_async
def _ticket_state(token: str):
    ticket = Ticket.objects.select_related("office", "service", "counter").filter(token=token).first()
    if ticket is None:
        return None
    return ticket, snapshots.ticket_snapshot(ticket)


class TicketConsumer(ScreenConsumer):
    """A client's phone. Its place comes from the office's live state, read again when its queue changes."""

    async def connect(self):
        try:
            state = await _ticket_state(self.scope["url_route"]["kwargs"]["token"])
        except redis.RedisError as error:
            # The place is read from the office's live state, cached in Redis.
            return await self.layer_down(error)
        if state is None:
            return await self.refuse(CLOSE_NOT_FOUND, "not_found", TICKET_NOT_FOUND)
        ticket, snapshot = state
        self.token = ticket.token
        self.number = ticket.number
        self.status = ticket.status
        self.service_id = ticket.service_id
        self.office_id = ticket.office_id
        self.service_name = ticket.service.name
        self.last_sent = None
        if not await self.join(broadcast.ticket_group(ticket.token), broadcast.service_group(ticket.service_id)):
            return
        await self.accept()
        await self.send_json(snapshot)

    async def forward(self, event):
        message = event["message"]
        if message["type"] == "ticket.status":
            self.status = message["status"]
            self.service_name = message["service"]
            service_id = event.get("service_id")
            if service_id and service_id != self.service_id:
                # Transferred: follow the ticket to its new queue.
                await self.channel_layer.group_discard(broadcast.service_group(self.service_id), self.channel_name)
                self.service_id = service_id
                await self.channel_layer.group_add(broadcast.service_group(service_id), self.channel_name)
                self.joined = [g for g in self.joined if not g.startswith("service-")]
                self.joined.append(broadcast.service_group(service_id))
            await self._send_status(message)
        elif message["type"] == "queue.changed" and self.status == Ticket.Status.WAITING:
            # Every phone of the process reads the same state: the first one after the change builds it.
            state = live.memo_covering(self.office_id, event.get("version"))
            if state is None:
                state = await database_sync_to_async(live.get)(self.office_id)
            place = state.place(self.service_id, self.number)
            if place is None:
                return
            status = selectors.tracking_message(
                number=self.number,
                status=self.status,
                service=self.service_name,
                position=place[0],
                estimated_wait_seconds=place[1],
                counter=None,
                no_open_counter=state.serving(self.service_id) == 0,
            )
            await self._send_status({"type": "ticket.status", **status})

    async def snapshot(self) -> dict:
        state = await _ticket_state(self.token)
        return state[1]

    async def _send_status(self, message: dict) -> None:
        # Only changes reach the phone.
        if message != self.last_sent:
            self.last_sent = message
            await self.send_json(message)
