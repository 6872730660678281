"""What clients are told, and when: subscribing a chat to a ticket, and the loop that records messages.

Nothing here runs on a transition's path. ``notify_due`` (run by ``manage.py
notify`` every NOTIFY_POLL_SECONDS, only when a channel is configured) reads
what happened to the tickets that somebody follows, from the tickets' own
append-only event log, and puts each message into the outbox once; the
webhook worker sends it with the webhooks' retries and attempt log. With no
channel configured nothing reads or writes anything here, so the call path
costs exactly what it did before.
"""

import logging
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from bookings.errors import NotCancellable
from bookings.models import Booking
from bookings.services import booking_cancel
from events.models import Delivery
from events.services import event_record_for_channel
from offices.models import Office
from tickets.models import Ticket, TicketEvent
from tickets.selectors import ahead_of

from . import texts
from .channels import Recipient, configured
from .models import Message, Subscriber

logger = logging.getLogger(__name__)

# A deep link's code works this long after «Уведомить в Telegram».
CODE_TTL = timedelta(hours=1)
CODE_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,32}")
ENDED = (Ticket.Status.DONE, Ticket.Status.NO_SHOW, Ticket.Status.CANCELLED, Ticket.Status.EXPIRED)
TOLD = (
    TicketEvent.Type.CALLED,
    TicketEvent.Type.RECALLED,
    TicketEvent.Type.TRANSFERRED,
    TicketEvent.Type.POSTPONED,
)


def telegram_enabled() -> bool:
    return bool(settings.TELEGRAM_BOT_TOKEN)


# Subscribing


def subscriber_start(*, ticket: Ticket, now: datetime | None = None) -> str:
    """The deep link for «Уведомить в Telegram»: a code valid CODE_TTL, reused while it is."""
    now = now or timezone.now()
    pending = Subscriber.objects.filter(ticket=ticket, chat_id="", created_at__gte=now - CODE_TTL).first()
    if pending is None:
        pending = Subscriber.objects.create(ticket=ticket, code=secrets.token_urlsafe(16), created_at=now)
    return f"https://t.me/{settings.TELEGRAM_BOT_USERNAME}?start={pending.code}"


@transaction.atomic
def subscriber_link(*, code: str, chat_id: str, now: datetime | None = None) -> tuple[str, Subscriber | None]:
    """``/start <code>`` from a chat: link it to the code's ticket. Returns the bot's answer and the subscriber."""
    now = now or timezone.now()
    pending = (
        Subscriber.objects.select_for_update(of=("self",))
        .select_related("ticket__office")
        .filter(code=code, chat_id="", created_at__gte=now - CODE_TTL)
        .first()
    )
    if pending is None or pending.ticket.status in ENDED:
        return texts.LINK_INVALID, None
    ticket = pending.ticket
    existing = Subscriber.objects.filter(ticket=ticket, chat_id=chat_id).first()
    if existing is not None:
        pending.delete()
        return texts.ALREADY.format(number=ticket.number), existing
    pending.code = None
    pending.chat_id = chat_id
    pending.linked_at = now
    pending.save(update_fields=["code", "chat_id", "linked_at"])
    return texts.SUBSCRIBED.format(number=ticket.number, office=ticket.office.name), pending


def subscriber_stop(*, chat_id: str) -> str:
    """``/stop``: the chat follows nothing any more (its id is deleted)."""
    Subscriber.objects.filter(chat_id=chat_id).delete()
    return texts.STOPPED


def bot_answer(update: dict, now: datetime | None = None) -> tuple[str, str] | None:
    """What the bot says to one incoming update (polling or webhook): (chat id, text), or None."""
    message = update.get("message") if isinstance(update, dict) else None
    if not isinstance(message, dict):
        return None
    chat = message.get("chat")
    text = message.get("text")
    if not isinstance(chat, dict) or not isinstance(chat.get("id"), int) or not isinstance(text, str):
        return None
    if not -(2**63) < chat["id"] < 2**63:  # Telegram's ids fit in 52 bits; the column holds 32 characters
        return None
    chat_id = str(chat["id"])
    command, _, argument = text.strip().partition(" ")
    if command == "/start" and argument.strip():
        code = argument.strip()
        # Only what subscriber_start makes reaches the database (no NUL, no overlong text).
        if CODE_FORMAT.fullmatch(code):
            answer, _ = subscriber_link(code=code, chat_id=chat_id, now=now)
        else:
            answer = texts.LINK_INVALID
    elif command == "/stop":
        answer = subscriber_stop(chat_id=chat_id)
    else:
        answer = texts.HELLO
    return chat_id, answer


