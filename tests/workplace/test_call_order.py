"""The one call order, the postponed pool, calling a chosen ticket and targeted transfers, through the services."""

from datetime import UTC, datetime, timedelta

import pytest

from offices.models import Membership
from tests.helpers import add_counter, make_user
from tickets import services as svc
from tickets.errors import (
    CallChosenDisabled,
    InvalidPostpone,
    InvalidTransfer,
    TicketNotForCounter,
    TicketNotWaiting,
)
from tickets.models import Ticket, TicketEvent
from tickets.selectors import counter_workplace, office_queue

T0 = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def issue(office, services):
    def _issue(code="fl", minutes=0, priority=False):
        return svc.ticket_issue(office=office, service=services[code], priority=priority, now=at(minutes))

    return _issue


@pytest.fixture
def colleague(django_user_model, office):
    return make_user(django_user_model, "op2", office=office, role=Membership.Role.OPERATOR, first_name="Анна")


def call(counter, operator, minutes):
    return svc.ticket_call_next(counter=counter, operator=operator, now=at(minutes))


def test_a_postponed_ticket_is_not_callable_until_its_return_time(issue, counters, operator):
    first = issue()
    call(counters["1"], operator, 1)
    svc.ticket_postpone(ticket=first, operator=operator, minutes=10, now=at(2))
    first.refresh_from_db()
    assert first.status == "waiting" and first.returns_at == at(12)
    assert call(counters["1"], operator, 11.9) is None


def test_a_due_pool_return_is_called_before_priority_and_older_tickets(issue, counters, operator):
    postponed = issue(minutes=0)
    call(counters["1"], operator, 1)
    svc.ticket_postpone(ticket=postponed, operator=operator, minutes=5, now=at(2))
    older = issue(minutes=3)
    vip = issue(minutes=4, priority=True)
    # Before its time the pool ticket waits outside: priority first, then the older one.
    assert call(counters["1"], operator, 5).pk == vip.pk
    svc.ticket_finish(ticket=vip, operator=operator, now=at(6))
    # From 09:07 on it is due, and comes before the older ticket.
    assert call(counters["1"], operator, 7).pk == postponed.pk
    svc.ticket_finish(ticket=postponed, operator=operator, now=at(8))
    assert call(counters["1"], operator, 9).pk == older.pk


def test_a_transfer_to_the_front_comes_before_a_due_pool_return(issue, counters, operator):
    pooled = issue(minutes=0)
    call(counters["1"], operator, 1)
    svc.ticket_postpone(ticket=pooled, operator=operator, minutes=1, now=at(1))
    moved = issue("ul", minutes=2)
    call(counters["2"], operator, 3)
    svc.ticket_transfer(
        ticket=moved, service=moved.office.services.get(code="fl"), to_front=True, operator=operator, now=at(4)
    )
    assert call(counters["1"], operator, 5).pk == moved.pk


def test_postpone_without_minutes_goes_to_the_back_and_minutes_are_checked(issue, counters, operator):
    first, second = issue(), issue(minutes=1)
    call(counters["1"], operator, 2)
    for minutes in (0, 241, -5):
        with pytest.raises(InvalidPostpone):
            svc.ticket_postpone(ticket=first, operator=operator, minutes=minutes, now=at(3))
    svc.ticket_postpone(ticket=first, operator=operator, now=at(3))
    first.refresh_from_db()
    assert first.returns_at is None
    assert call(counters["1"], operator, 4).pk == second.pk


def test_the_pool_has_no_position_and_the_workplace_lists_it_with_its_return_time(issue, counters, operator):
    pooled, other = issue(), issue(minutes=1)
    call(counters["1"], operator, 2)
    svc.ticket_postpone(ticket=pooled, operator=operator, minutes=10, now=at(3))
    assert office_queue(pooled.office, at(4)).position(Ticket.objects.get(pk=pooled.pk)) is None
    view = counter_workplace(counters["1"], operator, now=at(4))
    assert [t["number"] for t in view["queue"]] == [other.number]
    assert [t["number"] for t in view["pool"]] == [pooled.number]
    assert view["next_return_at"] == at(13).isoformat()
    view = counter_workplace(counters["1"], operator, now=at(13))
    assert [t["number"] for t in view["queue"]] == [pooled.number, other.number]
    assert "Вернулся из отложенных" in view["queue"][0]["marks"] and view["pool"] == []


