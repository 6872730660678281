"""The booking API: slots, booking, viewing, cancelling and check-in, with every refusal code."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings
from rest_framework.test import APIClient

from bookings.models import Booking
from offices.models import Membership
from tests.helpers import make_user, token_client

from .conftest import NOW

SLOTS = "/api/v1/offices/bk/slots/"
BOOK = "/api/v1/offices/bk/bookings/"
CHECK_IN = "/api/v1/offices/bk/check-in/"
# 10:30 Moscow on the tests' Monday.
TEN_THIRTY = "2026-12-07T10:30:00+03:00"


@pytest.fixture
def client(booking_office):
    with time_machine.travel(NOW, tick=False):
        yield APIClient(REMOTE_ADDR="10.0.0.1")


@pytest.fixture
def staff(booking_office, django_user_model):
    user = make_user(django_user_model, "staff-bk", office=booking_office, role=Membership.Role.OPERATOR)
    return token_client(user)


def book(client, start=TEN_THIRTY, **extra):
    return client.post(BOOK, {"service": "fl", "start": start, "consent": True, **extra}, format="json")


def error(response):
    return response.json()["error"]["code"]


def test_slots_list_the_day_in_booking_hours_with_free_places(client):
    answer = client.get(SLOTS, {"service": "fl", "date": "2026-12-07"}).json()
    assert answer["date"] == "2026-12-07" and answer["service"] == "fl"
    assert len(answer["slots"]) == 12  # 09:00 … 11:45
    first = answer["slots"][0]
    assert first["start"] == "2026-12-07T09:00:00+03:00" and first["end"] == "2026-12-07T09:15:00+03:00"
    assert first["free"] == 2 and first["available"] is True


def test_slots_inside_the_cutoff_are_not_available_and_started_ones_are_left_out(client):
    with time_machine.travel(datetime(2026, 12, 7, 6, 40, tzinfo=UTC), tick=False):
        slots = client.get(SLOTS, {"service": "fl", "date": "2026-12-07"}).json()["slots"]
    # 09:40 Moscow: 09:00-09:30 started; 09:45 … 10:40 inside the 60-minute cut-off.
    assert slots[0]["start"] == "2026-12-07T09:45:00+03:00"
    assert [s["available"] for s in slots[:5]] == [False, False, False, False, True]


def test_a_holiday_has_no_slots_and_says_so(client):
    answer = client.get(SLOTS, {"service": "fl", "date": "2026-12-09"}).json()
    assert answer["slots"] == [] and answer["closed"] == "holiday"


@pytest.mark.parametrize("day", ["2026-12-06", "2026-12-22"])
def test_a_date_outside_the_horizon_is_slot_unavailable(client, day):
    response = client.get(SLOTS, {"service": "fl", "date": day})
    assert response.status_code == 400 and error(response) == "slot_unavailable"


def test_a_service_without_booking_is_slot_unavailable(client):
    response = client.get(SLOTS, {"service": "ul", "date": "2026-12-07"})
    assert response.status_code == 400 and error(response) == "slot_unavailable"


def test_booking_answers_a_code_and_a_token(client):
    response = book(client, name="Иван", phone="+7 900 123-45-67")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["code"]) == 6 and body["code"].isdigit()
    assert body["status"] == "booked" and body["office"] == "bk" and body["service"] == "fl"
    assert body["start"] == "2026-12-07T10:30:00+03:00" and body["end"] == "2026-12-07T10:45:00+03:00"
    booking = Booking.objects.get(token=body["token"])
    assert booking.phone == "79001234567" and booking.name == "Иван"
    assert client.get(SLOTS, {"service": "fl", "date": "2026-12-07"}).json()["slots"][6]["free"] == 1


def test_start_is_accepted_at_any_utc_offset(client):
    assert book(client, start="2026-12-07T07:30:00Z").status_code == 201
    assert book(client, start="2026-12-07T12:30:00+05:00").status_code == 201
    assert Booking.objects.filter(start=datetime(2026, 12, 7, 7, 30, tzinfo=UTC)).count() == 2


@pytest.mark.parametrize(
    "start",
    [
        "2026-12-07T10:31:00+03:00",  # not a slot's start
        "2026-12-07T12:00:00+03:00",  # after the booking hours
        "2026-12-07T08:30:00+03:00",  # before them
        "2026-12-07T07:30:00+03:00",  # past
        "2026-12-07T07:45:00+03:00",  # inside the cut-off (now is 07:00)
        "2026-12-09T10:00:00+03:00",  # holiday
        "2026-12-22T10:00:00+03:00",  # beyond days_ahead
    ],
)
def test_a_start_that_is_no_bookable_slot_is_slot_unavailable(client, start):
    response = book(client, start=start)
    assert response.status_code == 400 and error(response) == "slot_unavailable"
    assert not Booking.objects.exists()


def test_the_cutoff_closes_booking_an_hour_before(client):
    assert book(client, start="2026-12-07T08:00:00+03:00").status_code == 400  # before booking hours anyway
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):  # 10:00 Moscow: 11:00 is exactly an hour ahead
        assert error(book(client, start="2026-12-07T11:00:00+03:00")) == "slot_unavailable"
        assert book(client, start="2026-12-07T11:15:00+03:00").status_code == 201


def test_office_hours_clip_the_booking_hours(client, booking_office):
    fl = booking_office.svc["fl"]
    fl.booking_hours = {"mon": "18:00-23:00"}
    fl.save()
    slots = client.get(SLOTS, {"service": "fl", "date": "2026-12-07"}).json()["slots"]
    assert slots[-1]["start"] == "2026-12-07T19:45:00+03:00"  # the office closes at 20:00


def test_name_or_phone_without_consent_is_invalid(client):
    response = client.post(BOOK, {"service": "fl", "start": TEN_THIRTY, "phone": "+79001234567"}, format="json")
    assert response.status_code == 400 and error(response) == "invalid"
    assert "согласие" in response.json()["error"]["message"]
    assert not Booking.objects.exists()


def test_an_anonymous_booking_needs_no_consent(client):
    response = client.post(BOOK, {"service": "fl", "start": TEN_THIRTY}, format="json")
    assert response.status_code == 201


def test_a_full_slot_is_slot_full_and_a_cancel_frees_it(client):
    first = book(client).json()
    assert book(client).status_code == 201
    response = book(client)
    assert response.status_code == 409 and error(response) == "slot_full"
    slot = client.get(SLOTS, {"service": "fl", "date": "2026-12-07"}).json()["slots"][6]
    assert slot["free"] == 0 and slot["available"] is False
    cancelled = client.delete(f"/api/v1/bookings/{first['token']}/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert book(client).status_code == 201


@override_settings(BOOKINGS_PER_PHONE=2)
def test_active_bookings_per_phone_are_limited_and_refusals_do_not_count(client):
    phone = {"phone": "8 (900) 111-22-33"}
    assert book(client, start="2026-12-07T10:00:00+03:00", **phone).status_code == 201
    assert error(book(client, start="2026-12-07T07:30:00+03:00", **phone)) == "slot_unavailable"
    assert book(client, start="2026-12-07T10:15:00+03:00", **phone).status_code == 201
    response = book(client, start="2026-12-07T10:30:00+03:00", phone="+79001112233")
    assert response.status_code == 429 and error(response) == "booking_limit"


@override_settings(BOOKINGS_PER_ADDRESS=3)
def test_active_bookings_per_address_are_limited(client):
    for minute in ("00", "15", "30"):
        assert book(client, start=f"2026-12-07T10:{minute}:00+03:00").status_code == 201
    response = book(client, start="2026-12-07T10:45:00+03:00")
    assert response.status_code == 429 and error(response) == "booking_limit"
    other = APIClient(REMOTE_ADDR="10.0.0.2")
    assert book(other, start="2026-12-07T10:45:00+03:00").status_code == 201


def test_the_booking_is_read_by_its_token_and_unknown_tokens_are_booking_not_found(client):
    body = book(client, name="Иван", phone="+79001234567").json()
    seen = client.get(f"/api/v1/bookings/{body['token']}/").json()
    assert seen["status"] == "booked" and seen["name"] == "Иван" and seen["code"] == body["code"]
    response = client.get("/api/v1/bookings/no-such-token/")
    assert response.status_code == 404 and error(response) == "booking_not_found"


def test_a_booking_not_checked_in_by_the_late_window_reads_as_no_show(client):
    token = book(client).json()["token"]
    with time_machine.travel(datetime(2026, 12, 7, 7, 40, 1, tzinfo=UTC), tick=False):  # 10:40:01 Moscow
        assert client.get(f"/api/v1/bookings/{token}/").json()["status"] == "no_show"
        response = client.delete(f"/api/v1/bookings/{token}/")
        assert response.status_code == 409 and error(response) == "not_cancellable"


def test_a_cancelled_booking_is_not_cancellable_again(client):
    token = book(client).json()["token"]
    client.delete(f"/api/v1/bookings/{token}/")
    response = client.delete(f"/api/v1/bookings/{token}/")
    assert response.status_code == 409 and error(response) == "not_cancellable"


# Check-in


def at(hour, minute, second=0):
    return time_machine.travel(datetime(2026, 12, 7, hour - 3, minute, second, tzinfo=UTC), tick=False)


def test_check_in_gives_a_booked_ticket_with_the_booking_prefix(client, staff):
    code = book(client).json()["code"]
    with at(10, 20):
        response = staff.post(CHECK_IN, {"code": code}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == "З001" and body["status"] == "waiting" and body["service"] == "fl"
    assert body["booking"] == {
        "code": code,
        "service": "fl",
        "start": "2026-12-07T10:30:00+03:00",
        "end": "2026-12-07T10:45:00+03:00",
    }
    assert body["booked_label"] == "По записи на 10:30"
    assert "name" not in body["booking"] and "phone" not in body["booking"]
    assert Booking.objects.get(code=code).status == "checked_in"


def test_a_check_in_retried_with_its_idempotency_key_gives_the_same_ticket(client, staff):
    code = book(client).json()["code"]
    with at(10, 20):
        first = staff.post(CHECK_IN, {"code": code}, format="json", HTTP_IDEMPOTENCY_KEY="touch-1")
        again = staff.post(CHECK_IN, {"code": code}, format="json", HTTP_IDEMPOTENCY_KEY="touch-1")
        other = staff.post(CHECK_IN, {"code": code}, format="json", HTTP_IDEMPOTENCY_KEY="touch-2")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["booking"]["code"] == code
    assert other.status_code == 409 and error(other) == "already_checked_in"


def test_a_remote_client_cannot_check_in(client):
    code = book(client).json()["code"]
    with at(10, 20):
        response = client.post(CHECK_IN, {"code": code}, format="json")
    assert response.status_code == 403 and error(response) == "kiosk_required"


def test_check_in_too_early_says_when_it_opens(client, staff):
    code = book(client).json()["code"]
    with at(10, 14, 59):
        response = staff.post(CHECK_IN, {"code": code}, format="json")
    assert response.status_code == 409 and error(response) == "too_early"
    assert response.json()["error"]["opens_at"] == "2026-12-07T07:15:00+00:00"
    assert "10:15" in response.json()["error"]["message"]


def test_check_in_too_late_is_refused(client, staff):
    code = book(client).json()["code"]
    with at(10, 40, 1):
        response = staff.post(CHECK_IN, {"code": code}, format="json")
    assert response.status_code == 409 and error(response) == "too_late"


def test_a_second_check_in_is_already_checked_in(client, staff):
    code = book(client).json()["code"]
    with at(10, 20):
        staff.post(CHECK_IN, {"code": code}, format="json")
        response = staff.post(CHECK_IN, {"code": code}, format="json")
    assert response.status_code == 409 and error(response) == "already_checked_in"
    token = Booking.objects.get(code=code).token
    refused = client.delete(f"/api/v1/bookings/{token}/")
    assert refused.status_code == 409 and error(refused) == "not_cancellable"


def test_an_unknown_code_is_booking_not_found(client, staff):
    with at(10, 20):
        response = staff.post(CHECK_IN, {"code": "000000"}, format="json")
    assert response.status_code == 404 and error(response) == "booking_not_found"


def test_a_code_of_another_office_is_wrong_office(client, staff, booking_office, django_user_model):
    from tests.helpers import make_office

    other = make_office("bk2")
    other_staff = token_client(make_user(django_user_model, "staff-bk2", office=other, role=Membership.Role.OPERATOR))
    code = book(client).json()["code"]
    with at(10, 20):
        response = other_staff.post("/api/v1/offices/bk2/check-in/", {"code": code}, format="json")
    assert response.status_code == 409 and error(response) == "wrong_office"


def test_a_malformed_code_is_invalid(staff, booking_office):
    response = staff.post(CHECK_IN, {"code": "12a"}, format="json")
    assert response.status_code == 400 and error(response) == "invalid"
