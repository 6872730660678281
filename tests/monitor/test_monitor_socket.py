"""The monitor's socket: managers only, its snapshot, and figures pushed after queue changes."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from displays.consumers import CLOSE_FORBIDDEN, MonitorConsumer
from offices.models import Membership
from tests.helpers import connect_screen, make_user, receive_type
from tickets import services as svc

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


def run(func, **kwargs):
    return database_sync_to_async(func)(**kwargs)


async def test_a_manager_gets_the_monitor_snapshot_with_counters_norm_and_chart(counters, manager, operator):
    await run(svc.counter_set_state, counter=counters["2"], state="break", user=operator, reason="lunch")
    screen = await connect_screen("/ws/offices/main/monitor/", await session_cookie(manager))
    snapshot = await receive_type(screen, "snapshot")
    assert snapshot["office"]["wait_norm_seconds"] == 15 * 60
    assert snapshot["office"]["break_limit_seconds"] == 30 * 60
    assert snapshot["office"]["manager_actions"] == {"open": ["break", "close"], "break": ["close"], "closed": []}
    assert [r["code"] for r in snapshot["office"]["break_reasons"]] == ["lunch", "technical", "training", "other"]
    second = next(c for c in snapshot["counters"] if c["number"] == "2")
    assert (second["state"], second["break_reason_label"], second["status_label"]) == ("break", "Обед", "Перерыв")
    assert second["state_changed_at"]
    assert {s["code"] for s in snapshot["norm"]["services"]} == {"fl", "ul", "cash"}
    assert "labels" in snapshot["chart"] and isinstance(snapshot["seq"], int)
    await screen.disconnect()


@pytest.mark.parametrize("who", ["operator", "other_manager"])
async def test_operators_and_managers_of_other_offices_are_refused(
    office, other_office, operator, django_user_model, who
):
    user = operator
    if who == "other_manager":
        user = await database_sync_to_async(make_user)(
            django_user_model, "mgr-x", office=other_office, role=Membership.Role.MANAGER
        )
    screen = await connect_screen("/ws/offices/main/monitor/", await session_cookie(user))
    error = await screen.receive_json_from()
    assert error["type"] == "error" and error["code"] == "permission_denied"
    assert (await screen.receive_output())["code"] == CLOSE_FORBIDDEN
    await screen.disconnect()


async def test_figures_are_pushed_after_a_queue_change_and_ticket_messages_carry_their_times(
    office, services, counters, manager, operator, monkeypatch
):
    monkeypatch.setattr(MonitorConsumer, "STATS_DELAY_SECONDS", 0.05)
    screen = await connect_screen("/ws/offices/main/monitor/", await session_cookie(manager))
    await receive_type(screen, "snapshot")
    ticket = await run(svc.ticket_issue, office=office, service=services["fl"])
    assert (await receive_type(screen, "queue.updated"))["waiting"]["fl"] == 1
    stats = await receive_type(screen, "monitor.stats")
    fl = next(s for s in stats["norm"]["services"] if s["code"] == "fl")
    assert fl["waiting"] == 1 and len(fl["over_at"]) == 1
    await run(svc.ticket_call_next, counter=counters["1"], operator=operator)
    called = await receive_type(screen, "ticket.called")
    assert called["counter"] == "1" and called["at"]
    await run(svc.ticket_start, ticket=ticket, operator=operator)
    started = await receive_type(screen, "ticket.started")
    assert started["ticket"] == ticket.number and started["at"]
    await screen.disconnect()


async def test_an_admin_edit_of_the_office_sends_the_monitor_its_own_snapshot(office, counters, manager):
    from displays.snapshots import push_office

    screen = await connect_screen("/ws/offices/main/monitor/", await session_cookie(manager))
    await receive_type(screen, "snapshot")
    await database_sync_to_async(push_office)(office.pk)
    pushed = await receive_type(screen, "snapshot")
    assert "manager_actions" in pushed["office"] and "norm" in pushed
    await screen.disconnect()


@database_sync_to_async
def retire_in_admin(counter, django_user_model) -> int:
    admin_user = django_user_model.objects.create_superuser("root", password="pass-12345")
    client = Client()
    client.force_login(admin_user)
    return client.post(
        "/admin/offices/counter/", {"action": "deactivate", "_selected_action": [counter.pk]}
    ).status_code


async def test_a_counter_retired_in_the_admin_leaves_a_connected_monitor(
    counters, manager, operator, django_user_model
):
    from offices.models import Counter, CounterEvent

    await run(svc.counter_set_state, counter=counters["2"], state="open", user=operator)
    screen = await connect_screen("/ws/offices/main/monitor/", await session_cookie(manager))
    snapshot = await receive_type(screen, "snapshot")
    assert next(c for c in snapshot["counters"] if c["number"] == "2")["state"] == "open"
    assert await retire_in_admin(counters["2"], django_user_model) == 302
    # Closed through its transition (logged), announced, then gone from the monitor's counters.
    updated = await receive_type(screen, "counter.updated")
    assert (updated["counter"], updated["state"], updated["status_label"]) == ("2", "closed", "Окно закрыто")
    fresh = await receive_type(screen, "snapshot")
    assert "2" not in [c["number"] for c in fresh["counters"]]
    counter = await database_sync_to_async(Counter.objects.get)(pk=counters["2"].pk)
    assert (counter.active, counter.state, counter.operator_id) == (False, "closed", None)
    last = await database_sync_to_async(lambda: CounterEvent.objects.filter(counter=counter).latest("at").type)()
    assert last == "closed"
    await screen.disconnect()
