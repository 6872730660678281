"""Issue #26, third pass, as people see it: the kiosk (1080×1920), its printed ticket, the client's phone
(390×844) and the hall display (1920×1080) in Debian's Chromium."""

import os
import re
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from offices.models import Counter, Membership
from tests.helpers import ConsoleErrors, add_counter, add_services, make_office, make_user, token_client, wait_for
from tickets import services as svc
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

KIOSK = {"width": 1080, "height": 1920}
PHONE = {"width": 390, "height": 844}
TV = {"width": 1920, "height": 1080}
AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe.min.js"
NO_COUNTER = "Сейчас нет открытых окон по этой услуге"
COUNT_PRINTS = "window.__printed = 0; window.print = () => { window.__printed += 1; };"
# Debian's Chromium has no speech voices; the stub makes that certain, and records any speech asked for.
NO_SPEECH_VOICES = """
window.__spoken = [];
window.speechSynthesis.getVoices = () => [];
window.speechSynthesis.speak = (u) => { window.__spoken.push(u.text); };
"""


def axe_violations(page) -> list[str]:
    if not page.evaluate("!!window.axe"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "axe.run(document).then(r => r.violations.map(v => v.id + ': ' + "
        "v.nodes.map(n => n.target.join(' ')).join(', ')))"
    )


@pytest.fixture
def kiosk(browser):
    # bypass_csp only so that axe-core can be injected as an inline script.
    context = browser.new_context(viewport=KIOSK, has_touch=True, bypass_csp=True)
    context.add_init_script(COUNT_PRINTS)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def tv(browser):
    context = browser.new_context(viewport=TV, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=open(os.devnull, "w"))


def open_kiosk(page, server, code):
    page.goto(f"{server.url}/kiosk/{code}/")
    expect(page.locator("#kiosk")).to_have_attribute("data-connected", "1")


def tile(page, service):
    return page.locator(f'button[data-service="{service}"]')


def box(locator) -> dict:
    return locator.bounding_box()


# The kiosk promises no service that no open counter gives


def test_with_its_only_counter_closed_the_kiosk_the_ticket_and_the_phone_say_no_counter_serves_it(
    daphne, kiosk, phone, db
):
    office = make_office("nocounter", kiosk_open=True)
    services = add_services(office)
    add_counter(office, "1", [services["fl"]])
    add_counter(office, "2", [services["ul"]], state=Counter.State.CLOSED)
    server = daphne()
    open_kiosk(kiosk, server, "nocounter")
    expect(kiosk.locator('[data-estimate="ul"]')).to_have_text(NO_COUNTER)
    expect(kiosk.locator('[data-estimate="fl"]')).to_have_text("без очереди")
    # Issued anyway (the office's default), with the warning instead of «вас вызовут первым».
    expect(tile(kiosk, "ul")).to_be_enabled()
    tile(kiosk, "ul").click()
    expect(kiosk.locator("#t-number")).to_have_text("Б001")
    expect(kiosk.locator("#t-no-counter")).to_have_text(NO_COUNTER)
    expect(kiosk.locator("#t-no-counter")).to_be_visible()
    expect(kiosk.locator("#ticket")).not_to_contain_text("вас вызовут первым")
    assert axe_violations(kiosk) == []
    wait_for(kiosk, "window.__printed === 1")
    kiosk.emulate_media(media="print")
    expect(kiosk.locator("#p-no-counter")).to_have_text(NO_COUNTER)
    expect(kiosk.locator("#p-no-counter")).to_be_visible()
    expect(kiosk.locator("#print-ticket")).not_to_contain_text("вас вызовут первым")

    ticket = Ticket.objects.get(number="Б001")
    phone.goto(f"{server.url}/t/{ticket.token}/")
    expect(phone.locator("#tracking")).to_have_attribute("data-connected", "1")
    expect(phone.locator("#no-counter")).to_have_text(NO_COUNTER)
    expect(phone.locator("#no-counter")).to_be_visible()
    expect(phone.locator("#wait")).to_be_hidden()  # no wait is promised
    assert axe_violations(phone) == []


