"""Ratings sent from phones, per client address, like giving a ticket up (tickets/throttles.py)."""

from tickets.throttles import RemoteTicketThrottle


class FeedbackPerClient(RemoteTicketThrottle):
    """It also slows down guessing tokens."""

    scope = "ticket_feedback_client"
    rate_setting = "FEEDBACK_PER_CLIENT"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
