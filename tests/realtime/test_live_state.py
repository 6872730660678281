"""One live state per office: built once per change, whoever connects or asks, and the phones' places read from it."""

import asyncio
import threading

import pytest
from channels.db import database_sync_to_async
from django.db.backends import utils as db_utils

from tests.helpers import connect_screen, receive_type
from tickets import live
from tickets import services as svc

pytestmark = pytest.mark.django_db(transaction=True)


def run(func, **kwargs):
    return database_sync_to_async(func)(**kwargs)


@pytest.fixture
def builds(monkeypatch) -> list[int]:
    """The office ids of every live state built from the database."""
    built = []
    real = live.build

    def counting(office_id):
        built.append(office_id)
        return real(office_id)

    monkeypatch.setattr(live, "build", counting)
    return built


@pytest.fixture
def all_queries(monkeypatch) -> list[str]:
    """Every SQL statement run in any thread of this process (the consumers' included)."""
    seen, lock = [], threading.Lock()
    real = db_utils.CursorWrapper._execute

    def counting(self, sql, params, *ignored):
        with lock:
            seen.append(sql)
        return real(self, sql, params, *ignored)

    monkeypatch.setattr(db_utils.CursorWrapper, "_execute", counting)
    return seen


async def test_a_storm_of_connects_builds_the_office_state_once(office, services, counters, builds):
    await run(svc.ticket_issue, office=office, service=services["fl"])
    screens = await asyncio.gather(*[connect_screen("/ws/offices/main/display/") for _ in range(30)])
    snapshots = [await receive_type(s, "snapshot") for s in screens]
    assert {s["waiting"]["fl"] for s in snapshots} == {1}
    assert len({s["seq"] for s in snapshots}) == 1
    assert builds == [office.pk]
    # A change outdates it: the next screen builds it once more, the rest read it.
    await run(svc.ticket_issue, office=office, service=services["fl"])
    for screen in screens:
        await receive_type(screen, "queue.updated")
    late = await asyncio.gather(*[connect_screen("/ws/offices/main/display/") for _ in range(10)])
    assert {(await receive_type(s, "snapshot"))["waiting"]["fl"] for s in late} == {2}
    assert builds == [office.pk, office.pk]
    for screen in screens + late:
        await screen.disconnect()


async def test_each_phone_reads_its_place_from_one_shared_state(office, services, counters, operator, builds):
    await run(svc.counter_set_state, counter=counters["1"], state="open", user=operator)
    tickets = [await run(svc.ticket_issue, office=office, service=services["fl"]) for _ in range(6)]
    phones = [await connect_screen(f"/ws/tickets/{t.token}/") for t in tickets[1:]]
    assert [(await receive_type(p, "snapshot"))["position"] for p in phones] == [1, 2, 3, 4, 5]
    before = len(builds)
    await run(svc.ticket_call_next, counter=counters["1"], operator=operator)
    moved = [await receive_type(p, "ticket.status") for p in phones]
    assert [m["position"] for m in moved] == [0, 1, 2, 3, 4]
    assert [m["estimated_wait_seconds"] for m in moved] == [150, 450, 750, 1050, 1350]
    assert len(builds) == before + 1  # five phones, one build
    for phone in phones:
        await phone.disconnect()


async def call_and_deliver(counter, operator, screens) -> None:
    """Call the next client and finish; return once every screen has the messages."""
    ticket = await run(svc.ticket_call_next, counter=counter, operator=operator)
    await run(svc.ticket_finish, ticket=ticket, operator=operator)
    for screen in screens:
        await receive_type(screen, "ticket.called")
        await receive_type(screen, "queue.updated")
        await receive_type(screen, "ticket.cleared")


async def test_a_call_and_finish_cost_the_same_queries_with_0_and_20_screens_connected(
    office, services, counters, operator, all_queries
):
    await run(svc.counter_set_state, counter=counters["1"], state="open", user=operator)
    for _ in range(4):
        await run(svc.ticket_issue, office=office, service=services["fl"])
    witness = await connect_screen("/ws/offices/main/display/")  # only to know when the call's messages are out
    await receive_type(witness, "snapshot")
    await call_and_deliver(counters["1"], operator, [witness])
    all_queries.clear()
    await call_and_deliver(counters["1"], operator, [witness])
    alone = len(all_queries)

    screens = [await connect_screen("/ws/offices/main/display/") for _ in range(20)]
    for screen in screens:
        await receive_type(screen, "snapshot")
    all_queries.clear()
    await call_and_deliver(counters["1"], operator, [witness, *screens])
    assert len(all_queries) == alone
    for screen in [witness, *screens]:
        await screen.disconnect()


@pytest.mark.redis
def test_a_state_built_before_redis_lost_its_numbers_is_not_served_after(office, services):
    from tickets import broadcast

    live.get(office.pk)
    assert live.cached(office.pk) is not None
    # A restart without persistence: the numbers start from 0 again, as they were when the state was built.
    broadcast._redis().flushdb()
    assert live.cached(office.pk) is None
    assert live.get(office.pk).epoch == broadcast.current_version(office.pk)[0]