def test_a_counter_opening_lifts_the_warning_on_the_kiosk_and_the_phone_live(daphne, kiosk, phone, django_user_model):
    office = make_office("opens", kiosk_open=True)
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]], state=Counter.State.CLOSED)
    operator = make_user(django_user_model, "opens-op", office=office, role=Membership.Role.OPERATOR)
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    server = daphne()
    open_kiosk(kiosk, server, "opens")
    phone.goto(f"{server.url}/t/{ticket.token}/")
    expect(kiosk.locator('[data-estimate="fl"]')).to_have_text(NO_COUNTER)
    expect(phone.locator("#no-counter")).to_be_visible()
    auth = {"Authorization": token_client(operator)._credentials["HTTP_AUTHORIZATION"]}
    opened = httpx.post(f"{server.url}/api/v1/counters/{counter.pk}/state/", json={"state": "open"}, headers=auth)
    assert opened.status_code == 200, opened.text
    # One waiting, one counter, no history: (1 + ½) × 300 s (selectors.estimate) = 7.5 → «≈ 8 минут».
    expect(kiosk.locator('[data-estimate="fl"]')).to_have_text("ожидание ≈ 8 минут", timeout=5000)
    expect(phone.locator("#no-counter")).to_be_hidden(timeout=5000)
    expect(phone.locator("#wait")).to_be_visible()


def test_an_office_that_issues_only_for_served_services_disables_their_tiles_and_refuses_the_ticket(daphne, kiosk, db):
    office = make_office("strict", kiosk_open=True, issue_without_counter=False)
    services = add_services(office)
    add_counter(office, "1", [services["fl"]])
    server = daphne()
    open_kiosk(kiosk, server, "strict")
    expect(kiosk.locator('[data-estimate="cash"]')).to_have_text(NO_COUNTER)
    expect(tile(kiosk, "cash")).to_be_disabled()
    expect(tile(kiosk, "fl")).to_be_enabled()
    answer = httpx.post(f"{server.url}/api/v1/offices/strict/tickets/", json={"service": "cash"})
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "no_open_counter"
    assert answer.json()["error"]["message"].startswith(NO_COUNTER)
    assert not Ticket.objects.filter(service=services["cash"]).exists()


# Offline


def test_an_offline_kiosk_fills_the_screen_and_takes_no_touch_until_the_connection_is_back(daphne, kiosk, db):
    office = make_office("down", kiosk_open=True)
    add_services(office)
    server = daphne()
    page = kiosk
    console = ConsoleErrors(page, ignore=["WebSocket connection to", "ERR_CONNECTION_REFUSED"])
    open_kiosk(page, server, "down")
    server.stop()
    overlay = page.locator("#offline")
    expect(overlay).to_be_visible(timeout=5000)
    expect(overlay.locator(".offline-title")).to_have_text("Терминал временно не работает")
    # The whole screen, header included: nothing peeks out from under it.
    assert box(overlay) == {"x": 0, "y": 0, "width": KIOSK["width"], "height": KIOSK["height"]}
    for service in ("fl", "ul", "cash"):
        expect(tile(page, service)).to_be_disabled()
    centre = box(tile(page, "fl"))
    hit = page.evaluate(
        "([x, y]) => document.getElementById('offline').contains(document.elementFromPoint(x, y))",
        [centre["x"] + centre["width"] / 2, centre["y"] + centre["height"] / 2],
    )
    assert hit is True
    assert axe_violations(page) == []
    server.start()
    expect(overlay).to_be_hidden(timeout=15000)
    for service in ("fl", "ul", "cash"):
        expect(tile(page, service)).to_be_enabled()
    tile(page, "fl").click()
    expect(page.locator("#t-number")).to_have_text("А001")
    expect(page.locator("#error")).to_be_hidden()
    assert console.errors == []


