"""Server-rendered screens. Each page gets its initial configuration here;
live state then comes over WebSockets and actions go through the REST API."""

import io

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import ensure_csrf_cookie

from feedback import selectors as feedback_selectors
from notify.services import telegram_enabled
from offices import access, kiosks
from offices.models import Counter, Office, Service
from tickets import errors, selectors
from tickets.models import Ticket


def home(request):
    return render(request, "home.html", {"offices": Office.objects.all()})


def _office(code: str) -> Office:
    return get_object_or_404(Office.objects.prefetch_related("hours"), code=code)


def display(request, code: str):
    office = _office(code)
    config = {
        "socket": f"/ws/offices/{office.code}/display/",
        "clipBase": static("displays/voice/ru/"),
        "chime": office.display_chime,
        "voice": office.display_voice,
        "timezone": office.timezone,
    }
    return render(request, "displays/display.html", {"office": office, "config": config})


def kiosk_sections(services: list[Service]) -> list[dict]:
    """The kiosk's service tree: services of one ``group`` under its heading (where the first of
    them stands), services without a group on their own, without a heading. Order: kiosk_order."""
    sections: list[dict] = []
    by_group: dict[str, dict] = {}
    for service in services:
        if service.group:
            if service.group not in by_group:
                by_group[service.group] = {"heading": service.group, "services": []}
                sections.append(by_group[service.group])
            by_group[service.group]["services"].append(service)
        elif sections and sections[-1]["heading"] is None:
            sections[-1]["services"].append(service)
        else:
            sections.append({"heading": None, "services": [service]})
    return sections


@ensure_csrf_cookie
def kiosk(request, code: str):
    office = _office(code)
    config = {
        "office": office.code,
        "officeName": office.name,
        "socket": f"/ws/offices/{office.code}/display/",
        "issueUrl": f"/api/v1/offices/{office.code}/tickets/",
        "queueUrl": f"/api/v1/offices/{office.code}/queue/",
        "checkInUrl": f"/api/v1/offices/{office.code}/check-in/",
        "timezone": office.timezone,
        "returnAfterMs": 10000,
        # The product's own voice (the hall display's clips): Debian's Chromium has no speech voices.
        "clipBase": static("displays/voice/ru/"),
        "noCounterText": errors.NO_OPEN_COUNTER,
        "issueWithoutCounter": office.issue_without_counter,
        # The tracking page's address as printed for those who cannot scan the QR code ("" : this page's host).
        "publicUrl": settings.PUBLIC_URL,
        # The large-text, high-contrast mode is one client's: it ends with the kiosk back at its start
        # after a ticket, or after this long without a touch.
        "idleResetMs": 120000,
    }
    issuer = kiosks.issuer(request, office)
    opened = office.kiosk_open and issuer not in ("staff", "kiosk")
    if opened:
        # `kiosk: open` (demo): this browser becomes a kiosk of the office by opening the page.
        issuer = "kiosk"
    context = {
        "office": office,
        "sections": kiosk_sections(list(office.services.filter(active=True))),
        "config": config,
        "registered": issuer is not None,
        "demo": office.kiosk_open,
        # Only a paired kiosk or staff may grant priority (a remote request for it gets 403).
        "may_grant_priority": issuer in ("kiosk", "staff"),
        # Check-in by a booking's code: on a kiosk (or for staff) of an office that takes bookings.
        "booking": issuer in ("kiosk", "staff") and office.services.filter(active=True, booking_enabled=True).exists(),
        "next_opening": office.next_opening_text(),
    }
    response = render(request, "displays/kiosk.html", context)
    if opened:
        kiosks.set_open_cookie(response, office)
    return response


# private: the image holds the ticket's secret link, which no shared cache may keep.
@cache_control(max_age=3600, private=True)
def ticket_qr(request, token: str):
    ticket = get_object_or_404(Ticket, token=token)
    path = reverse("tracking", args=[ticket.token])
    url = settings.PUBLIC_URL + path if settings.PUBLIC_URL else request.build_absolute_uri(path)
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False)
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


