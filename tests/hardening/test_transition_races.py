"""Every transition racing a call on PostgreSQL: one order wins, the other side is refused
with the product's 409, and nothing is ever a 500.

Two threads, each with its own database connection, run the services at once.
The leader runs inside a transaction it keeps open until the follower is seen
waiting for the ticket's row lock (pg_stat_activity), so each round takes the
path the round-three walk found: a transition that waited for a call's lock
used to read the ticket with ``counter_id`` set and ``counter`` None, and fail.
Leaders alternate, so each test covers both orders.
"""

import threading
import time
from collections import Counter as Tally

import pytest
from django.db import connection, transaction

from offices.models import Counter, Membership
from tests.helpers import add_counter, add_services, make_office, make_user
from tickets import services as svc
from tickets.errors import QueueError
from tickets.models import Ticket

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 20

# What the ticket is once both sides succeeded (the call first, then the transition).
AFTER_BOTH = {
    "start": "serving",
    "finish": "done",
    "no_show": "no_show",
    "postpone": "waiting",
    "transfer": "waiting",
    "recall": "called",
}
TRANSITIONS = ["cancel", *AFTER_BOTH]


def _outcome(job):
    """("ok", result), ("refused", status, code) as the API would answer, or ("crash", repr): a 500."""
    try:
        return ("ok", job())
    except QueueError as error:
        return ("refused", error.status, error.code)
    except Exception as error:  # noqa: BLE001 - anything else is the 500 this test exists for
        return ("crash", repr(error))


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def _race(lead, follow, *, follower_blocks: bool) -> tuple:
    """Run ``lead`` and ``follow`` in two threads; ``lead`` holds its locks until ``follow`` waits for them."""
    results = [None, None]
    locked = threading.Event()

    def leader():
        try:
            with transaction.atomic():
                results[0] = _outcome(lead)
                locked.set()
                deadline = time.monotonic() + 5
                while follower_blocks and results[0][0] == "ok" and not _someone_waits_for_a_lock():
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.002)
        except Exception as error:  # noqa: BLE001 - a failure at commit (on_commit broadcast) is a 500 too
            results[0] = ("crash", repr(error))
        finally:
            locked.set()
            connection.close()

    def follower():
        try:
            locked.wait(timeout=10)
            with transaction.atomic():
                results[1] = _outcome(follow)
        except Exception as error:  # noqa: BLE001
            results[1] = ("crash", repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=leader), threading.Thread(target=follower)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a racing thread hung"
    return tuple(results)


@pytest.mark.parametrize("call", ["next", "chosen"])
@pytest.mark.parametrize("transition", TRANSITIONS)
def test_a_transition_racing_a_call_is_a_409_or_a_success_never_a_500(django_user_model, call, transition):
    office = make_office("race3", call_chosen=True)
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]], state=Counter.State.CLOSED)
    operator = make_user(django_user_model, "race3-op", office=office, role=Membership.Role.OPERATOR)
    svc.counter_set_state(counter=counter, state=Counter.State.OPEN, user=operator)
    outcomes = Tally()
    started = time.monotonic()
    for round_ in range(ROUNDS):
        ticket = svc.ticket_issue(office=office, service=services["fl"])

        def do_call(ticket=ticket):
            if call == "next":
                return svc.ticket_call_next(counter=counter, operator=operator)
            return svc.ticket_call_chosen(counter=counter, ticket=ticket, operator=operator)

        def do_transition(ticket=ticket):
            # As the API does: the ticket read before the action, without a counter in the body.
            ticket = Ticket.objects.select_related("office", "service", "counter").get(pk=ticket.pk)
            if transition == "cancel":
                return svc.ticket_cancel(ticket=ticket, operator=operator)
            if transition == "start":
                return svc.ticket_start(ticket=ticket, operator=operator)
            if transition == "finish":
                return svc.ticket_finish(ticket=ticket, operator=operator)
            if transition == "no_show":
                return svc.ticket_no_show(ticket=ticket, operator=operator)
            if transition == "postpone":
                return svc.ticket_postpone(ticket=ticket, operator=operator)
            if transition == "transfer":
                return svc.ticket_transfer(ticket=ticket, service=services["ul"], to_front=False, operator=operator)
            return svc.ticket_recall(ticket=ticket, operator=operator)

        call_leads = round_ % 2 == 0
        if call_leads:
            called, moved = _race(do_call, do_transition, follower_blocks=True)
        else:
            # Call-next skips a locked ticket instead of waiting for it.
            moved, called = _race(do_transition, do_call, follower_blocks=call == "chosen")
        assert called[0] != "crash" and moved[0] != "crash", (round_, called, moved)
        ticket.refresh_from_db()
        call_won = called[0] == "ok" and called[1] is not None
        if call_won:
            assert called[1].pk == ticket.pk
        else:
            # Refused: the ticket was gone (chosen), or nothing to take (next: no ticket, no error).
            assert called in (("refused", 409, "ticket_not_waiting"), ("ok", None)), called
        if moved[0] == "ok":
            assert call_won or transition == "cancel", (round_, called, moved)
            assert ticket.status == ("cancelled" if transition == "cancel" else AFTER_BOTH[transition])
            assert not (call_won and transition == "cancel"), "a ticket both called and cancelled"
            outcomes["both" if call_won else "transition only"] += 1
        else:
            assert moved == ("refused", 409, "invalid_transition"), moved
            assert call_won and ticket.status == "called", (round_, called, moved, ticket.status)
            outcomes["call only"] += 1
        # Clear the counter and the queue for the next round.
        for left in Ticket.objects.filter(office=office, status__in=["called", "serving"]):
            svc.ticket_finish(ticket=left, operator=operator, counter=counter)
        for left in Ticket.objects.filter(office=office, status="waiting"):
            svc.ticket_cancel(ticket=left, operator=operator)
    assert sum(outcomes.values()) == ROUNDS
    # Both orders happened: the call first (the lock wait) in half the rounds at least.
    assert outcomes["both"] + outcomes["call only"] >= ROUNDS // 2, outcomes
    assert outcomes["transition only"] + outcomes["call only"] >= 1 or transition != "cancel", outcomes
    print(f"\n{transition} vs call-{call}: {dict(outcomes)} in {time.monotonic() - started:.1f} s")
