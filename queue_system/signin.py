"""Sign-in protection per real client: django-axes with a second limit.

* One user name from one address: ``LOGIN_FAILURE_LIMIT`` failures lock that
  pair out (axes' own rule). The same user still signs in from elsewhere, so
  an attacker's guesses never lock a colleague out.
* One address across all user names: ``LOGIN_FAILURES_PER_ADDRESS`` failures
  within ``LOGIN_LOCKOUT_MINUTES`` lock the address out (password spraying).
  It is the higher limit because the operators of one office usually share
  one address.

The address is the real client's (queue_system/clients.py). Failures per
address are counted in axes' failure log, which a successful sign-in does not
reset: four wrong guesses and then the right one still count four.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessFailureLog
from django.conf import settings


def address_failures(request) -> int:
    address = getattr(request, "axes_ip_address", None)
    if not address:
        return 0
    since = get_cool_off_threshold(request)
    return AccessFailureLog.objects.filter(ip_address=address, attempt_time__gte=since).count()


class SignInHandler(AxesDatabaseHandler):
    def is_locked(self, request, credentials=None) -> bool:
        return (
            super().is_locked(request, credentials) or address_failures(request) >= settings.LOGIN_FAILURES_PER_ADDRESS
        )

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        # The failure that reaches the address limit already gets the lockout
        # answer, as the one that reaches the per-user limit does.
        if request is not None and not getattr(request, "axes_locked_out", False):
            if address_failures(request) >= settings.LOGIN_FAILURES_PER_ADDRESS:
                request.axes_locked_out = True
                request.axes_credentials = credentials
