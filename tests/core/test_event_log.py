"""The event logs are append-only: refused by the ORM, and for tickets by PostgreSQL itself."""

import pytest
from django.db import connection, transaction

from offices.models import CounterEvent
from tickets import services as svc
from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db


def test_ticket_events_refuse_changes_through_the_orm(office, services):
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    event = TicketEvent.objects.get(ticket=ticket)
    with pytest.raises(RuntimeError, match="append-only"):
        event.save()
    with pytest.raises(RuntimeError, match="append-only"):
        event.delete()


def test_counter_events_refuse_changes_through_the_orm(counters, operator):
    svc.counter_set_state(counter=counters["1"], state="break", user=operator, reason="lunch")
    event = CounterEvent.objects.get(counter=counters["1"])
    with pytest.raises(RuntimeError, match="append-only"):
        event.save()
    with pytest.raises(RuntimeError, match="append-only"):
        event.delete()


@pytest.mark.postgres
def test_postgresql_refuses_any_update_or_delete_of_a_ticket_event(office, services):
    from django.db import DatabaseError

    ticket = svc.ticket_issue(office=office, service=services["fl"])
    for statement in (
        "UPDATE tickets_ticketevent SET type = 'finished' WHERE ticket_id = %s",
        "DELETE FROM tickets_ticketevent WHERE ticket_id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [ticket.pk])
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("type", flat=True)) == ["issued"]
    with pytest.raises(DatabaseError), transaction.atomic():
        TicketEvent.objects.filter(ticket=ticket).update(type="finished")
