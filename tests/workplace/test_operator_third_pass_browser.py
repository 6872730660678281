"""The operator's screen at 1366×768 after the third review (issue #26): durations with units and one
wait for the list and the card, the whole transfer history, plain marks, an empty «Оператору» said out,
and «Завершить и вызвать следующего»."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tickets import services as svc
from tickets.models import Ticket

from .test_finish_outcomes_browser import ENERGY_OUTCOMES
from .test_operator_browser import (
    SIZE,
    Api,
    assert_fits,
    axe_violations,
    issue,
    open_counter,
    open_desk,
    site,  # noqa: F401 (the same office and staff as the workplace tests)
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

SIX_MINUTES = re.compile(r"^6 мин \d{1,2} с$")


def test_durations_read_with_units_and_the_list_and_the_card_show_the_same_wait(daphne, browser, site):  # noqa: F811
    office, services, one, two, anna, boris = site
    late = svc.ticket_issue(office=office, service=services["fl"], now=timezone.now() - timedelta(minutes=6, seconds=5))
    server = daphne()
    page = open_desk(server, browser, anna, one)
    open_counter(page)
    waited = page.locator(f'#queue-list li[data-ticket="{late.pk}"] .waited')
    expect(waited).to_have_text(SIX_MINUTES)
    page.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(page.locator("#cur-number")).to_have_text(late.number)
    expect(page.locator("#cur-waited")).to_have_text(SIX_MINUTES)
    # The card's «ждал» is the server's stored wait: the list's reading at the call, not a different sum.
    stored = Ticket.objects.get(pk=late.pk).wait_seconds
    assert page.locator("#cur-waited").text_content() == f"6 мин {int(stored) - 360} с"
    expect(page.locator("#timer")).to_have_text(re.compile(r"^\d{1,2} с$"))
    formats = page.evaluate("[fmt.duration(18), fmt.duration(378), fmt.duration(3900), fmt.duration(7260)]")
    assert formats == ["18 с", "6 мин 18 с", "1 ч 05 мин", "2 ч 01 мин"]
    assert page.errors.errors == []


def passed_on(office, services, two, boris, times=3, note="нужна справка за {year} год") -> Ticket:
    """A ticket passed on ``times`` at counter 2, each time with a note, finally to the front of «fl»."""
    ticket = issue(office, services, "cash")[0]
    svc.counter_set_state(counter=two, state="open", user=boris)
    for n, target in enumerate(["cash"] * (times - 2) + ["fl", "fl"], start=1):
        ticket = svc.ticket_call_chosen(counter=two, ticket=ticket, operator=boris)
        svc.ticket_transfer(
            ticket=ticket,
            service=services[target],
            to_front=True,
            operator=boris,
            counter=two,
            note=f"Заметка {n}: " + note.format(year=2019 + n),
        )
    svc.counter_set_state(counter=two, state="closed", user=boris)
    return ticket


def test_the_whole_transfer_history_shows_with_the_latest_transfer_in_view(daphne, browser, site):  # noqa: F811
    office, services, one, two, anna, boris = site
    ticket = passed_on(office, services, two, boris)
    server = daphne()
    page = open_desk(server, browser, anna, one)
    open_counter(page)
    page.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(page.locator("#cur-number")).to_have_text(ticket.number)
    history = page.locator("#cur-history")
    expect(history.locator("p")).to_have_count(3)
    expect(history.locator("p").last).to_contain_text("Заметка 3")
    # Nothing hidden in a scroll box: the box is as tall as its three entries.
    sizes = page.evaluate(
        "(() => { const b = document.getElementById('cur-history'); return [b.scrollHeight, b.clientHeight]; })()"
    )
    assert sizes[0] <= sizes[1] + 1, sizes
    box, latest = history.bounding_box(), history.locator("p").last.bounding_box()
    assert latest["y"] >= box["y"] and latest["y"] + latest["height"] <= box["y"] + box["height"] + 1
    assert latest["y"] + latest["height"] <= SIZE["height"]
    assert_fits(page, "history")
    assert page.errors.errors == []


def test_the_front_of_the_queue_mark_is_a_plain_mark_not_a_button(daphne, browser, site):  # noqa: F811
    office, services, one, two, anna, boris = site
    ticket = passed_on(office, services, two, boris)
    server = daphne()
    page = open_desk(server, browser, anna, one)
    mark = page.locator(f'#queue-list li[data-ticket="{ticket.pk}"] .mark', has_text="В начало очереди")
    expect(mark).to_be_visible()
    style = mark.evaluate(
        "m => { const s = getComputedStyle(m); return [s.borderTopWidth, s.backgroundColor, s.cursor, m.tagName]; }"
    )
    assert style == ["0px", "rgba(0, 0, 0, 0)", "default", "SPAN"]
    assert page.errors.errors == []


def test_an_empty_list_of_operators_says_nobody_else_is_at_work(daphne, browser, site):  # noqa: F811
    office, services, one, two, anna, boris = site
    issue(office, services)
    server = daphne()
    page = open_desk(server, browser, anna, one, bypass_csp=True)
    open_counter(page)
    page.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    page.locator('[data-action="transfer"]').click()
    dialog = page.locator("#transfer-dialog")
    dialog.get_by_label("Оператору").check()
    expect(dialog.locator("#transfer-operator-empty")).to_have_text("Сейчас нет других операторов на работе")
    expect(dialog.locator("#transfer-operator")).to_be_hidden()
    assert axe_violations(page) == []
    dialog.get_by_role("button", name="Перенаправить").click()
    expect(page.locator("#transfer-error")).to_have_text("Сейчас нет других операторов на работе.")
    dialog.locator("[data-close]").click()

    # Boris opens counter 2: the next time the dialog opens, he is in the list.
    Api(server, boris).post(f"counters/{two.pk}/state/", {"state": "open"})
    page.wait_for_timeout(1000)  # its counter.updated marks the dialog's lists stale
    page.locator('[data-action="transfer"]').click()
    expect(dialog).to_be_visible()
    dialog.get_by_label("Оператору").check()
    expect(dialog.locator("#transfer-operator")).to_be_visible()
    expect(dialog.locator("#transfer-operator option")).to_have_text(["— выберите —", re.compile("Борис")])
    expect(dialog.locator("#transfer-operator-empty")).to_be_hidden()
    assert page.errors.errors == []


def test_finish_and_call_next_is_one_action_with_outcomes_and_on_an_empty_queue(daphne, browser, site):  # noqa: F811
    office, services, one, two, anna, boris = site
    first, second, third = issue(office, services, n=3)
    server = daphne()
    page = open_desk(server, browser, anna, one, bypass_csp=True)
    open_counter(page)
    page.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(page.locator("#cur-number")).to_have_text(first.number)

    page.get_by_role("button", name="Завершить и вызвать следующего").click()
    expect(page.locator("#cur-number")).to_have_text(second.number)
    expect(page.locator("#message")).to_have_text(f"Обслуживание завершено. Вызван талон {second.number}.")
    assert Ticket.objects.get(pk=first.pk).status == "done"
    assert axe_violations(page) == []

    # Where the service has outcomes, the finish step comes first, with both buttons.
    fl = services["fl"]
    fl.outcomes, fl.outcomes_required = ENERGY_OUTCOMES, True
    fl.save()
    page.reload()
    expect(page.locator("#operator")).to_have_attribute("data-connected", "1")
    expect(page.locator("#cur-number")).to_have_text(second.number)
    page.keyboard.press("g")
    dialog = page.locator("#finish-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Завершить и вызвать следующего")).to_be_focused()
    assert_fits(page, "dialog-finish-next")
    dialog.get_by_role("button", name="Завершить и вызвать следующего").click()
    expect(page.locator("#finish-error")).to_have_text("Отметьте хотя бы одну тему обращения.")
    assert Ticket.objects.get(pk=third.pk).status == "waiting"
    dialog.get_by_text("Перерасчёт").click()
    dialog.get_by_role("button", name="Завершить и вызвать следующего").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#cur-number")).to_have_text(third.number)

    # The last client: finished, and the operator is told nobody waits.
    fl.outcomes, fl.outcomes_required = [], False
    fl.save()
    page.reload()
    expect(page.locator("#cur-number")).to_have_text(third.number)
    page.get_by_role("button", name="Завершить и вызвать следующего").click()
    expect(page.locator("#message")).to_have_text("Обслуживание завершено. Очередь пуста: ожидающих клиентов нет.")
    expect(page.locator("#cur-number")).to_have_text("—")
    assert Ticket.objects.get(pk=third.pk).status == "done"
    assert page.errors.errors == []


def test_a_history_too_long_for_the_screen_scrolls_with_the_latest_transfer_in_view(daphne, browser, site):  # noqa: F811
    office, services, one, two, anna, boris = site
    long_note = "клиенту нужна справка о переплате за {year} год, проверьте квитанции и акт сверки с сетевой компанией"
    ticket = passed_on(office, services, two, boris, times=7, note=long_note)
    server = daphne()
    page = open_desk(server, browser, anna, one)
    open_counter(page)
    page.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(page.locator("#cur-number")).to_have_text(ticket.number)
    history = page.locator("#cur-history")
    expect(history.locator("p")).to_have_count(7)
    box, latest = history.bounding_box(), history.locator("p").last.bounding_box()
    assert latest["y"] >= box["y"] - 1 and latest["y"] + latest["height"] <= box["y"] + box["height"] + 1, (box, latest)
    # The buttons keep their place on the screen.
    assert_fits(page, "history-long")
    assert page.errors.errors == []
