"""The workplace's and the monitor's endpoints (issues 14, 15) fed hostile bodies, as an attacker or a
clumsy client would send them: every one gets a 4xx with a Russian message and a stable code, and
changes nothing (tickets, their events, counters, their events).
"""

import re

import pytest

from offices.models import Counter, CounterEvent, Membership
from tests.helpers import add_counter, add_services, make_office, make_user, token_client
from tickets import services as svc
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.postgres  # NUL and out-of-range integers break PostgreSQL, not SQLite

HUGE = 99999999999999999999
CYRILLIC = re.compile("[а-яА-ЯёЁ]")

# Values for an integer field (an id or minutes): none is a usable integer.
BAD_INTEGERS = {
    "huge": HUGE,
    "huge string": str(HUGE),
    "bigint + 1": 2**63,
    "int + 1": 2**31,
    "negative": -1,
    "float": 1.5,
    "string": "abc",
    "nul": "\x00",
    "list": [1],
    "object": {"id": 1},
    "bool": True,
    "empty": "",
}
# Values for a text field.
BAD_TEXTS = {
    "nul": "a\x00b",
    "10 000 chars": "x" * 10_000,
    "list": ["a"],
    "object": {"a": 1},
}


@pytest.fixture
def world(django_user_model):
    office = make_office("main")
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]])
    second = add_counter(office, "2", [services["fl"], services["ul"]])
    operator = make_user(django_user_model, "op", office=office, role=Membership.Role.OPERATOR)
    manager = make_user(django_user_model, "mgr", office=office, role=Membership.Role.MANAGER)
    waiting = svc.ticket_issue(office=office, service=services["fl"])
    called_at_second = svc.ticket_issue(office=office, service=services["ul"])
    svc.ticket_call_chosen(counter=second, ticket=called_at_second, operator=operator)
    return {
        "office": office,
        "counter": counter,
        "second": second,
        "waiting": waiting,
        "called": called_at_second,
        "operator": token_client(operator),
        "manager": token_client(manager),
    }


def state_of_the_world() -> tuple:
    return (
        list(Ticket.objects.order_by("pk").values_list("pk", "status", "counter", "service", "note", "returns_at")),
        TicketEvent.objects.count(),
        list(Counter.objects.order_by("pk").values_list("pk", "state", "operator", "break_reason")),
        CounterEvent.objects.count(),
    )


