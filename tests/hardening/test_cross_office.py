"""Staff of one office reaching into another through the workplace, the monitor's remote
control and the managers' admin: refused, with a Russian message and a stable code, and
nothing changes."""

import pytest
from django.test import Client

from offices.groups import grant_manager_admin
from offices.models import Counter, CounterEvent, Membership
from tests.helpers import add_counter, add_services, make_office, make_user, token_client
from tickets import services as svc
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(django_user_model):
    office, other = make_office("main"), make_office("other")
    services, other_services = add_services(office), add_services(other)
    counter = add_counter(office, "1", [services["fl"]])
    second = add_counter(office, "2", [services["fl"]])
    retired = add_counter(office, "3", [services["fl"]])
    retired.active = False
    retired.save(update_fields=["active"])
    other_counter = add_counter(other, "1", [other_services["fl"]])
    operator = make_user(django_user_model, "op", office=office, role=Membership.Role.OPERATOR)
    other_operator = make_user(django_user_model, "op-other", office=other, role=Membership.Role.OPERATOR)
    manager = make_user(django_user_model, "mgr", office=office, role=Membership.Role.MANAGER)
    gone = make_user(django_user_model, "gone", office=office, role=Membership.Role.OPERATOR, is_active=False)
    nobody = make_user(django_user_model, "nobody")
    called = svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_call_chosen(counter=counter, ticket=called, operator=operator)
    other_waiting = svc.ticket_issue(office=other, service=other_services["fl"])
    return {
        "counter": counter,
        "second": second,
        "retired": retired,
        "other_counter": other_counter,
        "called": called,
        "other_waiting": other_waiting,
        "users": {"operator": operator, "other": other_operator, "manager": manager, "gone": gone, "nobody": nobody},
        "op": token_client(operator),
        "mgr": token_client(manager),
    }


def snapshot() -> tuple:
    return (
        list(Ticket.objects.order_by("pk").values_list("pk", "status", "counter", "target_counter", "target_operator")),
        TicketEvent.objects.count(),
        list(Counter.objects.order_by("pk").values_list("pk", "state", "operator")),
        CounterEvent.objects.count(),
    )


def refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code, error
    assert any("а" <= ch <= "я" for ch in error["message"].lower()), error


def test_an_operator_cannot_call_another_offices_ticket_at_their_own_counter(world):
    before = snapshot()
    second = world["second"]
    refused(
        world["op"].post(f"/api/v1/counters/{second.pk}/call/", {"ticket": world["other_waiting"].pk}, format="json"),
        409,
        "ticket_not_for_counter",
    )
    assert snapshot() == before


def test_an_operator_cannot_work_at_another_offices_counter(world):
    before = snapshot()
    other = world["other_counter"]
    client = world["op"]
    body = {"ticket": world["other_waiting"].pk}
    refused(client.post(f"/api/v1/counters/{other.pk}/call/", body, format="json"), 403, "permission_denied")
    refused(client.post(f"/api/v1/counters/{other.pk}/call-next/"), 403, "permission_denied")
    refused(client.get(f"/api/v1/counters/{other.pk}/workplace/"), 403, "permission_denied")
    refused(
        client.post(f"/api/v1/counters/{other.pk}/state/", {"state": "closed"}, format="json"), 403, "permission_denied"
    )
    # Acting on their own ticket "from" another office's counter.
    called = world["called"]
    refused(
        client.post(f"/api/v1/tickets/{called.pk}/postpone/", {"minutes": 5, "counter": other.pk}, format="json"),
        404,
        "not_found",
    )
    assert snapshot() == before


def test_a_manager_cannot_control_another_offices_counter_or_work_at_their_own(world):
    before = snapshot()
    client = world["mgr"]
    other = world["other_counter"]
    refused(
        client.post(f"/api/v1/counters/{other.pk}/remote/", {"state": "closed"}, format="json"),
        403,
        "permission_denied",
    )
    refused(client.get(f"/api/v1/counters/{other.pk}/workplace/"), 403, "permission_denied")
    refused(client.get(f"/api/v1/counters/{world['second'].pk}/workplace/"), 403, "permission_denied")
    assert snapshot() == before


