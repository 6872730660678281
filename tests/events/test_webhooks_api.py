"""GET/POST /api/v1/webhooks/, DELETE /api/v1/webhooks/{id}/: administrators only, the secret never returned."""

import pytest

from events.models import Subscription
from tests.helpers import token_client

BODY = {"url": "https://crm.example/hooks/queue", "secret": "0123456789abcdef-secret", "events": ["ticket.finished"]}


@pytest.fixture
def admin_client(django_user_model):
    return token_client(django_user_model.objects.create_superuser("root", password="pass-12345"))


def test_an_admin_subscribes_lists_and_deletes_without_ever_seeing_the_secret(admin_client):
    created = admin_client.post("/api/v1/webhooks/", BODY, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["url"] == BODY["url"] and body["events"] == ["ticket.finished"] and body["personal_data"] is False
    assert "secret" not in body and BODY["secret"] not in created.content.decode()
    listed = admin_client.get("/api/v1/webhooks/")
    assert [w["id"] for w in listed.json()] == [body["id"]]
    assert BODY["secret"] not in listed.content.decode()
    assert Subscription.objects.get().secret == BODY["secret"]
    assert admin_client.delete(f"/api/v1/webhooks/{body['id']}/").status_code == 204
    assert not Subscription.objects.exists()
    assert admin_client.delete(f"/api/v1/webhooks/{body['id']}/").status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        {"events": ["ticket.exploded"]},
        {"events": []},
        {"url": "ftp://crm.example/"},
        {"url": "not a url"},
        {"secret": "short"},
        {"personal_data": "perhaps"},
    ],
)
def test_bad_subscriptions_are_a_400_that_creates_nothing(admin_client, change):
    response = admin_client.post("/api/v1/webhooks/", {**BODY, **change}, format="json")
    assert response.status_code == 400
    assert not Subscription.objects.exists()


def test_managers_and_operators_are_refused(manager, op_client, anon):
    for client in (token_client(manager), op_client):
        assert client.get("/api/v1/webhooks/").status_code == 403
        assert client.post("/api/v1/webhooks/", BODY, format="json").status_code == 403
    assert anon.get("/api/v1/webhooks/").status_code in (401, 403)
    assert not Subscription.objects.exists()


def test_the_webhooks_api_is_in_the_openapi_schema(admin_client):
    schema = admin_client.get("/api/schema/").content.decode()
    assert "/api/v1/webhooks/" in schema and "/api/v1/webhooks/{id}/" in schema
    assert "/api/v1/reports/outcomes/" in schema
