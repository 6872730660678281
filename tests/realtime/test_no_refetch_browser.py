"""Screens render what is pushed: during ten calls no page reads anything again."""

import pytest
from playwright.sync_api import expect

from offices.models import Counter, Membership
from tests.helpers import add_counter, add_services, make_office, make_user, sign_in
from tests.workplace.test_operator_browser import Api
from tickets import selectors
from tickets import services as svc

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]


def watch(page) -> list[str]:
    """Every HTTP request the page makes from now on (the socket's frames are not requests)."""
    requests = []
    page.on("request", lambda request: requests.append(f"{request.method} {request.url}"))
    return requests


def test_ten_calls_reach_the_operator_page_kiosk_and_display_without_a_single_request(
    daphne, browser, django_user_model
):
    office = make_office("push", kiosk_open=True)
    services = add_services(office)
    one = add_counter(office, "1", [services["fl"]], [services["ul"]], state=Counter.State.CLOSED)
    two = add_counter(office, "2", [services["ul"]], state=Counter.State.CLOSED)
    anna = make_user(django_user_model, "anna", office=office, role=Membership.Role.OPERATOR)
    boris = make_user(django_user_model, "boris", office=office, role=Membership.Role.OPERATOR)
    svc.counter_set_state(counter=one, state="open", user=anna)
    for _ in range(12):
        svc.ticket_issue(office=office, service=services["ul"])
    server = daphne()

    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ru-RU")
    sign_in(context, server, anna)
    desk = context.new_page()
    desk.goto(f"{server.url}/operator/{one.pk}/")
    expect(desk.locator("#operator")).to_have_attribute("data-connected", "1")
    expect(desk.locator("#queue-total")).to_have_text("(12)")  # ul is counter 1's backup service
    kiosk = browser.new_page()
    kiosk.goto(f"{server.url}/kiosk/push/")
    expect(kiosk.locator("#kiosk")).to_have_attribute("data-connected", "1")
    expect(kiosk.locator('[data-waiting="ul"]')).to_have_text("12")
    hall = browser.new_page()
    hall.goto(f"{server.url}/display/push/?voice=0&chime=0")
    expect(hall.locator("#display")).to_have_attribute("data-connected", "1")
    desk.wait_for_load_state("networkidle")
    kiosk.wait_for_load_state("networkidle")
    hall.wait_for_load_state("networkidle")
    requests = {"operator": watch(desk), "kiosk": watch(kiosk), "display": watch(hall)}

    api = Api(server, boris)
    api.post(f"counters/{two.pk}/state/", {"state": "open"})
    last = None
    for i in range(10):
        called = api.post(f"counters/{two.pk}/call-next/")
        last = called["number"]
        if i % 2:
            api.post(f"tickets/{called['id']}/finish/", {"counter": two.pk})
        else:
            api.post(f"tickets/{called['id']}/no-show/", {"counter": two.pk})
        if i % 3 == 0:
            api.post("offices/push/tickets/", {"service": "ul"})  # a newcomer joins the back of the line
    # 12 + 4 newcomers − 10 called.
    expect(desk.locator("#queue-total")).to_have_text("(6)")
    expect(desk.locator("#queue-list li")).to_have_count(6)
    expect(kiosk.locator('[data-waiting="ul"]')).to_have_text("6")
    expect(hall.locator("#calls li").first).to_have_attribute("data-ticket", last)
    # The operator page's list is the server's list, in the server's order.
    listed = desk.locator("#queue-list li b.num").all_text_contents()
    one.refresh_from_db()
    workplace = selectors.counter_workplace(one, anna)
    assert listed == [t["number"] for t in workplace["queue"]]
    assert requests == {"operator": [], "kiosk": [], "display": []}
    context.close()
