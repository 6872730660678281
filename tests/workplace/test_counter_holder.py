"""Only the operator at a ticket's counter acts on it once it is called; a manager may, logged as remote.

Within one office, a colleague used to start, finish, transfer, postpone,
recall or no-show a ticket called to someone else's counter by leaving out
``counter`` from the body (or naming that counter).
"""

import pytest

from offices.models import Counter, Membership
from tests.helpers import make_user, token_client
from tickets import services as svc
from tickets.errors import NotCounterHolder
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db

# Each action, its body, and what the holder's own request leaves the ticket as.
ACTIONS = {
    "start": ({}, "serving"),
    "finish": ({}, "done"),
    "no-show": ({}, "no_show"),
    "recall": ({}, "called"),
    "postpone": ({"minutes": 5}, "waiting"),
    "transfer": ({"service": "ul"}, "waiting"),
}


@pytest.fixture
def desk(django_user_model, office, services, counters, operator):
    """Two operators at their counters of one office; the first one's counter has just called a client."""
    colleague = make_user(django_user_model, "colleague", office=office, role=Membership.Role.OPERATOR)
    svc.counter_set_state(counter=counters["1"], state=Counter.State.OPEN, user=operator)
    svc.counter_set_state(counter=counters["2"], state=Counter.State.OPEN, user=colleague)
    svc.ticket_issue(office=office, service=services["fl"])
    ticket = svc.ticket_call_next(counter=counters["1"], operator=operator)
    return ticket, colleague


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("named_counter", [False, True], ids=["no-counter", "holders-counter"])
def test_a_colleague_cannot_act_on_a_ticket_called_to_someone_elses_counter(desk, counters, action, named_counter):
    ticket, colleague = desk
    body, _ = ACTIONS[action]
    if named_counter:
        body = {**body, "counter": counters["1"].pk}
    events = TicketEvent.objects.filter(ticket=ticket).count()
    response = token_client(colleague).post(f"/api/v1/tickets/{ticket.pk}/{action}/", body, format="json")
    assert response.status_code == 403, response.content
    assert response.json()["error"] == {"code": "not_counter_holder", "message": NotCounterHolder.message}
    ticket.refresh_from_db()
    assert (ticket.status, ticket.counter_id, ticket.recall_count) == ("called", counters["1"].pk, 0)
    assert TicketEvent.objects.filter(ticket=ticket).count() == events


@pytest.mark.parametrize("action", ACTIONS)
def test_the_counters_holder_acts_without_naming_the_counter(desk, operator, action):
    ticket, _ = desk
    body, status = ACTIONS[action]
    response = token_client(operator).post(f"/api/v1/tickets/{ticket.pk}/{action}/", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == status
    assert "remote" not in TicketEvent.objects.filter(ticket=ticket).latest("id").data


@pytest.mark.parametrize("action", ACTIONS)
def test_an_admin_acts_on_an_operators_ticket_and_the_event_says_remote(desk, django_user_model, action):
    ticket, _ = desk
    admin = django_user_model.objects.create_superuser("boss", password="pass-12345")
    body, status = ACTIONS[action]
    response = token_client(admin).post(f"/api/v1/tickets/{ticket.pk}/{action}/", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == status
    event = TicketEvent.objects.filter(ticket=ticket).latest("id")
    assert event.operator == admin and event.data["remote"] is True


def test_an_office_manager_acts_remotely_through_the_service_and_an_operator_of_the_office_does_not(
    desk, manager, counters
):
    ticket, colleague = desk
    with pytest.raises(NotCounterHolder):
        svc.ticket_finish(ticket=ticket, operator=colleague)
    svc.ticket_finish(ticket=ticket, operator=manager)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.DONE
    event = TicketEvent.objects.filter(ticket=ticket).latest("id")
    assert (event.type, event.operator, event.data, event.counter_id) == (
        "finished",
        manager,
        {"remote": True},
        counters["1"].pk,
    )


def test_a_colleague_acting_from_their_own_counter_is_told_the_ticket_is_at_another_counter(desk, counters):
    ticket, colleague = desk
    response = token_client(colleague).post(
        f"/api/v1/tickets/{ticket.pk}/finish/", {"counter": counters["2"].pk}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
