"""Reads whose cost does not grow on any axis: offices, counters, services."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from displays import monitor
from offices.models import Membership, Service
from tests.helpers import add_counter, add_services, make_office, make_user, token_client
from tickets import live
from tickets import services as svc

pytestmark = pytest.mark.django_db


def queries(func) -> int:
    with CaptureQueriesContext(connection) as captured:
        func()
    return len(captured)


def more_counters(office, services, upto: int) -> None:
    for number in range(4, upto + 1):
        add_counter(office, str(number), [services["fl"], services["ul"]], [services["cash"]])


def more_services(office, n: int) -> list[Service]:
    return [
        Service.objects.create(
            office=office,
            code=f"s{i}",
            name=f"Услуга {i}",
            prefix=chr(ord("В") + i),
            channel="individuals",
            kiosk_order=9,
        )
        for i in range(n)
    ]


def test_the_office_list_costs_the_same_for_1_and_5_offices(office, services, counters, anon):
    def listed():
        response = anon.get("/api/v1/offices/")
        assert response.status_code == 200
        return response.json()

    assert len(listed()) == 1
    one = queries(listed)
    for i in range(4):
        extra = make_office(f"o{i}")
        more_counters(extra, add_services(extra), 5)
    assert len(listed()) == 5
    assert queries(listed) == one


def test_an_office_costs_the_same_with_3_and_12_counters(office, services, counters, anon):
    def detail():
        response = anon.get("/api/v1/offices/main/")
        assert response.status_code == 200
        return response.json()

    assert len(detail()["counters"]) == 3
    three = queries(detail)
    more_counters(office, services, 12)
    assert len(detail()["counters"]) == 12
    assert queries(detail) == three


def test_the_today_list_costs_the_same_for_3_and_9_services(office, services, counters, operator):
    client = token_client(operator)

    def today():
        response = client.get("/api/v1/offices/main/tickets/today/")
        assert response.status_code == 200
        return response.json()

    for service in services.values():
        svc.ticket_issue(office=office, service=service)
    today()
    three = queries(today)
    for service in more_services(office, 6):
        svc.ticket_issue(office=office, service=service)
    assert len(today()) == 9
    assert queries(today) == three


def test_the_live_state_costs_the_same_for_3_and_12_counters_and_3_and_9_services(office, services, counters, operator):
    for service in services.values():
        svc.ticket_issue(office=office, service=service)
    svc.counter_set_state(counter=counters["1"], state="open", user=operator)
    svc.ticket_call_next(counter=counters["1"], operator=operator)
    small = queries(lambda: live.build(office.pk))
    more_counters(office, services, 12)
    for service in more_services(office, 6):
        svc.ticket_issue(office=office, service=service)
    state = live.build(office.pk)
    assert len(state.operators["counters"]) == 12 and len(state.display["services"]) == 9
    assert queries(lambda: live.build(office.pk)) == small


def test_closing_the_day_costs_the_same_for_5_and_50_tickets_and_announces_once(
    office, services, counters, operator, django_capture_on_commit_callbacks, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from tickets import broadcast

    sent = []
    monkeypatch.setattr(broadcast, "_send", lambda group, message, **envelope: sent.append(message["type"]))

    def close(n: int) -> tuple[int, list[str]]:
        yesterday = timezone.now() - timedelta(days=1)
        for _ in range(n):
            svc.ticket_issue(office=office, service=services["fl"], now=yesterday)
        sent.clear()
        with django_capture_on_commit_callbacks(execute=True):
            cost = queries(lambda: svc.close_day(office=office))
        return cost, list(sent)

    # The first close of an office also rolls its past days into the daily rollups (once);
    # what is compared here is the expiry.
    svc.close_day(office=office)
    five, five_sent = close(5)
    fifty, fifty_sent = close(50)
    assert fifty == five
    # Per office: the counts to both groups and one «queue changed» to the service's phones; then each phone its status.
    assert fifty_sent.count("queue.updated") == 2 and fifty_sent.count("ticket.status") == 50


def test_the_monitor_costs_the_same_for_1_and_20_offices(office, services, counters, django_user_model, client):
    """The page and each office's figures: the company table adds no query per office."""
    manager = make_user(django_user_model, "boss", office=office, role=Membership.Role.MANAGER)
    client.force_login(manager)

    def page():
        response = client.get("/monitor/")
        assert response.status_code == 200
        return response

    page()
    monitor.monitor_snapshot(office.pk)  # the office's live state, built once and cached
    one = queries(page)
    stats_one = queries(lambda: monitor.monitor_stats(office.pk))
    snapshot_one = queries(lambda: monitor.monitor_snapshot(office.pk))
    for i in range(19):
        extra = make_office(f"m{i}")
        more_counters(extra, add_services(extra), 5)
        Membership.objects.create(user=manager, office=extra, role=Membership.Role.MANAGER)
    assert page().content.decode().count('data-office-row="') == 20
    monitor.monitor_snapshot(office.pk)
    assert queries(page) == one
    assert queries(lambda: monitor.monitor_stats(office.pk)) == stats_one
    assert queries(lambda: monitor.monitor_snapshot(office.pk)) == snapshot_one
    assert {"open", "open_label"} <= set(monitor.monitor_stats(office.pk))
