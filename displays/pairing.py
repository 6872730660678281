"""Kiosk pairing: the link's GET only shows a confirmation page, so that a link-preview
bot cannot burn it; the page's button POSTs, and that pairs the browser."""

from django.conf import settings
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from offices import kiosks

REFUSALS = {
    "unknown": (404, "Ссылка для подключения киоска не найдена", "Ссылка набрана с ошибкой или заменена новой."),
    "used": (410, "Ссылка уже использована", "По этой ссылке уже подключён киоск. Ссылка одноразовая."),
    "expired": (410, "Срок действия ссылки истёк", "Ссылка действует {hours} ч после создания."),
    "revoked": (410, "Киоск отозван", "Доступ этого киоска отозван администратором."),
}


@require_http_methods(["GET", "POST"])
def pair_kiosk(request, code: str):
    try:
        if request.method == "POST":
            device = kiosks.pair(code)
            if device.counter_id is not None:
                response = redirect("rate", counter_id=device.counter_id)
            else:
                response = redirect("kiosk", code=device.office.code)
            kiosks.set_cookie(response, device)
            return response
        device = kiosks.pairing_device(code)
    except kiosks.PairingRefused as refused:
        return _refusal(request, refused)
    return render(request, "displays/pairing_confirm.html", {"device": device})


def _refusal(request, refused: kiosks.PairingRefused):
    status, title, text = REFUSALS[refused.reason]
    context = {
        "reason": refused.reason,
        "title": title,
        "text": text.format(hours=settings.KIOSK_PAIRING_HOURS),
        "device": refused.device,
    }
    return render(request, "displays/pairing_failed.html", context, status=status)
