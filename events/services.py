"""Recording events into the outbox, and delivering them to the subscriptions' URLs.

Why no library: the contract is "outbox row in the caller's transaction,
in order per (subscription, object), claimed with SKIP LOCKED, signed,
exponential retries for 24 h, every attempt logged, dead letters retried
from the admin". The Django outbox/webhook packages we looked at either
deliver through Celery (a broker we do not run), send from a signal after
commit (an event is lost when the process dies between commit and send), or
keep no per-object order. What is left is two queries and an HTTP POST,
which the standard library does (no HTTP client in the runtime lock).
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .models import EVENT_TYPES, Attempt, Delivery, Event, Subscription

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Queue-Signature"
EVENT_ID_HEADER = "X-Queue-Event-Id"


def event_wanted(type: str) -> bool:
    """Whether any active subscription wants events of ``type`` (one query)."""
    return any(s.wants(type) for s in Subscription.objects.filter(active=True))


def event_record(
    *,
    type: str,
    key: str,
    data: dict | Callable[[], dict],
    personal: Iterable[str] = (),
    occurred_at: datetime | None = None,
) -> None:
    """Put one event into the outbox: one Event row and one Delivery per subscription that wants it.

    Call it inside the transaction of the change it describes, so that the
    event exists if and only if the change committed. ``key`` names the object
    whose events must arrive in order ("ticket:42"): the caller holds that
    object's row lock, so a later event of the same key always gets a higher
    delivery id than an earlier one. ``data`` may be a callable: on SQLite it
    is built only when somebody subscribed; on PostgreSQL always (see below),
    so it must be cheap. ``personal`` lists the keys of ``data`` sent only
    where personal data is allowed.
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    now = timezone.now()
    if connection.vendor == "postgresql":
        # One statement finds the subscriptions, writes the event only if any
        # wants it, and its deliveries. Looking first and writing second was two
        # round trips inside every transition, which holds its row locks (the
        # day's number, the counter) until commit: the bench lost 13 % of its
        # throughput with a subscription, most of it to that second trip.
        # FOR KEY SHARE: the foreign key's own check would take this lock only at
        # commit; taken here, a subscription being deleted (subscription_delete
        # locks it first) is waited for and then found gone, instead of failing
        # this transition's commit with a delivery that points nowhere.
        body = _json(data)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH s AS (SELECT id FROM {Subscription._meta.db_table} WHERE active AND events @> %s::jsonb "
                "FOR KEY SHARE), "
                f"e AS (INSERT INTO {Event._meta.db_table} (uid, type, key, occurred_at, data, personal) "
                "SELECT %s, %s, %s, %s, %s::jsonb, %s::jsonb WHERE EXISTS (SELECT FROM s) RETURNING id) "
                f"INSERT INTO {Delivery._meta.db_table} (event_id, subscription_id, channel, key, status, attempts, "
                "next_attempt_at, retry_from, last_error) "
                "SELECT e.id, s.id, '', %s, %s, 0, %s, %s, '' FROM e, s",
                [
                    json.dumps([type]), uuid.uuid4(), type, key, occurred_at or now, body, json.dumps(list(personal)),
                    key, Delivery.Status.PENDING, now, now,
                ],
            )  # fmt: skip
        return
    subscriptions = [s for s in Subscription.objects.filter(active=True) if s.wants(type)]
    if not subscriptions:
        return
    event = Event.objects.create(
        type=type,
        key=key,
        occurred_at=occurred_at or now,
        data=json.loads(_json(data)),
        personal=list(personal),
    )
    Delivery.objects.bulk_create(
        Delivery(event=event, subscription=s, key=key, next_attempt_at=now, retry_from=now) for s in subscriptions
    )


def _json(data: dict | Callable[[], dict]) -> str:
    return json.dumps(data() if callable(data) else data, cls=DjangoJSONEncoder)


def event_record_for_channel(*, channel: str, type: str, key: str, data: dict) -> Event:
    """Put one client message into the outbox: an Event and its one Delivery through ``channel``.

    The channel (registered with ``channel_register`` by the app above that
    owns it) sends it; retries, order per ``key`` and the attempt log are the
    webhooks'. The caller keeps the message unique; ``data`` should name the
    recipient rather than hold their address, so erasing the address ends it.
    """
    now = timezone.now()
    event = Event.objects.create(type=type, key=key, occurred_at=now, data=data)
    Delivery.objects.create(event=event, channel=channel, key=key, next_attempt_at=now, retry_from=now)
    return event