@ensure_csrf_cookie  # a signed-in session's DELETE of the ticket needs it
def tracking(request, token: str):
    ticket = Ticket.objects.select_related("office", "service", "counter").filter(token=token).first()
    if ticket is None:
        # A client's link, not a staff page: no sign-in link, and words about their ticket.
        return render(request, "displays/tracking_missing.html", status=404)
    config = {
        "socket": f"/ws/tickets/{ticket.token}/",
        "cancelUrl": f"/api/v1/tickets/{ticket.token}/",
        "feedbackUrl": f"/api/v1/tickets/{ticket.token}/feedback/",
        # "open": ask «Оцените обслуживание» once the ticket is done; "rated" or "closed": thank, or say nothing.
        "feedback": feedback_selectors.phone_state(ticket),
        "timezone": ticket.office.timezone,
    }
    # The page opens in the state the socket's snapshot will confirm: no flash of a wrong state.
    state = selectors.tracking_status(ticket)
    # A postponed ticket's return, in the office's time, already in the first render.
    returns = ticket.returns_at.astimezone(ticket.office.tz).strftime("%H:%M") if state["returns_at"] else ""
    context = {
        "ticket": ticket,
        "state": state,
        "config": config,
        "no_counter_text": errors.NO_OPEN_COUNTER,
        "returns": returns,
        "telegram": telegram_enabled(),
    }
    return render(request, "displays/tracking.html", context)


@login_required
def operator_home(request):
    counters = Prefetch("counters", queryset=Counter.objects.filter(active=True), to_attr="active_counter_list")
    offices = access.operator_offices(request.user).prefetch_related(counters)
    return render(request, "displays/operator_home.html", {"offices": offices})


@login_required
@ensure_csrf_cookie
def operator_workplace(request, counter_id: int):
    counter = get_object_or_404(Counter.objects.select_related("office"), pk=counter_id, active=True)
    access.require_operator(request.user, counter.office)
    office = counter.office
    config = {
        "counter": counter.pk,
        "counterNumber": counter.number,
        "office": office.code,
        "socket": f"/ws/offices/{office.code}/operators/",
        "api": "/api/v1/",
        "timezone": office.timezone,
    }
    return render(request, "displays/operator.html", {"counter": counter, "office": office, "config": config})


@login_required
@ensure_csrf_cookie
def monitor(request):
    offices = list(access.require_manager(request.user, refusal=access.MONITOR_FOR_MANAGERS))
    config = {
        "api": "/api/v1/",
        "offices": [{"code": o.code, "name": o.name, "socket": f"/ws/offices/{o.code}/monitor/"} for o in offices],
    }
    return render(request, "displays/monitor.html", {"offices": offices, "config": config})


# The tablet thanks the client this long before it goes dark again.
RATE_THANKS_MS = 5000


@ensure_csrf_cookie
def rate(request, counter_id: int):
    """A counter's rating tablet: dark until a ticket is finished at its counter, then «Оцените обслуживание».

    Only the browser paired as this counter's tablet (offices.KioskDevice with the counter) gets the page.
    What lights it is the office display's ``ticket.cleared`` message, already sent on every finish.
    """
    counter = get_object_or_404(Counter.objects.select_related("office"), pk=counter_id)
    device = kiosks.device_of(request)
    if device is None or device.counter_id != counter.pk:
        context = {
            "reason": "unpaired",
            "title": "Планшет оценки не подключён",
            "text": "Этот браузер не подключён как планшет оценки у этого окна.",
        }
        return render(request, "displays/pairing_failed.html", context, status=403)
    office = counter.office
    config = {
        "counter": counter.number,
        "socket": f"/ws/offices/{office.code}/display/",
        "rateUrl": f"/api/v1/counters/{counter.pk}/feedback/",
        "litMs": settings.FEEDBACK_TABLET_SECONDS * 1000,
        "thanksMs": RATE_THANKS_MS,
    }
    return render(request, "displays/rate.html", {"counter": counter, "office": office, "config": config})
