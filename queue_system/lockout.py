"""What a locked-out sign-in gets from django-axes: JSON for the API, a page for people."""

from django.http import JsonResponse
from django.shortcuts import render

from tickets.errors import TooManyAttempts

from .errors import error_body


def lockout_response(request, original_response=None, credentials=None):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(TooManyAttempts.code, TooManyAttempts.message), status=TooManyAttempts.status)
    return render(request, "registration/locked_out.html", status=429)
