"""A page asked for while the database is away gets a clear 503, not a server error."""

import logging

from django.db import InterfaceError, OperationalError
from django.shortcuts import render
from django.utils.deprecation import MiddlewareMixin

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware(MiddlewareMixin):
    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("database unavailable: %s", exception)
        response = render(request, "503.html", status=503)
        response["Retry-After"] = "30"
        return response
