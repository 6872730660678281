"""A retried tap does not print a second ticket: the Idempotency-Key of POST …/tickets/."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from offices.models import KioskDevice, Membership
from tests.core.test_concurrency import run_at_once
from tests.helpers import add_services, make_office, make_user
from tickets import broadcast
from tickets.errors import IdempotencyMismatch, InvalidIdempotencyKey
from tickets.models import IdempotencyKey, Ticket

URL = "/api/v1/offices/main/tickets/"
T0 = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)


def issue(client, key=None, service="fl", **extra):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(URL, {"service": service, **extra}, format="json", headers=headers)


def paired_kiosk(office) -> Client:
    device = KioskDevice.objects.create(office=office, name=f"Киоск {KioskDevice.objects.count() + 1}")
    kiosk = APIClient()
    kiosk.post(f"/kiosk/pair/{device.pairing_code}/")
    return kiosk


def test_the_same_key_gives_the_same_ticket_with_200_and_issues_nothing_new(anon, services):
    key = str(uuid.uuid4())
    first = issue(anon, key)
    assert first.status_code == 201
    again = issue(anon, key)
    assert again.status_code == 200
    assert again.json()["token"] == first.json()["token"] and again.json()["number"] == "А001"
    assert Ticket.objects.count() == 1
    assert Ticket.objects.get().events.count() == 1  # one «issued» event
    # A new key is a new tap.
    assert issue(anon, str(uuid.uuid4())).json()["number"] == "А002"


def test_without_a_key_every_request_is_a_new_ticket(anon, services):
    assert [issue(anon).status_code for _ in range(2)] == [201, 201]
    assert Ticket.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


def test_a_replay_is_not_announced_again(anon, services, monkeypatch):
    sent = []
    monkeypatch.setattr(broadcast, "announce", lambda ticket, *args, **kwargs: sent.append(ticket.number))
    issue(anon, "tap-1")
    issue(anon, "tap-1")
    assert sent == ["А001"]


def test_the_same_key_from_another_issuer_is_independent(office, services, django_user_model):
    key = "shared-key"
    kiosk_a, kiosk_b = paired_kiosk(office), paired_kiosk(office)
    staff = APIClient()
    staff.force_authenticate(make_user(django_user_model, "clerk", office=office, role=Membership.Role.OPERATOR))
    phone_a = APIClient(REMOTE_ADDR="10.0.0.1")
    phone_b = APIClient(REMOTE_ADDR="10.0.0.2")
    numbers = [issue(client, key).json()["number"] for client in (kiosk_a, kiosk_b, staff, phone_a, phone_b)]
    assert numbers == ["А001", "А002", "А003", "А004", "А005"]
    # Each issuer's retry gets its own ticket back.
    assert [issue(client, key).json()["number"] for client in (phone_b, kiosk_a, staff)] == ["А005", "А001", "А003"]
    assert Ticket.objects.count() == 5


def test_the_same_key_with_another_service_is_refused_and_changes_nothing(anon, services):
    issue(anon, "tap-1", "fl")
    refused = issue(anon, "tap-1", "ul")
    assert refused.status_code == 422
    assert refused.json()["error"] == {"code": "idempotency_mismatch", "message": IdempotencyMismatch.message}
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("key", ["", "a" * 101, "ключ", "two words", "tab\there"])
def test_a_malformed_key_is_a_400_in_russian_that_issues_nothing(anon, services, key):
    response = anon.post(URL, {"service": "fl"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "invalid_idempotency_key", "message": InvalidIdempotencyKey.message}
    assert not Ticket.objects.exists()


def test_a_key_of_100_visible_characters_is_accepted(anon, services):
    key = "".join(chr(33 + n % 94) for n in range(100))
    assert issue(anon, key).status_code == 201
    assert issue(anon, key).status_code == 200


def test_a_refused_request_does_not_keep_its_key(anon, office, services):
    services["fl"].active = False
    services["fl"].save()
    assert issue(anon, "tap-1").json()["error"]["code"] == "service_inactive"
    assert not IdempotencyKey.objects.exists()
    services["fl"].active = True
    services["fl"].save()
    assert issue(anon, "tap-1").status_code == 201


def test_a_key_lasts_24_hours_and_close_day_forgets_it(anon, services):
    with time_machine.travel(T0, tick=False):
        first = issue(anon, "tap-1").json()
        issue(anon, "tap-2")
    with time_machine.travel(T0 + timedelta(hours=23, minutes=59), tick=False):
        assert issue(anon, "tap-1").json()["token"] == first["token"]
    with time_machine.travel(T0 + timedelta(hours=24, minutes=1), tick=False):
        later = issue(anon, "tap-1")
        assert later.status_code == 201 and later.json()["token"] != first["token"]
    with time_machine.travel(T0 + timedelta(hours=30), tick=False):
        call_command("close_day", stdout=open("/dev/null", "w"))
    # tap-2 is older than 24 hours; tap-1 started afresh 6 hours ago.
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["tap-1"]


def test_a_replay_does_not_count_against_the_remote_limit(anon, services, settings):
    settings.REMOTE_TICKETS_PER_CLIENT = "2/hour"
    from django.core.cache import cache

    cache.clear()
    assert issue(anon, "tap-1").status_code == 201
    assert [issue(anon, "tap-1").status_code for _ in range(5)] == [200] * 5
    assert issue(anon, "tap-2").status_code == 201
    assert issue(anon, "tap-3").status_code == 429


def test_the_key_is_stored_in_the_tickets_transaction(anon, services):
    with pytest.raises(RuntimeError), transaction.atomic():
        issue(anon, "tap-1")
        raise RuntimeError("rolled back")
    assert not IdempotencyKey.objects.exists() and not Ticket.objects.exists()


def test_a_keyed_issue_still_steps_over_a_number_already_taken(anon, office, services):
    from tests.core.test_numbering_and_order import take_numbers

    take_numbers(office, services["fl"], office.local_date(), [1])
    first = issue(anon, "tap-1")
    assert first.status_code == 201 and first.json()["number"] == "А002"
    assert issue(anon, "tap-1").json()["token"] == first.json()["token"]
    assert IdempotencyKey.objects.get().ticket.number == "А002"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_give_one_ticket(live_server):
    office = make_office("main")
    add_services(office)
    url = f"{live_server.url}{URL}"
    keys = ["tap-a", "tap-b"]

    def tap(index):
        with httpx.Client(timeout=60) as client:
            response = client.post(url, json={"service": "fl"}, headers={"Idempotency-Key": keys[index % 2]})
        assert response.status_code in (200, 201), response.text
        return keys[index % 2], response.status_code, response.json()["token"]

    for _ in range(3):
        results = run_at_once(20, 20, tap)
        for key in keys:
            answers = [(code, token) for k, code, token in results if k == key]
            assert len({token for _, token in answers}) == 1, answers
            assert sorted(code for code, _ in answers) == [200] * 9 + [201]
        keys = [f"{key}-next" for key in keys]
    assert Ticket.objects.filter(office=office).count() == 6
    assert IdempotencyKey.objects.count() == 6


def test_the_openapi_schema_documents_the_header_and_its_answers(anon, db):
    schema = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/offices/{code}/tickets/"]["post"]
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and header["schema"]["maxLength"] == 100
    assert {"200", "201", "400", "422"} <= set(operation["responses"])
