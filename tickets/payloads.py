"""Every shape a screen reads: a counter, a ticket at a counter, a call, a service's queue, and the messages.

One module, one vocabulary: a counter's ``status_label`` is ``Counter.state_label``
(«Окно открыто») everywhere, a ticket's is its status's display name, and each
shape is built by one function here. Snapshots (tickets/live.py), messages
(tickets/broadcast.py) and the monitor use these builders; nothing else writes
these dicts out.
"""

from datetime import UTC, datetime
from typing import Literal, TypedDict

from offices.models import Counter

from .models import Ticket

# Shapes


class CounterTicket(TypedDict):
    """The ticket called or served at a counter."""

    id: int
    number: str
    status: str
    status_label: str
    service: str
    called_at: str
    started_at: str | None


class CounterState(TypedDict):
    """A counter as every screen sees it (the ``counter.updated`` message carries the same fields)."""

    id: int
    number: str
    state: str
    status_label: str
    state_changed_at: str | None
    operator: str | None
    operator_id: int | None
    break_reason: str
    break_reason_label: str


class CounterRow(CounterState):
    """A counter in a snapshot: its state, its main services and its ticket."""

    services: list[str]
    ticket: CounterTicket | None


class Call(TypedDict):
    """One of the latest calls a hall display lists."""

    ticket: str
    counter: str
    called_at: str
    active: bool
    calling: bool


class ServiceQueue(TypedDict):
    """One service's queue in call order, with what a phone needs to estimate its own wait."""

    service: str
    numbers: list[str]
    per_client_seconds: float
    counters: int


class QueueLine(TypedDict):
    """A waiting ticket in an operator's list (or the postponed pool).

    ``rank`` sorts the lines in CALL_ORDER (front first, returned from the pool,
    priority, arrival, id) as plain comparable values; ``section`` is "main",
    "backup" or "pool" in a workplace, empty in a message (the page places it).
    ``waited_seconds`` is ``Ticket.waited_seconds`` at the moment the line was
    built; a page keeps it ticking as ``waited_before + (now − waits_since)``.
    """

    id: int
    number: str
    service: str
    service_name: str
    priority: bool
    marks: list[str]
    note: str
    queued_at: str
    issued_at: str
    returns_at: str | None
    waited_seconds: int
    waited_before: int
    waits_since: str
    actions: list[str]
    rank: list
    section: str


# Messages


class TicketCalled(TypedDict):
    type: Literal["ticket.called"]
    ticket: str
    counter: str
    recall: bool
    at: str


class TicketStarted(TypedDict):
    type: Literal["ticket.started"]
    ticket: str
    counter: str
    at: str


class TicketCleared(TypedDict):
    type: Literal["ticket.cleared"]
    ticket: str
    counter: str
    status: str


class QueueUpdated(TypedDict):
    """The office's waiting counts, since when the oldest of each service waits, the wait of a ticket taken now,
    and how many open counters serve each service (0: the kiosk says that none does)."""

    type: Literal["queue.updated"]
    waiting: dict[str, int]
    oldest: dict[str, str]
    estimates: dict[str, int]
    serving: dict[str, int]


class QueueLines(QueueUpdated):
    """``queue.updated`` to the operators: with the lines that joined or left the office's queue.

    ``reload`` says a change the pages cannot place themselves (a transfer, the end of the day): read the list again.
    """

    added: list[QueueLine]
    removed: list[int]
    reload: bool


class QueueChanged(TypedDict):
    """To a service's phones: its queue changed; each phone reads its place from the office's live state."""

    type: Literal["queue.changed"]
    service: int


class TicketStatus(TypedDict):
    type: Literal["ticket.status"]
    number: str
    status: str
    status_label: str
    service: str
    position: int | None
    estimated_wait_seconds: int | None
    counter: str | None
    actions: list[str]
    alert: bool
    # Waiting, but no open counter serves the service right now.
    no_open_counter: bool
    # Postponed: when the ticket returns to the queue (ISO time).
    returns_at: str | None


