"""An admin's edit of an office reaches its connected hall display without a reload."""

import pytest
from playwright.sync_api import expect

from tests.helpers import ConsoleErrors, add_services, make_office, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]


def test_an_admin_edit_of_ticker_and_hours_reaches_a_connected_display(daphne, browser, django_user_model):
    office = make_office("edit", name="ЦОК Правка")
    office.ticker_text = "Старая строка"
    office.save()
    add_services(office)
    admin_user = django_user_model.objects.create_superuser("root", password="pass-12345")
    server = daphne()

    display = browser.new_page()
    console = ConsoleErrors(display)
    display.goto(f"{server.url}/display/edit/")
    expect(display.locator("#display")).to_have_attribute("data-connected", "1")
    expect(display.locator("#ticker-text")).to_have_text("Старая строка")
    expect(display.locator("#closed")).to_be_hidden()

    context = browser.new_context()
    sign_in(context, server, admin_user)
    admin = context.new_page()
    admin.goto(f"{server.url}/admin/offices/office/{office.pk}/change/")
    admin.fill("#id_ticker_text", "Новая строка: приём по записи")
    # Delete every day's hours: the office is closed now.
    for checkbox in admin.locator('input[name^="hours-"][name$="-DELETE"]').all():
        checkbox.check()
    admin.click('input[name="_save"]')
    expect(admin.locator(".messagelist")).to_be_visible()

    # The display was not reloaded: its ticker and its closed screen follow the edit.
    expect(display.locator("#ticker-text")).to_have_text("Новая строка: приём по записи", timeout=3000)
    expect(display.locator("#closed")).to_be_visible(timeout=3000)
    assert display.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert console.errors == []
    context.close()
