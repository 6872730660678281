"""Pre-booking: the slots of a day, booking, cancelling, checking in at the kiosk, closing the day.

Each change is one transaction. Check-in issues the ticket through
``tickets.services.ticket_issue``, which announces it like any other.
"""

import re
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from offices.models import Office, Service
from tickets.services import ticket_issue

from .errors import (
    AlreadyCheckedIn,
    BookingLimit,
    BookingNotFound,
    NotCancellable,
    SlotFull,
    SlotUnavailable,
    TooEarly,
    TooLate,
    WrongOffice,
)
from .models import Booking, BookingSlot, new_code


def normalize_phone(phone: str) -> str:
    """Digits only, a leading 8 read as +7: «8 (900) 123-45-67» and «+79001234567» are one phone."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    return digits


def _check_bookable(service: Service) -> None:
    if not service.booking_enabled or not service.active:
        raise SlotUnavailable(SlotUnavailable.NOT_BOOKABLE)


def _check_horizon(service: Service, day: date, now: datetime) -> None:
    today = service.office.local_date(now)
    if not today <= day <= today + timedelta(days=service.days_ahead):
        raise SlotUnavailable(SlotUnavailable.HORIZON.format(days=service.days_ahead))


def day_slots(*, service: Service, day: date, now: datetime | None = None) -> dict:
    """Every slot of the day in the booking hours that has not started, with its free places.

    ``available`` is false when the slot is full or inside the cut-off. A
    holiday has no slots and says so; a day outside today … today+days_ahead
    is refused (slot_unavailable).
    """
    now = now or timezone.now()
    _check_bookable(service)
    _check_horizon(service, day, now)
    answer = {"date": day, "service": service.code, "slots": []}
    if service.office.is_holiday(day):
        return {**answer, "closed": "holiday"}
    slots = [(start, end) for start, end in service.booking_slots(day) if start > now]
    taken = dict(
        BookingSlot.objects.filter(service=service, start__in=[start for start, _ in slots]).values_list(
            "start", "taken"
        )
    )
    cutoff = timedelta(minutes=service.cutoff_minutes)
    for start, end in slots:
        free = max(service.per_slot - taken.get(start, 0), 0)
        available = free > 0 and now < start - cutoff
        answer["slots"].append({"start": start, "end": end, "free": free, "available": available})
    return answer


def _slot_of(service: Service, start: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The slot that starts at the instant ``start`` (any UTC offset), if it may be booked at ``now``."""
    _check_bookable(service)
    day = start.astimezone(service.office.tz).date()
    _check_horizon(service, day, now)
    if service.office.is_holiday(day):
        raise SlotUnavailable(SlotUnavailable.HOLIDAY)
    slot = next(((s, e) for s, e in service.booking_slots(day) if s == start), None)
    if slot is None:
        raise SlotUnavailable(SlotUnavailable.OUTSIDE_HOURS)
    if start <= now:
        raise SlotUnavailable(SlotUnavailable.PAST)
    if now >= start - timedelta(minutes=service.cutoff_minutes):
        raise SlotUnavailable(SlotUnavailable.CUTOFF.format(minutes=service.cutoff_minutes))
    return slot


def _check_limits(*, phone: str, address: str, now: datetime) -> None:
    # Read, then written by the caller's INSERT: two bookings from one phone at
    # the very same instant may both pass. The limits are abuse protection, not
    # an invariant; capacity, which is one, is guarded by the slot row below.
    active = Booking.objects.active(now)
    if phone and active.filter(phone=phone).count() >= settings.BOOKINGS_PER_PHONE:
        raise BookingLimit(BookingLimit.PER_PHONE.format(limit=settings.BOOKINGS_PER_PHONE))
    if address and active.filter(client_address=address).count() >= settings.BOOKINGS_PER_ADDRESS:
        raise BookingLimit(BookingLimit.PER_ADDRESS.format(limit=settings.BOOKINGS_PER_ADDRESS))


def _take_place(service: Service, start: datetime) -> None:
    """Take one place of the slot, or SlotFull.

    The race: N clients book the last place at once. Counting the slot's
    bookings and then inserting would let all N see one place free. Instead,
    every booking of a slot goes through its one BookingSlot row: the row is
    created if missing (ON CONFLICT DO NOTHING: a concurrent creator's INSERT
    waits for the first to commit, then does nothing), and then incremented by
    a single UPDATE guarded by ``taken < per_slot``. The UPDATE locks the row;
    the others wait for that lock, and PostgreSQL re-evaluates the guard on
    the committed row after the wait, so exactly ``per_slot`` of them update
    one row and the rest update none. SQLite serialises the writers outright
    (transaction_mode IMMEDIATE).
    """
    BookingSlot.objects.bulk_create([BookingSlot(service=service, start=start, taken=0)], ignore_conflicts=True)
    taken = BookingSlot.objects.filter(service=service, start=start, taken__lt=service.per_slot).update(
        taken=F("taken") + 1
    )
    if taken != 1:
        raise SlotFull()


