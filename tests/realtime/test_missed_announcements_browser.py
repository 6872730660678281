"""No call goes unannounced: a display back from an outage announces what it missed, once, and never twice."""

import httpx
import pytest
import redis
from playwright.sync_api import expect

from offices.models import Membership
from tests.helpers import add_counter, add_services, make_office, make_user, token_client, wait_for
from tickets import broadcast

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1920, "height": 1080}}  # a hall TV


@pytest.fixture
def hall(django_user_model):
    office = make_office("miss")
    services = add_services(office)
    counter = add_counter(office, "2", [services["fl"]])
    operator = make_user(django_user_model, "miss-op", office=office, role=Membership.Role.OPERATOR)
    auth = {"Authorization": token_client(operator)._credentials["HTTP_AUTHORIZATION"]}
    return office, counter, auth


def test_a_call_made_while_redis_was_down_is_shown_and_announced_once_when_it_is_back(
    daphne, page, private_redis, hall
):
    office, counter, auth = hall
    server = daphne(REDIS_URL=private_redis.url)
    api = httpx.Client(base_url=server.url, headers=auth, timeout=20)
    page.goto(f"{server.url}/display/miss/?voice=0&chime=0")
    expect(page.locator("#display")).to_have_attribute("data-connected", "1")
    ticket = api.post("/api/v1/offices/miss/tickets/", json={"service": "fl"}).json()

    private_redis.stop()
    assert api.post(f"/api/v1/counters/{counter.pk}/call-next/").status_code == 200
    private_redis.start()

    # Screens retry at least every 5 s: the call is on screen well within 15 s of Redis being back.
    expect(page.locator("#calls li").first).to_have_attribute("data-ticket", ticket["number"], timeout=15000)
    expect(page.locator("#offline")).to_be_hidden()
    wait_for(page, "window.announcer.log.length >= 1", timeout=5000)
    log = page.evaluate("window.announcer.log")
    assert [(item["text"], item["missed"]) for item in log] == [("Талон А один, пройдите к окну два", True)]

    # Later snapshots (a forced resync, a reconnect) never announce it again.
    page.evaluate("window.liveSocket.resync('test')")
    wait_for(page, "window.liveSocket.syncAskedAt === 0", timeout=15000)
    page.evaluate("window.liveSocket.ws.close()")
    expect(page.locator("#display")).to_have_attribute("data-connected", "0")
    expect(page.locator("#display")).to_have_attribute("data-connected", "1", timeout=10000)
    page.wait_for_timeout(500)
    assert len(page.evaluate("window.announcer.log")) == 1


def test_a_gap_in_the_numbers_resynchronises_without_announcing_a_call_twice(daphne, page, private_redis, hall):
    office, counter, auth = hall
    server = daphne(REDIS_URL=private_redis.url)
    api = httpx.Client(base_url=server.url, headers=auth, timeout=20)
    page.goto(f"{server.url}/display/miss/?voice=0&chime=0")
    expect(page.locator("#display")).to_have_attribute("data-connected", "1")
    first = api.post("/api/v1/offices/miss/tickets/", json={"service": "fl"}).json()
    second = api.post("/api/v1/offices/miss/tickets/", json={"service": "fl"}).json()
    api.post(f"/api/v1/counters/{counter.pk}/call-next/")
    wait_for(page, "window.announcer.log.length === 1", timeout=5000)

    # A message lost on its way: the counter moves on without it reaching the display.
    redis.Redis.from_url(private_redis.url).incr(broadcast._seq_key(broadcast.display_group(office.pk)))
    api.post(f"/api/v1/tickets/{first['id']}/finish/")
    api.post(f"/api/v1/counters/{counter.pk}/call-next/")

    expect(page.locator("#calls li").first).to_have_attribute("data-ticket", second["number"], timeout=5000)
    wait_for(page, "window.liveSocket.resyncs.includes('gap')", timeout=5000)
    # The snapshot answering the gap holds both calls; each was announced once. The second
    # one's live message goes out just after the call's answer (tickets/dispatch.py), so the
    # snapshot may bring it first: then it is announced from the snapshot, and not again live.
    wait_for(page, "window.liveSocket.syncAskedAt === 0", timeout=15000)
    log = page.evaluate("window.announcer.log")
    assert [item["text"] for item in log] == [
        "Талон А один, пройдите к окну два",
        "Талон А два, пройдите к окну два",
    ]
    assert log[0]["missed"] is False
