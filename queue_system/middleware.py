"""A page asked for while the database is away gets a clear 503, not a server error."""

import logging
import re

from django.conf import settings
from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, resolve
from django.utils.deprecation import MiddlewareMixin
from django.utils.log import log_response

from tickets import dispatch

from .errors import bad_request, database_unavailable_page, log_database_unavailable, page_not_found, server_error

logger = logging.getLogger(__name__)


class ContentSecurityPolicyMiddleware:
    """Every response carries settings.CONTENT_SECURITY_POLICY (Django 5.2 has no CSP of its own).

    Scripts and styles come from files only; the json_script blocks are data,
    which the policy does not block.
    """

    async_capable = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


def _has_nul(request) -> bool:
    if "\x00" in request.path_info:
        return True
    if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values):
        return True
    return any("\x00" in value for key, value in request.META.items() if key.startswith("HTTP_"))


# A lone UTF-16 surrogate as UTF-8 bytes (ED A0-BF ..), raw or percent-encoded. Such bytes are
# never valid UTF-8: a client sending them sends a lone surrogate.
ENCODED_SURROGATE = re.compile(rb"%ed%[ab][0-9a-f]|\xed[\xa0-\xbf]", re.IGNORECASE)
FORM = "application/x-www-form-urlencoded"


def _has_lone_surrogate(request) -> bool:
    if ENCODED_SURROGATE.search(request.META.get("QUERY_STRING", "").encode("utf-8", "surrogateescape")):
        return True
    if request.method != "POST" or request.content_type != FORM:
        return False
    try:
        return bool(ENCODED_SURROGATE.search(request.body))
    except RequestDataTooBig:
        return False  # the view's own reading of the body answers it (413 under /api/)


class RefuseBadCharactersMiddleware:
    """A NUL or a lone UTF-16 surrogate in what a request carries answers 400 before any view runs.

    PostgreSQL text cannot hold NUL: any lookup with one (a ticket token, a
    pairing code, ?office=, a session cookie) raises DataError, a 500. No
    legitimate client sends one, so it is refused here, once for every route.
    Bodies are left to the serializers and forms, whose CharFields refuse NUL.

    A lone surrogate (percent-encoded in a query or a form post) would reach
    the forms as U+FFFD; it is refused here for the same reason, so that the
    rule is one for every input. In JSON bodies it is refused by the API's
    parser (queue_system/parsers.py), where json has decoded the escapes.
    """

    async_capable = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request) or _has_lone_surrogate(request):
            return bad_request(request)
        return self.get_response(request)


# Addresses where a developer, not a client, meets an error: Django's own pages
# stay there under DEBUG (the API answers JSON errors in any case).
DEVELOPER_PREFIXES = ("/admin/", "/api/", "/static/")


def _for_people(request) -> bool:
    return not request.path_info.startswith(DEVELOPER_PREFIXES)


class ProductErrorPagesMiddleware(MiddlewareMixin):
    """With DEBUG on, people's screens still get the product's Russian 400/404/500 pages.

    Django shows its English technical pages instead of the urls.py handlers
    whenever DEBUG is on, which is how `make run` runs: a client opening an
    unknown ticket link would read a debug page listing the URL patterns. With
    DEBUG off this does nothing; Django calls the same handlers itself. The
    traceback of a 500 still goes to the log. A 403 already uses the handler
    under DEBUG.
    """

    async_capable = False  # see DatabaseUnavailableMiddleware

    def process_request(self, request):
        # An address no pattern matches fails before any view runs, so no
        # process_exception sees it. This sits below CommonMiddleware, whose
        # APPEND_SLASH redirect then still applies to the 404 returned here.
        if not settings.DEBUG or not _for_people(request):
            return None
        try:
            resolve(request.path_info)
        except Resolver404 as exc:
            return page_not_found(request, exc)
        return None

    def process_exception(self, request, exception):
        if not settings.DEBUG:
            return None
        if isinstance(exception, Http404) and request.path_info.startswith("/admin/"):
            # A manager opening another office's object (OfficeScopedAdmin.get_object) is a person,
            # not a developer: the admin's own Russian 404, not Django's English debug page. Other
            # admin errors keep the debug page, which is what a developer needs there.
            return page_not_found(request, exception)
        if not _for_people(request):
            return None
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return None
        if isinstance(exception, (BadRequest, SuspiciousOperation, MultiPartParserError)):
            response = bad_request(request, exception)
            log_response("%s: %s", str(exception), request.path, response=response, request=request)
            return response
        signals.got_request_exception.send(sender=None, request=request)
        response = server_error(request)
        log_response("Internal Server Error: %s", request.path, response=response, request=request, exception=exception)
        return response


class DatabaseUnavailableMiddleware(MiddlewareMixin):
    # Sync-only on purpose. Under ASGI, Django runs each middleware in the mode of the one
    # inside it, and a MiddlewareMixin in async mode hops to the sync thread and back for
    # every hook: about twenty hops per request, most of an API request's CPU. As the
    # innermost middleware this one makes the whole chain sync: one hop per request.
    async_capable = False

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        log_database_unavailable(exception)
        return database_unavailable_page(request)


class BroadcastAfterResponseMiddleware:
    """Announcements committed by a request go out once its response has been sent (tickets/dispatch.py)."""

    async_capable = False  # see DatabaseUnavailableMiddleware

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with dispatch.after_response() as pending:
            try:
                response = self.get_response(request)
            except BaseException:
                pending.flush()
                raise
        if pending.any:
            # Every server closes a response once it has sent it (Django's ASGI
            # handler, a WSGI server, the test client); its closers run then,
            # in the request's own thread.
            response._resource_closers.append(pending.flush)
        return response


def _socket_has_nul(scope) -> bool:
    if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"") or b"\x00" in scope.get("query_string", b""):
        return True
    return any(b"\x00" in value for _, value in scope.get("headers", []))


class RefuseNulSocket:
    """The WebSocket twin of RefuseBadCharactersMiddleware's NUL rule: the handshake is refused (Daphne answers 403)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and _socket_has_nul(scope):
            await receive()  # websocket.connect
            await send({"type": "websocket.close"})
            return
        return await self.app(scope, receive, send)
