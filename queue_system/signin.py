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

A user name longer than axes' 255-character column is recorded cut to 255
(``username_of``): no account has such a name (150 at most), so it is a wrong
sign-in like any other, and it counts toward both limits. Stored whole, it
would make PostgreSQL refuse the row: a 500 for anyone.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessFailureLog
from django.conf import settings

USERNAME_COLUMN = 255  # axes' AccessAttempt, AccessFailureLog and AccessLog


def username_of(request, credentials=None) -> str | None:
    """axes' default (the credentials, else the posted form), cut to what its tables hold."""
    if credentials:
        username = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    else:
        username = getattr(request, "data", request.POST).get(settings.AXES_USERNAME_FORM_FIELD)
    return username[:USERNAME_COLUMN] if isinstance(username, str) else username


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
