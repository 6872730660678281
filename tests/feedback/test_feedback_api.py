"""POST /api/v1/tickets/<token>/feedback/: a client rates a finished visit once, within 24 hours; every refusal."""

import json

import pytest
import time_machine
from rest_framework.test import APIClient

from events.models import EVENT_TYPES, Event, Subscription
from events.services import body_for
from feedback.models import Feedback
from tickets import services as ts

from .conftest import MIN, serve

pytestmark = pytest.mark.django_db


def rate(token: str, body, client=None):
    return (client or APIClient()).post(f"/api/v1/tickets/{token}/feedback/", body, format="json")


def test_a_finished_visit_is_rated_once_with_a_comment(done):
    with time_machine.travel(done.finished_at + 5 * MIN, tick=False):
        response = rate(done.token, {"rating": 5, "comment": "  Спасибо, всё быстро  "})
    assert response.status_code == 201
    feedback = Feedback.objects.get(ticket=done)
    assert response.json() == {
        "id": feedback.pk,
        "rating": 5,
        "comment": "Спасибо, всё быстро",
        "created_at": response.json()["created_at"],
    }
    assert (feedback.rating, feedback.source, feedback.seen_at) == (5, "phone", None)
    assert feedback.created_at == done.finished_at + 5 * MIN


def test_the_comment_is_optional(done):
    assert rate(done.token, {"rating": 3}).status_code == 201
    assert Feedback.objects.get(ticket=done).comment == ""


@pytest.mark.parametrize("step", ["waiting", "called", "no_show", "cancelled"])
def test_a_visit_that_did_not_finish_served_answers_not_finished(office, services, counters, operator, step):
    ticket = ts.ticket_issue(office=office, service=services["fl"])
    if step == "called":
        ts.ticket_call_next(counter=counters["1"], operator=operator)
    elif step == "no_show":
        ts.ticket_no_show(ticket=ts.ticket_call_next(counter=counters["1"], operator=operator), operator=operator)
    elif step == "cancelled":
        ts.ticket_cancel(ticket=ticket)
    response = rate(ticket.token, {"rating": 5})
    assert response.status_code == 409
    assert response.json() == {
        "error": {"code": "not_finished", "message": "Оценить обслуживание можно после его завершения."}
    }
    assert not Feedback.objects.exists()


def test_a_second_rating_answers_already_rated_and_keeps_the_first(done):
    assert rate(done.token, {"rating": 2, "comment": "долго"}).status_code == 201
    again = rate(done.token, {"rating": 5})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_rated")
    assert again.json()["error"]["message"] == "Этот визит уже оценён. Спасибо!"
    assert list(Feedback.objects.values_list("rating", "comment")) == [(2, "долго")]


def test_rating_closes_24_hours_after_the_finish(done):
    finished = done.finished_at
    with time_machine.travel(finished + 24 * 60 * MIN, tick=False):
        assert rate(done.token, {"rating": 4}).status_code == 201
    Feedback.objects.all().delete()
    with time_machine.travel(finished + 24 * 60 * MIN + MIN, tick=False):
        late = rate(done.token, {"rating": 4})
    assert late.status_code == 410
    assert late.json() == {
        "error": {"code": "feedback_closed", "message": "Оценить визит можно в течение 24 ч после обслуживания."}
    }
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(
    "body, message",
    [
        ({"rating": 0}, "rating: Оценка — целое число от 1 до 5."),
        ({"rating": 6}, "rating: Оценка — целое число от 1 до 5."),
        ({"rating": "пять"}, "rating: Оценка — целое число от 1 до 5."),
        ({"rating": None}, "rating: Оценка — целое число от 1 до 5."),
        ({"comment": "без оценки"}, "rating: Поставьте оценку от 1 до 5."),
        ({"rating": 5, "comment": "я" * 1001}, "comment: Комментарий — не длиннее 1000 символов."),
    ],
)
def test_a_rating_outside_1_to_5_or_a_comment_over_1000_characters_is_invalid(done, body, message):
    response = rate(done.token, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["message"] == message
    assert not Feedback.objects.exists()


def test_a_comment_of_exactly_1000_characters_is_taken(done):
    assert rate(done.token, {"rating": 1, "comment": "я" * 1000}).status_code == 201


def test_an_unknown_token_is_404(db):
    response = rate("no-such-token", {"rating": 5})
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


def test_ratings_are_throttled_per_client_with_retry_after(done, office, services, counters, operator, settings):
    settings.FEEDBACK_PER_CLIENT = "2/hour"
    other = serve(office, services["fl"], counters["1"], operator)
    client = APIClient()
    assert rate(done.token, {"rating": 5}, client).status_code == 201
    assert rate(other.token, {"rating": 7}, client).status_code == 400  # counted too: it slows down guessing
    refused = rate(other.token, {"rating": 5}, client)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    assert not Feedback.objects.filter(ticket=other).exists()


def test_a_rating_writes_a_feedback_created_event_whose_comment_is_personal(done):
    assert "feedback.created" in EVENT_TYPES
    plain = Subscription.objects.create(url="http://127.0.0.1:9/a", secret="s", events=["feedback.created"])
    trusted = Subscription.objects.create(
        url="http://127.0.0.1:9/b", secret="s", events=["feedback.created"], personal_data=True
    )
    assert rate(done.token, {"rating": 2, "comment": "Иванов, 8-900-000-00-00"}).status_code == 201
    event = Event.objects.get(type="feedback.created")
    assert event.key == f"ticket:{done.pk}"
    assert event.personal == ["comment"]
    data = json.loads(body_for(event, trusted))["data"]
    assert (data["ticket"], data["number"], data["office"], data["rating"]) == (done.pk, done.number, "main", 2)
    assert data["comment"] == "Иванов, 8-900-000-00-00"
    assert data["counter"] == "1" and data["operator_id"] == done.operator_id
    assert "comment" not in json.loads(body_for(event, plain))["data"]


def test_a_refused_rating_writes_no_event(office, services):
    Subscription.objects.create(url="http://127.0.0.1:9/a", secret="s", events=["feedback.created"])
    waiting = ts.ticket_issue(office=office, service=services["fl"])
    assert rate(waiting.token, {"rating": 5}).status_code == 409
    assert not Event.objects.exists()


def test_the_operations_are_in_the_openapi_schema(anon):
    schema = anon.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "post" in schema["paths"]["/api/v1/tickets/{token}/feedback/"]
    assert "post" in schema["paths"]["/api/v1/feedback/{id}/seen/"]
    assert "get" in schema["paths"]["/api/v1/reports/satisfaction/"]
