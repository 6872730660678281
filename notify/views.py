"""«Уведомить в Telegram» on the phone page, and the bot's webhook."""

import hmac
import json

from django.conf import settings
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tickets.models import Ticket

from .services import ENDED, bot_answer, subscriber_start, telegram_enabled

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# The API's error shape (queue_system/errors.py: error_body), which this layer may not import.
SECRET_INVALID = {"error": {"code": "telegram_secret_invalid", "message": "Неверный секретный токен Telegram."}}
UPDATE_INVALID = {"error": {"code": "telegram_update_invalid", "message": "Тело запроса — не обновление Telegram."}}


@require_POST
def subscribe_telegram(request, token: str):
    """The phone page's button: a fresh one-time code, and on to the bot (its deep link)."""
    if not telegram_enabled():
        raise Http404
    ticket = get_object_or_404(Ticket, token=token)
    if ticket.status in ENDED:
        return HttpResponseRedirect(f"/t/{ticket.token}/", status=303)
    return HttpResponseRedirect(subscriber_start(ticket=ticket), status=303)


# Telegram signs nothing; the secret it was given at setWebhook comes back in a header.
@csrf_exempt
@require_POST
def telegram_webhook(request):
    if not telegram_enabled() or settings.TELEGRAM_MODE != "webhook":
        raise Http404
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), settings.TELEGRAM_WEBHOOK_SECRET.encode()):
        return JsonResponse(SECRET_INVALID, status=403)
    try:
        update = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse(UPDATE_INVALID, status=400)
    if not isinstance(update, dict):
        return JsonResponse(UPDATE_INVALID, status=400)
    reply = bot_answer(update)
    if reply is None:
        return JsonResponse({})
    # The answer goes back in the response itself (the Bot API's "reply to a webhook").
    chat_id, text = reply
    return JsonResponse({"method": "sendMessage", "chat_id": chat_id, "text": text})
