"""The one-time link that pairs a kiosk device with its office."""

from django.shortcuts import redirect, render

from offices import kiosks


def pair_kiosk(request, code: str):
    device = kiosks.pair(code)
    if device is None:
        return render(request, "displays/pairing_failed.html", status=404)
    response = redirect("kiosk", code=device.office.code)
    kiosks.set_cookie(response, device)
    return response