class CounterUpdated(CounterState):
    type: Literal["counter.updated"]
    counter: str


class FeedbackChanged(TypedDict):
    """To the operators group: a low rating came in or was marked seen; the monitor reads its figures again."""

    type: Literal["feedback.changed"]


Message = (
    FeedbackChanged
    | TicketCalled
    | TicketStarted
    | TicketCleared
    | QueueUpdated
    | QueueChanged
    | TicketStatus
    | CounterUpdated
)


# Builders


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def counter_state(counter: Counter) -> CounterState:
    """``counter`` loaded with its operator (and its office, for the break reason's label)."""
    return CounterState(
        id=counter.pk,
        number=counter.number,
        state=counter.state,
        status_label=counter.state_label,
        state_changed_at=_iso(counter.state_changed_at),
        operator=counter.operator_name,
        operator_id=counter.operator_id,
        break_reason=counter.break_reason,
        break_reason_label=counter.break_reason_label,
    )


def counter_ticket(ticket: Ticket | None) -> CounterTicket | None:
    """``ticket`` loaded with its service."""
    if ticket is None:
        return None
    return CounterTicket(
        id=ticket.pk,
        number=ticket.number,
        status=ticket.status,
        status_label=ticket.get_status_display(),
        service=ticket.service.code,
        called_at=ticket.called_at.isoformat(),
        started_at=_iso(ticket.started_at),
    )


def counter_row(counter: Counter, ticket: Ticket | None, services: list[str]) -> CounterRow:
    return CounterRow(**counter_state(counter), services=services, ticket=counter_ticket(ticket))


def counter_updated(counter: Counter) -> CounterUpdated:
    return CounterUpdated(type="counter.updated", counter=counter.number, **counter_state(counter))


PRIORITY_LABEL = "Льготная категория"


def booked_label(ticket: Ticket) -> str:
    """«По записи на 10:30» (the slot's start in the office's time) for a booked ticket, else empty."""
    if ticket.slot_start is None:
        return ""
    return f"По записи на {ticket.slot_start.astimezone(ticket.office.tz):%H:%M}"


def _utc(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def queue_line(
    ticket: Ticket, *, now: datetime, counter: Counter | None, operator, may_call: bool, section: str
) -> QueueLine:
    """A waiting ticket (loaded with its service) as ``counter``'s list shows it; without a counter, as a message."""
    marks = []
    if ticket.priority:
        marks.append(PRIORITY_LABEL)
    if ticket.slot_start is not None:
        marks.append(booked_label(ticket))
    if counter is not None and ticket.target_counter_id == counter.pk:
        marks.append("Перенаправлен в это окно")
    elif ticket.target_operator_id and operator is not None and ticket.target_operator_id == operator.pk:
        marks.append("Перенаправлен вам")
    if ticket.front:
        marks.append("В начало очереди")
    if ticket.returns_at is not None and ticket.returns_at <= now:
        marks.append("Вернулся из отложенных")
    return QueueLine(
        id=ticket.pk,
        number=ticket.number,
        service=ticket.service.code,
        service_name=ticket.service.name,
        priority=ticket.priority,
        marks=marks,
        note=ticket.note,
        queued_at=ticket.queued_at.isoformat(),
        issued_at=ticket.issued_at.isoformat(),
        returns_at=_iso(ticket.returns_at),
        waited_seconds=round(ticket.waited_seconds(now)),
        waited_before=round(ticket.wait_seconds),
        waits_since=ticket.waits_since.isoformat(),
        actions=["call"] if may_call else [],
        # call_order(now) as values a page can compare: a returns_at of None, or a slot that has
        # not started, sorts last ("~" after any digit).
        rank=[
            0 if ticket.front else 1,
            _utc(ticket.returns_at) or "~",
            0 if ticket.priority else 1,
            _utc(ticket.slot_start) if ticket.slot_start is not None and ticket.slot_start <= now else "~",
            _utc(ticket.queued_at),
            ticket.pk,
        ],
        section=section,
    )
