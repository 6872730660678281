"""Full current state of a screen: sent when it connects, reconnects or asks, and pushed after an office is edited.

Every office screen's snapshot comes from the office's live state
(tickets/live.py): built once per change, whoever asks.
"""

from tickets import broadcast, live, selectors
from tickets.models import Ticket

counter_rows = live.counter_rows


def display_snapshot(office_id: int) -> dict:
    return live.get(office_id).display_snapshot()


def operators_snapshot(office_id: int) -> dict:
    return live.get(office_id).operators_snapshot()


def ticket_snapshot(ticket: Ticket) -> dict:
    """The phone's snapshot of a ticket loaded with its office, service and counter: its place from the live state."""
    if ticket.status != Ticket.Status.WAITING or ticket.local_date != ticket.office.local_date():
        # Not in today's queue (or left over from a past day): nothing to read from the live state.
        return {"type": "snapshot", **selectors.tracking_status(ticket), "office": ticket.office.name}
    state = live.get(ticket.office_id)
    place = state.place(ticket.service_id, ticket.number)
    return {
        "type": "snapshot",
        **selectors.tracking_message(
            number=ticket.number,
            status=ticket.status,
            service=ticket.service.name,
            position=place[0] if place else None,
            estimated_wait_seconds=place[1] if place else None,
            counter=ticket.counter.number if ticket.counter_id and ticket.status in Ticket.ACTIVE else None,
            no_open_counter=state.serving(ticket.service_id) == 0,
            returns_at=ticket.returns_at,
        ),
        "office": ticket.office.name,
    }


def push_office(office_id: int) -> None:
    """Send the office's screens a fresh snapshot (after an admin edit of its hours, ticker, services or counters)."""
    live.forget(office_id)
    state = live.get(office_id)
    broadcast.publish_snapshots(office_id, display=state.display_snapshot(), operators=state.operators_snapshot())