# How many random codes a booking tries before giving up (a million codes, a few hundred in use).
CODE_ATTEMPTS = 20


@transaction.atomic
def booking_create(
    *,
    office: Office,
    service: Service,
    start: datetime,
    name: str = "",
    phone: str = "",
    consent: bool = False,
    address: str = "",
    now: datetime | None = None,
) -> Booking:
    """Book the slot of ``service`` that starts at ``start``: a 6-digit code and a token.

    The caller has checked consent for the personal data; refusals (slot
    unavailable, full, over the limits) change nothing and count for nothing.
    """
    now = now or timezone.now()
    if service.office_id != office.pk:
        raise SlotUnavailable(SlotUnavailable.NOT_BOOKABLE)
    start, end = _slot_of(service, start, now)
    phone = normalize_phone(phone)
    _check_limits(phone=phone, address=address, now=now)
    _take_place(service, start)
    fields = {
        "office": office,
        "service": service,
        "start": start,
        "end": end,
        "local_date": start.date(),
        "name": name.strip(),
        "phone": phone,
        "consent": consent,
        "client_address": address or "",
        "created_at": now,
    }
    for _ in range(CODE_ATTEMPTS):
        try:
            # A savepoint: a code already in use by another booking of the
            # office fails only this INSERT, and another code is drawn.
            with transaction.atomic():
                return Booking.objects.create(code=new_code(), **fields)
        except IntegrityError:
            continue
    raise SlotFull("Не удалось выдать код записи. Повторите попытку.")


@transaction.atomic
def booking_cancel(*, booking: Booking, now: datetime | None = None) -> Booking:
    """Cancel a booking that may still be used; its place is free again."""
    now = now or timezone.now()
    booking = Booking.objects.select_for_update().select_related("office", "service").get(pk=booking.pk)
    if booking.status_at(now) != Booking.Status.BOOKED:
        raise NotCancellable()
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = now
    booking.save(update_fields=["status", "cancelled_at"])
    BookingSlot.objects.filter(service_id=booking.service_id, start=booking.start, taken__gt=0).update(
        taken=F("taken") - 1
    )
    return booking


@transaction.atomic
def booking_check_in(*, office: Office, code: str, now: datetime | None = None) -> Booking:
    """The client at the kiosk types their code: a ticket of the booked service, called from the slot's start.

    Allowed from BOOKING_CHECKIN_EARLY_MINUTES before the slot to
    BOOKING_CHECKIN_LATE_MINUTES after its start. Two kiosks typing one code:
    the row lock makes the second wait, and on PostgreSQL the ``booked``
    condition is checked again on the locked row, so it is told already_checked_in.
    """
    now = now or timezone.now()
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("office", "service")
        .filter(office=office, code=code, status=Booking.Status.BOOKED)
        .first()
    )
    if booking is None:
        mine = Booking.objects.filter(office=office, code=code, status=Booking.Status.CHECKED_IN)
        if mine.filter(local_date=office.local_date(now)).exists():
            raise AlreadyCheckedIn()
        elsewhere = Booking.objects.filter(code=code, status=Booking.Status.BOOKED).exclude(office=office)
        other = elsewhere.select_related("office").first()
        if other is not None:
            raise WrongOffice(WrongOffice.message.format(office=other.office.name))
        raise BookingNotFound()
    opens_at = booking.start - Booking.early_window()
    if now < opens_at:
        local = opens_at.astimezone(office.tz)
        when = f"{local:%H:%M}" if local.date() == office.local_date(now) else f"{local:%d.%m.%Y %H:%M}"
        raise TooEarly(opens_at, when)
    if now > booking.start + Booking.late_window():
        raise TooLate()
    ticket = ticket_issue(office=office, service=booking.service, slot_start=booking.start, now=now)
    booking.status = Booking.Status.CHECKED_IN
    booking.checked_in_at = now
    booking.ticket = ticket
    booking.save(update_fields=["status", "checked_in_at", "ticket"])
    return booking


def bookings_close_day(*, now: datetime | None = None) -> tuple[int, int]:
    """Store the derived no-shows, and erase the personal data of visits older than BOOKING_DATA_DAYS.

    Returns (no-shows stored, bookings whose personal data was erased).
    """
    now = now or timezone.now()
    with transaction.atomic():
        no_shows = Booking.objects.filter(status=Booking.Status.BOOKED, start__lt=now - Booking.late_window()).update(
            status=Booking.Status.NO_SHOW
        )
        old = Booking.objects.filter(start__lt=now - timedelta(days=settings.BOOKING_DATA_DAYS))
        erased = old.exclude(name="", phone="", client_address="").update(name="", phone="", client_address="")
    return no_shows, erased
