"""Who may take a ticket: staff of the office, a paired kiosk of the office, or
anyone when the office allows remote tickets (rate-limited)."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import access
from .models import KioskDevice, Office

COOKIE = "kiosk_device"
SALT = "kiosk-device"
COOKIE_MAX_AGE = 10 * 365 * 24 * 3600


def pair(code: str) -> KioskDevice | None:
    """Use a one-time pairing code; None when it is unknown, used or revoked."""
    with transaction.atomic():
        device = (
            KioskDevice.objects.select_for_update()
            .select_related("office")
            .filter(pairing_code=code, revoked_at__isnull=True)
            .first()
        )
        if device is None:
            return None
        device.pairing_code = None
        device.paired_at = timezone.now()
        device.save(update_fields=["pairing_code", "paired_at"])
        return device


def set_cookie(response, device: KioskDevice) -> None:
    response.set_signed_cookie(
        COOKIE,
        f"{device.pk}:{device.credential}",
        salt=SALT,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=not settings.DEBUG,
    )


def device_of(request) -> KioskDevice | None:
    value = request.COOKIES and request.get_signed_cookie(COOKIE, default=None, salt=SALT)
    if not value or ":" not in value:
        return None
    pk, credential = value.split(":", 1)
    if not pk.isdigit():
        return None
    return KioskDevice.objects.filter(
        pk=int(pk), credential=credential, revoked_at__isnull=True, paired_at__isnull=False
    ).first()


def issuer(request, office: Office) -> str | None:
    """'staff', 'kiosk' or 'remote'; None when this requester may not take a ticket here."""
    if access.is_staff_of(request.user, office):
        return "staff"
    device = device_of(request)
    if device is not None and device.office_id == office.pk:
        return "kiosk"
    if office.remote_tickets:
        return "remote"
    return None
