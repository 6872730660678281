"""What the public screens and the client's phone are given: no operator's name, no operator's
note, even after a call, a transfer to an operator with a note, and a break with a reason."""

import json

import pytest
from django.test import Client

from displays.snapshots import display_snapshot, operators_snapshot
from offices.models import Membership
from tests.helpers import add_counter, add_services, make_office, make_user
from tickets import selectors
from tickets import services as svc

pytestmark = pytest.mark.django_db

SECRETS = ("Иванова", "Мария", "op-login", "Заметка для коллеги")


def test_public_pages_and_payloads_carry_no_operator_name_and_no_note(django_user_model):
    office = make_office("main")
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]], state="closed")
    add_counter(office, "2", [services["ul"]])
    operator = make_user(
        django_user_model, "op-login", office=office, role=Membership.Role.OPERATOR, first_name="Мария",
        last_name="Иванова",
    )  # fmt: skip
    svc.counter_set_state(counter=counter, state="open", user=operator)
    moved = svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_call_next(counter=counter, operator=operator)
    svc.ticket_transfer(
        ticket=moved, to_front=False, operator=operator, to_operator=operator, note="Заметка для коллеги"
    )
    called = svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_call_next(counter=counter, operator=operator)
    anonymous = Client()
    texts = {
        "display snapshot": json.dumps(display_snapshot(office.pk), ensure_ascii=False),
        "phone (moved)": json.dumps(selectors.tracking_status(moved), ensure_ascii=False),
        "phone (called)": json.dumps(selectors.tracking_status(called), ensure_ascii=False),
    }
    for path in (
        "/api/v1/offices/",
        "/api/v1/offices/main/",
        "/api/v1/offices/main/queue/",
        f"/api/v1/tickets/{moved.token}/",
        f"/api/v1/tickets/{called.token}/",
        "/kiosk/main/",
        "/display/main/",
        f"/t/{moved.token}/",
        f"/t/{called.token}/",
    ):
        response = anonymous.get(path)
        assert response.status_code == 200, path
        texts[path] = response.content.decode()
    # The client gives up the transferred ticket: the answer is the public view too.
    texts["give up"] = anonymous.delete(f"/api/v1/tickets/{moved.token}/").content.decode()
    leaks = [(where, secret) for where, text in texts.items() for secret in SECRETS if secret in text]
    assert leaks == []
    # The staff's screens do show who works where: the names above are what would leak.
    assert "Иванова" in json.dumps(operators_snapshot(office.pk), ensure_ascii=False)
