"""Rate limits for tickets taken from outside the office and for clients giving
up tickets from their phones. The counters live in the cache, which is Redis
when REDIS_URL or REDIS_SENTINELS is set, so they hold across processes."""

import logging

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from . import outages

logger = logging.getLogger(__name__)


def allow(throttle, request, view) -> bool:
    """The throttle's verdict; when its store (Redis) is down, the client gets the ticket."""
    try:
        return throttle.allow_request(request, view)
    except Exception as error:  # the cache backends raise their own error types
        # Failing open: a queue that stops issuing tickets in an outage loses
        # clients; a few unthrottled requests for a minute lose nothing.
        outages.warn(logger, "rate_limits", "rate limit store unavailable (%r): limits not applied", error)
        return True


class RemoteTicketThrottle(SimpleRateThrottle):
    rate_setting = ""

    def __init__(self):
        # Read at request time, not at import, so that settings changes apply.
        self.rate = getattr(settings, self.rate_setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def office_code(self, view) -> str:
        return view.kwargs["code"]


class PerClient(RemoteTicketThrottle):
    scope = "remote_ticket_client"
    rate_setting = "REMOTE_TICKETS_PER_CLIENT"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": f"{self.office_code(view)}:{self.get_ident(request)}"}


class PerOffice(RemoteTicketThrottle):
    scope = "remote_ticket_office"
    rate_setting = "REMOTE_TICKETS_PER_OFFICE"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.office_code(view)}


class CancelPerClient(RemoteTicketThrottle):
    """Tickets given up from phones, per client address; it also slows down guessing tokens."""

    scope = "ticket_cancel_client"
    rate_setting = "TICKET_CANCELS_PER_CLIENT"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
