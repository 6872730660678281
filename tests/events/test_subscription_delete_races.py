"""A subscription deleted while rows for it are being written (PostgreSQL): each side waits for
the other's commit where it must, both finish without an error, and nothing is left pointing
at the deleted subscription. Each test holds one side's transaction open at the racy moment."""

import threading

import pytest
from django.db import connections, transaction

from events import services as events
from events.models import EVENT_TYPES, Attempt, Delivery, Event, Subscription
from tickets import services as ts
from tickets.models import Ticket

from .conftest import SECRET

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_thread(work):
    """Run ``work`` on a connection of its own; the returned dict gets its value or its error."""
    result = {}

    def run():
        try:
            result["value"] = work()
        except Exception as error:
            result["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


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


def assert_finished(*threads) -> None:
    for thread in threads:
        thread.join(15)
        assert not thread.is_alive()


def test_a_subscription_deleted_while_a_ticket_is_issued_waits_for_the_issue_and_takes_its_delivery_along(
    subscription, office, services, counters
):
    written, release = threading.Event(), threading.Event()
    work = held(lambda: ts.ticket_issue(office=office, service=services["fl"]), written, release)
    issuing, issued = in_thread(work)
    assert written.wait(10)
    deleting, deleted = in_thread(lambda: events.subscription_delete(pk=subscription.pk))
    deleting.join(1)
    assert deleting.is_alive(), "the delete must wait for the transition that writes a delivery for it"
    release.set()
    assert_finished(issuing, deleting)
    assert "error" not in issued, issued.get("error")
    assert "error" not in deleted, deleted.get("error")
    assert deleted["value"] is True
    assert Ticket.objects.filter(pk=issued["value"].pk).exists()
    assert not Subscription.objects.exists()
    assert not Delivery.objects.exists()


def test_a_ticket_issued_while_its_subscription_is_being_deleted_waits_and_writes_no_delivery(
    subscription, office, services, counters
):
    locked, release = threading.Event(), threading.Event()
    deleting, deleted = in_thread(held(lambda: events.subscription_delete(pk=subscription.pk), locked, release))
    assert locked.wait(10)
    issuing, issued = in_thread(lambda: ts.ticket_issue(office=office, service=services["fl"]))
    issuing.join(1)
    release.set()
    assert_finished(issuing, deleting)
    assert "error" not in deleted, deleted.get("error")
    assert "error" not in issued, issued.get("error")
    assert Ticket.objects.filter(pk=issued["value"].pk).exists()
    assert not Subscription.objects.exists()
    assert not Delivery.objects.exists()
    # The event found nobody to go to once the subscription was gone, so it was not written either.
    assert not Event.objects.filter(key=f"ticket:{issued['value'].pk}").exists()


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
    working, worked = in_thread(events.deliver_batch)
    assert sending.wait(10)
    deleting, deleted = in_thread(lambda: events.subscription_delete(pk=subscription.pk))
    deleting.join(1)
    assert deleting.is_alive(), "the delete must wait for the worker's batch"
    release.set()
    assert_finished(working, deleting)
    assert "error" not in worked, worked.get("error")
    assert "error" not in deleted, deleted.get("error")
    assert worked["value"] == 1
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
