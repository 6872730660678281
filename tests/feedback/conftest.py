from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from offices.models import KioskDevice
from tickets import services as ts

# Tuesday 3 March 2026, 09:00 in Moscow (UTC+3).
T0 = datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def serve(office, service, counter, operator, *, at=None, minutes: int = 5):
    """Issue a ticket at ``at`` (10 minutes ago), call it at once and finish it ``minutes`` later."""
    at = at or timezone.now() - 10 * MIN
    ticket = ts.ticket_issue(office=office, service=service, now=at)
    called = ts.ticket_call_next(counter=counter, operator=operator, now=at)
    assert called.pk == ticket.pk
    return ts.ticket_finish(ticket=called, operator=operator, now=at + minutes * MIN)


def tablet_client(counter) -> Client:
    """A browser paired as ``counter``'s rating tablet through its one-time link."""
    device = KioskDevice.objects.create(office=counter.office, name=f"Планшет окна {counter.number}", counter=counter)
    client = Client()
    response = client.post(f"/kiosk/pair/{device.pairing_code}/")
    assert response.status_code == 302 and response["Location"] == f"/rate/{counter.pk}/"
    return client


@pytest.fixture
def done(office, services, counters, operator):
    return serve(office, services["fl"], counters["1"], operator)
