"""WebSocket consumers: snapshots, every message type, refusals, rollbacks."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from queue_system.asgi import application
from tests.helpers import ORIGIN, connect_screen, receive_type
from tickets import services as svc
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


async def drain(communicator) -> list[dict]:
    messages = []
    while not await communicator.receive_nothing(timeout=0.3):
        messages.append(await communicator.receive_json_from())
    return messages


@database_sync_to_async
def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


def run(func, **kwargs):
    return database_sync_to_async(func)(**kwargs)


async def test_display_gets_a_snapshot_with_calls_waiting_counts_and_hours(office, services, counters, operator):
    first = await run(svc.ticket_issue, office=office, service=services["fl"])
    await run(svc.ticket_issue, office=office, service=services["fl"])
    await run(svc.ticket_issue, office=office, service=services["cash"])
    await run(svc.ticket_call_next, counter=counters["1"], operator=operator)
    display = await connect_screen("/ws/offices/main/display/")
    snapshot = await display.receive_json_from()
    assert snapshot["type"] == "snapshot"
    assert snapshot["open"] is True
    assert snapshot["waiting"] == {"fl": 1, "ul": 0, "cash": 1}
    assert [(c["ticket"], c["counter"], c["active"]) for c in snapshot["calls"]] == [(first.number, "1", True)]
    assert snapshot["office"]["hours"][0] == {"day": "mon", "label": "Пн", "hours": "круглосуточно"}
    await display.disconnect()


async def test_every_transition_reaches_the_display(office, services, counters, operator):
    display = await connect_screen("/ws/offices/main/display/")
    await display.receive_json_from()  # snapshot

    a = await run(svc.ticket_issue, office=office, service=services["fl"])
    assert (await receive_type(display, "queue.updated"))["waiting"]["fl"] == 1

    await run(svc.ticket_call_next, counter=counters["1"], operator=operator)
    called = await receive_type(display, "ticket.called")
    assert called == {
        "type": "ticket.called",
        "ticket": a.number,
        "counter": "1",
        "recall": False,
        "at": called["at"],
        "seq": called["seq"],
    }
    assert (await receive_type(display, "queue.updated"))["waiting"]["fl"] == 0

    await run(svc.ticket_recall, ticket=a, operator=operator)
    recalled = await receive_type(display, "ticket.called")
    assert recalled["recall"] is True and recalled["ticket"] == a.number

    await run(svc.ticket_start, ticket=a, operator=operator)
    await run(svc.ticket_finish, ticket=a, operator=operator)
    cleared = await receive_type(display, "ticket.cleared")
    assert cleared == {
        "type": "ticket.cleared",
        "ticket": a.number,
        "counter": "1",
        "status": "done",
        "seq": cleared["seq"],
    }

    expectations = [
        (lambda t: svc.ticket_no_show(ticket=t, operator=operator), "no_show"),
        (lambda t: svc.ticket_postpone(ticket=t, operator=operator), "postponed"),
        (
            lambda t: svc.ticket_transfer(ticket=t, service=services["cash"], to_front=True, operator=operator),
            "transferred",
        ),
    ]
    for action, status in expectations:
        ticket = await run(svc.ticket_issue, office=office, service=services["fl"])
        await run(svc.ticket_call_next, counter=counters["1"], operator=operator)
        await database_sync_to_async(action)(ticket)
        cleared = await receive_type(display, "ticket.cleared")
        assert (cleared["ticket"], cleared["status"]) == (ticket.number, status)
        if status in ("postponed", "transferred"):
            waiting = (await receive_type(display, "queue.updated"))["waiting"]
            assert waiting["cash" if status == "transferred" else "fl"] == 1
            await run(svc.ticket_cancel, ticket=ticket)
            await receive_type(display, "queue.updated")
    await drain(display)

    await run(svc.ticket_issue, office=office, service=services["ul"])
    await receive_type(display, "queue.updated")
    await run(svc.close_day, include_today=True)
    assert (await receive_type(display, "queue.updated"))["waiting"]["ul"] == 0
    await display.disconnect()


async def test_a_rolled_back_transition_never_reaches_a_screen(office, services):
    display = await connect_screen("/ws/offices/main/display/")
    await display.receive_json_from()

    def issue_then_fail():
        with transaction.atomic():
            svc.ticket_issue(office=office, service=services["fl"])
            raise RuntimeError("printer jammed")

    with pytest.raises(RuntimeError):
        await database_sync_to_async(issue_then_fail)()
    assert await display.receive_nothing(timeout=0.5)
    assert await database_sync_to_async(Ticket.objects.count)() == 0
    await display.disconnect()


async def test_operator_socket_sends_a_snapshot_and_live_updates(office, services, counters, operator):
    socket = await connect_screen("/ws/offices/main/operators/", await session_cookie(operator))
    snapshot = await socket.receive_json_from()
    assert snapshot["type"] == "snapshot"
    assert {c["number"]: c["state"] for c in snapshot["counters"]} == {"1": "open", "2": "open", "3": "open"}
    assert [s["code"] for s in snapshot["services"]] == ["fl", "ul", "cash"]
    await run(svc.ticket_issue, office=office, service=services["ul"])
    assert (await receive_type(socket, "queue.updated"))["waiting"]["ul"] == 1
    await run(svc.counter_set_state, counter=counters["2"], state="break", user=operator)
    update = await receive_type(socket, "counter.updated")
    assert (update["counter"], update["state"]) == ("2", "break")
    await socket.disconnect()


async def expect_refusal(path: str, code: int, *headers) -> dict:
    communicator = WebsocketCommunicator(application, path, headers=[ORIGIN, *headers])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    error = await communicator.receive_json_from()
    assert error["type"] == "error" and error["message"]
    closed = await communicator.receive_output(timeout=3)
    assert closed == {"type": "websocket.close", "code": code}
    await communicator.disconnect()
    return error


async def test_operator_socket_refuses_anonymous_users(office):
    error = await expect_refusal("/ws/offices/main/operators/", 4401)
    assert error["code"] == "not_authenticated"


async def test_operator_socket_refuses_operators_of_other_offices(office, other_operator):
    error = await expect_refusal("/ws/offices/main/operators/", 4403, await session_cookie(other_operator))
    assert error["code"] == "permission_denied"


async def test_unknown_office_and_unknown_token_are_refused(office):
    await expect_refusal("/ws/offices/nowhere/display/", 4404)
    await expect_refusal("/ws/tickets/not-a-token/", 4404)


async def test_tracking_socket_follows_position_transfer_and_call(office, services, counters, operator):
    first = await run(svc.ticket_issue, office=office, service=services["fl"])
    mine = await run(svc.ticket_issue, office=office, service=services["fl"])
    phone = await connect_screen(f"/ws/tickets/{mine.token}/")
    snapshot = await phone.receive_json_from()
    assert (snapshot["type"], snapshot["number"], snapshot["status"], snapshot["position"]) == (
        "snapshot",
        mine.number,
        "waiting",
        1,
    )
    assert snapshot["estimated_wait_seconds"] == 450  # one open counter, default service time: 1.5 × 300 s

    await run(svc.ticket_call_next, counter=counters["1"], operator=operator)
    status = await receive_type(phone, "ticket.status")
    assert (status["status"], status["position"], status["estimated_wait_seconds"]) == ("waiting", 0, 150)

    # Transfer the first client into ul, then move mine to ul as well: the phone follows.
    await run(svc.ticket_finish, ticket=first, operator=operator)
    await run(svc.ticket_call_next, counter=counters["1"], operator=operator)
    called = await receive_type(phone, "ticket.status")
    assert (called["status"], called["counter"], called["position"]) == ("called", "1", None)
    await run(svc.ticket_transfer, ticket=mine, service=services["ul"], to_front=False, operator=operator)
    moved = await receive_type(phone, "ticket.status")
    assert (moved["status"], moved["position"]) == ("waiting", 0)
    other = await run(svc.ticket_issue, office=office, service=services["ul"])
    assert await phone.receive_nothing(timeout=0.3)  # a ticket behind mine changes nothing for me
    await run(svc.ticket_call_next, counter=counters["2"], operator=operator)
    final = await receive_type(phone, "ticket.status")
    assert (final["status"], final["counter"]) == ("called", "2")
    assert other.number != mine.number
    await phone.disconnect()


async def test_screens_answer_pings_and_ignore_everything_else(office, services):
    display = await connect_screen("/ws/offices/main/display/")
    snapshot = await display.receive_json_from()
    for garbage in ["not json", json.dumps({"type": "ticket.called", "ticket": "Ж999"}), "x" * 100_000, "[]"]:
        await display.send_to(text_data=garbage)
    await display.send_to(bytes_data=b"\xff\xfe")
    await display.send_json_to({"type": "ping"})
    assert await display.receive_json_from() == {"type": "pong", "seq": snapshot["seq"]}
    assert await display.receive_nothing(timeout=0.3)
    assert await database_sync_to_async(Ticket.objects.count)() == 0
    await display.disconnect()


async def test_a_socket_from_a_foreign_origin_is_refused(office):
    communicator = WebsocketCommunicator(
        application, "/ws/offices/main/display/", headers=[(b"origin", b"http://evil.example")]
    )
    connected, _ = await communicator.connect(timeout=5)
    assert not connected
    await communicator.disconnect()


@pytest.mark.parametrize(
    "path",
    [
        "/ws/x/",
        "/ws/offices/../admin/display/",
        "/ws/tickets/%00/",
        "/ws/tickets/\x00/",
        "/ws/offices/main/display/?a=%00",
    ],
)
async def test_an_unknown_or_hostile_socket_path_is_refused_before_accept(office, path):
    communicator = WebsocketCommunicator(application, path, headers=[ORIGIN])
    connected, _ = await communicator.connect(timeout=5)
    assert not connected  # Daphne answers the handshake with 403
    await communicator.disconnect()


async def test_a_deeply_nested_message_is_ignored_like_any_garbage(office, services):
    communicator = await connect_screen("/ws/offices/main/display/")
    await receive_type(communicator, "snapshot")
    await communicator.send_to(text_data="[" * 1000)
    await communicator.send_json_to({"type": "ping"})
    assert (await receive_type(communicator, "pong"))["type"] == "pong"
    await communicator.disconnect()


async def test_office_messages_are_numbered_one_by_one_from_the_snapshots_number(office, services, counters, operator):
    await run(svc.ticket_issue, office=office, service=services["fl"], priority=True)
    display = await connect_screen("/ws/offices/main/display/")
    staff = await connect_screen("/ws/offices/main/operators/", await session_cookie(operator))
    start = {name: (await socket.receive_json_from())["seq"] for name, socket in [("d", display), ("o", staff)]}

    ticket = await run(svc.ticket_call_next, counter=counters["1"], operator=operator)
    await run(svc.ticket_start, ticket=ticket, operator=operator)
    await run(svc.ticket_finish, ticket=ticket, operator=operator)
    shown, seen = await drain(display), await drain(staff)

    # Operator screens get more messages (starts, counter states) than the hall, each group its own numbering.
    assert [m["seq"] for m in shown] == list(range(start["d"] + 1, start["d"] + 1 + len(shown)))
    assert [m["seq"] for m in seen] == list(range(start["o"] + 1, start["o"] + 1 + len(seen)))
    assert len(seen) > len(shown) >= 3
    for socket, messages in [(display, shown), (staff, seen)]:
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from() == {"type": "pong", "seq": messages[-1]["seq"]}
        await socket.disconnect()


async def test_a_sync_inside_the_interval_is_answered_later_not_dropped(office, services, monkeypatch):
    from displays import consumers

    monkeypatch.setattr(consumers, "SYNC_INTERVAL_SECONDS", 0.5)
    display = await connect_screen("/ws/offices/main/display/")
    await display.receive_json_from()
    await display.send_json_to({"type": "sync"})
    assert (await display.receive_json_from())["type"] == "snapshot"
    await run(svc.ticket_issue, office=office, service=services["fl"])
    await receive_type(display, "queue.updated")
    await display.send_json_to({"type": "sync"})
    await display.send_json_to({"type": "sync"})
    assert await display.receive_nothing(timeout=0.2)
    later = await display.receive_json_from(timeout=2)
    assert later["type"] == "snapshot" and later["waiting"]["fl"] == 1
    assert await display.receive_nothing(timeout=0.8)
    await display.disconnect()


async def closing(communicator, timeout: float = 3) -> tuple[dict, dict]:
    """The error message, then the close frame, skipping office messages on the way."""
    while True:
        message = await communicator.receive_output(timeout=timeout)
        if message["type"] == "websocket.close":
            raise AssertionError("closed without an error message")
        content = json.loads(message["text"])
        if content["type"] == "error":
            return content, await communicator.receive_output(timeout=timeout)


@pytest.fixture
def quick_recheck(settings):
    # Production re-checks every 5 s; the behaviour is the same at a tenth of a second.
    settings.OPERATOR_SOCKET_RECHECK_SECONDS = 0.1


async def test_the_operator_socket_closes_with_4401_after_a_logout(office, operator, quick_recheck):
    browser = Client()
    await database_sync_to_async(browser.force_login)(operator)
    socket = await connect_screen(
        "/ws/offices/main/operators/", (b"cookie", f"sessionid={browser.cookies['sessionid'].value}".encode())
    )
    await receive_type(socket, "snapshot")
    assert await socket.receive_nothing(timeout=0.5)  # several re-checks pass while signed in
    await database_sync_to_async(browser.post)("/logout/")  # in another tab of the same browser
    error, closed = await closing(socket)
    assert error["code"] == "not_authenticated"
    assert closed == {"type": "websocket.close", "code": 4401}
    await socket.disconnect()


async def test_the_operator_socket_closes_with_4403_after_the_membership_is_lost(office, operator, quick_recheck):
    from offices.models import Membership

    socket = await connect_screen("/ws/offices/main/operators/", await session_cookie(operator))
    await receive_type(socket, "snapshot")
    await database_sync_to_async(lambda: Membership.objects.filter(user=operator).delete())()
    error, closed = await closing(socket)
    assert error["code"] == "permission_denied"
    assert closed == {"type": "websocket.close", "code": 4403}
    await socket.disconnect()


async def test_the_operator_socket_closes_after_a_password_change(office, operator, quick_recheck):
    socket = await connect_screen("/ws/offices/main/operators/", await session_cookie(operator))
    await receive_type(socket, "snapshot")

    def change_password():
        operator.set_password("another-pass-678")
        operator.save()

    await database_sync_to_async(change_password)()
    _, closed = await closing(socket)
    assert closed == {"type": "websocket.close", "code": 4401}
    await socket.disconnect()