@transaction.atomic
def subscription_delete(*, pk: int) -> bool:
    """Delete a subscription with its deliveries and their attempts; False if there was none.

    Locking its row waits for the transitions writing deliveries for it (they
    hold it FOR KEY SHARE until they commit), and those after find it gone.
    Locking its deliveries waits for a worker sending some of them (it writes
    their attempts at the end of its batch). Only then does the delete see
    every row that points at the subscription; without the locks, either side
    could fail at commit on a foreign key.
    """
    subscription = Subscription.objects.select_for_update().filter(pk=pk).first()
    if subscription is None:
        return False
    list(Delivery.objects.select_for_update().filter(subscription=subscription).values_list("pk", flat=True))
    subscription.delete()
    return True


def delivery_retry(*, delivery: Delivery) -> None:
    """«Повторить» for a dead delivery: pending again, with a fresh 24 hours of retries."""
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.DEAD).update(
        status=Delivery.Status.PENDING, next_attempt_at=now, retry_from=now, last_error=""
    )


# Delivery


def sign(*, secret: str, body: bytes, at: int) -> str:
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def body_for(event: Event, subscription: Subscription) -> bytes:
    data = event.data
    if not subscription.personal_data:
        data = {k: v for k, v in data.items() if k not in event.personal}
    payload = {"id": str(event.uid), "type": event.type, "occurred_at": event.occurred_at.isoformat(), "data": data}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def retry_delay(attempts: int) -> float:
    """Seconds before the ``attempts``-th retry: base × 2^(n−1), at most WEBHOOK_RETRY_MAX_SECONDS."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return min(base * 2 ** min(attempts - 1, 40), settings.WEBHOOK_RETRY_MAX_SECONDS)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect is not a delivery: urllib would turn the POST into a GET.
    def redirect_request(self, *args, **kwargs):
        return None


# No ProxyHandler from the environment: a receiver is reached directly.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


@dataclass
class Outcome:
    status_code: int | None
    error: str
    duration_ms: int
    # No retry can succeed (the recipient's address was erased): dead at once.
    final: bool = False

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def unreachable(self) -> bool:
        return self.status_code is None


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    started = time.monotonic()
    status_code, error = None, ""
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read(65536)
            status_code = response.status
    except urllib.error.HTTPError as refused:
        status_code, error = refused.code, f"HTTP {refused.code}"
    except (OSError, ValueError) as failure:  # refused, reset, timeout, DNS, bad URL
        error = f"{type(failure).__name__}: {failure}"
    return Outcome(status_code, error[:500], int((time.monotonic() - started) * 1000))


class Channel:
    """A way to a client other than a webhook (notify: Telegram, SMS): sends one event's message.

    The outbox sits below the apps that own channels and imports none of them:
    such an app registers an instance when it is ready (AppConfig.ready), and
    the worker finds it by the name stored on the delivery.
    """

    name = ""
    label = ""  # what the admin shows for its deliveries, in Russian

    def send(self, event: Event) -> Outcome:
        raise NotImplementedError


_channels: dict[str, Channel] = {}


def channel_register(channel: Channel) -> None:
    _channels[channel.name] = channel


def channel_label(name: str) -> str:
    channel = _channels.get(name)
    return channel.label if channel else name


def _claim(batch: int) -> list[Delivery]:
    """The due deliveries that are the oldest pending one of their (subscription or channel, key).

    The NOT EXISTS looks at every pending delivery, locked or not, due or
    not: a ticket's second event waits while its first is being sent by
    another worker or is backing off. So SKIP LOCKED only ever skips heads of
    other keys, and never lets a later event of a key overtake an earlier one.
    Another worker's head that commits as delivered while we look is seen as
    still pending by our snapshot: we then skip its successor for one round,
    which is safe. of=self: the joined event and subscription are not locked.
    """
    # Two NOT EXISTS, not one with an OR: each matches one partial index
    # (delivery_order_idx, delivery_channel_order_idx); the OR made every due row
    # scan the pending ones, and a backlog of thousands never got claimed. A row
    # has a subscription or a channel, never both, so the other test finds nothing.
    pending = Delivery.objects.filter(key=OuterRef("key"), status=Delivery.Status.PENDING, id__lt=OuterRef("id"))
    older_of_subscription = pending.filter(subscription_id=OuterRef("subscription_id"))
    older_of_channel = pending.filter(subscription__isnull=True, channel=OuterRef("channel"))
    due = (
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=timezone.now())
        .filter(~Exists(older_of_subscription), ~Exists(older_of_channel))
        .select_related("event", "subscription")
        .order_by("id")
    )
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return list(due[:batch])


def _attempt(delivery: Delivery) -> Outcome:
    event, subscription = delivery.event, delivery.subscription
    if subscription is None:
        channel = _channels.get(delivery.channel)
        if channel is None:
            return Outcome(None, f"канал «{delivery.channel}» не подключён", 0)
        try:
            # A savepoint: a failed query of the channel's leaves the batch's transaction usable.
            with transaction.atomic():
                return channel.send(event)
        except Exception as failure:
            # One message's bug must not roll back the batch, and with it every other delivery, round after round.
            logger.exception("channel %s failed on delivery %s", delivery.channel, delivery.pk)
            return Outcome(None, f"{type(failure).__name__}: {failure}"[:500], 0)
    body = body_for(event, subscription)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "queue-system-webhooks/1",
        EVENT_ID_HEADER: str(event.uid),
        SIGNATURE_HEADER: sign(secret=subscription.secret, body=body, at=int(time.time())),
    }
    return post(subscription.url, body, headers)


def _settle(delivery: Delivery, outcome: Outcome, at: datetime) -> Attempt:
    """Set the delivery's new state after one attempt; the caller saves both in bulk."""
    delivery.attempts += 1
    if outcome.ok:
        delivery.status = Delivery.Status.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.last_error = ""
    else:
        delivery.last_error = outcome.error
        retry_at = timezone.now() + timedelta(seconds=retry_delay(delivery.attempts))
        if outcome.final or retry_at > delivery.retry_from + timedelta(hours=settings.WEBHOOK_RETRY_HOURS):
            delivery.status = Delivery.Status.DEAD
            logger.warning("webhook delivery %s is dead after %s attempts", delivery.pk, delivery.attempts)
        else:
            delivery.next_attempt_at = retry_at
    return Attempt(
        delivery=delivery, at=at, status_code=outcome.status_code, duration_ms=outcome.duration_ms, error=outcome.error
    )


