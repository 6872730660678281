"""One exception handler: every API error becomes {"error": {"code", "message"}}."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tickets.errors import MESSAGES, PAYLOAD_TOO_LARGE, SERVICE_UNAVAILABLE, QueueError

logger = logging.getLogger(__name__)


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
        return Response(error_body(exc.code, exc.message), status=exc.status)
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.error("database unavailable: %s", exc)
        return Response(
            error_body("service_unavailable", SERVICE_UNAVAILABLE),
            status=503,
            headers={"Retry-After": "30"},
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("payload_too_large", PAYLOAD_TOO_LARGE), status=413)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if str(exc) and "No " not in str(exc) else None)
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
