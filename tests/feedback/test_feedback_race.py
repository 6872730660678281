"""Taps at once from the phone and the tablet: one rating is taken, the rest answer already_rated."""

import httpx
import pytest
from django.utils import timezone

from events.models import Event, Subscription
from feedback.models import Feedback
from tests.core.test_concurrency import run_at_once

from .conftest import MIN, serve

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_concurrent_ratings_of_one_visit_take_one_and_write_one_event(
    live_server, office, services, counters, operator
):
    Subscription.objects.create(url="http://127.0.0.1:9/", secret="s", events=["feedback.created"])
    ticket = serve(office, services["fl"], counters["1"], operator, at=timezone.now() - 10 * MIN)
    url = f"{live_server.url}/api/v1/tickets/{ticket.token}/feedback/"

    def rate(n):
        with httpx.Client(timeout=60) as client:
            response = client.post(url, json={"rating": n % 5 + 1})
        return response.status_code, response.json().get("error", {}).get("code")

    answers = run_at_once(10, 10, rate)
    assert sorted(answers, key=str) == [(201, None)] + [(409, "already_rated")] * 9
    assert Feedback.objects.filter(ticket=ticket).count() == 1
    assert Event.objects.filter(type="feedback.created").count() == 1