@pytest.mark.parametrize(
    "target",
    [
        "another office's counter",
        "a retired counter",
        "the same counter",
        "an unknown counter",
        "another office's operator",
        "a manager",
        "a deactivated operator",
        "a user of no office",
        "an unknown user",
    ],
)
def test_a_transfer_to_a_target_out_of_this_office_is_refused(world, target):
    users = world["users"]
    body = {
        "another office's counter": {"to_counter": world["other_counter"].pk},
        "a retired counter": {"to_counter": world["retired"].pk},
        "the same counter": {"to_counter": world["counter"].pk},
        "an unknown counter": {"to_counter": 999999},
        "another office's operator": {"to_operator": users["other"].pk},
        "a manager": {"to_operator": users["manager"].pk},
        "a deactivated operator": {"to_operator": users["gone"].pk},
        "a user of no office": {"to_operator": users["nobody"].pk},
        "an unknown user": {"to_operator": 999999},
    }[target]
    before = snapshot()
    response = world["op"].post(f"/api/v1/tickets/{world['called'].pk}/transfer/", body, format="json")
    refused(response, 400, "invalid_transfer")
    assert snapshot() == before


def test_a_note_with_markup_is_kept_as_text_and_a_long_one_is_refused(world):
    client = world["op"]
    called = world["called"]
    long_note = {"service": "ul", "note": "x" * 10_000}
    before = snapshot()
    refused(client.post(f"/api/v1/tickets/{called.pk}/transfer/", long_note, format="json"), 400, "invalid")
    assert snapshot() == before
    script = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    answer = client.post(f"/api/v1/tickets/{called.pk}/transfer/", {"service": "ul", "note": script}, format="json")
    assert answer.status_code == 200
    assert Ticket.objects.get(pk=called.pk).note == script  # stored as typed; the screen escapes it


def test_a_manager_cannot_reach_an_operator_who_also_works_in_another_office(world, django_user_model):
    """Resetting the password of a shared operator would let the manager act at the other office's counters."""
    users = world["users"]
    grant_manager_admin(users["manager"])
    shared = make_user(django_user_model, "shared", office=world["counter"].office, role=Membership.Role.OPERATOR)
    Membership.objects.create(user=shared, office=world["other_counter"].office, role=Membership.Role.OPERATOR)
    client = Client()
    client.force_login(users["manager"])
    listing = client.get("/admin/auth/user/").content.decode()
    assert f"/admin/auth/user/{users['operator'].pk}/change/" in listing
    assert f"/admin/auth/user/{shared.pk}/change/" not in listing
    assert client.get(f"/admin/auth/user/{shared.pk}/change/").status_code == 404
    assert client.get(f"/admin/auth/user/{shared.pk}/password/").status_code == 404
    client.post(
        f"/admin/auth/user/{shared.pk}/password/",
        {"password1": "taken-over-123", "password2": "taken-over-123", "usable_password": "true"},
    )
    client.post("/admin/auth/user/", {"action": "deactivate", "_selected_action": [shared.pk]})
    shared.refresh_from_db()
    assert shared.is_active and not shared.check_password("taken-over-123")
    # Nor may the manager take them on through a membership of their own office.
    form = client.get("/admin/offices/membership/add/").content.decode()
    assert f'value="{shared.pk}"' not in form


def test_a_manager_reaches_no_page_of_another_offices_objects_in_the_admin(world, django_user_model):
    from offices.models import KioskDevice, Service

    users = world["users"]
    grant_manager_admin(users["manager"])
    other_office = world["other_counter"].office
    kiosk = KioskDevice.objects.create(office=other_office, name="Чужой киоск")
    membership = Membership.objects.get(user=users["other"])
    service = Service.objects.filter(office=other_office).first()
    client = Client()
    client.force_login(users["manager"])
    objects = {
        "offices/office": other_office.pk,
        "offices/counter": world["other_counter"].pk,
        "offices/service": service.pk,
        "offices/kioskdevice": kiosk.pk,
        "offices/membership": membership.pk,
        "auth/user": users["other"].pk,
    }
    reached = []
    for model, pk in objects.items():
        for page in ("change", "history", "delete"):
            response = client.get(f"/admin/{model}/{pk}/{page}/")
            if response.status_code not in (403, 404):
                reached.append(f"{model} {page}: {response.status_code}")
            elif kiosk.pairing_code in response.content.decode():
                reached.append(f"{model} {page}: the pairing link")
    assert reached == []
