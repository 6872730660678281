"""The finish step at 1366×768: outcomes as large tick buttons, the server's refusals shown in the dialog."""

import pytest
from playwright.sync_api import expect

from tickets.errors import InvalidOutcome, OutcomeRequired
from tickets.models import Ticket, TicketOutcome

from .test_operator_browser import (
    SIZE,
    assert_fits,
    issue,
    open_counter,
    open_desk,
    site,  # noqa: F401 (the same office and staff as the workplace tests)
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

ENERGY_OUTCOMES = [
    {"code": "meter_reading", "name": "Передача показаний"},
    {"code": "payment", "name": "Оплата и задолженность"},
    {"code": "recalculation", "name": "Перерасчёт"},
    {"code": "contract", "name": "Заключение или изменение договора"},
    {"code": "certificate", "name": "Справка об отсутствии задолженности"},
    {"code": "meter_replace", "name": "Замена или поверка прибора учёта"},
    {"code": "benefits", "name": "Льготы и субсидии"},
    {"code": "complaint", "name": "Жалоба"},
    {"code": "personal_account", "name": "Доступ к личному кабинету"},
    {"code": "other", "name": "Другое"},
]


def test_the_finish_step_offers_the_outcomes_and_shows_every_refusal(daphne, browser, site):  # noqa: F811
    office, services, one, two, anna, boris = site
    fl = services["fl"]
    fl.outcomes, fl.outcomes_required = ENERGY_OUTCOMES, True
    fl.save()
    (ticket,) = issue(office, services)
    server = daphne()
    page = open_desk(server, browser, anna, one)
    open_counter(page)
    page.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(page.locator("#cur-number")).to_have_text(ticket.number)

    page.locator('[data-action="finish"]').click()
    dialog = page.locator("#finish-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".outcome")).to_have_count(len(ENERGY_OUTCOMES))
    assert_fits(page, "dialog-finish")
    for i in range(len(ENERGY_OUTCOMES)):
        box = dialog.locator(".outcome").nth(i).bounding_box()
        # Large enough for a finger or a quick mouse hit, and inside the screen.
        assert box["height"] >= 44 and box["width"] >= 200, box
        assert box["y"] + box["height"] <= SIZE["height"] and box["x"] + box["width"] <= SIZE["width"]

    # Nothing ticked where the service requires a topic: the server's outcome_required, in the dialog.
    dialog.get_by_role("button", name="Завершить", exact=True).click()
    expect(page.locator("#finish-error")).to_have_text(OutcomeRequired.message)
    expect(dialog).to_be_visible()

    # A topic removed in the admin while the dialog was open: invalid_outcome, in the dialog.
    fl.outcomes = ENERGY_OUTCOMES[1:]
    fl.save()
    dialog.get_by_text("Передача показаний").click()
    dialog.get_by_role("button", name="Завершить", exact=True).click()
    expect(page.locator("#finish-error")).to_have_text(InvalidOutcome.message)
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.CALLED

    dialog.get_by_text("Передача показаний").click()  # untick
    dialog.get_by_text("Перерасчёт").click()
    dialog.get_by_text("Справка об отсутствии задолженности").click()
    dialog.get_by_label("Заметка о визите").fill("Нужна справка для субсидии")
    dialog.get_by_role("button", name="Завершить", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#cur-number")).to_have_text("—")
    expect(page.locator("#message")).to_have_text("Обслуживание завершено.")
    assert set(TicketOutcome.objects.filter(ticket=ticket).values_list("code", flat=True)) == {
        "recalculation",
        "certificate",
    }
    assert page.errors.errors == []
