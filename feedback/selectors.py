"""What screens read of the ratings: the monitor's unseen low ones, the phone page's state."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from tickets.models import Ticket

from .models import LOW_RATING, Feedback

# The monitor lists this many unseen low ratings, oldest first; the count says how many there are.
MONITOR_LIMIT = 20


def unseen_low(office_id: int) -> dict:
    """The office's ratings of 1 or 2 that no manager has marked seen yet (one query; two past the limit)."""
    low = Feedback.objects.filter(ticket__office_id=office_id, rating__lte=LOW_RATING, seen_at__isnull=True)
    rows = list(
        low.select_related("ticket__office", "ticket__service", "ticket__counter", "ticket__operator").order_by(
            "created_at", "id"
        )[:MONITOR_LIMIT]
    )
    return {
        "count": low.count() if len(rows) == MONITOR_LIMIT else len(rows),
        "items": [
            {
                "id": f.pk,
                "rating": f.rating,
                "comment": f.comment,
                "ticket": f.ticket.number,
                "service": f.ticket.service.name,
                "counter": f.ticket.counter.number if f.ticket.counter_id else None,
                "operator": (f.ticket.operator.get_full_name() or f.ticket.operator.username)
                if f.ticket.operator_id
                else None,
                "created_at": f.created_at.isoformat(),
                # In the office's time, as the manager reads it.
                "when": f"{f.created_at.astimezone(f.ticket.office.tz):%d.%m %H:%M}",
                "source_label": f.get_source_display(),
            }
            for f in rows
        ],
    }


def phone_state(ticket: Ticket, now: datetime | None = None) -> str:
    """What the phone page offers: "open" (ask, once the ticket is done), "rated" or "closed"."""
    now = now or timezone.now()
    if Feedback.objects.filter(ticket=ticket).exists():
        return "rated"
    if ticket.finished_at is not None and ticket.status == Ticket.Status.DONE:
        if now - ticket.finished_at > timedelta(hours=settings.FEEDBACK_HOURS):
            return "closed"
    return "open"
