"""What a ticket or counter change puts into the CRM outbox (events app): one call per transition.

Called inside the transition's transaction, after its event row, so the
outbox row commits or rolls back with the change. The data is the ticket in
its API form (TicketOut, 0.03 ms): on PostgreSQL it is built for every
transition, so that one statement can both look for subscriptions and write.
"""

from events.services import event_record, event_wanted
from offices.models import Counter

from .models import Ticket, TicketEvent
from .serializers import TicketOut

# Sent only to subscriptions that allow personal data: the operators' notes
# (they may hold a client's name or phone), the operator's name, and the
# ticket's tracking token (whoever holds it may cancel the ticket).
TICKET_PERSONAL = ("note", "finish_note", "token")
COUNTER_PERSONAL = ("operator",)


def ticket_data(ticket: Ticket, *, outcomes: list[str] = (), note: str = "") -> dict:
    # Without a place: a waiting ticket's position and estimate stay
    # null. Computing them reads the office's whole queue on every transition
    # (the bench showed issuing slow down with the queue's length), and they
    # change with every other ticket anyway; screens get them live.
    data = {**TicketOut(ticket, context={"without_place": True}).data, "office": ticket.office.code}
    if ticket.status == Ticket.Status.DONE:
        names = ticket.service.outcome_names()
        data["outcomes"] = [{"code": code, "name": names.get(code, code)} for code in outcomes]
        data["finish_note"] = note
    return data


def record_ticket(ticket: Ticket, kind: str, *, outcomes: list[str] = (), note: str = "") -> None:
    assert kind in TicketEvent.Type.values
    event_record(
        type=f"ticket.{kind}",
        key=f"ticket:{ticket.pk}",
        data=lambda: ticket_data(ticket, outcomes=outcomes, note=note),
        personal=TICKET_PERSONAL,
        occurred_at=ticket.logged_at,
    )


def record_tickets(tickets: list[Ticket], kind: str) -> None:
    """``record_ticket`` for many tickets (close_day): one look at the subscriptions, not one per ticket."""
    if event_wanted(f"ticket.{kind}"):
        for ticket in tickets:
            record_ticket(ticket, kind)


# A counter back from a break is open again: counter.opened.
COUNTER_EVENTS = {
    Counter.State.OPEN: "counter.opened",
    Counter.State.CLOSED: "counter.closed",
    Counter.State.BREAK: "counter.break",
}


def record_counter(counter: Counter) -> None:
    def data() -> dict:
        return {
            "id": counter.pk,
            "office": counter.office.code,
            "number": counter.number,
            "state": counter.state,
            "status_label": counter.state_label,
            "state_changed_at": counter.state_changed_at,
            "break_reason": counter.break_reason,
            "break_reason_label": counter.break_reason_label,
            "operator": counter.operator_name,
        }

    event_record(
        type=COUNTER_EVENTS[counter.state],
        key=f"counter:{counter.pk}",
        data=data,
        personal=COUNTER_PERSONAL,
        occurred_at=counter.state_changed_at,
    )
