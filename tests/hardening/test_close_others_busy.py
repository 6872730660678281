"""Opening a counter from the operator page (``close_others``) while the same user serves a
client at another counter: refused with 409 ``counter_busy``, and neither counter changes."""

import pytest

from offices.models import Counter, CounterEvent, Membership
from tests.helpers import add_counter, add_services, make_office, make_user, token_client
from tickets import services as svc
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_opening_alone_does_not_close_a_counter_that_serves_a_client(django_user_model):
    office = make_office("main")
    services = add_services(office)
    serving = add_counter(office, "1", [services["fl"]], state="closed")
    idle = add_counter(office, "2", [services["fl"]], state="closed")
    operator = make_user(django_user_model, "op", office=office, role=Membership.Role.OPERATOR)
    svc.counter_set_state(counter=serving, state="open", user=operator)
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_call_next(counter=serving, operator=operator)
    svc.ticket_start(ticket=ticket, operator=operator)
    events = CounterEvent.objects.count()
    response = token_client(operator).post(
        f"/api/v1/counters/{idle.pk}/state/", {"state": "open", "close_others": True}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "counter_busy",
        "message": "В окне 1 у вас клиент: завершите работу с ним, затем откройте это окно.",
    }
    assert Counter.objects.get(pk=serving.pk).state == "open"
    assert Counter.objects.get(pk=idle.pk).state == "closed"
    assert Ticket.objects.get(pk=ticket.pk).status == "serving"
    assert CounterEvent.objects.count() == events
