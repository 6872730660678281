"""What a locked-out sign-in gets from django-axes: JSON for the API, a page for people."""

from django.http import JsonResponse
from django.shortcuts import render

from .errors import error_body

MESSAGE = "Слишком много неудачных попыток входа. Повторите попытку позже."


def lockout_response(request, original_response=None, credentials=None):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("too_many_attempts", MESSAGE), status=429)
    return render(request, "registration/locked_out.html", status=429)
