"""Ratings of 1 or 2 stay on the office's monitor with their comment until a manager of the office marks them seen."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from displays import monitor
from feedback import services as fs
from feedback.models import Feedback
from offices.models import Membership
from tests.helpers import make_user, token_client

from .conftest import serve

pytestmark = pytest.mark.django_db


def rated(office, services, counters, operator, rating: int, comment: str = "") -> Feedback:
    ticket = serve(office, services["fl"], counters["1"], operator)
    return fs.feedback_create(ticket=ticket, rating=rating, comment=comment)


def low_on_monitor(office) -> dict:
    return monitor.monitor_stats(office.pk)["low_ratings"]


def test_low_ratings_show_on_the_monitor_with_their_comment_until_a_manager_marks_them_seen(
    office, services, counters, operator, manager
):
    one = rated(office, services, counters, operator, 1, "Грубо разговаривали")
    two = rated(office, services, counters, operator, 2)
    rated(office, services, counters, operator, 3, "нормально")
    rated(office, services, counters, operator, 5)
    low = low_on_monitor(office)
    assert low["count"] == 2
    assert [(i["id"], i["rating"], i["comment"]) for i in low["items"]] == [
        (one.pk, 1, "Грубо разговаривали"),
        (two.pk, 2, ""),
    ]
    item = low["items"][0]
    assert (item["ticket"], item["service"], item["counter"], item["operator"]) == (
        one.ticket.number,
        "Физические лица",
        "1",
        "op",
    )
    # The snapshot a monitor gets on connect carries them too.
    assert monitor.monitor_snapshot(office.pk)["low_ratings"]["count"] == 2

    response = token_client(manager).post(f"/api/v1/feedback/{one.pk}/seen/")
    assert response.status_code == 200
    one.refresh_from_db()
    assert one.seen_by == manager and one.seen_at is not None
    assert [i["id"] for i in low_on_monitor(office)["items"]] == [two.pk]
    # Marking it again changes nothing.
    seen_at = one.seen_at
    assert token_client(manager).post(f"/api/v1/feedback/{one.pk}/seen/").status_code == 200
    one.refresh_from_db()
    assert one.seen_at == seen_at


def test_another_offices_ratings_are_not_on_this_monitor(office, other_office, services, counters, operator):
    rated(office, services, counters, operator, 1)
    assert low_on_monitor(other_office) == {"count": 0, "items": []}


def test_only_a_manager_of_the_office_marks_a_rating_seen(
    office, other_office, services, counters, operator, django_user_model
):
    feedback = rated(office, services, counters, operator, 1)
    url = f"/api/v1/feedback/{feedback.pk}/seen/"
    refused = token_client(operator).post(url)
    assert refused.status_code == 403
    assert refused.json()["error"] == {
        "code": "not_office_manager",
        "message": "Отмечать оценки может только руководитель этого офиса.",
    }
    stranger = make_user(django_user_model, "mgr-other", office=other_office, role=Membership.Role.MANAGER)
    hidden = token_client(stranger).post(url)
    assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "not_found")
    assert hidden.json()["error"]["message"] == "Оценка не найдена."
    anonymous = APIClient().post(url)
    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "not_authenticated")
    unknown = token_client(operator).post("/api/v1/feedback/999999/seen/")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")
    feedback.refresh_from_db()
    assert feedback.seen_at is None
    company = make_user(django_user_model, "mgr-all", role=None)
    Membership.objects.create(user=company, office=None, role=Membership.Role.MANAGER)
    assert token_client(company).post(url).status_code == 200


def test_the_monitor_is_told_after_commit_when_a_low_rating_comes_in_or_is_seen(
    office, services, counters, operator, manager, monkeypatch, django_capture_on_commit_callbacks
):
    from tickets import broadcast

    sent = []
    monkeypatch.setattr(broadcast, "_send_operators", lambda office_id, message: sent.append((office_id, message)))
    ticket = serve(office, services["fl"], counters["1"], operator)
    other = serve(office, services["fl"], counters["1"], operator)
    with django_capture_on_commit_callbacks(execute=True):
        fs.feedback_create(ticket=ticket, rating=4)
    assert sent == []  # a good rating does not concern the monitor
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        low = fs.feedback_create(ticket=other, rating=1)
    assert sent == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert sent == [(office.pk, {"type": "feedback.changed"})]
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        fs.feedback_mark_seen(feedback=low, manager=manager)
    assert sent == [(office.pk, {"type": "feedback.changed"})]


def test_close_day_erases_comments_with_the_bookings_personal_data(office, services, counters, operator, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.BOOKING_DATA_DAYS = 30
    old = serve(office, services["fl"], counters["1"], operator, at=timezone.now() - timedelta(days=31))
    recent = serve(office, services["fl"], counters["1"], operator, at=timezone.now() - timedelta(days=29))
    now = timezone.now()
    for ticket in (old, recent):
        Feedback.objects.create(ticket=ticket, rating=1, comment="Петров, +7 900 000-00-00", created_at=now)
    out = io.StringIO()
    call_command("close_day", stdout=out)
    assert "Удалены комментарии к оценкам: 1." in out.getvalue()
    assert Feedback.objects.get(ticket=old).comment == ""
    assert Feedback.objects.get(ticket=recent).comment == "Петров, +7 900 000-00-00"
    # The rating itself stays for the reports.
    assert Feedback.objects.get(ticket=old).rating == 1
