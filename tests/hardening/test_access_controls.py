"""Kiosk pairing, remote-ticket limits, sign-in throttling, token revocation, deploy settings, health."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from offices.models import KioskDevice
from tests.helpers import add_services, make_office, token_client
from tickets.models import Ticket


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def closed_to_remote(db):
    office = make_office("hall", remote_tickets=False)
    add_services(office)
    return office


def issue(client, code="hall", **extra):
    return client.post(f"/api/v1/offices/{code}/tickets/", {"service": "fl"}, content_type="application/json", **extra)


def test_an_anonymous_ticket_needs_a_paired_kiosk(closed_to_remote):
    response = issue(Client())
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "kiosk_required"
    assert "терминале" in response.json()["error"]["message"]
    assert not Ticket.objects.exists()


def test_a_pairing_link_works_once_and_the_kiosk_can_then_issue(closed_to_remote):
    device = KioskDevice.objects.create(office=closed_to_remote, name="Киоск у входа")
    kiosk = Client()
    response = kiosk.get(f"/kiosk/pair/{device.pairing_code}/")
    assert response.status_code == 302 and response["Location"] == "/kiosk/hall/"
    cookie = response.cookies["kiosk_device"]
    assert cookie["httponly"] and cookie["max-age"] >= 365 * 24 * 3600
    assert issue(kiosk).status_code == 201
    assert "не подключён" not in kiosk.get("/kiosk/hall/").content.decode()
    # The link was one-time: another browser cannot reuse it.
    stranger = Client()
    assert stranger.get(f"/kiosk/pair/{device.pairing_code}/").status_code == 404
    assert issue(stranger).status_code == 403
    assert "не подключён" in stranger.get("/kiosk/hall/").content.decode()


def test_a_revoked_or_renewed_kiosk_is_refused(closed_to_remote):
    device = KioskDevice.objects.create(office=closed_to_remote, name="Киоск")
    kiosk = Client()
    kiosk.get(f"/kiosk/pair/{device.pairing_code}/")
    assert issue(kiosk).status_code == 201
    device.refresh_from_db()
    device.renew()
    assert issue(kiosk).status_code == 403
    kiosk.get(f"/kiosk/pair/{device.pairing_code}/")
    assert issue(kiosk).status_code == 201
    KioskDevice.objects.filter(pk=device.pk).update(revoked_at="2026-01-01T00:00:00Z")
    assert issue(kiosk).json()["error"]["code"] == "kiosk_required"


def test_a_forged_or_foreign_kiosk_cookie_is_refused(closed_to_remote):
    other = make_office("other-hall", remote_tickets=False)
    add_services(other)
    device = KioskDevice.objects.create(office=other, name="Чужой киоск")
    kiosk = Client()
    kiosk.get(f"/kiosk/pair/{device.pairing_code}/")
    assert issue(kiosk, "other-hall").status_code == 201
    assert issue(kiosk, "hall").status_code == 403  # a kiosk serves its own office only
    forged = Client()
    forged.cookies["kiosk_device"] = f"{device.pk}:{device.credential}"  # unsigned
    assert issue(forged, "other-hall").status_code == 403


def test_staff_may_always_issue_on_a_clients_behalf(closed_to_remote, django_user_model):
    from tests.helpers import make_user

    operator = make_user(django_user_model, "hall-op", office=closed_to_remote, role="operator")
    response = token_client(operator).post("/api/v1/offices/hall/tickets/", {"service": "fl"}, format="json")
    assert response.status_code == 201


def test_remote_tickets_are_limited_per_client_with_retry_after(db, settings):
    settings.REMOTE_TICKETS_PER_CLIENT = "2/hour"
    office = make_office("web", remote_tickets=True)
    add_services(office)
    client = Client()
    assert [issue(client, "web").status_code for _ in range(2)] == [201, 201]
    refused = issue(client, "web")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert refused.json()["error"]["message"].startswith("Слишком много запросов талонов. Повторите через")
    assert 0 < int(refused["Retry-After"]) <= 3600
    # Another address still gets a ticket.
    assert issue(client, "web", REMOTE_ADDR="10.0.0.2").status_code == 201
    assert Ticket.objects.count() == 3


def test_remote_tickets_are_limited_per_office(db, settings):
    settings.REMOTE_TICKETS_PER_OFFICE = "3/hour"
    office = make_office("web", remote_tickets=True)
    add_services(office)
    statuses = [issue(Client(), "web", REMOTE_ADDR=f"10.0.0.{n}").status_code for n in range(1, 6)]
    assert statuses == [201, 201, 201, 429, 429]


def test_failed_sign_ins_lock_out_the_api_and_the_page(django_user_model, db):
    user = django_user_model.objects.create_user(username="clerk", password="right-password")
    api = APIClient()
    wrong = {"username": "clerk", "password": "wrong"}
    statuses = [
        api.post("/api/v1/auth/token/", wrong, format="json").status_code for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [401] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    locked = api.post("/api/v1/auth/token/", {"username": "clerk", "password": "right-password"}, format="json")
    assert locked.status_code == 429
    assert locked.json()["error"] == {
        "code": "too_many_attempts",
        "message": "Слишком много неудачных попыток входа. Повторите попытку позже.",
    }
    page = Client().post("/login/", {"username": "clerk", "password": "right-password"})
    assert page.status_code == 429
    assert "Вход временно заблокирован" in page.content.decode()
    # Another account from the same address is not locked.
    django_user_model.objects.create_user(username="other", password="pw-other-123")
    assert (
        api.post("/api/v1/auth/token/", {"username": "other", "password": "pw-other-123"}, format="json").status_code
        == 200
    )
    assert user.is_active


def test_a_token_can_be_revoked(operator):
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"username": "op", "password": "pass-12345"}, format="json").json()[
        "token"
    ]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/offices/main/tickets/today/").status_code == 200
    assert client.delete("/api/v1/auth/token/").status_code == 204
    response = client.get("/api/v1/offices/main/tickets/today/")
    assert response.status_code == 401 and response.json()["error"]["code"] == "authentication_failed"


def test_check_deploy_is_clean_with_production_values():
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
        "DJANGO_ALLOWED_HOSTS": "queue.example.ru",
        "NUM_PROXIES": "1",
        "DJANGO_SETTINGS_MODULE": "queue_system.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_healthz_reports_database_and_channel_layer():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "channel_layer": "ok"}


@pytest.mark.django_db(transaction=True)
def test_healthz_says_which_part_is_down(settings):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    channel_layers.backends.clear()
    try:
        response = Client().get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "channel_layer": "unavailable"}