# Recording messages


def _record(key: str, recipient: Recipient, text: str, *, kind: str, order: str) -> bool:
    """Put one message into the outbox unless its key is taken. Returns whether this call did."""
    try:
        with transaction.atomic():
            # The insert first: a concurrent loop's identical insert waits for
            # our commit and then fails, so exactly one of them records the event.
            message = Message(
                key=key,
                subscriber_id=recipient.subscriber_id,
                booking_id=recipient.booking_id,
                created_at=timezone.now(),
            )
            message.event = event_record_for_channel(
                channel=recipient.channel,
                type=f"notify.{kind}",
                key=f"{recipient.channel}:{order}",
                data={"text": text, "to": recipient.to},
            )
            message.save(force_insert=True)
    except IntegrityError:
        return False
    return True


def _ticket_text(event: TicketEvent) -> str:
    ticket = event.ticket
    counter = event.counter.number if event.counter else ""
    if event.type == TicketEvent.Type.CALLED:
        return texts.called(ticket.number, counter)
    if event.type == TicketEvent.Type.RECALLED:
        return texts.recalled(ticket.number, counter)
    if event.type == TicketEvent.Type.TRANSFERRED:
        return texts.transferred(ticket.number, ticket.service.name, event.data.get("to_counter"))
    return texts.postponed(ticket.number, event.data.get("minutes"))


def _ticket_messages(followers: dict[int, list[Recipient]], now: datetime) -> int:
    """Each told event of a followed ticket, once per recipient who followed it by then."""
    if not followers:
        return 0
    events = (
        TicketEvent.objects.filter(ticket_id__in=followers, type__in=TOLD, at__gte=now - timedelta(days=1))
        .select_related("ticket__service", "counter")
        .order_by("id")
    )
    wanted = []
    for event in events:
        for recipient in followers[event.ticket_id]:
            if recipient.since is None or event.at >= recipient.since:
                key = f"ticket:{event.ticket_id}:{event.type}:{event.pk}:{recipient.channel}:{recipient.tag}"
                wanted.append((key, recipient, event))
    done = set(Message.objects.filter(key__in=[key for key, _, _ in wanted]).values_list("key", flat=True))
    recorded = 0
    for key, recipient, event in wanted:
        if key not in done:
            recorded += _record(key, recipient, _ticket_text(event), kind=event.type, order=recipient.tag)
    return recorded


def _ahead_messages(followers: dict[int, list[Recipient]], now: datetime) -> int:
    """«Перед вами N человек» once per queue entry, when NOTIFY_AHEAD or fewer are ahead.

    Each followed waiting ticket without its message yet costs one COUNT on
    the queue's index (selectors.ahead_of), not a read of the queue.
    """
    waiting = Ticket.objects.filter(pk__in=list(followers), status=Ticket.Status.WAITING)
    recorded = 0
    candidates = []
    for ticket in waiting:
        entry = int(ticket.queued_at.timestamp())
        for recipient in followers[ticket.pk]:
            candidates.append(
                (f"ticket:{ticket.pk}:ahead:{entry}:{recipient.channel}:{recipient.tag}", recipient, ticket)
            )
    done = set(Message.objects.filter(key__in=[key for key, _, _ in candidates]).values_list("key", flat=True))
    places: dict[int, int | None] = {}
    for key, recipient, ticket in candidates:
        if key in done:
            continue
        if ticket.pk not in places:
            places[ticket.pk] = ahead_of(ticket, now)
        place = places[ticket.pk]
        if place is not None and place <= settings.NOTIFY_AHEAD:
            recorded += _record(key, recipient, texts.ahead(ticket.number, place), kind="ahead", order=recipient.tag)
    return recorded


