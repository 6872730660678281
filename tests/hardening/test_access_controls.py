"""Kiosk pairing, remote-ticket limits, sign-in throttling, token revocation, deploy settings, health."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from rest_framework.authtoken.models import Token
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


def issue(client, code="hall", data=None, **extra):
    data = data or {"service": "fl"}
    return client.post(f"/api/v1/offices/{code}/tickets/", data, content_type="application/json", **extra)


def pair(client, device):
    """Open the pairing link on this browser and press its confirmation button."""
    client.post(f"/kiosk/pair/{device.pairing_code}/")
    return client


def test_an_anonymous_ticket_needs_a_paired_kiosk(closed_to_remote):
    response = issue(Client())
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "kiosk_required"
    assert "терминале" in response.json()["error"]["message"]
    assert not Ticket.objects.exists()


def test_a_pairing_link_works_once_and_the_kiosk_can_then_issue(closed_to_remote):
    device = KioskDevice.objects.create(office=closed_to_remote, name="Киоск у входа")
    kiosk = Client()
    link = f"/kiosk/pair/{device.pairing_code}/"
    # A GET (a link-preview bot, or the kiosk opening the link) only shows the confirmation page.
    for _ in range(2):
        response = kiosk.get(link)
        assert response.status_code == 200 and "Подключить киоск" in response.content.decode()
        assert "kiosk_device" not in response.cookies
    assert issue(kiosk).status_code == 403
    response = kiosk.post(link)
    assert response.status_code == 302 and response["Location"] == "/kiosk/hall/"
    cookie = response.cookies["kiosk_device"]
    assert cookie["httponly"] and cookie["max-age"] >= 365 * 24 * 3600
    assert issue(kiosk).status_code == 201
    assert "не подключён" not in kiosk.get("/kiosk/hall/").content.decode()
    # The link was one-time: another browser cannot reuse it, and is told why.
    stranger = Client()
    for response in (stranger.get(link), stranger.post(link)):
        assert response.status_code == 410 and "Ссылка уже использована" in response.content.decode()
    assert issue(stranger).status_code == 403
    assert "не подключён" in stranger.get("/kiosk/hall/").content.decode()


def test_a_pairing_link_expires_after_kiosk_pairing_hours(closed_to_remote, settings):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    settings.KIOSK_PAIRING_HOURS = 24
    device = KioskDevice.objects.create(office=closed_to_remote, name="Киоск")
    link = f"/kiosk/pair/{device.pairing_code}/"
    with time_machine.travel(timezone.now() + timedelta(hours=23, minutes=59)):
        assert Client().get(link).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        kiosk = Client()
        for response in (kiosk.get(link), kiosk.post(link)):
            assert response.status_code == 410 and "Срок действия ссылки истёк" in response.content.decode()
        assert "kiosk_device" not in kiosk.cookies
    # A renewed link starts a new 24 hours.
    with time_machine.travel(timezone.now() + timedelta(hours=30)):
        device.renew()
        assert Client().post(f"/kiosk/pair/{device.pairing_code}/").status_code == 302


def test_a_pairing_link_of_a_revoked_kiosk_says_so(closed_to_remote):
    device = KioskDevice.objects.create(office=closed_to_remote, name="Киоск")
    KioskDevice.objects.filter(pk=device.pk).update(revoked_at="2026-01-01T00:00:00Z")
    response = Client().post(f"/kiosk/pair/{device.pairing_code}/")
    assert response.status_code == 410 and "Киоск отозван" in response.content.decode()


def test_a_revoked_or_renewed_kiosk_is_refused(closed_to_remote):
    device = KioskDevice.objects.create(office=closed_to_remote, name="Киоск")
    kiosk = pair(Client(), device)
    assert issue(kiosk).status_code == 201
    device.refresh_from_db()
    device.renew()
    assert issue(kiosk).status_code == 403
    pair(kiosk, device)
    assert issue(kiosk).status_code == 201
    KioskDevice.objects.filter(pk=device.pk).update(revoked_at="2026-01-01T00:00:00Z")
    assert issue(kiosk).json()["error"]["code"] == "kiosk_required"


def test_a_forged_or_foreign_kiosk_cookie_is_refused(closed_to_remote):
    other = make_office("other-hall", remote_tickets=False)
    add_services(other)
    device = KioskDevice.objects.create(office=other, name="Чужой киоск")
    kiosk = pair(Client(), device)
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


def test_a_remote_client_cannot_give_itself_priority(db):
    office = make_office("web", remote_tickets=True)
    add_services(office)
    response = Client().post(
        "/api/v1/offices/web/tickets/", {"service": "fl", "priority": True}, content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "priority_not_allowed"
    assert not Ticket.objects.exists()
    # Without priority the same client still gets its ticket.
    response = Client().post("/api/v1/offices/web/tickets/", {"service": "fl"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["priority"] is False


def test_a_paired_kiosk_and_staff_may_grant_priority(closed_to_remote, django_user_model):
    from tests.helpers import make_user

    device = KioskDevice.objects.create(office=closed_to_remote, name="Киоск")
    kiosk = pair(Client(), device)
    response = issue(kiosk, data={"service": "fl", "priority": True})
    assert response.status_code == 201 and response.json()["priority"] is True
    operator = make_user(django_user_model, "hall-op", office=closed_to_remote, role="operator")
    response = token_client(operator).post(
        "/api/v1/offices/hall/tickets/", {"service": "ul", "priority": True}, format="json"
    )
    assert response.status_code == 201 and response.json()["priority"] is True


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


def sign_in_api(username="op", password="pass-12345") -> APIClient:
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


TODAY = "/api/v1/offices/main/tickets/today/"


def test_a_token_expires_after_api_token_ttl_hours(operator, settings):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    settings.API_TOKEN_TTL_HOURS = 24
    client = sign_in_api()
    with time_machine.travel(timezone.now() + timedelta(hours=23, minutes=59)):
        assert client.get(TODAY).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        response = client.get(TODAY)
        assert response.status_code == 401 and response.json()["error"]["code"] == "token_expired"
        # Signing in again gives a fresh token that works.
        assert sign_in_api().get(TODAY).status_code == 200


def test_a_password_change_or_a_deactivation_revokes_the_users_tokens(operator):
    client = sign_in_api()
    operator.refresh_from_db()
    operator.first_name = "Иван"
    operator.save()  # an ordinary edit keeps the token
    assert client.get(TODAY).status_code == 200
    operator.set_password("another-pass-678")
    operator.save()
    assert client.get(TODAY).status_code == 401
    client = sign_in_api(password="another-pass-678")
    assert client.get(TODAY).status_code == 200
    operator.is_active = False
    operator.save()
    assert not Token.objects.filter(user=operator).exists()
    assert client.get(TODAY).status_code == 401


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