def test_a_ticket_on_screen_stays_readable_when_the_connection_drops_and_the_start_screen_is_covered(daphne, kiosk, db):
    office = make_office("blip", kiosk_open=True)
    add_services(office)
    server = daphne()
    page = kiosk
    open_kiosk(page, server, "blip")
    tile(page, "fl").click()
    expect(page.locator("#t-number")).to_have_text("А001")
    server.kill()  # at once: the ticket goes back to the start by itself after 10 s
    expect(page.locator("#kiosk")).to_have_attribute("data-connected", "0", timeout=5000)
    expect(page.locator("#t-number")).to_be_visible()  # printed already: the client still reads it
    expect(page.locator("#offline")).to_be_hidden()
    page.get_by_role("button", name="Готово").click()
    expect(page.locator("#offline")).to_be_visible()
    expect(tile(page, "fl")).to_be_disabled()


# «Озвучить номер» without speech voices


def test_read_aloud_without_speech_voices_plays_the_products_own_clips(daphne, kiosk, db):
    office = make_office("clips", kiosk_open=True)
    add_services(office)
    server = daphne()
    page = kiosk
    page.add_init_script(NO_SPEECH_VOICES)
    clips = []
    page.on(
        "request", lambda request: clips.append(request.url.rsplit("/", 1)[-1]) if "/voice/ru/" in request.url else None
    )
    open_kiosk(page, server, "clips")
    tile(page, "cash").click()
    expect(page.locator("#t-number")).to_have_text("К001")
    assert clips == []  # nothing is said unasked
    speak = page.get_by_role("button", name="Озвучить номер")
    expect(speak).to_be_visible()
    speak.click()
    # «Талон К один»: the words, then the letter К (U+041A), then «один».
    wait_for(page, "window.kioskAnnouncer.log.length === 1 && window.kioskAnnouncer.log[0].state === 'done'", 15000)
    assert page.evaluate("window.kioskAnnouncer.log[0].clips") == ["w_talon", "l_041a", "n_1"]
    assert clips[:3] == ["w_talon.ogg", "l_041a.ogg", "n_1.ogg"]
    assert page.evaluate("window.__spoken") == []


# The start screen's layout


def test_services_without_a_group_stand_apart_from_the_group_above_them(daphne, kiosk, demo):
    server = daphne()
    page = kiosk
    open_kiosk(page, server, "korocha")
    grouped = page.locator("section.group").first.locator("button.service")
    ungrouped = page.locator("section.group.ungrouped")
    expect(ungrouped.locator("button.service .name")).to_have_text(["Юридические лица", "Касса"])
    row_gap = box(grouped.nth(2))["y"] - (box(grouped.nth(0))["y"] + box(grouped.nth(0))["height"])
    last = box(grouped.last)
    apart = box(ungrouped.locator("button.service").first)["y"] - (last["y"] + last["height"])
    # A rule across the screen and at least twice the gap between the group's own rows.
    assert apart >= 2 * row_gap, (apart, row_gap)
    assert ungrouped.evaluate("e => parseFloat(getComputedStyle(e).borderTopWidth)") >= 3
    assert box(ungrouped)["width"] >= KIOSK["width"] - 2 * 60


NAME_SIZE = "parseFloat(getComputedStyle(document.querySelector('button.service .name')).fontSize)"
YELLOW = "rgb(255, 210, 0)"


def test_the_large_text_mode_makes_the_names_half_as_large_again_and_says_the_colours_it_shows(daphne, kiosk, demo):
    server = daphne()
    page = kiosk
    open_kiosk(page, server, "korocha")
    normal = page.evaluate(NAME_SIZE)
    toggle = page.get_by_role("button", name="Крупно и контрастно")
    expect(toggle).to_contain_text("жёлтое и белое на чёрном")
    toggle.click()
    expect(page.locator("body")).to_have_class("contrast")
    large = page.evaluate(NAME_SIZE)
    assert large / normal >= 1.5, (normal, large)
    name = page.locator("button.service .name").first
    assert name.evaluate("e => getComputedStyle(e).color") == YELLOW
    assert page.locator("button.service .description").first.evaluate("e => getComputedStyle(e).color") == (
        "rgb(255, 255, 255)"
    )
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
    # Every name still fits its card, every card the screen.
    for i in range(page.locator("button.service").count()):
        card = box(page.locator("button.service").nth(i))
        assert card["x"] >= 0 and card["x"] + card["width"] <= KIOSK["width"]
        assert card["y"] + card["height"] <= KIOSK["height"]
    assert axe_violations(page) == []


