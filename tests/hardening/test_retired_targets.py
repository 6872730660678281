"""A ticket transferred to a counter or an operator who is then retired in the admin (the
counter taken out of work, the account switched off) goes back to its service's queue:
otherwise nobody could call it, and the client would wait all day for no one."""

import pytest

from offices.models import Membership
from tests.helpers import add_counter, add_services, make_office, make_user
from tickets import services as svc
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def transferred(django_user_model):
    office = make_office("main")
    services = add_services(office)
    first = add_counter(office, "1", [services["fl"]])
    second = add_counter(office, "2", [services["ul"]])
    operator = make_user(django_user_model, "op", office=office, role=Membership.Role.OPERATOR)
    colleague = make_user(django_user_model, "colleague", office=office, role=Membership.Role.OPERATOR)
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_call_next(counter=first, operator=operator)
    return ticket, first, second, operator, colleague


def test_a_ticket_for_a_counter_retired_by_the_admin_action_is_called_by_its_service(transferred, admin_client):
    ticket, first, second, operator, _ = transferred
    svc.ticket_transfer(ticket=ticket, to_front=False, operator=operator, to_counter=second, counter=first)
    assert svc.ticket_call_next(counter=first, operator=operator) is None  # for counter 2 only
    admin_client.post("/admin/offices/counter/", {"action": "deactivate", "_selected_action": [second.pk]})
    second.refresh_from_db()
    assert not second.active
    assert svc.ticket_call_next(counter=first, operator=operator) == ticket
    assert Ticket.objects.get(pk=ticket.pk).counter == first


def test_a_ticket_for_an_operator_switched_off_in_the_admin_is_called_by_its_service(transferred, admin_client):
    ticket, first, second, operator, colleague = transferred
    # At work at counter 2: a transfer to them is taken.
    svc.counter_set_state(counter=second, state="closed", user=colleague)
    svc.counter_set_state(counter=second, state="open", user=colleague)
    svc.ticket_transfer(ticket=ticket, to_front=False, operator=operator, to_operator=colleague, counter=first)
    assert svc.ticket_call_next(counter=first, operator=operator) is None  # for the colleague only
    admin_client.post("/admin/auth/user/", {"action": "deactivate", "_selected_action": [colleague.pk]})
    colleague.refresh_from_db()
    assert not colleague.is_active
    assert svc.ticket_call_next(counter=first, operator=operator) == ticket
