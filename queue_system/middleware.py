"""A page asked for while the database is away gets a clear 503, not a server error."""

import logging

from django.db import InterfaceError, OperationalError
from django.shortcuts import render
from django.utils.deprecation import MiddlewareMixin

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware(MiddlewareMixin):
    # Sync-only on purpose. Under ASGI, Django runs each middleware in the mode of the one
    # inside it, and a MiddlewareMixin in async mode hops to the sync thread and back for
    # every hook: about twenty hops per request, most of an API request's CPU. As the
    # innermost middleware this one makes the whole chain sync: one hop per request.
    async_capable = False

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("database unavailable: %s", exception)
        response = render(request, "503.html", status=503)
        response["Retry-After"] = "30"
        return response
