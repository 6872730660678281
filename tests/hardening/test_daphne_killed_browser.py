"""A Daphne process killed mid-load behind the proxy: nothing half-done, the display moves to the survivor."""

import signal
import threading
import time

import httpx
import pytest
from playwright.sync_api import expect

from offices.models import Membership
from tests.helpers import ConsoleErrors, add_counter, add_services, make_office, make_user, token_client
from tests.servers import TcpProxy
from tickets.models import Ticket, TicketEvent

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

EXPECTED_EVENTS = {"done": ["issued", "called", "finished"], "waiting": ["issued"], "called": ["issued", "called"]}


def retrying(call, attempts=20):
    """A client that retries when its connection dies, as the kiosks and operator screens do."""
    for _ in range(attempts):
        try:
            response = call()
            if response.status_code < 500:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("no answer from any process")


def test_killing_one_process_mid_load_loses_nothing(daphne, page, django_user_model):
    office = make_office("twin")
    services = add_services(office)
    counters = [add_counter(office, str(n), [services["fl"]]) for n in (1, 2)]
    operator = make_user(django_user_model, "twin-op", office=office, role=Membership.Role.OPERATOR)
    auth = {"Authorization": token_client(operator)._credentials["HTTP_AUTHORIZATION"]}
    first, second = daphne(), daphne()
    proxy = TcpProxy(first.port, second.port).start()
    base = f"http://127.0.0.1:{proxy.port}"
    console = ConsoleErrors(page, ignore=["WebSocket connection to", "ERR_CONNECTION", "ERR_EMPTY_RESPONSE"])
    page.goto(f"{base}/display/twin/?voice=0&chime=0")
    expect(page.locator("#display")).to_have_attribute("data-connected", "1")

    errors: list[str] = []

    def operator_at(counter):
        # A bounded load: 15 clients per counter, each issued, called and finished.
        with httpx.Client(base_url=base, headers=auth, timeout=10) as api:
            for _ in range(15):
                retrying(lambda: api.post("/api/v1/offices/twin/tickets/", json={"service": "fl"}))
                called = retrying(lambda: api.post(f"/api/v1/counters/{counter.pk}/call-next/"))
                if called.status_code == 409:  # a retried call-next: the ticket is already ours
                    called = retrying(lambda: api.get(f"/api/v1/counters/{counter.pk}/"))
                    ticket = called.json()["ticket"]
                else:
                    ticket = called.json() if called.status_code == 200 else None
                if ticket:
                    path = f"/api/v1/tickets/{ticket['id']}/finish/"
                    finished = retrying(lambda path=path: api.post(path, json={}))
                    if finished.status_code not in (200, 409):
                        errors.append(finished.text)

    workers = [threading.Thread(target=operator_at, args=(c,)) for c in counters]
    for worker in workers:
        worker.start()
    time.sleep(2)
    first.process.send_signal(signal.SIGKILL)
    for worker in workers:
        worker.join(timeout=120)
    proxy.stop()
    assert errors == []

    # Every ticket is in one valid state, and its events agree with it.
    tickets = list(Ticket.objects.filter(office=office))
    assert len({t.number for t in tickets}) == len(tickets) >= 30
    for ticket in tickets:
        events = list(TicketEvent.objects.filter(ticket=ticket).order_by("at", "id").values_list("type", flat=True))
        assert events == EXPECTED_EVENTS[ticket.status], (ticket.number, ticket.status, events)
    last = Ticket.objects.filter(office=office, called_at__isnull=False).order_by("-called_at").first()

    # The display was moved to the survivor and shows the last call.
    proxy = TcpProxy(second.port, port=proxy.port).start()
    try:
        expect(page.locator("#display")).to_have_attribute("data-connected", "1", timeout=30000)
        expect(page.locator(f'#calls li[data-ticket="{last.number}"]')).to_be_visible(timeout=15000)
    finally:
        proxy.stop()
    assert console.errors == []
