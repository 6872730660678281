"""Every ticket transition, and every invalid one, through the services."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from offices.models import Counter
from tickets import services as svc
from tickets.errors import CounterBusy, CounterNotOpen, InvalidTransition
from tickets.models import Ticket, TicketEvent

T0 = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def issue(office, services):
    def _issue(code="fl", minutes=0, priority=False):
        return svc.ticket_issue(office=office, service=services[code], priority=priority, now=at(minutes))

    return _issue


def events(ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("type", flat=True))


def test_issue_sets_number_times_and_logs_the_event(issue):
    ticket = issue()
    assert ticket.number == "А001"
    assert ticket.status == Ticket.Status.WAITING
    assert ticket.issued_at == T0 and ticket.queued_at == T0
    assert len(ticket.token) >= 20
    assert events(ticket) == ["issued"]


def test_call_next_sets_counter_operator_call_time_and_wait(issue, counters, operator):
    ticket = issue()
    called = svc.ticket_call_next(counter=counters["1"], operator=operator, now=at(3))
    assert called.pk == ticket.pk
    called.refresh_from_db()
    assert called.status == Ticket.Status.CALLED
    assert called.counter == counters["1"] and called.operator == operator
    assert called.called_at == at(3)
    assert called.wait_seconds == 180
    assert events(called) == ["issued", "called"]


def test_call_next_returns_none_when_nothing_waits(counters, operator):
    assert svc.ticket_call_next(counter=counters["1"], operator=operator, now=at(0)) is None


def test_recall_keeps_called_and_counts(issue, counters, operator):
    ticket = issue()
    svc.ticket_call_next(counter=counters["1"], operator=operator, now=at(1))
    svc.ticket_recall(ticket=ticket, operator=operator, now=at(2))
    svc.ticket_recall(ticket=ticket, operator=operator, now=at(3))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CALLED
    assert ticket.recall_count == 2
    assert ticket.called_at == at(3)
    assert ticket.wait_seconds == 60
    assert events(ticket) == ["issued", "called", "recalled", "recalled"]


def test_start_then_finish_measures_service_from_start(issue, counters, operator):
    ticket = issue()
    svc.ticket_call_next(counter=counters["1"], operator=operator, now=at(2))
    svc.ticket_start(ticket=ticket, operator=operator, now=at(3))
    svc.ticket_finish(ticket=ticket, operator=operator, now=at(8))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.DONE
    assert ticket.started_at == at(3) and ticket.finished_at == at(8)
    assert ticket.wait_seconds == 120
    assert ticket.service_seconds == 300
    assert events(ticket) == ["issued", "called", "started", "finished"]


def test_finish_without_start_counts_service_from_last_call(issue, counters, operator):
    ticket = issue()
    svc.ticket_call_next(counter=counters["1"], operator=operator, now=at(2))
    svc.ticket_recall(ticket=ticket, operator=operator, now=at(4))
    svc.ticket_finish(ticket=ticket, operator=operator, now=at(10))
    ticket.refresh_from_db()
    assert ticket.started_at == at(4)
    assert ticket.service_seconds == 360


def test_no_show_ends_the_ticket_and_frees_the_counter(issue, counters, operator):
    first, second = issue(minutes=0), issue(minutes=1)
    svc.ticket_call_next(counter=counters["1"], operator=operator, now=at(2))
    svc.ticket_no_show(ticket=first, operator=operator, now=at(5))
    first.refresh_from_db()
    assert first.status == Ticket.Status.NO_SHOW and first.finished_at == at(5)
    nxt = svc.ticket_call_next(counter=counters["1"], operator=operator, now=at(6))
    assert nxt.pk == second.pk


@pytest.mark.parametrize("position", ["front", "back"])
def test_transfer_keeps_number_and_requeues_in_the_other_service(issue, counters, operator, position):
    ticket = issue("fl", minutes=0)
    waiting_ul = issue("ul", minutes=1)
    svc.ticket_call_next(counter=counters["1"], operator=operator, now=at(2))
    svc.ticket_start(ticket=ticket, operator=operator, now=at(3))
    ul = counters["2"].services.get()
    svc.ticket_transfer(ticket=ticket, service=ul, to_front=position == "front", operator=operator, now=at(7))
    ticket.refresh_from_db()
    assert ticket.number == "А001"
    assert ticket.service == ul and ticket.status == Ticket.Status.WAITING
    assert ticket.counter is None and ticket.queued_at == at(7)
    assert ticket.service_seconds == 240
    called = svc.ticket_call_next(counter=counters["2"], operator=operator, now=at(9))
    expected_first = ticket if position == "front" else waiting_ul
    assert called.pk == expected_first.pk
    # The transferred ticket finally served: waits and services add up.
    if position == "front":
        svc.ticket_finish(ticket=called, operator=operator, now=at(12))
        called.refresh_from_db()
        assert called.wait_seconds == 120 + 120
        assert called.service_seconds == 240 + 180
    event = TicketEvent.objects.get(ticket=ticket, type="transferred")
    assert event.counter == counters["1"]
    assert event.data == {
        "from_service": "fl",
        "to_service": "ul",
        "to_counter": None,
        "to_operator": None,
        "note": "",
        "position": position,
    }


def test_postpone_puts_the_ticket_at_the_back_of_its_queue(issue, counters, operator):
    first, second = issue(minutes=0), issue(minutes=1)
    svc.ticket_call_next(counter=counters["1"], operator=operator, now=at(2))
    svc.ticket_postpone(ticket=first, operator=operator, now=at(3))
    first.refresh_from_db()
    assert first.status == Ticket.Status.WAITING and first.counter is None
    assert svc.ticket_call_next(counter=counters["1"], operator=operator, now=at(4)).pk == second.pk
    svc.ticket_finish(ticket=second, operator=operator, now=at(5))
    assert svc.ticket_call_next(counter=counters["1"], operator=operator, now=at(6)).pk == first.pk
    first.refresh_from_db()
    assert first.wait_seconds == 120 + 180


def test_cancel_a_waiting_ticket(issue, operator):
    ticket = issue()
    svc.ticket_cancel(ticket=ticket, operator=operator, now=at(1))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CANCELLED
    assert events(ticket) == ["issued", "cancelled"]


def _to_state(issue, counters, operator, state):
    ticket = issue()
    if state == "waiting":
        return ticket
    svc.ticket_call_next(counter=counters["1"], operator=operator, now=at(1))
    if state == "serving":
        svc.ticket_start(ticket=ticket, operator=operator, now=at(2))
    elif state == "done":
        svc.ticket_finish(ticket=ticket, operator=operator, now=at(2))
    elif state == "no_show":
        svc.ticket_no_show(ticket=ticket, operator=operator, now=at(2))
    ticket.refresh_from_db()
    return ticket


ACTIONS = {
    "recall": lambda t, op, s: svc.ticket_recall(ticket=t, operator=op, now=at(5)),
    "start": lambda t, op, s: svc.ticket_start(ticket=t, operator=op, now=at(5)),
    "finish": lambda t, op, s: svc.ticket_finish(ticket=t, operator=op, now=at(5)),
    "no_show": lambda t, op, s: svc.ticket_no_show(ticket=t, operator=op, now=at(5)),
    "postpone": lambda t, op, s: svc.ticket_postpone(ticket=t, operator=op, now=at(5)),
    "transfer": lambda t, op, s: svc.ticket_transfer(ticket=t, service=s["ul"], to_front=False, operator=op, now=at(5)),
    "cancel": lambda t, op, s: svc.ticket_cancel(ticket=t, operator=op, now=at(5)),
}
ALLOWED = {
    "waiting": {"cancel"},
    "called": {"recall", "start", "finish", "no_show", "postpone", "transfer"},
    "serving": {"finish", "transfer"},
    "done": set(),
    "no_show": set(),
}
INVALID = [(state, action) for state, allowed in ALLOWED.items() for action in ACTIONS if action not in allowed]


@pytest.mark.parametrize(("state", "action"), INVALID)
def test_invalid_transition_changes_nothing(issue, counters, operator, services, state, action):
    ticket = _to_state(issue, counters, operator, state)
    before = Ticket.objects.filter(pk=ticket.pk).values().get()
    event_count = TicketEvent.objects.count()
    with pytest.raises(InvalidTransition) as error:
        ACTIONS[action](ticket, operator, services)
    assert error.value.code == "invalid_transition"
    assert Ticket.objects.filter(pk=ticket.pk).values().get() == before
    assert TicketEvent.objects.count() == event_count


@pytest.mark.parametrize("action", ["recall", "start", "finish", "no_show", "postpone"])
def test_action_at_a_counter_that_does_not_own_the_ticket_is_invalid(issue, counters, operator, action):
    ticket = issue()
    svc.ticket_call_next(counter=counters["1"], operator=operator, now=at(1))
    name = {"no_show": "ticket_no_show"}.get(action, f"ticket_{action}")
    with pytest.raises(InvalidTransition):
        getattr(svc, name)(ticket=ticket, operator=operator, counter=counters["2"], now=at(2))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CALLED


def test_a_closed_or_resting_counter_cannot_call(issue, counters, operator):
    issue()
    for state in (Counter.State.CLOSED, Counter.State.BREAK):
        svc.counter_set_state(counter=counters["1"], state=state, user=operator)
        with pytest.raises(CounterNotOpen):
            svc.ticket_call_next(counter=counters["1"], operator=operator, now=at(1))
    assert Ticket.objects.get().status == Ticket.Status.WAITING


def test_a_counter_with_a_called_ticket_cannot_call_again(issue, counters, operator):
    issue(), issue()
    svc.ticket_call_next(counter=counters["1"], operator=operator, now=at(1))
    with pytest.raises(CounterBusy):
        svc.ticket_call_next(counter=counters["1"], operator=operator, now=at(2))
    assert Ticket.objects.filter(status="waiting").count() == 1


def test_counter_state_changes_between_open_break_and_closed(counters, operator):
    counter = counters["1"]
    with time_machine.travel(T0, tick=False):
        counter = svc.counter_set_state(counter=counter, state="break", user=operator)
    assert counter.state == "break" and counter.state_changed_at == T0
    counter = svc.counter_set_state(counter=counter, state="open", user=operator)
    assert counter.state == "open" and counter.operator == operator
    counter = svc.counter_set_state(counter=counter, state="closed", user=operator)
    assert counter.state == "closed" and counter.operator is None


def test_a_counter_serving_a_client_cannot_close(issue, counters, operator):
    issue()
    svc.ticket_call_next(counter=counters["1"], operator=operator, now=at(1))
    with pytest.raises(CounterBusy):
        svc.counter_set_state(counter=counters["1"], state="closed", user=operator)
    counters["1"].refresh_from_db()
    assert counters["1"].state == "open"
