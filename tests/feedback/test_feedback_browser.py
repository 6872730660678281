"""The rating in a browser: the client's phone at 390×844 after the visit, and the counter's tablet at 1280×800
(paired by its one-time link, lit when a ticket is finished at its counter, dark again after its time)."""

import httpx
import pytest
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from feedback.models import Feedback
from offices.models import KioskDevice, Membership
from tests.helpers import ConsoleErrors, add_counter, add_services, make_office, make_user

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

TABLET = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def hall(django_user_model, daphne):
    office = make_office("hall", name="ЦОК Тестовый")
    services = add_services(office)
    counter = add_counter(office, "3", [services["fl"]])
    operator = make_user(django_user_model, "hall-op", office=office, role=Membership.Role.OPERATOR)
    server = daphne()
    staff = httpx.Client(
        base_url=server.url, timeout=10, headers={"Authorization": f"Token {Token.objects.create(user=operator).key}"}
    )
    return server, staff, counter


def issue(staff) -> dict:
    response = staff.post("/api/v1/offices/hall/tickets/", json={"service": "fl"})
    assert response.status_code == 201, response.text
    return response.json()


def serve(staff, counter) -> dict:
    """Call the next client to ``counter`` and finish the visit, through the API as the operator's screen does."""
    called = staff.post(f"/api/v1/counters/{counter.pk}/call-next/")
    assert called.status_code == 200, called.text
    finished = staff.post(f"/api/v1/tickets/{called.json()['id']}/finish/", json={"counter": counter.pk})
    assert finished.status_code == 200, finished.text
    return finished.json()


def test_the_phone_asks_for_a_rating_once_the_visit_is_over(browser, hall):
    server, staff, counter = hall
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone = context.new_page()
    console = ConsoleErrors(phone)
    ticket = issue(staff)
    phone.goto(f"{server.url}/t/{ticket['token']}/")
    expect(phone.locator("#tracking")).to_have_attribute("data-connected", "1")
    feedback = phone.locator("#feedback")
    expect(feedback).to_be_hidden()  # not before the visit is over

    serve(staff, counter)
    expect(phone.locator("#tracking")).to_have_attribute("data-status", "done")
    expect(feedback).to_be_visible()
    expect(feedback.get_by_role("heading")).to_have_text("Оцените обслуживание")
    send = feedback.get_by_role("button", name="Отправить оценку")
    expect(send).to_be_disabled()  # a star first
    star = feedback.get_by_role("button", name="4 из 5")
    box = star.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44  # a thumb's target
    star.tap()
    expect(star).to_have_attribute("aria-pressed", "true")
    phone.get_by_label("Комментарий (необязательно)").fill("Быстро и вежливо")
    send.tap()
    expect(phone.locator("#feedback-thanks")).to_have_text("Спасибо за оценку!")
    expect(phone.locator("#feedback-ask")).to_be_hidden()
    rated = Feedback.objects.get(ticket__token=ticket["token"])
    assert (rated.rating, rated.comment, rated.source) == (4, "Быстро и вежливо", "phone")
    # Opened again later: thanked, not asked twice.
    phone.reload()
    expect(phone.locator("#feedback-thanks")).to_be_visible()
    expect(phone.locator("#feedback-ask")).to_be_hidden()
    no_overflow = "document.documentElement.scrollWidth <= window.innerWidth"
    assert phone.evaluate(no_overflow)
    assert console.errors == []
    context.close()


def pair_tablet(browser, server, counter):
    device = KioskDevice.objects.create(office=counter.office, name="Планшет у окна 3", counter=counter)
    context = browser.new_context(viewport=TABLET, has_touch=True)
    tablet = context.new_page()
    tablet.goto(f"{server.url}/kiosk/pair/{device.pairing_code}/")
    expect(tablet.get_by_role("heading")).to_have_text("Подключить этот браузер как планшет оценки у окна 3?")
    tablet.get_by_role("button", name="Подключить планшет").click()
    expect(tablet).to_have_url(f"{server.url}/rate/{counter.pk}/")
    expect(tablet.locator("#rate")).to_have_attribute("data-connected", "1")
    return context, tablet


def test_the_counter_tablet_lights_up_after_a_visit_takes_the_rating_and_goes_dark(browser, hall):
    server, staff, counter = hall
    context, tablet = pair_tablet(browser, server, counter)
    console = ConsoleErrors(tablet)
    root = tablet.locator("#rate")
    expect(root).to_have_attribute("data-state", "dark")
    expect(tablet.get_by_text("Оцените обслуживание")).to_be_hidden()

    issue(staff)
    finished = serve(staff, counter)
    expect(root).to_have_attribute("data-state", "ask")
    expect(tablet.get_by_role("heading", name="Оцените обслуживание")).to_be_visible()
    expect(tablet.locator("#ticket")).to_have_text(finished["number"])
    star = tablet.get_by_role("button", name="5 из 5")
    box = star.bounding_box()
    assert box["width"] >= 120 and box["height"] >= 120  # large targets for a finger at arm's length
    star.tap()
    tablet.get_by_label("Комментарий (необязательно)").fill("Спасибо оператору")
    tablet.get_by_role("button", name="Отправить оценку").tap()
    expect(tablet.get_by_role("heading", name="Спасибо за оценку!")).to_be_visible()
    rated = Feedback.objects.get(ticket_id=finished["id"])
    assert (rated.rating, rated.comment, rated.source) == (5, "Спасибо оператору", "tablet")
    # Dark again after thanking (5 s), ready for the next client.
    expect(root).to_have_attribute("data-state", "dark", timeout=10_000)
    expect(tablet.get_by_role("heading", name="Спасибо за оценку!")).to_be_hidden()
    assert console.errors == []
    context.close()


