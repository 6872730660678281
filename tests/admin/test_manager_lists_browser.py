"""A manager of one office reads their lists at 1366×768: only their office offered, nothing cut off."""

import pytest
from playwright.sync_api import expect

from tests.admin.test_manager_setup_browser import seed_demo, sign_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]


@pytest.mark.parametrize("model", ["service", "counter"])
def test_a_managers_lists_offer_only_their_office_and_fit_1366_pixels(daphne, browser, model):
    seed_demo()
    server = daphne()
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ru-RU")
    page = context.new_page()
    sign_in_to_admin(page, server, "manager-korocha")
    expect(page.locator("#content h1")).to_have_text("Администрирование")
    page.goto(f"{server.url}/admin/offices/{model}/")
    expect(page.locator("#result_list")).to_be_visible()
    # The filter listed Белгородский and Старооскольский, which this manager cannot open.
    expect(page.locator("#changelist-filter")).not_to_contain_text("Белгородского")
    expect(page.locator("#changelist-filter")).not_to_contain_text("Старооскольского")
    # The table ran past the right edge of its box (columns hidden behind the filter).
    fits = page.evaluate(
        "(() => { const r = document.querySelector('.results'); return [r.scrollWidth, r.clientWidth]; })()"
    )
    assert fits[0] <= fits[1], fits
    context.close()