def deliver_batch(*, batch: int | None = None) -> int:
    """Claim a batch, send each, record each attempt; one transaction. Returns how many were delivered.

    The rows stay locked while they are sent, and their new state commits
    with the batch: a worker killed mid-batch rolls the batch back, and its
    deliveries are sent again later with the same event id (at least once;
    a receiver deduplicates on X-Queue-Event-Id). Once one subscription's
    receiver cannot be reached, the rest of its batch is left for the next
    round untouched, instead of each waiting for the same timeout.
    """
    delivered = 0
    with transaction.atomic():
        # Receivers: a subscription's id, or a channel's name.
        unreachable: set[int | str] = set()
        reached: set[int | str] = set()
        tried: list[Delivery] = []
        attempts: list[Attempt] = []
        for delivery in _claim(batch or settings.WEBHOOK_BATCH_SIZE):
            receiver = delivery.subscription_id or delivery.channel
            if receiver in unreachable:
                continue
            at = timezone.now()
            outcome = _attempt(delivery)
            tried.append(delivery)
            attempts.append(_settle(delivery, outcome, at))
            if outcome.ok:
                delivered += 1
                reached.add(receiver)
            elif outcome.unreachable and not outcome.final:
                unreachable.add(receiver)
        # Two statements for the whole batch: the worker's database time per event stays small.
        Attempt.objects.bulk_create(attempts)
        Delivery.objects.bulk_update(
            tried, ["attempts", "status", "delivered_at", "last_error", "next_attempt_at"], batch_size=100
        )
        if reached:
            _retry_now_after_outage(reached - unreachable)
    return delivered


def _retry_now_after_outage(receivers: set[int | str]) -> None:
    """A receiver that answers again gets at once what waited only because it could not be reached.

    Deliveries whose last attempt found no receiver (no HTTP status: refused,
    reset, timed out) would otherwise sit out their backoff, up to an hour,
    after the CRM is back. Those the receiver itself refused (an HTTP status)
    keep their backoff. Order is unaffected: the claim still takes the oldest
    pending delivery per key.
    """
    subscriptions = {r for r in receivers if isinstance(r, int)}
    channels = {r for r in receivers if isinstance(r, str)}
    Delivery.objects.filter(
        Q(subscription_id__in=subscriptions) | Q(subscription__isnull=True, channel__in=channels),
        status=Delivery.Status.PENDING,
        next_attempt_at__gt=timezone.now(),
    ).exclude(last_error="").exclude(last_error__startswith="HTTP ").update(next_attempt_at=timezone.now())


def deliver_forever(*, stop: Callable[[], bool] = lambda: False) -> None:
    """The worker's loop: batches back to back while they deliver, a short sleep when idle or failing."""
    while not stop():
        try:
            delivered = deliver_batch()
        except Exception:
            # The database restarting must not end the worker: log, wait, go on.
            logger.exception("webhook delivery round failed")
            connection.close()
            delivered = 0
        if not delivered:
            time.sleep(settings.WEBHOOK_POLL_SECONDS)
