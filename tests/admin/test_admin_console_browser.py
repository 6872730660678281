"""The admin at 1366×768 leaves no error in the browser's console: not even a missing icon."""

import pytest
from playwright.sync_api import expect

from tests.admin.test_manager_setup_browser import seed_demo, sign_in_to_admin
from tests.helpers import ConsoleErrors

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]


def test_the_admin_pages_load_without_console_errors_and_with_the_products_icon(daphne, browser):
    seed_demo()
    server = daphne()
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ru-RU")
    page = context.new_page()
    console = ConsoleErrors(page)
    sign_in_to_admin(page, server, "manager-korocha")
    expect(page.locator("#content h1")).to_have_text("Администрирование")
    for path in ("/admin/offices/office/", "/admin/offices/service/add/"):
        page.goto(server.url + path)
        # The browser asked for /favicon.ico (404) where the page named no icon.
        expect(page.locator('link[rel="icon"]')).to_have_attribute("href", "/static/favicon.svg")
    page.wait_for_timeout(300)
    assert console.errors == []
    context.close()
