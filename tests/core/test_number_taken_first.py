"""An issue takes its number in a statement of its own, before it writes the ticket: a second
kiosk is not held behind the first one's insert, log, outbox and rollup (PostgreSQL, where
the day's sequence row is locked to its transaction's end)."""

import threading

import pytest

from tests.helpers import in_thread
from tickets import services as ts
from tickets import webhooks
from tickets.models import Ticket

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_second_issue_is_not_held_while_the_first_writes_its_ticket(office, services, counters, monkeypatch):
    writing, release = threading.Event(), threading.Event()
    record_ticket = webhooks.record_ticket

    def slow_first(ticket, kind, **kwargs):
        # The first issue stops in the middle of its transaction, after its insert and log.
        if ticket.number.endswith("001"):
            writing.set()
            assert release.wait(10)
        record_ticket(ticket, kind, **kwargs)

    monkeypatch.setattr(webhooks, "record_ticket", slow_first)
    thread, first = in_thread(lambda: ts.ticket_issue(office=office, service=services["fl"]))
    try:
        assert writing.wait(10)
        # Same office, service and day: the same sequence row as the first.
        second = ts.ticket_issue(office=office, service=services["fl"])
        assert thread.is_alive(), "the first issue was released before the second was written"
    finally:
        release.set()
        thread.join(15)
    assert "error" not in first, first.get("error")
    assert second.number == "А002"
    assert first["value"].number == "А001"
    assert sorted(Ticket.objects.values_list("number", flat=True)) == ["А001", "А002"]
