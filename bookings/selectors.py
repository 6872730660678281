"""Read-only figures of pre-booking for the monitor and the reports."""

from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone

from offices.models import Office

from .models import Booking


def bookings_today(office: Office, now: datetime | None = None) -> dict:
    """Today's bookings of an office (one query): still expected, checked in, no-show.

    Expected: booked and not yet past the late window; checked in: a ticket
    was issued (served or not); no-show: not checked in by slot start + the
    late window (derived, or stored by close_day). Cancelled ones are not counted.
    """
    now = now or timezone.now()
    late = now - Booking.late_window()
    row = Booking.objects.filter(office=office, local_date=office.local_date(now)).aggregate(
        expected=Count("id", filter=Q(status=Booking.Status.BOOKED, start__gte=late)),
        checked_in=Count("id", filter=Q(status=Booking.Status.CHECKED_IN)),
        no_show=Count("id", filter=Q(status=Booking.Status.NO_SHOW) | Q(status=Booking.Status.BOOKED, start__lt=late)),
    )
    return row
