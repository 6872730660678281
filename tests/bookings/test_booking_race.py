"""Twenty clients booking the last place of a slot at once on PostgreSQL: exactly one wins."""

import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from bookings.models import Booking, BookingSlot

from .conftest import NOW

CLIENTS = 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_clients_booking_the_last_place_get_one_201_and_nineteen_slot_full(booking_office):
    fl = booking_office.svc["fl"]
    fl.per_slot = 1
    fl.save()
    start = "2026-12-07T10:30:00+03:00"
    barrier = threading.Barrier(CLIENTS)
    answers = []

    def client(n):
        try:
            api = APIClient(REMOTE_ADDR=f"10.1.0.{n + 1}")
            barrier.wait()
            body = {"service": "fl", "start": start, "phone": f"+7900000{n:04d}", "consent": True}
            response = api.post("/api/v1/offices/bk/bookings/", body, format="json")
            answers.append((response.status_code, response.json().get("error", {}).get("code")))
        finally:
            connection.close()

    with time_machine.travel(NOW, tick=False):
        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(answers) == [(201, None)] + [(409, "slot_full")] * (CLIENTS - 1)
        assert Booking.objects.count() == 1
        assert BookingSlot.objects.get().taken == 1
        # Cancel, then rebook.
        token = Booking.objects.get().token
        api = APIClient(REMOTE_ADDR="10.2.0.1")
        assert api.delete(f"/api/v1/bookings/{token}/").status_code == 200
        again = api.post("/api/v1/offices/bk/bookings/", {"service": "fl", "start": start}, format="json")
        assert again.status_code == 201
        assert BookingSlot.objects.get().taken == 1
        assert Booking.objects.filter(start=datetime(2026, 12, 7, 7, 30, tzinfo=UTC), status="booked").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_kiosks_typing_one_code_at_once_give_one_ticket(booking_office, django_user_model):
    from offices.models import Membership
    from tests.helpers import make_user, token_client

    staff = make_user(django_user_model, "race-staff", office=booking_office, role=Membership.Role.OPERATOR)
    with time_machine.travel(NOW, tick=False):
        body = {"service": "fl", "start": "2026-12-07T10:30:00+03:00"}
        booked = APIClient(REMOTE_ADDR="10.3.0.1").post("/api/v1/offices/bk/bookings/", body, format="json")
        code = booked.json()["code"]
    barrier = threading.Barrier(4)
    answers = []

    def kiosk():
        try:
            api = token_client(staff)
            barrier.wait()
            response = api.post("/api/v1/offices/bk/check-in/", {"code": code}, format="json")
            answers.append((response.status_code, response.json().get("error", {}).get("code")))
        finally:
            connection.close()

    with time_machine.travel(datetime(2026, 12, 7, 7, 20, tzinfo=UTC), tick=False):
        threads = [threading.Thread(target=kiosk) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(answers) == [(201, None)] + [(409, "already_checked_in")] * 3
    assert Booking.objects.get().ticket.number == "З001"