# The vertical gaps down the start screen, from the header's bottom to the first card.
GAPS = """
(() => {
    const blocks = ['.bar', '.intro h1', '.intro .sub', '.intro .steps', '.choices h2, .choices button.service']
        .map(s => document.querySelector(s).getBoundingClientRect());
    return blocks.slice(1).map((b, i) => Math.round(b.top - blocks[i].bottom));
})()
"""


def test_no_empty_band_stands_under_the_header(daphne, kiosk, demo):
    server = daphne()
    page = kiosk
    open_kiosk(page, server, "korocha")
    gaps = page.evaluate(GAPS)
    assert max(gaps) <= 120, gaps  # it was one band of about 330 px
    # Nothing overlaps on the way down, and the steps are read, not touched.
    assert min(gaps) >= 0, gaps
    expect(page.locator(".steps li")).to_have_count(3)
    assert page.locator(".steps button, .steps a").count() == 0
    assert axe_violations(page) == []


def test_a_services_count_never_wraps_inside_its_phrase(daphne, kiosk, demo):
    from offices.models import Office, Service

    korocha = Office.objects.get(code="korocha")
    for code in ("pay", "fl", "ul"):
        svc.ticket_issue(office=korocha, service=Service.objects.get(office=korocha, code=code))
    server = daphne()
    page = kiosk
    open_kiosk(page, server, "korocha")
    for mode in ("обычный", "крупный"):
        if mode == "крупный":
            page.get_by_role("button", name="Крупно и контрастно").click()
        counts = page.locator(".service .count:visible")
        expect(counts).to_have_count(3)
        for i in range(3):
            count = counts.nth(i)
            expect(count).to_have_text(re.compile(r"^в очереди\s1$"))
            # «в очереди 1» on one line: one box, one line high.
            assert count.evaluate("e => e.getClientRects().length") == 1, mode
            line = count.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
            assert box(count)["height"] < 2 * line, (mode, box(count))


# The printed ticket


def test_the_printed_ticket_gives_the_address_a_typed_link_and_asks_to_keep_it(daphne, kiosk, phone, db):
    office = make_office("paper", kiosk_open=True, address="г. Короча, ул. Ленина, 12")
    services = add_services(office)
    add_counter(office, "1", [services["fl"]])
    server = daphne()
    page = kiosk
    open_kiosk(page, server, "paper")
    tile(page, "fl").click()
    expect(page.locator("#t-number")).to_have_text("А001")
    wait_for(page, "window.__printed === 1")
    page.emulate_media(media="print")
    printed = page.locator("#print-ticket")
    expect(printed).to_be_visible()
    expect(printed.locator(".p-address")).to_have_text("г. Короча, ул. Ленина, 12")
    expect(printed.locator(".p-keep")).to_have_text("Сохраняйте талон до конца обслуживания")
    ticket = Ticket.objects.get()
    link = printed.locator(".p-link")
    expect(link).to_have_text(f"{server.url.removeprefix('http://')}/t/{ticket.token}/")
    for part in (".p-address", ".p-link", ".p-keep"):
        part_box = box(printed.locator(part))
        outer = box(printed)
        assert part_box["x"] >= outer["x"] - 1 and part_box["x"] + part_box["width"] <= outer["x"] + outer["width"] + 1
    # The typed address leads to the ticket's page.
    phone.goto("http://" + link.inner_text())
    expect(phone.locator("#number")).to_have_text("А001")


# The phone


