"""Sign-in limits per real client address, behind a proxy or not (queue_system/signin.py)."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

ATTACKER = "203.0.113.66"
OPERATOR = "198.51.100.7"


@pytest.fixture
def behind_nginx(settings):
    settings.NUM_PROXIES = 1


def token(username, password, address):
    # What nginx sends on: the client's address appended to X-Forwarded-For.
    return APIClient().post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        format="json",
        HTTP_X_FORWARDED_FOR=address,
    )


def test_an_attackers_failures_never_lock_the_user_out_from_another_address(behind_nginx, django_user_model):
    django_user_model.objects.create_user(username="operator-korocha", password="right-password")
    statuses = [token("operator-korocha", "guess", ATTACKER).status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses[-1] == 429
    assert token("operator-korocha", "right-password", OPERATOR).status_code == 200
    assert token("operator-korocha", "right-password", ATTACKER).status_code == 429


def test_only_the_address_the_proxy_appended_counts(behind_nginx, django_user_model):
    # The client wrote the first entry itself; nginx appended the second.
    django_user_model.objects.create_user(username="clerk", password="right-password")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        token("clerk", "guess", f"{OPERATOR}, {ATTACKER}")
    assert token("clerk", "right-password", OPERATOR).status_code == 200
    assert token("clerk", "right-password", f"10.1.1.1, {ATTACKER}").status_code == 429


def test_without_proxies_the_forwarded_header_is_ignored(settings, django_user_model):
    settings.NUM_PROXIES = 0
    django_user_model.objects.create_user(username="clerk", password="right-password")
    for n in range(settings.AXES_FAILURE_LIMIT):
        token("clerk", "guess", f"192.0.2.{n}")
    assert token("clerk", "right-password", OPERATOR).status_code == 429


def test_password_spraying_from_one_address_is_stopped(behind_nginx, django_user_model):
    users = [f"op-{n}" for n in range(25)]
    for name in users:
        django_user_model.objects.create_user(username=name, password=f"{name}-password")
    # Four wrong guesses and then the right one, user after user: under the
    # per-user limit every time, but the address runs out of failures.
    statuses = []
    for name in users:
        statuses += [token(name, "guess", ATTACKER).status_code for _ in range(4)]
        statuses.append(token(name, f"{name}-password", ATTACKER).status_code)
    failures = statuses.count(401)
    assert failures == settings.LOGIN_FAILURES_PER_ADDRESS - 1
    first_refused = statuses.index(429)
    assert set(statuses[first_refused:]) == {429}
    assert statuses.count(200) == (settings.LOGIN_FAILURES_PER_ADDRESS - 1) // 4
    # Everyone else signs in as usual, the sprayed users included.
    assert all(token(name, f"{name}-password", OPERATOR).status_code == 200 for name in users)


def test_the_address_limit_counts_only_the_last_lockout_minutes(behind_nginx, settings, django_user_model):
    settings.LOGIN_FAILURES_PER_ADDRESS = 6
    for n in range(3):
        django_user_model.objects.create_user(username=f"op-{n}", password="right-password")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(3):
            token(f"op-{n}", "guess", ATTACKER)
            token(f"op-{n}", "guess", ATTACKER)
        assert token("op-0", "right-password", ATTACKER).status_code == 429
    with time_machine.travel(start + settings.AXES_COOLOFF_TIME + timedelta(seconds=1), tick=False):
        assert token("op-0", "right-password", ATTACKER).status_code == 200


@pytest.mark.parametrize("limit", ["per user", "per address"])
def test_both_limits_answer_429_with_retry_after_on_the_page_and_the_api(
    limit, behind_nginx, settings, django_user_model
):
    if limit == "per address":
        settings.LOGIN_FAILURES_PER_ADDRESS = 2
        names = ["first", "second"]
    else:
        names = ["first"] * settings.AXES_FAILURE_LIMIT
    django_user_model.objects.create_user(username="first", password="right-password")
    django_user_model.objects.create_user(username="second", password="right-password")
    for name in names:
        token(name, "guess", ATTACKER)
    api = token("first", "right-password", ATTACKER)
    assert api.status_code == 429
    assert api.json()["error"]["code"] == "too_many_attempts"
    assert api.json()["error"]["message"] == "Слишком много неудачных попыток входа. Повторите попытку позже."
    assert int(api["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    page = Client().post("/login/", {"username": "first", "password": "right-password"}, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert page.status_code == 429
    assert int(page["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "Повторите попытку через 15 мин." in page.content.decode()


def test_production_without_a_proxy_refuses_to_start_while_redirecting_to_https():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "queue_system.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
        "NUM_PROXIES": "0",
    }
    env.pop("SECURE_SSL_REDIRECT", None)
    run = [sys.executable, "-c", "import django; django.setup()"]
    result = subprocess.run(run, env=env, capture_output=True, text=True, cwd=settings.BASE_DIR)
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT is on but NUM_PROXIES=0" in result.stderr
    for fixed in ({"NUM_PROXIES": "1"}, {"SECURE_SSL_REDIRECT": "0"}):
        result = subprocess.run(run, env={**env, **fixed}, capture_output=True, text=True, cwd=settings.BASE_DIR)
        assert result.returncode == 0, result.stderr
