"""Counter states through counter_set_state: every field together, one CounterEvent, break reasons."""

from datetime import UTC, datetime

import pytest

from offices.models import CounterEvent
from tickets import services as svc
from tickets.errors import UnknownBreakReason

T0 = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)


def test_a_break_stores_its_reason_and_logs_one_event_with_the_label(counters, operator):
    counter = svc.counter_set_state(counter=counters["1"], state="break", user=operator, reason="lunch", now=T0)
    counter.refresh_from_db()
    assert (counter.state, counter.break_reason, counter.state_changed_at) == ("break", "lunch", T0)
    event = CounterEvent.objects.get(counter=counter)
    assert event.type == "break" and event.user == operator
    assert event.data["reason"] == "lunch" and event.data["reason_label"] == "Обед"


def test_a_break_without_a_reason_is_other(counters, operator):
    counter = svc.counter_set_state(counter=counters["1"], state="break", user=operator)
    assert counter.break_reason == "other" and counter.break_reason_label == "Другое"


def test_an_unknown_break_reason_is_refused_and_changes_nothing(counters, operator):
    with pytest.raises(UnknownBreakReason):
        svc.counter_set_state(counter=counters["1"], state="break", user=operator, reason="nap")
    counters["1"].refresh_from_db()
    assert counters["1"].state == "open" and not CounterEvent.objects.exists()


def test_resuming_clears_the_reason_and_logs_resumed_then_closed(counters, operator):
    counter = counters["1"]
    svc.counter_set_state(counter=counter, state="break", user=operator, reason="training")
    counter = svc.counter_set_state(counter=counter, state="open", user=operator)
    assert counter.break_reason == "" and counter.operator == operator
    svc.counter_set_state(counter=counter, state="closed", user=operator)
    types = list(CounterEvent.objects.filter(counter=counter).values_list("type", flat=True))
    assert types == ["break", "resumed", "closed"]


def test_setting_the_same_state_logs_nothing(counters, operator):
    svc.counter_set_state(counter=counters["1"], state="open", user=operator)
    assert not CounterEvent.objects.exists()


def test_a_manager_sending_a_counter_to_break_keeps_its_operator_and_is_marked_remote(counters, operator, manager):
    counter = svc.counter_set_state(counter=counters["1"], state="closed", user=operator)
    counter = svc.counter_set_state(counter=counter, state="open", user=operator)
    counter = svc.counter_set_state(counter=counter, state="break", user=manager, reason="technical")
    assert counter.operator == operator
    event = CounterEvent.objects.filter(counter=counter).last()
    assert event.user == manager and event.data["remote"] is True and event.data["operator"] == operator.pk


def test_the_api_takes_a_break_reason_and_answers_its_label(op_client, counters):
    response = op_client.post(
        f"/api/v1/counters/{counters['1'].pk}/state/", {"state": "break", "reason": "lunch"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["break_reason"] == "lunch" and response.json()["break_reason_label"] == "Обед"
    response = op_client.post(
        f"/api/v1/counters/{counters['1'].pk}/state/", {"state": "break", "reason": "nap"}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "unknown_break_reason"
