"""The outbox: events written with their transition, delivered at least once, in order per ticket, signed."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from events.models import Attempt, Delivery, Event, Subscription
from events.services import deliver_batch, delivery_retry, retry_delay
from tickets import services as ts
from tickets.models import Ticket

from ..receiver import signature_valid
from .conftest import SECRET


def drain(until, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "the outbox did not drain in time"
        if not deliver_batch():
            time.sleep(0.02)


def all_delivered() -> bool:
    return not Delivery.objects.exclude(status=Delivery.Status.DELIVERED).exists()


def serve_one(counter, operator, **finish):
    ticket = ts.ticket_call_next(counter=counter, operator=operator)
    ts.ticket_start(ticket=ticket, operator=operator)
    ts.ticket_finish(ticket=ticket, operator=operator, **finish)
    return ticket


def assert_in_order_per_ticket(receiver) -> None:
    """Each ticket's events are accepted in the order they happened, and no event of a ticket
    is even tried before the previous one was accepted."""
    events = {str(e.uid): e for e in Event.objects.all()}
    accepted_at: dict[str, float] = {}
    for r in receiver.received:
        if r.answered == 200:
            accepted_at.setdefault(r.event_id, r.at)
    for key in {e.key for e in events.values()}:
        chain = sorted((e for e in events.values() if e.key == key), key=lambda e: e.pk)
        for earlier, later in zip(chain, chain[1:], strict=False):
            tries = [r.at for r in receiver.received if r.event_id == str(later.uid)]
            assert min(tries) > accepted_at[str(earlier.uid)], f"{later.type} of {key} tried before {earlier.type}"


@pytest.mark.django_db
def test_every_event_arrives_in_order_with_valid_signatures_through_refusals_and_an_outage(
    receiver, subscription, fast_retries, office, services, counters, operator
):
    receiver.refuse_first = 3
    for _ in range(3):
        ts.ticket_issue(office=office, service=services["fl"])
    serve_one(counters["1"], operator)
    deliver_batch()  # the first three attempts are refused
    assert [r.answered for r in receiver.received[:3]] == [503, 503, 503]

    receiver.stop()  # down: connections refused
    serve_one(counters["1"], operator)
    for _ in range(5):
        deliver_batch()
        time.sleep(0.03)
    assert Delivery.objects.filter(status=Delivery.Status.PENDING, attempts__gt=0).exists()
    ts.ticket_issue(office=office, service=services["fl"])

    receiver.start()  # up again
    drain(all_delivered)

    events = Event.objects.all()
    assert events.count() == 4 + 2 * 3  # issued ×4, then called, started and finished ×2
    accepted = receiver.accepted()
    assert {r.event_id for r in accepted} == {str(e.uid) for e in events}
    for r in receiver.received:
        assert signature_valid(SECRET, r.signature, r.body)
        assert r.payload["id"] == r.event_id  # a duplicate carries the same id
    assert_in_order_per_ticket(receiver)
    # Every attempt is logged with its answer and timing.
    assert Attempt.objects.count() >= len(receiver.received)
    assert Attempt.objects.filter(status_code=503).count() == 3
    assert Attempt.objects.filter(status_code__isnull=True).exclude(error="").exists()


@pytest.mark.django_db
def test_the_body_is_the_ticket_in_its_api_form_with_outcomes(receiver, subscription, office, counters, operator):
    service = counters["1"].services.get()
    service.outcomes = [{"code": "meter_reading", "name": "Передача показаний"}]
    service.save()
    ts.ticket_issue(office=office, service=service)
    ticket = serve_one(counters["1"], operator, outcomes=["meter_reading"], note="Иванов, 8-900")
    drain(all_delivered)
    finished = [r.payload for r in receiver.accepted() if r.payload["type"] == "ticket.finished"][0]
    assert set(finished) == {"id", "type", "occurred_at", "data"}
    assert finished["data"]["id"] == ticket.pk
    assert finished["data"]["number"] == ticket.number
    assert finished["data"]["status"] == "done"
    assert finished["data"]["outcomes"] == [{"code": "meter_reading", "name": "Передача показаний"}]
    issued = [r.payload for r in receiver.accepted() if r.payload["type"] == "ticket.issued"][0]
    assert issued["data"]["status"] == "waiting" and issued["data"]["position"] is None
    # Personal data is off by default: no notes.
    assert "finish_note" not in finished["data"] and "note" not in finished["data"]


@pytest.mark.django_db
def test_personal_data_goes_only_where_the_subscription_allows_it(receiver, office, counters, operator):
    Subscription.objects.create(url=receiver.url, secret=SECRET, events=["ticket.finished"], personal_data=True)
    service = counters["1"].services.get()
    ts.ticket_issue(office=office, service=service)
    serve_one(counters["1"], operator, note="Иванов, 8-900")
    drain(all_delivered)
    (finished,) = [r.payload for r in receiver.accepted()]
    assert finished["type"] == "ticket.finished"
    assert finished["data"]["finish_note"] == "Иванов, 8-900"


@pytest.mark.django_db
def test_an_event_exists_only_if_its_transition_committed(subscription, office, services):
    with pytest.raises(RuntimeError), transaction.atomic():
        ts.ticket_issue(office=office, service=services["fl"])
        assert Delivery.objects.count() == 1
        raise RuntimeError("rolled back")
    assert not Ticket.objects.exists()
    assert not Event.objects.exists() and not Delivery.objects.exists()


@pytest.mark.django_db
def test_without_a_subscription_a_transition_writes_no_event(office, services):
    Subscription.objects.create(url="http://127.0.0.1:9/", secret="x", events=["ticket.finished"])
    ts.ticket_issue(office=office, service=services["fl"])
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_counter_state_changes_are_events(receiver, subscription, office, counters, operator):
    ts.counter_set_state(counter=counters["2"], state="break", user=operator)
    ts.counter_set_state(counter=counters["2"], state="open", user=operator)
    ts.counter_set_state(counter=counters["2"], state="closed", user=operator)
    drain(all_delivered)
    bodies = [r.payload for r in receiver.accepted()]
    assert [b["type"] for b in bodies] == ["counter.break", "counter.opened", "counter.closed"]
    assert bodies[0]["data"]["number"] == "2" and "operator" not in bodies[0]["data"]


def test_the_nth_retry_waits_base_times_two_to_the_n_minus_one_capped_at_an_hour(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 5
    settings.WEBHOOK_RETRY_MAX_SECONDS = 3600
    assert [retry_delay(n) for n in range(1, 6)] == [5, 10, 20, 40, 80]
    assert retry_delay(10) == 2560
    assert retry_delay(11) == 3600 and retry_delay(500) == 3600


@pytest.mark.django_db
def test_a_delivery_failing_for_24_hours_is_dead_and_the_admin_can_retry_it(settings, office, services):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 5
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    subscription = Subscription.objects.create(url="http://127.0.0.1:9/hook", secret="x", events=["ticket.issued"])
    start = timezone.now()
    ts.ticket_issue(office=office, service=services["fl"])
    delivery = Delivery.objects.get(subscription=subscription)
    waits = []
    with time_machine.travel(start, tick=False) as clock:
        while delivery.status == Delivery.Status.PENDING:
            clock.move_to(delivery.next_attempt_at)
            before = timezone.now()
            deliver_batch()
            delivery.refresh_from_db()
            waits.append((delivery.next_attempt_at - before).total_seconds())
    assert waits[:4] == pytest.approx([5, 10, 20, 40], abs=0.5)
    assert max(waits) <= 3600
    assert delivery.status == Delivery.Status.DEAD
    assert delivery.next_attempt_at - start <= timedelta(hours=24)
    assert Attempt.objects.filter(delivery=delivery).count() == delivery.attempts
    delivery_retry(delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING


@pytest.mark.django_db
def test_after_an_outage_the_backlog_goes_at_once_but_a_refusal_keeps_its_backoff(
    receiver, subscription, settings, office, services
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 300
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    receiver.refuse_first = 1
    refused = ts.ticket_issue(office=office, service=services["fl"])
    deliver_batch()  # refused with 503: backs off 300 s
    receiver.stop()
    for _ in range(3):
        ts.ticket_issue(office=office, service=services["fl"])
    deliver_batch()  # nobody there: backs off 300 s
    assert Delivery.objects.filter(attempts=1).count() == 2
    receiver.start()
    ts.ticket_issue(office=office, service=services["fl"])  # a fresh event gets through ...
    drain(lambda: Delivery.objects.filter(status=Delivery.Status.PENDING).count() == 1, timeout=5)
    # ... and takes the backlog with it, without waiting 300 s; the 503 still waits.
    pending = Delivery.objects.get(status=Delivery.Status.PENDING)
    assert pending.key == f"ticket:{refused.pk}" and pending.last_error == "HTTP 503"
