"""Schemathesis against /api/schema/: no 5xx, and every response matches the schema."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from offices.models import Membership

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)


@pytest.mark.parametrize("role", ["operator", "manager"])
def test_the_api_keeps_its_schema_under_generated_requests(daphne, django_user_model, role, tmp_path):
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    user = Membership.objects.filter(role=role).select_related("user").first().user
    token = Token.objects.create(user=user).key
    server = daphne(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="schemathesis-only-" + "x" * 40, SECURE_SSL_REDIRECT="0")
    cli = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [
            str(cli), "run", f"{server.url}/api/schema/",
            "--checks", CHECKS,
            "--max-examples", "20",
            "--seed", "20241",
            "-H", f"Authorization: Token {token}",
            "--exclude-path", "/api/v1/auth/token/",  # sign-in failures would lock the account out
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "passed" in result.stdout


def test_the_booking_api_keeps_its_schema_for_anonymous_clients(daphne, tmp_path):
    """The public booking endpoints (a website, a chat-bot: no token), with more examples each."""
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # korocha takes bookings
    server = daphne(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="schemathesis-only-" + "x" * 40, SECURE_SSL_REDIRECT="0")
    cli = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [
            str(cli), "run", f"{server.url}/api/schema/",
            "--checks", CHECKS,
            "--max-examples", "100",
            "--seed", "20242",
            "--include-path-regex", "/(slots|bookings|check-in)/",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "passed" in result.stdout
