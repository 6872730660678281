"""Counters, services and staff with history are retired, never deleted: the admin explains why."""

import pytest
from django.db.models import ProtectedError
from django.test import Client

from displays import snapshots
from offices.models import Counter
from tests.helpers import token_client
from tickets import services as svc
from tickets.models import TicketEvent


@pytest.fixture
def history(office, services, counters, operator):
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_call_next(counter=counters["1"], operator=operator)
    svc.ticket_finish(ticket=ticket, operator=operator)
    return ticket


@pytest.fixture
def admin_client(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("root", password="pass-12345"))
    return client


def test_history_protects_its_counter_and_operator_in_the_orm(history, counters, operator):
    with pytest.raises(ProtectedError):
        counters["1"].delete()
    with pytest.raises(ProtectedError):
        operator.delete()


@pytest.mark.postgres  # the append-only trigger that made SET_NULL a 500 lives in PostgreSQL
@pytest.mark.parametrize("model", ["offices/counter", "offices/service", "auth/user"])
def test_the_admin_explains_why_an_object_with_history_stays_and_offers_to_retire_it(
    history, counters, services, operator, admin_client, model
):
    pk = {"offices/counter": counters["1"].pk, "offices/service": services["fl"].pk, "auth/user": operator.pk}[model]
    url = f"/admin/{model}/{pk}/delete/"
    page = admin_client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "нельзя удалить" in text and "история обслуживания" in text.lower()
    assert 'name="action" value="deactivate"' in text
    # Confirming anyway deletes nothing and is no server error.
    assert admin_client.post(url, {"post": "yes"}).status_code == 200
    # The bulk «delete selected» action says the same.
    bulk = admin_client.post(f"/admin/{model}/", {"action": "delete_selected", "_selected_action": [pk]})
    assert bulk.status_code == 200 and "нельзя удалить" in bulk.content.decode()
    # The offered button retires it.
    assert admin_client.post(f"/admin/{model}/", {"action": "deactivate", "_selected_action": [pk]}).status_code == 302
    counters["1"].refresh_from_db()
    services["fl"].refresh_from_db()
    operator.refresh_from_db()
    retired = {"offices/counter": counters["1"], "offices/service": services["fl"], "auth/user": operator}[model]
    assert getattr(retired, "is_active" if model == "auth/user" else "active") is False
    assert TicketEvent.objects.filter(ticket=history).count() == 3  # issued, called, finished: all kept


def test_an_object_without_history_is_still_deleted(office, services, admin_client):
    counter = Counter.objects.create(office=office, number="9")
    assert admin_client.post(f"/admin/offices/counter/{counter.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Counter.objects.filter(pk=counter.pk).exists()


def test_a_retired_counter_cannot_be_opened_and_is_hidden(office, counters, operator, manager):
    retired = counters["2"]
    Counter.objects.filter(pk=retired.pk).update(active=False, state=Counter.State.CLOSED)
    response = token_client(operator).post(f"/api/v1/counters/{retired.pk}/state/", {"state": "open"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "counter_inactive"
    retired.refresh_from_db()
    assert retired.state == Counter.State.CLOSED
    # Not on the screens, not in the operator's choice, not in the API's office.
    assert "2" not in [c["number"] for c in snapshots.counter_rows(office)]
    browser = Client()
    browser.force_login(operator)
    choice = browser.get("/operator/").content.decode()
    assert f"/operator/{counters['1'].pk}/" in choice and f"/operator/{retired.pk}/" not in choice
    assert browser.get(f"/operator/{retired.pk}/").status_code == 404
    office_api = Client().get("/api/v1/offices/main/").json()
    assert [c["number"] for c in office_api["counters"]] == ["1", "3"]