def test_a_chosen_ticket_is_called_out_of_order_and_logged_as_chosen(issue, counters, operator):
    issue()
    chosen = issue(minutes=1)
    called = svc.ticket_call_chosen(counter=counters["1"], ticket=chosen, operator=operator, now=at(2))
    assert called.pk == chosen.pk and called.status == "called"
    event = TicketEvent.objects.get(ticket=chosen, type="called")
    assert event.operator == operator and event.data == {"chosen": True}


def test_a_pool_ticket_can_be_chosen_before_its_time(issue, counters, operator):
    pooled = issue()
    call(counters["1"], operator, 1)
    svc.ticket_postpone(ticket=pooled, operator=operator, minutes=30, now=at(2))
    svc.ticket_call_chosen(counter=counters["1"], ticket=pooled, operator=operator, now=at(3))
    pooled.refresh_from_db()
    assert pooled.status == "called" and pooled.returns_at is None
    assert TicketEvent.objects.filter(ticket=pooled, type="called").last().data == {"chosen": True, "from_pool": True}


def test_choosing_is_refused_for_a_called_ticket_another_service_or_when_the_office_switched_it_off(
    issue, counters, operator, office
):
    taken = issue()
    svc.ticket_call_chosen(counter=counters["1"], ticket=taken, operator=operator, now=at(1))
    with pytest.raises(TicketNotWaiting):
        svc.ticket_call_chosen(counter=counters["3"], ticket=taken, operator=operator, now=at(2))
    cash = issue("cash")
    with pytest.raises(TicketNotForCounter):
        svc.ticket_call_chosen(counter=counters["2"], ticket=cash, operator=operator, now=at(2))
    office.call_chosen = False
    office.save()
    with pytest.raises(CallChosenDisabled):
        svc.ticket_call_chosen(counter=counters["3"], ticket=cash, operator=operator, now=at(2))
    assert Ticket.objects.get(pk=cash.pk).status == "waiting"


def test_a_ticket_transferred_to_a_counter_is_called_only_there_with_its_note(
    issue, counters, operator, office, services
):
    ticket = issue()
    call(counters["1"], operator, 1)
    other_fl = add_counter(office, "4", [services["fl"]])
    svc.ticket_transfer(
        ticket=ticket, to_counter=counters["3"], note="Нужна справка", to_front=True, operator=operator, now=at(2)
    )
    assert call(other_fl, operator, 3) is None
    called = call(counters["3"], operator, 4)
    assert called.pk == ticket.pk and called.note == "Нужна справка" and called.service == services["fl"]
    event = TicketEvent.objects.get(ticket=ticket, type="transferred")
    assert event.data["to_counter"] == "3" and event.data["note"] == "Нужна справка"
    assert event.data["from_service"] == "fl" and event.data["to_service"] == "fl"


def test_a_ticket_transferred_to_an_operator_is_called_by_them_at_any_counter(issue, counters, operator, colleague):
    ticket = issue()
    call(counters["1"], operator, 1)
    svc.counter_set_state(counter=counters["3"], state="closed", user=colleague)
    svc.counter_set_state(counter=counters["3"], state="open", user=colleague)
    svc.ticket_transfer(
        ticket=ticket, to_operator=colleague, note="Переоформление", to_front=False, operator=operator, now=at(2)
    )
    assert call(counters["1"], operator, 3) is None
    called = call(counters["3"], colleague, 4)
    assert called.pk == ticket.pk and called.operator == colleague
    assert TicketEvent.objects.get(ticket=ticket, type="transferred").data["to_operator"] == colleague.pk


