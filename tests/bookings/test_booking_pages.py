"""The phone's booking pages without a browser: the steps, the refusals in Russian, cancelling."""

import pytest
import time_machine

from bookings.models import Booking

from .conftest import NOW


@pytest.fixture
def phone(client, booking_office):
    with time_machine.travel(NOW, tick=False):
        yield client


def test_the_steps_lead_from_the_service_to_a_booking(phone):
    page = phone.get("/book/bk/").content.decode()
    assert "Физические лица" in page and "Юридические лица" not in page  # only bookable services
    page = phone.get("/book/bk/", {"service": "fl"}).content.decode()
    assert "Пн, 7 декабря" in page and "нерабочий день" in page  # 9 December is a holiday
    page = phone.get("/book/bk/", {"service": "fl", "date": "2026-12-07"}).content.decode()
    assert 'value="2026-12-07T10:30:00+03:00"' in page and "152-ФЗ" in page
    response = phone.post(
        "/book/bk/?service=fl&date=2026-12-07",
        {"service": "fl", "start": "2026-12-07T10:30:00+03:00", "name": "Анна", "phone": "+7900111", "consent": "on"},
    )
    booking = Booking.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/b/{booking.token}/"
    page = phone.get(f"/b/{booking.token}/").content.decode()
    assert booking.code in page and "Пн, 7 декабря, 10:30" in page and "Записан" in page
    assert phone.get(f"/b/{booking.token}/qr.svg")["Content-Type"] == "image/svg+xml"


def test_a_phone_without_consent_is_refused_in_russian_and_nothing_is_booked(phone):
    response = phone.post(
        "/book/bk/?service=fl&date=2026-12-07",
        {"service": "fl", "start": "2026-12-07T10:30:00+03:00", "phone": "+79001112233"},
    )
    assert response.status_code == 400
    assert "согласие на обработку персональных данных" in response.content.decode()
    assert not Booking.objects.exists()


def test_a_full_slot_is_refused_on_the_page(phone, booking_office):
    for _ in range(2):
        phone.post("/book/bk/", {"service": "fl", "start": "2026-12-07T10:30:00+03:00"})
    response = phone.post("/book/bk/", {"service": "fl", "start": "2026-12-07T10:30:00+03:00"})
    assert response.status_code == 400 and "мест больше нет" in response.content.decode()


def test_a_date_beyond_the_horizon_says_so(phone):
    page = phone.get("/book/bk/", {"service": "fl", "date": "2027-01-30"}).content.decode()
    assert "запись открыта с сегодняшнего дня" in page


def test_cancelling_from_the_booking_page_frees_the_place(phone):
    phone.post("/book/bk/", {"service": "fl", "start": "2026-12-07T10:30:00+03:00"})
    booking = Booking.objects.get()
    response = phone.post(f"/b/{booking.token}/cancel/")
    assert response.status_code == 302
    assert "Отменена" in phone.get(f"/b/{booking.token}/").content.decode()
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_the_kiosk_offers_check_in_only_where_services_take_bookings(client, booking_office, other_office):
    booking_office.kiosk_open = True
    booking_office.save()
    assert "У меня предварительная запись" in client.get("/kiosk/bk/").content.decode()
    other_office.kiosk_open = True
    other_office.save()
    assert "У меня предварительная запись" not in client.get(f"/kiosk/{other_office.code}/").content.decode()
