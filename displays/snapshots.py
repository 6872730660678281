"""Full current state of a screen: sent when it connects, reconnects or asks, and pushed after an office is edited.

Each snapshot is built from the database by the office's id (or the ticket's
token), so it always reflects committed state, with a number of queries that
does not grow with the queue.
"""

from datetime import datetime, time

from django.utils import timezone

from offices.models import Counter, Office
from tickets import broadcast, selectors
from tickets.models import Ticket, TicketEvent

LAST_CALLS = 10


def _local_midnight(office: Office) -> datetime:
    return datetime.combine(office.local_date(), time(0), tzinfo=office.tz)


def last_calls(office: Office) -> list[dict]:
    """Today's latest calls, newest first, one entry per ticket."""
    events = (
        TicketEvent.objects.filter(
            ticket__office=office,
            type__in=[TicketEvent.Type.CALLED, TicketEvent.Type.RECALLED],
            at__gte=_local_midnight(office),
        )
        .select_related("ticket", "counter")
        .order_by("-at", "-id")[: LAST_CALLS * 3]
    )
    calls, seen = [], set()
    for event in events:
        if event.ticket_id in seen or event.counter is None:
            continue
        seen.add(event.ticket_id)
        ticket = event.ticket
        calls.append(
            {
                "ticket": ticket.number,
                "counter": event.counter.number,
                "called_at": event.at.isoformat(),
                "active": ticket.status in Ticket.ACTIVE and ticket.counter_id == event.counter_id,
                # Still being called there: a display back from an outage announces such a recent call it missed.
                "calling": ticket.status == Ticket.Status.CALLED and ticket.counter_id == event.counter_id,
            }
        )
        if len(calls) == LAST_CALLS:
            break
    return calls


def _office(office_id: int) -> Office:
    return Office.objects.prefetch_related("hours").get(pk=office_id)


def display_snapshot(office_id: int) -> dict:
    # The number first, the state after: a message committed in between is
    # then both in the state and numbered above the snapshot, so the screen
    # applies it twice (harmless) rather than never.
    seq = broadcast.current_seq(broadcast.display_group(office_id))
    office = _office(office_id)
    return {
        "type": "snapshot",
        "seq": seq,
        "now": timezone.now().isoformat(),
        "office": {
            "code": office.code,
            "name": office.name,
            "ticker": office.ticker_text,
            "chime": office.display_chime,
            "voice": office.display_voice,
            "hours": office.hours_display(),
            "next_opening": office.next_opening_text(),  # «Откроется в понедельник в 08:00»
        },
        "open": office.is_open(),
        "issuing": office.is_issuing(),
        "calls": last_calls(office),
        "services": [{"code": s.code, "name": s.name, "prefix": s.prefix} for s in office.services.filter(active=True)],
        "waiting": selectors.waiting_counts(office),
    }


def counter_rows(office: Office) -> list[dict]:
    active = {t.counter_id: t for t in Ticket.objects.filter(office=office).active().select_related("service")}
    rows = []
    counters = Counter.objects.filter(office=office, active=True)
    for counter in counters.select_related("operator").prefetch_related("services"):
        ticket = active.get(counter.pk)
        rows.append(
            {
                "id": counter.pk,
                "number": counter.number,
                "state": counter.state,
                "status_label": counter.get_state_display(),
                "operator": counter.operator_name,
                "services": [s.code for s in counter.services.all()],
                "ticket": (
                    {
                        "id": ticket.pk,
                        "number": ticket.number,
                        "status": ticket.status,
                        "service": ticket.service.code,
                        "called_at": ticket.called_at.isoformat(),
                        "started_at": ticket.started_at.isoformat() if ticket.started_at else None,
                    }
                    if ticket
                    else None
                ),
            }
        )
    return rows


def operators_snapshot(office_id: int) -> dict:
    seq = broadcast.current_seq(broadcast.operators_group(office_id))  # first: see display_snapshot
    office = _office(office_id)
    summary = selectors.queue_summary(office)
    return {
        "type": "snapshot",
        "seq": seq,
        "office": {"code": office.code, "name": office.name},
        "open": summary["open"],
        "wait_norm_seconds": office.wait_norm_minutes * 60,
        "services": summary["services"],
        "oldest": selectors.waiting_summary(office)[1],
        "counters": counter_rows(office),
        "today": selectors.today_stats(office),
        "at": timezone.now().isoformat(),
    }


def ticket_snapshot(ticket: Ticket) -> dict:
    """The phone's snapshot of a ticket loaded with its office, service and counter."""
    return {
        "type": "snapshot",
        **selectors.tracking_status(ticket),
        "office": ticket.office.name,
    }


def push_office(office_id: int) -> None:
    """Send the office's screens a fresh snapshot (after an admin edit of its hours, ticker or sound)."""
    broadcast.publish_snapshots(office_id, display=display_snapshot(office_id), operators=operators_snapshot(office_id))
