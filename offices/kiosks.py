"""Who may take a ticket: staff of the office, a paired kiosk of the office, a
browser that opened the kiosk page of an office with an open kiosk (demo), or
anyone when the office allows remote tickets (rate-limited)."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import access
from .models import KioskDevice, Office

COOKIE = "kiosk_device"
SALT = "kiosk-device"
COOKIE_MAX_AGE = 10 * 365 * 24 * 3600
# `kiosk: open` (demo offices): the kiosk page hands every browser this cookie, naming the office.
OPEN_COOKIE = "kiosk_open"
OPEN_SALT = "kiosk-open"


class PairingRefused(Exception):
    """Why a pairing link does not work: 'unknown', 'used', 'expired' or 'revoked'."""

    def __init__(self, reason: str, device: KioskDevice | None = None):
        super().__init__(reason)
        self.reason = reason
        self.device = device


def pairing_device(code: str, *, lock: bool = False) -> KioskDevice:
    """The device whose pairing link this is, if the link may still be used; else PairingRefused."""
    devices = KioskDevice.objects.select_related("office", "counter")
    device = (devices.select_for_update(of=("self",)) if lock else devices).filter(pairing_code=code).first()
    if device is None:
        raise PairingRefused("unknown")
    if device.revoked_at is not None:
        raise PairingRefused("revoked", device)
    if device.paired_at is not None:
        raise PairingRefused("used", device)
    if timezone.now() >= device.pairing_expires_at():
        raise PairingRefused("expired", device)
    return device


@transaction.atomic
def pair(code: str) -> KioskDevice:
    """Use a one-time pairing link (a POST from its confirmation page); PairingRefused when it cannot be used."""
    # Locked: two browsers pressing the button at once cannot both pair.
    device = pairing_device(code, lock=True)
    device.paired_at = timezone.now()
    device.save(update_fields=["paired_at"])
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


def set_open_cookie(response, office: Office) -> None:
    """Make the browser that opened this open office's kiosk page a kiosk of the office."""
    response.set_signed_cookie(
        OPEN_COOKIE, office.code, salt=OPEN_SALT, httponly=True, samesite="Lax", secure=not settings.DEBUG
    )


def opened_open_kiosk(request, office: Office) -> bool:
    """Whether this browser opened the kiosk page of this office, and the office's kiosk is still open."""
    if not office.kiosk_open or not request.COOKIES:
        return False
    return request.get_signed_cookie(OPEN_COOKIE, default=None, salt=OPEN_SALT) == office.code


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
    # A counter's rating tablet is paired like a kiosk but does not issue tickets.
    if device is not None and device.office_id == office.pk and device.counter_id is None:
        return "kiosk"
    # The cookie alone is not enough: it counts only while the office's kiosk is open,
    # so an office switched back to paired kiosks refuses it at once.
    if opened_open_kiosk(request, office):
        return "kiosk"
    if office.remote_tickets:
        return "remote"
    return None
