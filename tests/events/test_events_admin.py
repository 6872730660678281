"""The admin: a subscription's secret is written, never shown; a dead delivery goes again with «Повторить»."""

import pytest
from django.utils import timezone

from events.models import Attempt, Delivery, Event, Subscription

SECRET = "never-shown-secret-123"


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="pass-12345"))
    return client


@pytest.fixture
def dead(db) -> Delivery:
    subscription = Subscription.objects.create(url="https://crm.example/hook", secret=SECRET, events=["ticket.issued"])
    event = Event.objects.create(type="ticket.issued", key="ticket:1", occurred_at=timezone.now(), data={})
    now = timezone.now()
    delivery = Delivery.objects.create(
        event=event, subscription=subscription, key="ticket:1", status="dead", attempts=12, next_attempt_at=now,
        retry_from=now, last_error="HTTP 500",
    )  # fmt: skip
    Attempt.objects.create(delivery=delivery, at=now, status_code=500, duration_ms=12, error="HTTP 500")
    return delivery


def test_the_subscription_pages_never_show_the_secret(admin_client, dead):
    for path in ("/admin/events/subscription/", f"/admin/events/subscription/{dead.subscription_id}/change/"):
        page = admin_client.get(path)
        assert page.status_code == 200 and SECRET not in page.content.decode()


def test_saving_a_subscription_without_a_new_secret_keeps_the_old_one(admin_client, dead):
    response = admin_client.post(
        f"/admin/events/subscription/{dead.subscription_id}/change/",
        {"url": "https://crm.example/other", "secret": "", "events": ["ticket.finished"], "active": "on"},
    )
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.secret == SECRET and subscription.url == "https://crm.example/other"


def test_the_dead_delivery_is_listed_with_its_attempts_and_retried(admin_client, dead):
    listing = admin_client.get("/admin/events/delivery/?status__exact=dead").content.decode()
    assert "ticket:1" in listing and "Повторить" in listing
    detail = admin_client.get(f"/admin/events/delivery/{dead.pk}/change/").content.decode()
    assert "HTTP 500" in detail
    response = admin_client.post(
        "/admin/events/delivery/", {"action": "retry", "_selected_action": [dead.pk]}, follow=True
    )
    assert "Снова в очереди на отправку: 1." in response.content.decode()
    dead.refresh_from_db()
    assert dead.status == Delivery.Status.PENDING and dead.next_attempt_at <= timezone.now()


def test_deleting_subscriptions_in_the_admin_takes_their_deliveries_and_attempts_along(admin_client, dead):
    other = Subscription.objects.create(url="https://crm.example/other", secret=SECRET, events=["ticket.issued"])
    page = admin_client.post(f"/admin/events/subscription/{dead.subscription_id}/delete/", {"post": "yes"})
    assert page.status_code == 302
    assert list(Subscription.objects.all()) == [other]
    assert not Delivery.objects.exists() and not Attempt.objects.exists()
    # The list's bulk action goes through the same path.
    page = admin_client.post(
        "/admin/events/subscription/", {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"}
    )
    assert page.status_code == 302 and not Subscription.objects.exists()


def test_a_manager_does_not_see_the_subscriptions(client, manager):
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    assert client.get("/admin/events/subscription/").status_code in (403, 302)
