"""A counter retired in the admin's form while it is open (the form, unlike the «retire» action,
does not close it) takes no more clients: call-next and call-chosen answer 409
``counter_inactive``, and nothing changes. Its operator may still close it."""

import pytest

from offices.models import Counter, Membership
from tests.helpers import add_counter, add_services, make_office, make_user, token_client
from tickets import services as svc
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_a_counter_retired_in_the_admin_form_while_open_calls_nobody(admin_client, django_user_model):
    office = make_office("main")
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]], state="closed")
    operator = make_user(django_user_model, "op", office=office, role=Membership.Role.OPERATOR)
    svc.counter_set_state(counter=counter, state="open", user=operator)
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    # The admin's change form, «в работе» unticked.
    answer = admin_client.post(
        f"/admin/offices/counter/{counter.pk}/change/",
        {"office": office.pk, "number": "1", "services": [services["fl"].pk]},
    )
    assert answer.status_code == 302
    counter.refresh_from_db()
    assert not counter.active and counter.state == Counter.State.OPEN
    events = TicketEvent.objects.count()
    client = token_client(operator)
    for path, body in (
        (f"/api/v1/counters/{counter.pk}/call-next/", None),
        (f"/api/v1/counters/{counter.pk}/call/", {"ticket": ticket.pk}),
    ):
        response = client.post(path, body, format="json")
        assert response.status_code == 409, response.content
        assert response.json()["error"] == {
            "code": "counter_inactive",
            "message": "Окно выведено из работы: вызывать к нему клиентов нельзя. Закройте окно.",
        }
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.WAITING
    assert TicketEvent.objects.count() == events
    closed = client.post(f"/api/v1/counters/{counter.pk}/state/", {"state": "closed"}, format="json")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
