"""The kiosk at its real size (1080×1920 portrait, touch) in headless Chromium with the default autoplay policy."""

import io
import os
from datetime import time, timedelta
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

from offices.models import WEEKDAY_ACCUSATIVE, WEEKDAY_NAMES, KioskDevice, OfficeHours
from tests.helpers import ConsoleErrors, add_counter, add_services, make_office, wait_for
from tickets import services as svc
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

KIOSK = {"width": 1080, "height": 1920}
AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe.min.js"
# Counts print() calls instead of opening the print dialog.
COUNT_PRINTS = "window.__printed = 0; window.print = () => { window.__printed += 1; };"
# Records what the kiosk asks the speech engine to say.
RECORD_SPEECH = """
window.__spoken = [];
const realSpeak = window.speechSynthesis.speak.bind(window.speechSynthesis);
window.speechSynthesis.speak = (u) => { window.__spoken.push({ text: u.text, lang: u.lang }); realSpeak(u); };
"""
# A browser with a Russian speech voice (Debian's Chromium has none: see test_third_pass_browser.py).
A_RUSSIAN_VOICE = """
const voice = { name: "Русский", lang: "ru-RU", default: true, localService: true, voiceURI: "ru" };
window.speechSynthesis.getVoices = () => [voice];
Object.defineProperty(SpeechSynthesisUtterance.prototype, "voice", {
  set(v) { this.__voice = v; }, get() { return this.__voice || null; }, configurable: true,
});
"""
MM = 72 / 25.4  # PDF points per millimetre


def kiosk_context(browser, **options):
    context = browser.new_context(viewport=KIOSK, has_touch=True, **options)
    context.add_init_script(COUNT_PRINTS)
    return context


@pytest.fixture
def kiosk_page(browser):
    context = kiosk_context(browser)
    yield context.new_page()
    context.close()