def test_the_counter_tablet_goes_dark_60_seconds_after_a_visit_nobody_rated(browser, hall):
    server, staff, counter = hall
    context, tablet = pair_tablet(browser, server, counter)
    tablet.clock.install()
    tablet.reload()
    root = tablet.locator("#rate")
    expect(root).to_have_attribute("data-connected", "1")
    issue(staff)
    serve(staff, counter)
    expect(root).to_have_attribute("data-state", "ask")
    tablet.clock.fast_forward(59_000)
    expect(root).to_have_attribute("data-state", "ask")  # still this client's
    tablet.clock.fast_forward(2_000)
    expect(root).to_have_attribute("data-state", "dark")
    expect(tablet.get_by_role("heading", name="Оцените обслуживание")).to_be_hidden()
    assert not Feedback.objects.exists()
    context.close()


# Every ticket number the tablet lit up for, in order.
RECORD_LIGHTS = """
window.__lit = [];
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("rate");
  new MutationObserver(() => {
    if (root.dataset.state === "ask") window.__lit.push(document.getElementById("ticket").textContent);
  }).observe(root, { attributes: true, attributeFilter: ["data-state"] });
});
"""


def test_a_visit_finished_at_another_counter_leaves_the_tablet_dark(browser, hall):
    server, staff, counter = hall
    other = add_counter(counter.office, "4", list(counter.services.all()))
    context, tablet = pair_tablet(browser, server, counter)
    tablet.add_init_script(RECORD_LIGHTS)
    tablet.reload()
    expect(tablet.locator("#rate")).to_have_attribute("data-connected", "1")
    issue(staff)
    serve(staff, other)
    issue(staff)
    finished = serve(staff, counter)
    expect(tablet.locator("#ticket")).to_have_text(finished["number"])
    # Messages arrive in order: window 4's finish came first and lit nothing.
    assert tablet.evaluate("window.__lit") == [finished["number"]]
    context.close()


def test_a_low_rating_shows_on_the_monitor_live_with_its_comment_until_the_manager_marks_it_seen(
    browser, hall, django_user_model
):
    from tests.helpers import sign_in

    server, staff, counter = hall
    manager = make_user(django_user_model, "hall-mgr", office=counter.office, role=Membership.Role.MANAGER)
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    sign_in(context, server, manager)
    page = context.new_page()
    console = ConsoleErrors(page)
    page.goto(f"{server.url}/monitor/")
    card = page.locator("#office-hall")
    expect(card).to_have_attribute("data-connected", "1")
    low = card.locator('[data-field="low"]')
    expect(low).to_be_hidden()

    ticket = issue(staff)
    finished = serve(staff, counter)
    # The client rates from the phone (the API, in the server's process: it announces after commit).
    rated = httpx.post(
        f"{server.url}/api/v1/tickets/{ticket['token']}/feedback/", json={"rating": 1, "comment": "Долго ждал <b>"}
    )
    assert rated.status_code == 201, rated.text
    feedback = Feedback.objects.get(pk=rated.json()["id"])
    # Pushed to the open monitor: no reload.
    expect(low).to_be_visible()
    item = low.locator(f'li[data-feedback="{feedback.pk}"]')
    expect(item).to_contain_text("Оценка 1 из 5")
    expect(item).to_contain_text(f"талон {finished['number']}")
    expect(item.locator("blockquote")).to_have_text("Долго ждал <b>")  # the client's text, as text
    expect(card.locator('[data-field="low-count"]')).to_have_text("(1)")

    item.get_by_role("button", name="Просмотрено").click()
    expect(low).to_be_hidden()
    feedback.refresh_from_db()
    assert feedback.seen_by == manager
    page.reload()
    expect(card).to_have_attribute("data-connected", "1")
    expect(card.locator('[data-field="bookings"]')).not_to_have_text("—")  # the figures have arrived
    expect(low).to_be_hidden()
    assert console.errors == []
    context.close()


def axe_violations(page) -> list[str]:
    page.add_script_tag(path="tests/vendor/axe.min.js")
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert len(result["passes"]) > 10  # axe did look at the page
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]]


def test_the_phones_question_and_the_lit_tablet_pass_axe(browser, hall):
    server, staff, counter = hall
    device = KioskDevice.objects.create(office=counter.office, name="Планшет", counter=counter)
    # bypass_csp: only to inject axe itself, which the pages' CSP (rightly) refuses.
    tablet_context = browser.new_context(viewport=TABLET, has_touch=True, bypass_csp=True)
    tablet = tablet_context.new_page()
    tablet.goto(f"{server.url}/kiosk/pair/{device.pairing_code}/")
    tablet.get_by_role("button", name="Подключить планшет").click()
    expect(tablet.locator("#rate")).to_have_attribute("data-connected", "1")
    phone_context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, bypass_csp=True)
    phone = phone_context.new_page()
    ticket = issue(staff)
    phone.goto(f"{server.url}/t/{ticket['token']}/")
    expect(phone.locator("#tracking")).to_have_attribute("data-connected", "1")
    serve(staff, counter)
    expect(tablet.locator("#rate")).to_have_attribute("data-state", "ask")
    expect(phone.locator("#feedback")).to_be_visible()
    phone.get_by_role("button", name="2 из 5").tap()
    tablet.get_by_role("button", name="3 из 5").tap()
    assert axe_violations(tablet) == []
    assert axe_violations(phone) == []
    tablet_context.close()
    phone_context.close()
