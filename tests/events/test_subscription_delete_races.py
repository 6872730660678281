"""A subscription deleted while rows for it are being written (PostgreSQL): each side waits for
the other's commit where it must, both finish without an error, and nothing is left pointing
at the deleted subscription. Each test holds one side's transaction open at the racy moment."""

import threading

import pytest
from django.db import transaction

from events import services as events
from events.models import EVENT_TYPES, Attempt, Delivery, Event, Subscription
from tests.helpers import in_thread
from tickets import services as ts
from tickets.models import Ticket

from .conftest import SECRET

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def held(work, reached: threading.Event, release: threading.Event):
    """``work`` in a transaction that stays open, after it ran, until ``release``."""

    def run():
        with transaction.atomic():
            value = work()
            reached.set()
            assert release.wait(10)
        return value

    return run


@pytest.fixture
def subscription(db) -> Subscription:
    # Nobody listens there: no worker runs in the first two tests.
    return Subscription.objects.create(url="http://127.0.0.1:9/hook", secret=SECRET, events=list(EVENT_TYPES))


def while_held(first, reached: threading.Event, release: threading.Event, second, *, waits: str):
    """Start ``second`` while ``first`` is held at ``reached``; ``second`` must wait (``waits`` says
    why) until ``first`` is released. Both must then finish without an error: their values."""
    first_thread, first_result = in_thread(first)
    assert reached.wait(10)
    second_thread, second_result = in_thread(second)
    second_thread.join(1)
    waited = second_thread.is_alive()
    release.set()
    for thread in (first_thread, second_thread):
        thread.join(15)
        assert not thread.is_alive()
    for result in (first_result, second_result):
        assert "error" not in result, result.get("error")
    assert waited, waits
    return first_result["value"], second_result["value"]


def test_a_subscription_deleted_while_a_ticket_is_issued_waits_for_the_issue_and_takes_its_delivery_along(
    subscription, office, services, counters
):
    written, release = threading.Event(), threading.Event()
    ticket, deleted = while_held(
        held(lambda: ts.ticket_issue(office=office, service=services["fl"]), written, release),
        written,
        release,
        lambda: events.subscription_delete(pk=subscription.pk),
        waits="the delete must wait for the transition that writes a delivery for it",
    )
    assert deleted is True
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert not Subscription.objects.exists()
    assert not Delivery.objects.exists()


def test_a_ticket_issued_while_its_subscription_is_being_deleted_waits_and_writes_no_delivery(
    subscription, office, services, counters
):
    locked, release = threading.Event(), threading.Event()
    _, ticket = while_held(
        held(lambda: events.subscription_delete(pk=subscription.pk), locked, release),
        locked,
        release,
        lambda: ts.ticket_issue(office=office, service=services["fl"]),
        waits="the issue must wait for the delete to commit",
    )
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert not Subscription.objects.exists()
    assert not Delivery.objects.exists()
    # The event found nobody to go to once the subscription was gone, so it was not written either.
    assert not Event.objects.filter(key=f"ticket:{ticket.pk}").exists()


def test_a_subscription_deleted_while_a_worker_sends_its_delivery_waits_for_the_batch(
    subscription, office, services, counters, monkeypatch
):
    ts.ticket_issue(office=office, service=services["fl"])
    sending, release = threading.Event(), threading.Event()

    def post(url, body, headers):
        # The receiver answers only once the delete has had its chance to run.
        sending.set()
        assert release.wait(10)
        return events.Outcome(200, "", 1)

    monkeypatch.setattr(events, "post", post)
    delivered, deleted = while_held(
        events.deliver_batch,
        sending,
        release,
        lambda: events.subscription_delete(pk=subscription.pk),
        waits="the delete must wait for the worker's batch",
    )
    assert delivered == 1 and deleted is True
    assert not Subscription.objects.exists()
    assert not Delivery.objects.exists()
    assert not Attempt.objects.exists()


def test_deleting_a_subscription_through_the_api_takes_its_deliveries_and_attempts_along(
    subscription, office, services, counters, admin_client
):
    ts.ticket_issue(office=office, service=services["fl"])
    events.deliver_batch()  # port 9 refuses: one failed attempt logged
    assert Attempt.objects.count() == 1
    response = admin_client.delete(f"/api/v1/webhooks/{subscription.pk}/")
    assert response.status_code == 204
    assert not Delivery.objects.exists() and not Attempt.objects.exists()
    again = admin_client.delete(f"/api/v1/webhooks/{subscription.pk}/")
    assert again.status_code == 404
    assert again.json()["error"]["message"] == "Подписка не найдена."
