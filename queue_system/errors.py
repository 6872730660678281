"""One exception handler: every API error becomes {"error": {"code", "message"}}."""

import logging
import threading
import time

from django.contrib import admin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponseBadRequest, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tickets.errors import (
    DATABASE_RETRY_AFTER_SECONDS,
    DATABASE_UNAVAILABLE,
    MESSAGES,
    PAYLOAD_TOO_LARGE,
    QueueError,
)

logger = logging.getLogger(__name__)

# An outage fails every request of every node: one line a minute says so without flooding the log.
DATABASE_LOG_INTERVAL_SECONDS = 60
_database_log = {"next": 0.0, "suppressed": 0}
_database_log_lock = threading.Lock()


def log_database_unavailable(exc: Exception) -> None:
    now = time.monotonic()
    with _database_log_lock:
        if now < _database_log["next"]:
            _database_log["suppressed"] += 1
            return
        suppressed, _database_log["suppressed"] = _database_log["suppressed"], 0
        _database_log["next"] = now + DATABASE_LOG_INTERVAL_SECONDS
    more = f" ({suppressed} more since the last line)" if suppressed else ""
    logger.error("database unavailable: %s%s", str(exc).strip().replace("\n", " "), more)


def _logged_already(response):
    # Django's request logger writes a line per 5xx unless a response says it has been
    # logged (django.utils.log.log_response): the line above stands for all of them.
    response._has_been_logged = True
    return response


def database_unavailable_api() -> Response:
    return _logged_already(
        Response(
            error_body("database_unavailable", DATABASE_UNAVAILABLE),
            status=503,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    )


def database_unavailable_page(request):
    response = render(request, "503.html", status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return _logged_already(response)


def error_body(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": message, **extra}}


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            text = _first_message(value)
            return text if key == "non_field_errors" else f"{key}: {text}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, QueueError):
        return Response(error_body(exc.code, exc.message, **getattr(exc, "extra", {})), status=exc.status)
    if isinstance(exc, (OperationalError, InterfaceError)):
        log_database_unavailable(exc)
        return database_unavailable_api()
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("payload_too_large", PAYLOAD_TOO_LARGE), status=413)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if str(exc) and "No " not in str(exc) else None)
    elif isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        # DRF's session check (a signed-in page calling the API) words it in English.
        return Response(error_body("csrf_failed", MESSAGES["csrf_failed"]), status=403)
    elif isinstance(exc, DjangoPermissionDenied):
        # The refusal of offices/access.py, in the standard format.
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body("invalid", _first_message(exc.detail), fields=exc.detail)
        return response
    code = getattr(exc, "default_code", "error")
    detail = getattr(exc, "detail", None)
    message = (
        str(detail) if isinstance(detail, str) and detail != exc.default_detail else MESSAGES.get(code, str(detail))
    )
    response.data = error_body(code, message)
    return response


# Django's error views (urls.py handler400/403/404/500). They run for whatever
# no view turned into a response: an unexpected exception in a DRF view (the
# handler above returns None for it, and Django logs the traceback), a
# SuspiciousOperation, or an error in a middleware. Under /api/ the answer is
# the same JSON body as every other API error; pages get the Russian templates.


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _error(request, status: int, code: str, template: str, context: dict | None = None):
    if _is_api(request):
        return JsonResponse(error_body(code, MESSAGES[code]), status=status, json_dumps_params={"ensure_ascii": False})
    return render(request, template, context or {}, status=status)


def bad_request(request, exception=None):
    if _is_api(request):
        return _error(request, 400, "bad_request", "")
    # Without the request: what was bad may be its session cookie.
    return HttpResponseBadRequest(loader.get_template("400.html").render())


def permission_denied(request, exception=None):
    return _error(request, 403, "permission_denied", "403.html", {"exception": str(exception or "")})


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: met in ordinary use, by a form left open while the user signed in elsewhere.

    The way back is the page the form came from (its Referer, when it is this
    site), which hands out a fresh token; else the sign-in page.
    """
    if _is_api(request):
        return _error(request, 403, "csrf_failed", "")
    back = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("admin:login" if request.path.startswith("/admin/") else "login")
    return render(request, "403_csrf.html", {"back": back}, status=403)


def page_not_found(request, exception=None):
    user = getattr(request, "user", None)
    if request.path.startswith("/admin/") and user is not None and user.is_staff:
        # Inside the admin, with its header and a way back: the same page whether DEBUG is on or off.
        return render(request, "admin/404.html", admin.site.each_context(request), status=404)
    return _error(request, 404, "not_found", "404.html")


def server_error(request):
    if _is_api(request):
        return _error(request, 500, "server_error", "")
    # Rendered without the request: the context processors read the session
    # and the user, and the error may well have come from the database.
    return HttpResponseServerError(loader.get_template("500.html").render())
