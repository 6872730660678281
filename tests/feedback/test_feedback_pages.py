"""The phone page's rating state, the admin's list of ratings, the manager group's right to read them."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from feedback import services as fs
from offices.groups import grant_manager_admin
from offices.models import Membership
from tests.helpers import make_user

from .conftest import serve

pytestmark = pytest.mark.django_db


def config_of(ticket) -> str:
    page = Client().get(f"/t/{ticket.token}/").content.decode()
    return page


def test_the_phone_page_asks_until_rated_and_says_nothing_once_closed(done):
    page = config_of(done)
    assert '"feedback": "open"' in page
    assert '<section id="feedback" class="feedback" aria-labelledby="feedback-question" >' in page
    fs.feedback_create(ticket=done, rating=5)
    assert '"feedback": "rated"' in config_of(done)
    with time_machine.travel(done.finished_at + timedelta(hours=25), tick=False):
        done.feedback.delete()
        page = config_of(done)
    assert '"feedback": "closed"' in page
    assert 'aria-labelledby="feedback-question" hidden' in page


def test_a_waiting_ticket_hides_the_question_until_it_is_done(office, services):
    from tickets import services as ts

    ticket = ts.ticket_issue(office=office, service=services["fl"])
    assert 'aria-labelledby="feedback-question" hidden' in config_of(ticket)


def test_a_manager_reads_the_ratings_of_their_offices_in_the_admin(
    office, other_office, services, counters, operator, manager, django_user_model
):
    from tests.helpers import add_counter

    mine = fs.feedback_create(ticket=serve(office, services["fl"], counters["1"], operator), rating=2, comment="Моё")
    other_fl = other_office.services.get(code="fl")
    other_op = make_user(django_user_model, "op-o", office=other_office, role=Membership.Role.OPERATOR)
    theirs = serve(other_office, other_fl, add_counter(other_office, "1", [other_fl]), other_op)
    fs.feedback_create(ticket=theirs, rating=1, comment="Чужое")
    grant_manager_admin(manager)
    client = Client()
    client.force_login(manager)
    page = client.get("/admin/feedback/feedback/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Моё" in text and "Чужое" not in text
    assert client.get(f"/admin/feedback/feedback/{mine.pk}/change/").status_code == 200
    assert client.post("/admin/feedback/feedback/add/").status_code == 403