def _booking_messages(channels, now: datetime) -> int:
    """Confirmation, reminders 24 h and 1 h ahead, and the cancellation when the day became a holiday."""
    booked = (
        Booking.objects.filter(status=Booking.Status.BOOKED, start__gt=now)
        .exclude(phone="")
        .select_related("office", "service")
    )
    # Reminders and confirmations concern the next 24 h and the last hour's
    # bookings; a holiday may fall on any day ahead, but only offices that have one need a look.
    soon = Q(start__lte=now + timedelta(hours=24)) | Q(created_at__gte=now - timedelta(hours=1))
    closing = [o.pk for o in Office.objects.only("id", "closed_dates") if o.closed_dates]
    wanted = []
    for booking in booked.filter(soon | Q(office_id__in=closing)):
        start = booking.local_start()
        office = booking.office.name
        kinds = []
        if booking.office.is_holiday(start.date()):
            kinds.append(("holiday", texts.booking_cancelled_holiday(office, start)))
        else:
            if booking.created_at >= now - timedelta(hours=1):
                kinds.append(("confirmed", texts.booking_confirmed(office, booking.service.name, start, booking.code)))
            if booking.created_at <= booking.start - timedelta(hours=24) and booking.start <= now + timedelta(hours=24):
                kinds.append(("day", texts.booking_reminder_day(office, start, booking.code)))
            if booking.created_at <= booking.start - timedelta(hours=1) and booking.start <= now + timedelta(hours=1):
                kinds.append(("hour", texts.booking_reminder_hour(office, start, booking.code)))
        for channel in channels:
            recipient = channel.for_booking(booking)
            if recipient is not None:
                for kind, text in kinds:
                    wanted.append(
                        (f"booking:{booking.pk}:{kind}:{channel.name}:{recipient.tag}", recipient, booking, kind, text)
                    )
    done = set(Message.objects.filter(key__in=[w[0] for w in wanted]).values_list("key", flat=True))
    recorded = 0
    for key, recipient, booking, kind, text in wanted:
        if key in done:
            continue
        if kind == "holiday":
            try:
                with transaction.atomic():
                    # The office closed that day after the booking was made: the booking ends, its place with it.
                    booking_cancel(booking=booking, now=now)
                    recorded += _record(key, recipient, text, kind="booking_holiday", order=recipient.tag)
            except NotCancellable:  # cancelled meanwhile (by the client, or by another loop)
                continue
        else:
            recorded += _record(key, recipient, text, kind=f"booking_{kind}", order=recipient.tag)
    return recorded


def subscriptions_end(*, now: datetime | None = None) -> int:
    """Delete the chats of ended tickets once their last message is out, and codes never used.

    A subscription ends with its ticket: the chat id is the client's personal
    data and is kept no longer than the ticket lives (and its last message
    is sent or has given up).
    """
    now = now or timezone.now()
    unsent = Message.objects.filter(subscriber=OuterRef("pk"), event__deliveries__status=Delivery.Status.PENDING)
    ended = Q(ticket__status__in=ENDED) | Q(chat_id="", created_at__lt=now - CODE_TTL)
    deleted, _ = Subscriber.objects.filter(ended).exclude(Exists(unsent)).delete()
    return deleted


def notify_due(*, now: datetime | None = None) -> int:
    """One round of the notify loop: record what is due, end what is over. Returns the messages recorded."""
    now = now or timezone.now()
    channels = configured()
    if not channels:
        return 0
    followers: dict[int, list[Recipient]] = {}
    for channel in channels:
        for ticket_id, recipients in channel.followers(now).items():
            followers.setdefault(ticket_id, []).extend(recipients)
    recorded = _ticket_messages(followers, now) + _ahead_messages(followers, now)
    recorded += _booking_messages(channels, now)
    subscriptions_end(now=now)
    return recorded
