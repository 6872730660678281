"""The client's booking pages: /book/<office>/ (service, date, time, details) and /b/<token>/ (view, cancel).

Plain HTML forms, no script: each step is a link or a form, so the page works
on any phone. The steps call the same services as the API.
"""

import io
from datetime import date, timedelta

import segno
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from offices.models import WEEKDAY_NAMES, Office
from tickets.errors import QueueError

from . import services
from .api import client_address
from .errors import BOOKING_CONSENT_TEXT
from .models import Booking
from .serializers import BookingIn

MONTHS_GENITIVE = [
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
]  # fmt: skip


def day_label(day: date) -> str:
    return f"{WEEKDAY_NAMES[day.weekday()]}, {day.day} {MONTHS_GENITIVE[day.month - 1]}"


def _first_error(detail) -> str:
    if isinstance(detail, dict):
        return _first_error(next(iter(detail.values()), ""))
    if isinstance(detail, list):
        return _first_error(detail[0]) if detail else ""
    return str(detail)


def book(request, code: str):
    office = get_object_or_404(Office.objects.prefetch_related("hours"), code=code)
    bookable = list(office.services.filter(active=True, booking_enabled=True))
    now = timezone.now()
    source = request.POST if request.method == "POST" else request.GET
    service = next((s for s in bookable if s.code == source.get("service")), None)
    error = ""
    form = {"name": "", "phone": "", "consent": False}
    if request.method == "POST" and service is not None:
        form = {
            "name": request.POST.get("name", ""),
            "phone": request.POST.get("phone", ""),
            "consent": request.POST.get("consent") == "on",
        }
        data = BookingIn(data={"service": service.code, "start": request.POST.get("start", ""), **form})
        if not data.is_valid():
            error = _first_error(data.errors)
        else:
            try:
                booking = services.booking_create(
                    office=office,
                    service=service,
                    start=data.validated_data["start"],
                    name=data.validated_data["name"],
                    phone=data.validated_data["phone"],
                    consent=data.validated_data["consent"],
                    address=client_address(request),
                )
            except QueueError as refusal:
                error = refusal.message
            else:
                return redirect("booking", token=booking.token)
    days, day, slots, closed = [], None, [], False
    if service is not None:
        today = office.local_date(now)
        days = [
            {"date": d, "label": day_label(d), "holiday": office.is_holiday(d)}
            for d in (today + timedelta(days=n) for n in range(service.days_ahead + 1))
        ]
        try:
            day = date.fromisoformat(source.get("date", ""))
        except ValueError:
            day = None
        if day is not None:
            try:
                answer = services.day_slots(service=service, day=day, now=now)
            except QueueError as refusal:
                error, day = error or refusal.message, None
            else:
                closed = answer.get("closed") == "holiday"
                slots = [
                    {**slot, "label": f"{slot['start']:%H:%M}", "value": slot["start"].isoformat()}
                    for slot in answer["slots"]
                ]
    context = {
        "office": office,
        "services": bookable,
        "service": service,
        "days": days,
        "day": day,
        "day_label": day_label(day) if day else "",
        "slots": slots,
        "any_available": any(slot["available"] for slot in slots),
        "closed": closed,
        "error": error,
        "form": form,
        "chosen_start": request.POST.get("start", ""),
        "consent_text": BOOKING_CONSENT_TEXT,
    }
    status = 400 if error and request.method == "POST" else 200
    return render(request, "bookings/book.html", context, status=status)


def _booking(token: str) -> Booking:
    return get_object_or_404(Booking.objects.select_related("office", "service", "ticket"), token=token)


def booking_page(request, token: str):
    booking = _booking(token)
    now = timezone.now()
    status = booking.status_at(now)
    start = booking.start.astimezone(booking.office.tz)
    context = {
        "booking": booking,
        "status": status,
        "status_label": Booking.Status(status).label,
        "when": f"{day_label(start.date())}, {start:%H:%M}",
        "cancellable": status == Booking.Status.BOOKED,
        "early_minutes": settings.BOOKING_CHECKIN_EARLY_MINUTES,
        "late_minutes": settings.BOOKING_CHECKIN_LATE_MINUTES,
        "error": "",
    }
    return render(request, "bookings/booking.html", context)


@require_POST
def booking_cancel(request, token: str):
    booking = _booking(token)
    try:
        services.booking_cancel(booking=booking)
    except QueueError:
        pass  # the page then shows the booking's current status
    return redirect("booking", token=booking.token)


@cache_control(max_age=3600)
def booking_qr(request, token: str):
    booking = _booking(token)
    path = reverse("booking", args=[booking.token])
    url = settings.PUBLIC_URL + path if settings.PUBLIC_URL else request.build_absolute_uri(path)
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False)
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
