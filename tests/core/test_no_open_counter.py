"""A service that no open counter serves: what the screens are told, and the office's choice to issue anyway."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from offices.models import Counter, Membership, Office
from tests.helpers import add_counter, add_services, make_office, make_user
from tickets import errors, selectors
from tickets import services as svc
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_by_default_a_ticket_is_issued_for_a_service_no_open_counter_serves(db):
    office = make_office("anyway")
    services = add_services(office)
    add_counter(office, "1", [services["fl"]], state=Counter.State.CLOSED)
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    assert ticket.status == Ticket.Status.WAITING
    status = selectors.tracking_status(ticket)
    assert (status["no_open_counter"], status["position"]) == (True, 0)


def test_an_office_that_refuses_them_issues_nothing_for_an_unserved_service(db):
    office = make_office("strict", issue_without_counter=False)
    services = add_services(office)
    add_counter(office, "1", [services["fl"]])
    add_counter(office, "2", [], backup=[services["ul"]])
    with pytest.raises(errors.NoOpenCounter) as refused:
        svc.ticket_issue(office=office, service=services["cash"])
    assert refused.value.code == "no_open_counter" and refused.value.status == 409
    assert not Ticket.objects.filter(service=services["cash"]).exists()
    # Main and backup counters both serve.
    assert svc.ticket_issue(office=office, service=services["fl"]).number == "А001"
    assert svc.ticket_issue(office=office, service=services["ul"]).number == "Б001"


def test_a_booked_clients_check_in_is_not_refused_for_want_of_an_open_counter(db):
    office = make_office("booked", issue_without_counter=False)
    services = add_services(office)
    now = timezone.now()
    ticket = svc.ticket_issue(office=office, service=services["cash"], slot_start=now + timedelta(minutes=5), now=now)
    assert ticket.slot_start is not None


def test_the_screens_are_told_how_many_open_counters_serve_each_service(db):
    office = make_office("counts")
    services = add_services(office)
    add_counter(office, "1", [services["fl"]], backup=[services["ul"]])
    add_counter(office, "2", [services["ul"]], state=Counter.State.BREAK)
    serving = selectors.queue_counts(office)[3]
    assert serving == {"fl": 1, "ul": 1, "cash": 0}
    summary = {s["code"]: s["open_counters"] for s in selectors.queue_summary(office)["services"]}
    assert summary == serving


def test_the_phone_hears_of_no_open_counter_only_while_its_ticket_waits_in_the_queue():
    message = dict(number="А001", service="Касса", estimated_wait_seconds=None, counter=None, no_open_counter=True)
    assert selectors.tracking_message(status="waiting", position=2, **message)["no_open_counter"] is True
    assert selectors.tracking_message(status="waiting", position=None, **message)["no_open_counter"] is False
    assert selectors.tracking_message(status="done", position=None, **message)["no_open_counter"] is False


def test_a_postponed_tickets_phone_is_told_when_it_returns(db, django_user_model):
    office = make_office("pool")
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]])
    operator = make_user(django_user_model, "pool-op", office=office, role=Membership.Role.OPERATOR)
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_call_next(counter=counter, operator=operator)
    ticket.refresh_from_db()
    svc.ticket_postpone(ticket=ticket, operator=operator, minutes=20)
    ticket.refresh_from_db()
    status = selectors.tracking_status(ticket)
    assert (status["position"], status["returns_at"]) == (None, ticket.returns_at.isoformat())
    # Back in the queue (no return time ahead), or no longer waiting: no return time.
    assert selectors.tracking_status(svc.ticket_issue(office=office, service=services["fl"]))["returns_at"] is None


def test_load_config_takes_the_offices_choice_and_refuses_a_non_boolean(db, tmp_path):
    text = """
offices:
  - code: strict
    name: ЦОК
    issue_without_counter: {value}
    hours: {{mon: "08:00-17:00"}}
    services:
      - {{code: fl, name: Физические лица, prefix: А, channel: individuals}}
"""
    path = tmp_path / "offices.yaml"
    path.write_text(text.format(value="false"), encoding="utf-8")
    call_command("load_config", str(path))
    assert Office.objects.get(code="strict").issue_without_counter is False
    path.write_text(text.format(value='"нет"'), encoding="utf-8")
    with pytest.raises(Exception, match="issue_without_counter: нужно true или false"):
        call_command("load_config", str(path))
