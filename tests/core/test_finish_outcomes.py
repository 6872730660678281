"""Finishing with outcomes (темы обращений): codes of the ticket's service only, required where the service says."""

import pytest

from tickets import services as svc
from tickets.models import Ticket, TicketEvent, TicketOutcome

OUTCOMES = [
    {"code": "meter_reading", "name": "Передача показаний"},
    {"code": "payment", "name": "Оплата"},
]


@pytest.fixture
def called(office, services, counters, operator) -> Ticket:
    services["fl"].outcomes = OUTCOMES
    services["fl"].save()
    svc.ticket_issue(office=office, service=services["fl"])
    return svc.ticket_call_next(counter=counters["1"], operator=operator)


def finish(client, ticket, **body):
    return client.post(f"/api/v1/tickets/{ticket.pk}/finish/", body, format="json")


def test_finishing_with_outcomes_records_them_and_the_note(op_client, called):
    response = finish(op_client, called, outcomes=["payment", "meter_reading"], note="Принёс квитанцию")
    assert response.status_code == 200, response.json()
    assert set(TicketOutcome.objects.filter(ticket=called).values_list("code", flat=True)) == {
        "payment",
        "meter_reading",
    }
    event = TicketEvent.objects.get(ticket=called, type="finished")
    assert event.data == {"outcomes": ["payment", "meter_reading"], "note": "Принёс квитанцию"}


def test_an_unknown_outcome_is_invalid_outcome_and_changes_nothing(op_client, called):
    response = finish(op_client, called, outcomes=["meter_reading", "bogus"])
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_outcome"
    called.refresh_from_db()
    assert called.status == Ticket.Status.CALLED and not TicketOutcome.objects.exists()


def test_an_outcome_of_another_service_is_invalid(op_client, called, services):
    services["ul"].outcomes = [{"code": "contract", "name": "Договор"}]
    services["ul"].save()
    assert finish(op_client, called, outcomes=["contract"]).json()["error"]["code"] == "invalid_outcome"


def test_a_required_outcome_missing_is_outcome_required(op_client, called, services):
    services["fl"].outcomes_required = True
    services["fl"].save()
    response = finish(op_client, called)
    assert response.status_code == 400 and response.json()["error"]["code"] == "outcome_required"
    called.refresh_from_db()
    assert called.status == Ticket.Status.CALLED
    assert finish(op_client, called, outcomes=["payment"]).status_code == 200


def test_without_required_outcomes_a_plain_finish_still_works(op_client, called):
    assert finish(op_client, called).status_code == 200


@pytest.mark.parametrize(
    "body",
    [{"outcomes": "payment"}, {"outcomes": [1, {}]}, {"outcomes": ["x" * 51]}, {"note": "x" * 501}],
)
def test_malformed_outcomes_are_a_400_that_changes_nothing(op_client, called, body):
    response = finish(op_client, called, **body)
    assert response.status_code == 400
    called.refresh_from_db()
    assert called.status == Ticket.Status.CALLED
