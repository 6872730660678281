"""The counter's rating tablet: paired like a kiosk, it rates only the ticket just finished at its own counter."""

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from feedback.models import Feedback
from offices.models import KioskDevice

from .conftest import MIN, serve, tablet_client

pytestmark = pytest.mark.django_db


def serve_now(office, services, counter, operator):
    """A ticket finished at ``counter`` just now, as the tablet sees it."""
    return serve(office, services["fl"], counter, operator, at=timezone.now() - 5 * MIN)


def rate(client, counter, body):
    return client.post(f"/api/v1/counters/{counter.pk}/feedback/", body, content_type="application/json")


def test_the_paired_tablet_rates_the_ticket_just_finished_at_its_counter(office, services, counters, operator):
    tablet = tablet_client(counters["1"])
    ticket = serve(office, services["fl"], counters["1"], operator)
    with time_machine.travel(ticket.finished_at + MIN / 2, tick=False):
        response = rate(tablet, counters["1"], {"ticket": ticket.number, "rating": 4, "comment": "Вежливо"})
    assert response.status_code == 201
    feedback = Feedback.objects.get(ticket=ticket)
    assert (feedback.rating, feedback.comment, feedback.source) == (4, "Вежливо", "tablet")


def test_the_tablet_window_closes_after_its_lit_time_and_a_margin(office, services, counters, operator, settings):
    settings.FEEDBACK_TABLET_SECONDS = 60
    tablet = tablet_client(counters["1"])
    ticket = serve(office, services["fl"], counters["1"], operator)
    with time_machine.travel(ticket.finished_at + 2 * MIN, tick=False):
        late = rate(tablet, counters["1"], {"ticket": ticket.number, "rating": 4})
    assert late.status_code == 410
    assert late.json()["error"] == {"code": "feedback_closed", "message": "Время для оценки истекло."}
    assert not Feedback.objects.exists()


def test_a_tablet_of_another_counter_or_no_tablet_is_refused(office, services, counters, operator):
    ticket = serve(office, services["fl"], counters["1"], operator)
    for client in (tablet_client(counters["2"]), Client()):
        refused = rate(client, counters["1"], {"ticket": ticket.number, "rating": 5})
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "tablet_not_paired")
    assert not Feedback.objects.exists()


def test_a_ticket_not_finished_at_this_counter_is_not_found(office, services, counters, operator):
    tablet = tablet_client(counters["2"])
    ticket = serve(office, services["fl"], counters["1"], operator)
    refused = rate(tablet, counters["2"], {"ticket": ticket.number, "rating": 5})
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "not_found")


def test_the_tablet_answers_the_same_refusals_as_the_phone(office, services, counters, operator):
    tablet = tablet_client(counters["1"])
    ticket = serve_now(office, services, counters["1"], operator)
    assert rate(tablet, counters["1"], {"ticket": ticket.number, "rating": 9}).json()["error"]["code"] == "invalid"
    assert rate(tablet, counters["1"], {"ticket": ticket.number, "rating": 5}).status_code == 201
    again = rate(tablet, counters["1"], {"ticket": ticket.number, "rating": 1})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_rated")


def test_a_rating_tablet_does_not_issue_tickets(office, services, counters):
    office.remote_tickets = False
    office.save(update_fields=["remote_tickets"])
    tablet = tablet_client(counters["1"])
    refused = tablet.post("/api/v1/offices/main/tickets/", {"service": "fl"}, content_type="application/json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "kiosk_required")


def test_a_device_cannot_be_a_tablet_of_another_offices_counter(office, other_office, counters):
    from django.core.exceptions import ValidationError

    device = KioskDevice(office=other_office, name="Планшет", counter=counters["1"])
    with pytest.raises(ValidationError):
        device.full_clean()


def test_the_tablet_page_is_only_for_the_paired_tablet_of_that_counter(office, services, counters, operator):
    tablet = tablet_client(counters["1"])
    page = tablet.get(f"/rate/{counters['1'].pk}/")
    assert page.status_code == 200
    assert "Оцените обслуживание" in page.content.decode()
    stranger = Client().get(f"/rate/{counters['1'].pk}/")
    assert stranger.status_code == 403
    assert "не подключён" in stranger.content.decode()
    assert tablet_client(counters["2"]).get(f"/rate/{counters['1'].pk}/").status_code == 403
    # Not even staff: only the tablet may rate, so a page anywhere else would only fail.
    staff = Client()
    staff.force_login(operator)
    assert staff.get(f"/rate/{counters['1'].pk}/").status_code == 403
    assert Client().get("/rate/999999/").status_code == 404