def cases(world) -> list[tuple[str, str, str, dict]]:
    """(name, client, path, body) for every hostile body of every new endpoint."""
    counter, second, waiting, called = world["counter"], world["second"], world["waiting"], world["called"]
    found = []
    for name, value in BAD_INTEGERS.items():
        found += [
            (f"call chosen, ticket {name}", "operator", f"/api/v1/counters/{counter.pk}/call/", {"ticket": value}),
            (f"postpone, minutes {name}", "operator", f"/api/v1/tickets/{called.pk}/postpone/", {"minutes": value}),
            (f"postpone, counter {name}", "operator", f"/api/v1/tickets/{called.pk}/postpone/", {"counter": value}),
            (
                f"transfer, to_counter {name}",
                "operator",
                f"/api/v1/tickets/{called.pk}/transfer/",
                {"to_counter": value},
            ),
            (
                f"transfer, to_operator {name}",
                "operator",
                f"/api/v1/tickets/{called.pk}/transfer/",
                {"to_operator": value},
            ),
            (
                f"transfer, counter {name}",
                "operator",
                f"/api/v1/tickets/{called.pk}/transfer/",
                {"service": "cash", "counter": value},
            ),
        ]
    for name, value in {**BAD_TEXTS, "number": 5, "unknown": "nope"}.items():
        found += [
            (f"transfer, service {name}", "operator", f"/api/v1/tickets/{called.pk}/transfer/", {"service": value}),
            (f"state, state {name}", "operator", f"/api/v1/counters/{counter.pk}/state/", {"state": value}),
            (
                f"state, reason {name}",
                "operator",
                f"/api/v1/counters/{counter.pk}/state/",
                {"state": "break", "reason": value},
            ),
            (f"remote, state {name}", "manager", f"/api/v1/counters/{counter.pk}/remote/", {"state": value}),
            (
                f"remote, reason {name}",
                "manager",
                f"/api/v1/counters/{counter.pk}/remote/",
                {"state": "break", "reason": value},
            ),
        ]
    for name, value in BAD_TEXTS.items():
        found.append(
            (
                f"transfer, note {name}",
                "operator",
                f"/api/v1/tickets/{called.pk}/transfer/",
                {"service": "cash", "note": value},
            )
        )
    for name, value in {"string": "yes please", "list": [True], "nul": "\x00"}.items():
        found.append(
            (
                f"state, close_others {name}",
                "operator",
                f"/api/v1/counters/{counter.pk}/state/",
                {"state": "open", "close_others": value},
            )
        )
    found += [
        ("postpone, minutes 0", "operator", f"/api/v1/tickets/{called.pk}/postpone/", {"minutes": 0}),
        ("postpone, minutes 241", "operator", f"/api/v1/tickets/{called.pk}/postpone/", {"minutes": 241}),
        ("postpone, a waiting ticket", "operator", f"/api/v1/tickets/{waiting.pk}/postpone/", {"minutes": 5}),
        ("transfer, nowhere", "operator", f"/api/v1/tickets/{called.pk}/transfer/", {}),
        ("transfer, only a note", "operator", f"/api/v1/tickets/{called.pk}/transfer/", {"note": "<b>x</b>"}),
        ("transfer, position sideways", "operator", f"/api/v1/tickets/{called.pk}/transfer/", {"position": "x"}),
        (
            "transfer, counter and operator",
            "operator",
            f"/api/v1/tickets/{called.pk}/transfer/",
            {"to_counter": counter.pk, "to_operator": 1},
        ),
        (
            "transfer, to its own counter",
            "operator",
            f"/api/v1/tickets/{called.pk}/transfer/",
            {"to_counter": second.pk},
        ),
        ("call chosen, no ticket", "operator", f"/api/v1/counters/{counter.pk}/call/", {}),
        ("call chosen, a called ticket", "operator", f"/api/v1/counters/{counter.pk}/call/", {"ticket": called.pk}),
        ("remote, open", "manager", f"/api/v1/counters/{counter.pk}/remote/", {"state": "open"}),
        ("remote, busy counter", "manager", f"/api/v1/counters/{second.pk}/remote/", {"state": "closed"}),
        ("body a list", "operator", f"/api/v1/counters/{counter.pk}/call/", [waiting.pk]),
        ("body a number", "operator", f"/api/v1/tickets/{called.pk}/postpone/", 5),
        ("body a string", "manager", f"/api/v1/counters/{counter.pk}/remote/", "closed"),
    ]
    return found


@pytest.mark.django_db
def test_every_hostile_body_of_the_new_endpoints_gets_a_russian_4xx_and_changes_nothing(world):
    before = state_of_the_world()
    failures = []
    all_cases = cases(world)
    for name, who, path, body in all_cases:
        response = world[who].post(path, body, format="json")
        if not 400 <= response.status_code < 500:
            failures.append(f"{name}: {response.status_code} {response.content[:200]!r}")
            continue
        error = response.json().get("error", {})
        if not error.get("code") or not CYRILLIC.search(error.get("message", "")):
            failures.append(f"{name}: {response.status_code} {error!r}")
        if state_of_the_world() != before:
            failures.append(f"{name}: changed the database")
            before = state_of_the_world()
    assert len(all_cases) > 100
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_giving_up_with_a_hostile_token_is_a_russian_404_and_changes_nothing(world):
    before = state_of_the_world()
    client = world["operator"]
    for token in ("x" * 10_000, "..", "%D9%A1", str(world["waiting"].pk), world["waiting"].token + "x"):
        response = client.delete(f"/api/v1/tickets/{token}/")
        assert response.status_code == 404, token
        assert response.json()["error"] == {"code": "not_found", "message": "Талон не найден."}
    # A NUL in the address is refused before any view (queue_system/middleware.py).
    response = client.delete("/api/v1/tickets/%00/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    assert state_of_the_world() == before
