"""``Idempotency-Key``: a retried request gives the ticket of the first one, not a second ticket.

A kiosk whose answer is lost (a restart, a dropped connection) cannot know
whether its ticket was issued, so it sends the same request again with the same
key. The first request with a key stores the key with the ticket it gave, in the
ticket's own transaction; a later request with the same key from the same
issuer within ``TTL`` gets that ticket back (200, nothing new issued, nothing
announced). The same key with another request (another service, another
endpoint) is refused with ``idempotency_mismatch``: a key names one request.

The issuer is the paired kiosk device, else the signed-in user, else the
client's address (by NUM_PROXIES, the rule of queue_system/clients.py, which
the remote-ticket limits apply through DRF's ``get_ident``). Keys of different
issuers never meet, so a guessed key cannot fetch someone else's ticket.

Any endpoint that creates a ticket uses it the same way::

    attempt = idempotency.Attempt.of(request, data)  # None without the header
    if (ticket := idempotency.replayed(attempt)) is not None: ...  # optional fast path
    ticket, replayed = idempotency.once(attempt, lambda: services.ticket_issue(...))

(The kiosk's issue takes its number first, ``services.ticket_prepare``, and
writes the ticket inside ``once``: the day's number row is then not held to the
end of the key's transaction.)
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.throttling import BaseThrottle

from offices import kiosks

from .errors import IdempotencyMismatch, InvalidIdempotencyKey
from .models import IdempotencyKey, Ticket

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
# Visible ASCII, as UUIDs and Stripe-style keys are; 100 is the column's width.
KEY_PATTERN = re.compile(r"[!-~]{1,100}")


def key_of(request) -> str | None:
    """The request's Idempotency-Key; None without one; InvalidIdempotencyKey for a malformed one."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    if not KEY_PATTERN.fullmatch(raw):
        raise InvalidIdempotencyKey()
    return raw


def issuer_of(request) -> str:
    device = kiosks.device_of(request)
    if device is not None:
        return f"kiosk:{device.pk}"
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"client:{BaseThrottle().get_ident(request)}"[: IdempotencyKey._meta.get_field("issuer").max_length]


@dataclass(frozen=True)
class Attempt:
    issuer: str
    key: str
    fingerprint: str

    @classmethod
    def of(cls, request, data: dict, key: str | None = None) -> "Attempt | None":
        """The attempt a request with validated ``data`` makes; None when it sent no key."""
        key = key or key_of(request)
        if key is None:
            return None
        request_text = json.dumps({"path": request.path, "data": data}, sort_keys=True, default=str)
        return cls(issuer_of(request), key, hashlib.sha256(request_text.encode()).hexdigest())


def _alive(record: IdempotencyKey, now: datetime) -> bool:
    return record.created_at > now - TTL


def replayed(attempt: Attempt | None, *, now: datetime | None = None) -> Ticket | None:
    """The ticket an earlier request with this key gave, without a lock (a fast path; ``once`` decides)."""
    if attempt is None:
        return None
    now = now or timezone.now()
    record = IdempotencyKey.objects.filter(issuer=attempt.issuer, key=attempt.key, ticket__isnull=False).first()
    if record is None or not _alive(record, now):
        return None
    if record.fingerprint != attempt.fingerprint:
        raise IdempotencyMismatch()
    return Ticket.objects.select_related("office", "service", "counter").get(pk=record.ticket_id)


def _claim(attempt: Attempt, now: datetime) -> IdempotencyKey:
    """The key's row, locked: new (no ticket yet), or the earlier request's (with its ticket)."""
    record = None
    while record is None:
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    issuer=attempt.issuer, key=attempt.key, fingerprint=attempt.fingerprint, created_at=now
                )
        except IntegrityError:
            pass
        # A concurrent request with the same key: the INSERT above waited on the
        # unique index until that transaction committed (had it rolled back, the
        # INSERT would have succeeded), so its row and ticket are visible now.
        # The bare row is locked, as a lock wait re-reads only the locked row.
        # None: close_day deleted an expired row in between; the INSERT goes again.
        record = IdempotencyKey.objects.select_for_update().filter(issuer=attempt.issuer, key=attempt.key).first()
    if record.ticket_id is None or not _alive(record, now):
        # Older than TTL: the key starts afresh, as if it had been cleaned away.
        record.fingerprint, record.created_at, record.ticket = attempt.fingerprint, now, None
        record.save(update_fields=["fingerprint", "created_at", "ticket"])
        return record
    if record.fingerprint != attempt.fingerprint:
        raise IdempotencyMismatch()
    return record


def once(attempt: Attempt | None, create: Callable[[], Ticket], *, now: datetime | None = None) -> tuple[Ticket, bool]:
    """``create()``'s ticket, or the one an earlier request with the same key gave: (ticket, replayed).

    The key is stored in the same transaction as the ticket: if creating fails,
    neither stays, and a retry with the key is a first request again.
    """
    if attempt is None:
        return create(), False
    now = now or timezone.now()
    with transaction.atomic():
        record = _claim(attempt, now)
        if record.ticket_id is not None:
            ticket = Ticket.objects.select_related("office", "service", "counter").get(pk=record.ticket_id)
            return ticket, True
        ticket = create()
        record.ticket = ticket
        record.save(update_fields=["ticket"])
        return ticket, False


def forget_expired(*, now: datetime | None = None) -> int:
    """Delete the keys older than TTL (close_day runs it); returns how many."""
    now = now or timezone.now()
    deleted, _ = IdempotencyKey.objects.filter(created_at__lte=now - TTL).delete()
    return deleted
