"""The phone's payload: the current service after a transfer, and the server's wording for every state."""

import pytest
from asgiref.sync import sync_to_async

from tests.helpers import connect_screen, receive_type
from tickets import selectors
from tickets import services as svc
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

run = sync_to_async


async def test_after_a_transfer_the_phone_is_told_the_new_service(office, services, counters, operator):
    ahead = await run(svc.ticket_issue)(office=office, service=services["ul"])
    mine = await run(svc.ticket_issue)(office=office, service=services["fl"])
    phone = await connect_screen(f"/ws/tickets/{mine.token}/")
    assert (await receive_type(phone, "snapshot"))["service"] == "Физические лица"
    await run(svc.ticket_call_next)(counter=counters["1"], operator=operator)
    called = await receive_type(phone, "ticket.status")
    assert (called["status_label"], called["service"]) == ("Вас вызывают к окну 1", "Физические лица")

    await run(svc.ticket_transfer)(ticket=mine, service=services["ul"], to_front=False, operator=operator)
    moved = await receive_type(phone, "ticket.status")
    assert (moved["status"], moved["service"], moved["position"]) == ("waiting", "Юридические лица", 1)
    assert (moved["status_label"], moved["actions"], moved["alert"]) == ("Ожидает вызова", ["cancel"], True)

    # A position update from the new queue keeps the new service.
    await run(svc.ticket_call_next)(counter=counters["2"], operator=operator)
    closer = await receive_type(phone, "ticket.status")
    assert (closer["position"], closer["service"]) == (0, "Юридические лица")
    # And so does a fresh snapshot (a reconnect).
    again = await connect_screen(f"/ws/tickets/{mine.token}/")
    assert (await receive_type(again, "snapshot"))["service"] == "Юридические лица"
    assert ahead.number != mine.number
    for socket in (phone, again):
        await socket.disconnect()


def test_every_state_has_its_wording_and_only_a_waiting_ticket_promises_a_signal():
    for status in Ticket.Status.values:
        message = selectors.tracking_message(
            number="А001", status=status, service="Касса", position=None, estimated_wait_seconds=None, counter="3"
        )
        assert message["status_label"] and "{" not in message["status_label"], status
        assert message["alert"] is (status == "waiting")
        assert message["actions"] == (["cancel"] if status == "waiting" else [])
    labels = {
        s: selectors.tracking_message(
            number="А001", status=s, service="Касса", position=None, estimated_wait_seconds=None, counter="3"
        )["status_label"]
        for s in ("called", "serving", "done")
    }
    assert labels == {
        "called": "Вас вызывают к окну 3",
        "serving": "Вас обслуживают у окна 3",
        "done": "Обслуживание завершено. Спасибо!",
    }


async def test_a_postponed_ticket_tells_the_phone_it_will_be_invited_again(office, services, counters, operator):
    mine = await run(svc.ticket_issue)(office=office, service=services["fl"])
    phone = await connect_screen(f"/ws/tickets/{mine.token}/")
    assert (await receive_type(phone, "snapshot"))["status_label"] == "Ожидает вызова"
    await run(svc.ticket_call_next)(counter=counters["1"], operator=operator)
    await receive_type(phone, "ticket.status")

    await run(svc.ticket_postpone)(ticket=mine, operator=operator, minutes=5)
    parked = await receive_type(phone, "ticket.status")
    assert (parked["status"], parked["position"]) == ("waiting", None)
    assert parked["status_label"] == selectors.TRACKING_POSTPONED
    # A fresh page says the same.
    mine = await run(Ticket.objects.select_related("service", "office").get)(pk=mine.pk)
    assert (await run(selectors.tracking_status)(mine))["status_label"] == selectors.TRACKING_POSTPONED
    await phone.disconnect()