@pytest.fixture
def axe_page(browser):
    # bypass_csp only so that the test can inject axe-core; the other kiosk tests run under the page's CSP.
    context = kiosk_context(browser, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # as `make run` does


def open_kiosk(page, server, code):
    page.goto(f"{server.url}/kiosk/{code}/")
    expect(page.locator("#kiosk")).to_have_attribute("data-connected", "1")


def take(page, service):
    page.locator(f'button[data-service="{service}"]').click()
    expect(page.locator("#ticket")).to_be_visible()


def contrast_violations(page) -> list:
    if not page.evaluate("!!window.axe"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "axe.run(document, { runOnly: { type: 'rule', values: ['color-contrast'] } })"
        ".then(r => r.violations.map(v => v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)))"
    )
    return [node for rule in result for node in rule]


def test_a_newcomer_takes_twenty_tickets_in_a_row_at_the_demo_kiosk(daphne, kiosk_page, demo):
    # The production limits for tickets taken without a kiosk, not the tests' unlimited ones.
    server = daphne(REMOTE_TICKETS_PER_CLIENT="5/hour", REMOTE_TICKETS_PER_OFFICE="300/hour")
    page = kiosk_page
    console = ConsoleErrors(page)
    open_kiosk(page, server, "korocha")
    expect(page.locator("#demo-badge")).to_have_text("Демо")
    expect(page.locator(".notice.warn")).to_have_count(0)
    for n in range(1, 21):
        take(page, "fl")
        expect(page.locator("#t-number")).to_have_text(f"А{n:03d}")
        page.get_by_role("button", name="Готово").click()
        expect(page.locator("#start")).to_be_visible()
    expect(page.locator("#error")).to_be_hidden()
    assert Ticket.objects.filter(office__code="korocha").count() == 20
    # A client without the kiosk page is still limited at the same office.
    api = httpx.Client(base_url=server.url)
    statuses = [api.post("/api/v1/offices/korocha/tickets/", json={"service": "fl"}).status_code for _ in range(6)]
    assert statuses == [201] * 5 + [429]
    assert console.errors == []


def test_the_demo_kiosk_shows_a_service_tree_in_the_reachable_band(daphne, kiosk_page, demo):
    server = daphne()
    page = kiosk_page
    open_kiosk(page, server, "korocha")
    # One heading for the group; legal entities and the cash desk stand alone, without a heading.
    expect(page.locator("h2")).to_have_text(["Физические лица"])
    group = page.locator("section.group").first
    expect(group.locator("button.service .name")).to_have_text(["Оплата", "Показания", "Договор", "Консультация"])
    expect(page.locator('button[data-service="pay"] .description')).to_have_text("Счета, задолженность, рассрочка")
    expect(page.locator('button[data-service="cash"]')).to_be_visible()
    for mode in ("обычный", "крупный"):
        if mode == "крупный":
            page.get_by_role("button", name="Крупно и контрастно").click()
        targets = page.locator("button.service, button.toggle:visible")
        assert targets.count() == 9  # six services, priority, large text, «У меня предварительная запись»
        for box in [targets.nth(i).bounding_box() for i in range(targets.count())]:
            # Large touch targets, none in the top third (out of a wheelchair user's reach), none off screen.
            assert box["height"] >= 150 and box["width"] >= 400, (mode, box)
            assert box["y"] >= KIOSK["height"] / 3 and box["y"] + box["height"] <= KIOSK["height"], (mode, box)
        assert page.evaluate(
            "document.querySelector('.choices').scrollHeight <= document.querySelector('.choices').clientHeight"
        )


def test_each_service_shows_the_wait_a_ticket_taken_now_would_have(daphne, kiosk_page, db):
    office = make_office("waits", kiosk_open=True)
    services = add_services(office)
    add_counter(office, "1", [services["fl"]])
    add_counter(office, "2", [services["ul"]])
    for _ in range(3):
        svc.ticket_issue(office=office, service=services["fl"])
    server = daphne()
    page = kiosk_page
    open_kiosk(page, server, "waits")
    # (3 ahead + ½) × 300 s (no history yet) on one open counter: 17.5 minutes.
    expect(page.locator('[data-estimate="fl"]')).to_have_text("ожидание ≈ 18 минут")
    expect(page.locator('[data-waiting="fl"]')).to_have_text("3")
    expect(page.locator('[data-estimate="ul"]')).to_have_text("без очереди")
    expect(page.locator('[data-count="ul"]')).to_be_hidden()
    take(page, "fl")
    expect(page.locator("#t-wait")).to_have_text("≈ 18 минут")  # the same promise, now on the ticket


def test_a_priority_ticket_is_confirmed_before_and_shown_as_such_after(daphne, kiosk_page, db):
    office = make_office("prio")
    add_services(office)
    device = KioskDevice.objects.create(office=office, name="Киоск")
    server = daphne()
    page = kiosk_page
    page.goto(f"{server.url}/kiosk/pair/{device.pairing_code}/")
    page.get_by_role("button", name="Подключить киоск").click()
    expect(page.locator("#kiosk")).to_have_attribute("data-connected", "1")
    page.get_by_role("button", name="Льготная категория").click()
    page.locator('button[data-service="ul"]').click()
    dialog = page.get_by_role("dialog", name="Льготный талон")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#confirm-service")).to_have_text("Юридические лица")
    dialog.get_by_role("button", name="Назад").click()
    expect(dialog).to_be_hidden()
    assert not Ticket.objects.exists()
    page.locator('button[data-service="ul"]').click()
    dialog.get_by_role("button", name="Да, льготный талон").dblclick()
    expect(page.locator("#t-priority")).to_be_visible()
    expect(page.locator("#t-priority")).to_have_text("Льготный талон — вас вызовут раньше общей очереди")
    expect(page.locator("#p-priority")).to_be_attached()
    assert page.locator("#p-priority").get_attribute("hidden") is None
    assert list(Ticket.objects.values_list("priority", flat=True)) == [True]
    # The next client starts without priority, and an ordinary ticket says nothing of it.
    page.get_by_role("button", name="Готово").click()
    expect(page.get_by_role("button", name="Льготная категория")).to_have_attribute("aria-pressed", "false")
    take(page, "ul")
    expect(page.locator("#t-priority")).to_be_hidden()


def test_a_closed_kiosk_says_when_the_office_opens(daphne, kiosk_page, db):
    office = make_office("later", all_day=False)
    add_services(office)
    in_three_days = (office.local_now() + timedelta(days=3)).weekday()
    OfficeHours.objects.create(office=office, weekday=in_three_days, opens=time(8), closes=time(17))
    server = daphne()
    page = kiosk_page
    open_kiosk(page, server, "later")
    expect(page.locator("#closed-title")).to_have_text("Офис закрыт")
    expect(page.locator("#closed-next")).to_have_text(f"Откроется {WEEKDAY_ACCUSATIVE[in_three_days]} в 08:00")
    expect(page.locator('button[data-service="fl"]')).to_be_disabled()


def test_text_contrast_meets_wcag_aa_in_normal_and_large_contrast_modes(daphne, axe_page, db):
    office = make_office("axe", kiosk_open=True)
    add_services(office)
    server = daphne()
    page = axe_page
    open_kiosk(page, server, "axe")
    page.wait_for_timeout(500)  # the estimates are in
    assert contrast_violations(page) == []
    toggle = page.get_by_role("button", name="Крупно и контрастно")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    normal_size = 22
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") > normal_size
    assert contrast_violations(page) == []
    # The dialog and the ticket in the large mode, then the mode ends with this client.
    page.get_by_role("button", name="Льготная категория").click()
    page.locator('button[data-service="fl"]').click()
    assert contrast_violations(page) == []
    page.get_by_role("button", name="Да, льготный талон").click()
    expect(page.locator("#ticket")).to_be_visible()
    expect(page.locator("body")).to_have_class("contrast")
    assert contrast_violations(page) == []
    page.get_by_role("button", name="Готово").click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(page.locator("body")).not_to_have_class("contrast")
    take(page, "ul")
    expect(page.locator("#t-priority")).to_be_hidden()
    assert contrast_violations(page) == []


def test_the_issued_number_is_read_aloud_on_request_by_a_russian_speech_voice(daphne, kiosk_page, db):
    office = make_office("voice", kiosk_open=True)
    add_services(office)
    server = daphne()
    page = kiosk_page
    page.add_init_script(RECORD_SPEECH)
    page.add_init_script(A_RUSSIAN_VOICE)
    open_kiosk(page, server, "voice")
    take(page, "cash")
    assert page.evaluate("window.__spoken") == []  # nothing is said unasked
    page.get_by_role("button", name="Озвучить номер").click()
    assert page.evaluate("window.__spoken") == [{"text": "Ваш талон К один. Касса.", "lang": "ru-RU"}]


def test_the_printed_ticket_is_one_page_80_mm_wide_and_as_long_as_its_content(daphne, kiosk_page, db):
    office = make_office("roll", kiosk_open=True)
    add_services(office)
    server = daphne()
    page = kiosk_page
    console = ConsoleErrors(page)  # the page's CSP allows sizing the page through the CSSOM
    open_kiosk(page, server, "roll")
    take(page, "fl")
    wait_for(page, "window.__printed === 1")
    page.emulate_media(media="print")
    expect(page.locator("#print-ticket")).to_be_visible()
    expect(page.locator("#kiosk")).to_be_hidden()
    content_mm = page.evaluate("document.getElementById('print-ticket').getBoundingClientRect().height") * 25.4 / 96
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
    assert len(pdf.pages) == 1
    width, height = float(pdf.pages[0].mediabox.width), float(pdf.pages[0].mediabox.height)
    assert abs(width - 80 * MM) <= 1 * MM, width / MM
    assert content_mm * MM <= height <= (content_mm + 10) * MM, (height / MM, content_mm)
    assert "А001" in pdf.pages[0].extract_text()
    assert console.errors == []


def test_print_runs_once_per_ticket_even_after_a_double_tap_and_several_tickets(daphne, kiosk_page, db):
    office = make_office("taps", kiosk_open=True)
    add_services(office)
    server = daphne()
    page = kiosk_page
    open_kiosk(page, server, "taps")
    for n in range(1, 4):
        button = page.locator('button[data-service="fl"]')
        button.dblclick()
        button.dispatch_event("click")  # a third tap, whatever the screen shows by then
        expect(page.locator("#t-number")).to_have_text(f"А{n:03d}")
        wait_for(page, f"window.__printed === {n}")
        # A late load event of the QR code must not print again.
        page.wait_for_timeout(500)
        assert page.evaluate("window.__printed") == n
        page.get_by_role("button", name="Готово").click()
    assert Ticket.objects.count() == 3


def test_the_large_text_mode_ends_after_two_minutes_without_a_touch(daphne, kiosk_page, db):
    office = make_office("idle", kiosk_open=True)
    add_services(office)
    server = daphne()
    page = kiosk_page
    page.clock.install()
    open_kiosk(page, server, "idle")
    toggle = page.get_by_role("button", name="Крупно и контрастно")
    toggle.click()
    expect(page.locator("body")).to_have_class("contrast")
    page.clock.fast_forward(60_000)
    expect(page.locator("body")).to_have_class("contrast")  # still this client's
    page.clock.fast_forward(61_000)
    expect(page.locator("body")).not_to_have_class("contrast")  # the next client starts as usual
    expect(toggle).to_have_attribute("aria-pressed", "false")


# Each service name's text, measured as drawn, against its card's content box (inside border and padding).
NAMES_OUTSIDE_THEIR_CARD = """
[...document.querySelectorAll('button.service .name')].filter(name => {
    const range = document.createRange(); range.selectNodeContents(name);
    const text = range.getBoundingClientRect(), card = name.closest('button').getBoundingClientRect();
    const s = getComputedStyle(name.closest('button'));
    const inner = card.right - parseFloat(s.borderRightWidth) - parseFloat(s.paddingRight) + 1;
    return text.right > inner;
}).map(name => name.textContent)
"""


def test_service_names_stay_inside_their_cards_in_the_large_text_mode(daphne, kiosk_page, demo):
    server = daphne()
    page = kiosk_page
    open_kiosk(page, server, "korocha")
    assert page.evaluate(NAMES_OUTSIDE_THEIR_CARD) == []
    page.get_by_role("button", name="Крупно и контрастно").click()
    expect(page.locator("body")).to_have_class("contrast")
    # «Консультация» and «Юридические» ran over the yellow border.
    assert page.evaluate(NAMES_OUTSIDE_THEIR_CARD) == []


# Is the office name's last line, down to its bottom, still drawn as the header's?
NAME_COVERED = """
(() => {
    const name = document.querySelector('.bar .office');
    const range = document.createRange(); range.selectNodeContents(name);
    const rects = range.getClientRects(), last = rects[rects.length - 1];
    const hit = document.elementFromPoint(last.left + last.width / 2, last.bottom - 2);
    return !document.querySelector('.bar').contains(hit);
})()
"""


def test_a_closed_kiosk_keeps_a_long_office_name_readable_in_its_header(daphne, kiosk_page, db):
    office = make_office(
        "longname", all_day=False, kiosk_open=True, name="ЦОК Корочанского участка (демо, круглосуточно)"
    )
    add_services(office)
    OfficeHours.objects.create(
        office=office, weekday=(office.local_now() + timedelta(days=1)).weekday(), opens=time(8), closes=time(17)
    )
    server = daphne()
    page = kiosk_page
    open_kiosk(page, server, "longname")
    expect(page.locator("#closed-title")).to_have_text("Офис закрыт")
    assert page.locator(".bar .office").bounding_box()["height"] > 60  # two lines
    # The «closed» layer covered the header's second line: «круглосуточно)» white on the light grey.
    assert page.evaluate(NAME_COVERED) is False


def test_a_closed_kiosk_lists_a_day_open_around_the_clock_as_such(daphne, kiosk_page, db):
    office = make_office("sunday", all_day=False)
    add_services(office)
    tomorrow = (office.local_now() + timedelta(days=1)).weekday()
    OfficeHours.objects.create(office=office, weekday=tomorrow, opens=time(0), closes=time(0))
    server = daphne()
    page = kiosk_page
    open_kiosk(page, server, "sunday")
    expect(page.locator("#closed-next")).to_have_text("Откроется завтра в 00:00")
    # Not «00:00–24:00», as the admin already says.
    expect(page.locator("#closed-hours")).to_contain_text(f"{WEEKDAY_NAMES[tomorrow]}: круглосуточно")


def test_the_pairing_page_offers_a_finger_sized_button_on_the_kiosks_touch_screen(daphne, kiosk_page, db):
    office = make_office("pairing", name="ЦОК Белгородского участка")
    kiosk = KioskDevice.objects.create(office=office, name="Киоск у входа")
    server = daphne()
    page = kiosk_page
    page.goto(f"{server.url}/kiosk/pair/{kiosk.pairing_code}/")
    button = page.get_by_role("button", name="Подключить киоск")
    box = button.bounding_box()
    assert box["height"] >= 80 and box["width"] >= 400, box  # it was 214×49 px
    button.tap()
    expect(page).to_have_url(f"{server.url}/kiosk/pairing/")
    expect(page.locator("#kiosk")).to_have_attribute("data-connected", "1")


def test_a_kiosk_whose_first_answer_is_lost_prints_one_ticket(daphne, kiosk_page, db):
    office = make_office("lost", kiosk_open=True)
    add_services(office)
    server = daphne()
    page = kiosk_page
    keys = []

    def lose_the_first_answer(route):
        keys.append(route.request.header_value("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # the server issues the ticket...
            route.abort("connectionreset")  # ...and its answer never reaches the kiosk
        else:
            route.continue_()

    page.route("**/api/v1/offices/lost/tickets/", lose_the_first_answer)
    open_kiosk(page, server, "lost")
    take(page, "fl")
    expect(page.locator("#t-number")).to_have_text("А001")
    wait_for(page, "window.__printed === 1")
    assert Ticket.objects.filter(office=office).count() == 1
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    expect(page.locator("#error")).to_be_hidden()
    # The next touch is a new ticket, under a new key.
    page.get_by_role("button", name="Готово").click()
    take(page, "fl")
    expect(page.locator("#t-number")).to_have_text("А002")
    wait_for(page, "window.__printed === 2")
    assert len(keys) == 3 and keys[2] != keys[0]
    assert Ticket.objects.filter(office=office).count() == 2


def test_a_kiosk_retries_through_a_proxys_503_while_the_server_restarts(daphne, kiosk_page, db):
    office = make_office("restart", kiosk_open=True)
    add_services(office)
    server = daphne()
    page = kiosk_page
    keys = []

    def restarting(route):
        keys.append(route.request.header_value("idempotency-key"))
        if len(keys) <= 2:
            route.fulfill(status=503, content_type="text/html", body="<h1>503</h1>")  # nginx, no upstream yet
        else:
            route.continue_()

    page.route("**/api/v1/offices/restart/tickets/", restarting)
    open_kiosk(page, server, "restart")
    take(page, "fl")
    expect(page.locator("#t-number")).to_have_text("А001")
    wait_for(page, "window.__printed === 1")
    assert len(keys) == 3 and len(set(keys)) == 1
    assert Ticket.objects.filter(office=office).count() == 1
