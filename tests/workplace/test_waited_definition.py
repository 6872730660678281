"""One definition of «ждал»: the operator's list and the card at the counter agree for the same ticket."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from tickets import selectors
from tickets import services as svc
from tickets.models import Ticket


def test_the_lists_wait_becomes_the_cards_wait_when_the_ticket_is_called_even_after_a_postpone(
    op_client, operator, counters, office, services
):
    start = timezone.now().replace(microsecond=0)
    counter = counters["1"]
    with time_machine.travel(start, tick=False) as clock:
        ticket = svc.ticket_issue(office=office, service=services["fl"])
        clock.shift(timedelta(minutes=6, seconds=18))
        svc.ticket_call_next(counter=counter, operator=operator)
        clock.shift(timedelta(minutes=2))
        # Back to the end of the queue: the 2 minutes at the counter are not waiting.
        svc.ticket_postpone(ticket=Ticket.objects.get(pk=ticket.pk), operator=operator, counter=counter)
        clock.shift(timedelta(minutes=1))
        line = op_client.get(f"/api/v1/counters/{counter.pk}/workplace/").json()["queue"][0]
        assert (line["number"], line["waited_seconds"]) == (ticket.number, 7 * 60 + 18)
        # The page ticks the line from these two on, the same sum.
        assert line["waited_before"] == 6 * 60 + 18
        assert line["waits_since"] == (start + timedelta(minutes=8, seconds=18)).isoformat()
        svc.ticket_call_next(counter=counter, operator=operator)
        card = op_client.get(f"/api/v1/counters/{counter.pk}/").json()["ticket"]
    assert card["number"] == ticket.number and card["wait_seconds"] == line["waited_seconds"]


def test_a_booked_client_who_came_early_waits_from_the_slot_in_the_list_too(operator, counters, office, services):
    now = timezone.now()
    svc.ticket_issue(office=office, service=services["fl"], slot_start=now + timedelta(minutes=5), now=now)
    early = selectors.counter_workplace(counters["1"], operator, now=now + timedelta(minutes=3))
    later = selectors.counter_workplace(counters["1"], operator, now=now + timedelta(minutes=7))
    assert [line["waited_seconds"] for line in early["queue"]] == [0]
    assert [line["waited_seconds"] for line in later["queue"]] == [120]