def test_a_transfer_needs_a_target_of_this_office(issue, counters, operator, other_operator, other_office):
    ticket = issue()
    call(counters["1"], operator, 1)
    with pytest.raises(InvalidTransfer):
        svc.ticket_transfer(ticket=ticket, to_front=False, operator=operator, now=at(2))
    with pytest.raises(InvalidTransfer):
        svc.ticket_transfer(ticket=ticket, to_operator=other_operator, to_front=False, operator=operator, now=at(2))
    foreign = add_counter(other_office, "9", [])
    with pytest.raises(InvalidTransfer):
        svc.ticket_transfer(ticket=ticket, to_counter=foreign, to_front=False, operator=operator, now=at(2))
    counters["2"].active = False
    counters["2"].save()
    with pytest.raises(InvalidTransfer):
        svc.ticket_transfer(ticket=ticket, to_counter=counters["2"], to_front=False, operator=operator, now=at(2))
    assert Ticket.objects.get(pk=ticket.pk).status == "called"


def test_opening_from_the_operator_page_closes_the_users_other_counter(counters, operator):
    svc.counter_set_state(counter=counters["1"], state="closed", user=operator)
    svc.counter_set_state(counter=counters["2"], state="closed", user=operator)
    svc.counter_set_state(counter=counters["1"], state="open", user=operator)
    svc.counter_open_alone(counter=counters["2"], user=operator)
    counters["1"].refresh_from_db(), counters["2"].refresh_from_db()
    assert counters["1"].state == "closed" and counters["2"].state == "open"
    assert counters["2"].operator == operator


def test_closing_the_target_counter_or_the_target_operators_last_counter_returns_tickets_to_their_service(
    issue, counters, operator, colleague, office, services
):
    to_counter, to_operator = issue(), issue(minutes=1)
    call(counters["1"], operator, 2)
    svc.ticket_transfer(ticket=to_counter, to_counter=counters["3"], note="Окно 3", to_front=True, operator=operator)
    call(counters["1"], operator, 3)
    svc.counter_set_state(counter=counters["2"], state="closed", user=colleague)
    svc.counter_set_state(counter=counters["2"], state="open", user=colleague)
    svc.ticket_transfer(ticket=to_operator, to_operator=colleague, to_front=False, operator=operator)
    other_fl = add_counter(office, "4", [services["fl"]])
    assert call(other_fl, operator, 4) is None
    svc.counter_set_state(counter=counters["3"], state="closed", user=operator)
    svc.counter_set_state(counter=counters["2"], state="closed", user=colleague)
    first = call(other_fl, operator, 5)
    assert first.pk == to_counter.pk and first.note == "Окно 3"
    svc.ticket_finish(ticket=first, operator=operator, now=at(6))
    assert call(other_fl, operator, 7).pk == to_operator.pk


def test_a_transfer_goes_only_to_a_counter_or_an_operator_at_work(issue, counters, operator, colleague):
    # Nobody else could call such a ticket: the client would wait for no one.
    ticket = issue()
    call(counters["1"], operator, 1)
    svc.counter_set_state(counter=counters["3"], state="closed", user=operator)
    with pytest.raises(InvalidTransfer, match="окно закрыто"):
        svc.ticket_transfer(ticket=ticket, to_counter=counters["3"], to_front=False, operator=operator, now=at(2))
    with pytest.raises(InvalidTransfer, match="не работает ни в одном окне"):
        svc.ticket_transfer(ticket=ticket, to_operator=colleague, to_front=False, operator=operator, now=at(2))
    assert Ticket.objects.get(pk=ticket.pk).status == "called"

    svc.counter_set_state(counter=counters["3"], state="open", user=colleague)
    svc.counter_set_state(counter=counters["3"], state="break", user=colleague)  # back after the break
    svc.ticket_transfer(ticket=ticket, to_operator=colleague, to_front=False, operator=operator, now=at(3))
    assert Ticket.objects.get(pk=ticket.pk).target_operator == colleague
