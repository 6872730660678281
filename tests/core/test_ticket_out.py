"""TicketOut writes its dict by hand for speed; it must stay exactly what DRF's own field walk gives."""

import json
from datetime import UTC, datetime, timedelta

from rest_framework import serializers

from tickets import services as svc
from tickets.models import Ticket
from tickets.serializers import TicketOut

T0 = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)


def drf_form(ticket: Ticket, **context) -> dict:
    """The representation ModelSerializer builds from TicketOut's declared fields."""
    return serializers.ModelSerializer.to_representation(TicketOut(ticket, context=context), ticket)


def same_json(a: dict, b: dict) -> bool:
    # As text: key order, and 0 against 0.0, matter to a client as much as the values.
    return json.dumps(a, ensure_ascii=False) == json.dumps(b, ensure_ascii=False)


def test_ticket_answers_equal_drfs_own_form_in_every_state(office, services, counters, operator):
    at = lambda minutes: T0 + timedelta(minutes=minutes)  # noqa: E731
    waiting = svc.ticket_issue(office=office, service=services["fl"], now=at(0))
    priority = svc.ticket_issue(office=office, service=services["ul"], priority=True, now=at(1))
    booked = svc.ticket_issue(office=office, service=services["fl"], slot_start=at(60), now=at(2))
    called = svc.ticket_call_next(counter=counters["1"], operator=operator, now=at(3))
    postponed = svc.ticket_call_next(counter=counters["2"], operator=operator, now=at(4))
    postponed = svc.ticket_postpone(ticket=postponed, operator=operator, minutes=10, now=at(5))
    svc.ticket_start(ticket=called, operator=operator, now=at(6))
    svc.ticket_finish(ticket=called, operator=operator, now=at(9))
    cancelled = svc.ticket_issue(office=office, service=services["cash"], now=at(10))
    svc.ticket_cancel(ticket=cancelled, now=at(11))

    tickets = [waiting, priority, booked, called, postponed, cancelled]
    states = {t.status for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets])}
    assert states == {Ticket.Status.WAITING, Ticket.Status.DONE, Ticket.Status.CANCELLED}
    for fresh in [*tickets, *Ticket.objects.filter(pk__in=[t.pk for t in tickets])]:
        for context in ({}, {"without_place": True}):
            ours = TicketOut(fresh, context=context).data
            assert same_json(ours, drf_form(fresh, **context)), fresh.number
    assert TicketOut(waiting).data["position"] is not None
    assert TicketOut(booked).data["slot_start"] is not None and TicketOut(booked).data["booked_label"]
    assert TicketOut(postponed).data["returns_at"] is not None
