"""Faults: Redis stopping under a working office; the display recovers without a reload."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from offices.models import Membership
from tests.helpers import ConsoleErrors, add_counter, add_services, make_office, make_user, token_client
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]


def test_redis_stopping_loses_no_transition_and_the_display_resynchronises(
    daphne, page, private_redis, django_user_model
):
    office = make_office("fault")
    services = add_services(office)
    counter = add_counter(office, "5", [services["fl"]])
    operator = make_user(django_user_model, "fault-op", office=office, role=Membership.Role.OPERATOR)
    auth = {"Authorization": token_client(operator)._credentials["HTTP_AUTHORIZATION"]}
    # Real rate limits here: the throttles must reach the (stopped) Redis.
    server = daphne(REDIS_URL=private_redis.url, REMOTE_TICKETS_PER_CLIENT="100/minute")
    api = httpx.Client(base_url=server.url, headers=auth, timeout=20)
    console = ConsoleErrors(page, ignore=["WebSocket connection to", "ERR_CONNECTION_REFUSED"])
    page.goto(f"{server.url}/display/fault/?voice=0&chime=0&sync=10")
    expect(page.locator("#display")).to_have_attribute("data-connected", "1")
    first = api.post("/api/v1/offices/fault/tickets/", json={"service": "fl"}).json()
    api.post(f"/api/v1/counters/{counter.pk}/call-next/")
    expect(page.locator("#calls li").first).to_have_attribute("data-ticket", first["number"], timeout=2000)

    private_redis.stop()
    # The office keeps working: every transition commits and answers normally.
    assert api.post(f"/api/v1/tickets/{first['id']}/finish/").status_code == 200
    second = api.post("/api/v1/offices/fault/tickets/", json={"service": "fl"})
    assert second.status_code == 201
    # A remote client too: the rate limits live in Redis, and their outage must not stop the queue.
    remote = httpx.post(f"{server.url}/api/v1/offices/fault/tickets/", json={"service": "ul"}, timeout=20)
    assert remote.status_code == 201, remote.text
    called = api.post(f"/api/v1/counters/{counter.pk}/call-next/")
    assert called.status_code == 200 and called.json()["number"] == second.json()["number"]
    assert Ticket.objects.get(pk=first["id"]).status == "done"
    assert Ticket.objects.get(pk=second.json()["id"]).status == "called"
    health = httpx.get(f"{server.url}/healthz", timeout=20)
    assert health.status_code == 503 and health.json() == {"database": "ok", "channel_layer": "unavailable"}
    assert "broadcast lost" in server.log_path.read_text()

    private_redis.start()
    # Without a reload, the display catches up with what happened meanwhile...
    expect(page.locator("#calls li").first).to_have_attribute("data-ticket", second.json()["number"], timeout=30000)
    expect(page.locator("#offline")).to_be_hidden()
    # ...and live events flow again.
    third = api.post("/api/v1/offices/fault/tickets/", json={"service": "fl"}).json()
    api.post(f"/api/v1/tickets/{second.json()['id']}/finish/")
    api.post(f"/api/v1/counters/{counter.pk}/call-next/")
    expect(page.locator("#calls li").first).to_have_attribute("data-ticket", third["number"], timeout=5000)
    assert re.search(r"\bfresh\b", page.locator("#calls li").first.get_attribute("class"))
    assert console.errors == []
