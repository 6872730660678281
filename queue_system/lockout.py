"""What a locked-out sign-in gets from django-axes: JSON for the API, a page for people.

Both are 429 with Retry-After: the lockout lasts LOGIN_LOCKOUT_MINUTES from
the last failure, so that is when a retry may succeed.
"""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

from tickets.errors import TooManyAttempts

from .errors import error_body


def lockout_response(request, original_response=None, credentials=None):
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    if request.path.startswith("/api/"):
        response = JsonResponse(
            error_body(TooManyAttempts.code, TooManyAttempts.message),
            status=TooManyAttempts.status,
            json_dumps_params={"ensure_ascii": False},  # UTF-8 like every other API error
        )
    else:
        response = render(request, "registration/locked_out.html", {"minutes": seconds // 60}, status=429)
    response["Retry-After"] = str(seconds)
    return response
