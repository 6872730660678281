"""Taking a client's rating, marking a low one seen, erasing old comments.

A rating is taken once per ``done`` ticket, within FEEDBACK_HOURS of its finish
(from the phone), or within the tablet's window of it (from the counter's
tablet). Each is one transaction with its ``feedback.created`` outbox event.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from events.services import event_record
from offices.models import Counter
from tickets import broadcast
from tickets.models import Ticket

from .errors import AlreadyRated, FeedbackClosed, NotFinished
from .models import Feedback

# Sent only to subscriptions that allow personal data: a client may sign a comment.
FEEDBACK_PERSONAL = ("comment",)


def tablet_window() -> timedelta:
    """How long after a finish the counter's tablet may rate it: its lit time and a margin for the network."""
    return timedelta(seconds=settings.FEEDBACK_TABLET_SECONDS + 30)


def feedback_data(feedback: Feedback) -> dict:
    ticket = feedback.ticket
    return {
        "id": feedback.pk,
        "ticket": ticket.pk,
        "number": ticket.number,
        "office": ticket.office.code,
        "service": ticket.service.code,
        "counter": ticket.counter.number if ticket.counter_id else None,
        "operator_id": ticket.operator_id,
        "finished_at": ticket.finished_at,
        "rating": feedback.rating,
        "comment": feedback.comment,
        "source": feedback.source,
        "created_at": feedback.created_at,
    }


def feedback_create(
    *,
    ticket: Ticket,
    rating: int,
    comment: str = "",
    source: str = Feedback.Source.PHONE,
    now: datetime | None = None,
) -> Feedback:
    """The client's rating of ``ticket``; NotFinished, AlreadyRated or FeedbackClosed change nothing.

    The caller has validated ``rating`` (1..5) and ``comment`` (at most 1,000 characters).
    """
    now = now or timezone.now()
    window = tablet_window() if source == Feedback.Source.TABLET else timedelta(hours=settings.FEEDBACK_HOURS)
    with transaction.atomic():
        # Locked: two taps at once take one rating, and the event follows the ticket's own in the outbox.
        tickets = Ticket.objects.select_for_update(of=("self",)).select_related("office", "service", "counter")
        ticket = tickets.get(pk=ticket.pk)
        if ticket.status != Ticket.Status.DONE:
            raise NotFinished()
        if Feedback.objects.filter(ticket=ticket).exists():
            raise AlreadyRated()
        if now - ticket.finished_at > window:
            if source == Feedback.Source.TABLET:
                raise FeedbackClosed(FeedbackClosed.TABLET)
            raise FeedbackClosed.after(settings.FEEDBACK_HOURS)
        try:
            with transaction.atomic():
                feedback = Feedback.objects.create(
                    ticket=ticket, rating=rating, comment=comment.strip(), source=source, created_at=now
                )
        except IntegrityError:
            raise AlreadyRated() from None
        event_record(
            type="feedback.created",
            key=f"ticket:{ticket.pk}",
            data=lambda: feedback_data(feedback),
            personal=FEEDBACK_PERSONAL,
            occurred_at=now,
        )
        if feedback.low:
            broadcast.announce_feedback(ticket.office_id)
    return feedback


def ticket_for_tablet(*, counter: Counter, number: str, now: datetime | None = None) -> Ticket | None:
    """The ticket ``number`` finished at ``counter`` today: the one its tablet lit up for."""
    now = now or timezone.now()
    return (
        Ticket.objects.filter(
            office_id=counter.office_id,
            local_date=counter.office.local_date(now),
            number=number,
            counter=counter,
            status=Ticket.Status.DONE,
        )
        .select_related("office", "service", "counter")
        .first()
    )


def feedback_mark_seen(*, feedback: Feedback, manager, now: datetime | None = None) -> Feedback:
    """A manager has read a rating: it leaves the monitor. Marking it again changes nothing.

    The caller has checked that ``manager`` manages the ticket's office.
    """
    now = now or timezone.now()
    with transaction.atomic():
        marked = Feedback.objects.filter(pk=feedback.pk, seen_at__isnull=True).update(seen_at=now, seen_by=manager)
        if marked:
            broadcast.announce_feedback(feedback.ticket.office_id)
    feedback.refresh_from_db(fields=["seen_at", "seen_by"])
    return feedback


def feedback_erase_comments(*, now: datetime | None = None) -> int:
    """Erase the comments of visits older than BOOKING_DATA_DAYS (the personal-data retention); returns how many.

    Run by close_day (settings.CLOSE_DAY_HOOKS) with the bookings' personal data.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.BOOKING_DATA_DAYS)
    return Feedback.objects.filter(ticket__finished_at__lt=cutoff).exclude(comment="").update(comment="")


def close_day_hook() -> str:
    """close_day's line for the feedback (settings.CLOSE_DAY_HOOKS): bookings cannot import this app."""
    return f"Удалены комментарии к оценкам: {feedback_erase_comments()}."