def test_an_unknown_link_says_the_ticket_is_not_found_without_staff_links(daphne, phone, db):
    server = daphne()
    response = phone.goto(f"{server.url}/t/no-such-token/")
    assert response.status == 404
    expect(phone.get_by_role("heading", level=1)).to_have_text("Талон не найден или уже недействителен")
    expect(phone.get_by_text("Страница не найдена")).to_have_count(0)
    expect(phone.get_by_role("link")).to_have_count(0)  # no «Войти», no «на главную»
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_violations(phone) == []


def test_a_postponed_ticket_shows_when_it_returns_to_the_queue(daphne, phone, django_user_model):
    office = make_office("later")
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]])
    operator = make_user(django_user_model, "later-op", office=office, role=Membership.Role.OPERATOR)
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_call_next(counter=counter, operator=operator)
    ticket.refresh_from_db()
    svc.ticket_postpone(ticket=ticket, operator=operator, minutes=30)
    ticket.refresh_from_db()
    returns = ticket.returns_at.astimezone(office.tz).strftime("%H:%M")
    server = daphne()
    phone.goto(f"{server.url}/t/{ticket.token}/")
    expect(phone.locator("#tracking")).to_have_attribute("data-connected", "1")
    expect(phone.locator("#returns")).to_have_text(f"Вы вернётесь в очередь в {returns}")
    expect(phone.locator("#returns")).to_be_visible()
    expect(phone.locator("#place")).to_be_hidden()
    expect(phone.locator("#wait")).to_be_hidden()
    assert "—" not in phone.locator("#waiting").inner_text()  # what is drawn, not the hidden rows
    assert axe_violations(phone) == []


# The hall display


def test_the_hall_display_drops_its_counts_with_its_calls_after_five_minutes_offline(daphne, tv, django_user_model):
    office = make_office("tvcounts")
    services = add_services(office)
    counter = add_counter(office, "4", [services["fl"]])
    operator = make_user(django_user_model, "tvc-op", office=office, role=Membership.Role.OPERATOR)
    auth = {"Authorization": token_client(operator)._credentials["HTTP_AUTHORIZATION"]}
    server = daphne()
    page = tv
    page.clock.install()
    page.goto(f"{server.url}/display/tvcounts/?voice=0&chime=0")
    expect(page.locator("#display")).to_have_attribute("data-connected", "1")
    api = httpx.Client(base_url=server.url, headers=auth, timeout=10)
    for _ in range(3):
        api.post("/api/v1/offices/tvcounts/tickets/", json={"service": "fl"})
    api.post(f"/api/v1/counters/{counter.pk}/call-next/")
    count = page.locator('#waiting .count[data-service="fl"]')
    expect(count).to_have_text("2")
    server.stop()
    expect(page.locator("#offline")).to_be_visible(timeout=5000)
    page.clock.fast_forward("01:00")
    expect(count).to_have_text("2")  # a minute is not yet stale
    page.clock.fast_forward("04:30")
    expect(page.locator("#calls li")).to_have_text(["Вызовы появятся, когда связь восстановится"])
    expect(page.locator("#waiting .count")).to_have_text(["—", "—", "—"])
    assert axe_violations(page) == []
    # Back online, the snapshot brings the counts back.
    server.start()
    page.clock.fast_forward(10_000)
    expect(page.locator("#offline")).to_be_hidden(timeout=10000)
    expect(count).to_have_text("2")


def test_the_kiosk_start_screen_and_its_ticket_pass_axe_in_both_modes(daphne, kiosk, db):
    office = make_office("axe3", kiosk_open=True, address="г. Белгород, пр. Славы, 1")
    services = add_services(office)
    add_counter(office, "1", [services["fl"]])
    server = daphne()
    page = kiosk
    open_kiosk(page, server, "axe3")
    expect(page.locator('[data-estimate="ul"]')).to_have_text(NO_COUNTER)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Крупно и контрастно").click()
    expect(page.locator("body")).to_have_class("contrast")
    assert axe_violations(page) == []
    tile(page, "ul").click()
    expect(page.locator("#t-no-counter")).to_be_visible()
    assert axe_violations(page) == []
