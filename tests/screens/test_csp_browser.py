"""The Content-Security-Policy: every page sends it, and no page breaks it."""

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.template.loader import render_to_string

from offices.models import KioskDevice, Membership
from tests.helpers import add_counter, add_services, make_office, make_user, sign_in
from tickets import services as svc

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

# An init script runs outside the page's CSP (Playwright injects it through the
# debugging protocol): it reports every violation event to the console.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) =>
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}`)
);
"""


class Violations:
    """CSP violations of a page: Chromium's own console error and the violation event."""

    def __init__(self, page):
        self.found = []
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message):
        if message.type == "error" and ("Content Security Policy" in message.text or "CSP violation" in message.text):
            self.found.append(message.text)


@pytest.fixture
def everything(django_user_model):
    office = make_office("site", name="ЦОК Тестовый")
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]])
    make_user(django_user_model, "site-op", office=office, role=Membership.Role.OPERATOR)
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    device = KioskDevice.objects.create(office=office, name="Киоск")
    root = django_user_model.objects.create_superuser("root", password="pass-12345")
    pages = [
        "/",
        "/kiosk/site/",
        "/display/site/",
        f"/t/{ticket.token}/",
        "/operator/",
        f"/operator/{counter.pk}/",
        "/monitor/",
        "/reports/",
        "/reports/disclosure/2026/",
        "/api/docs/",
        "/admin/",
        "/admin/offices/counter/",
        f"/admin/offices/counter/{counter.pk}/change/",
        f"/admin/offices/counter/{counter.pk}/delete/",
        f"/kiosk/pair/{device.pairing_code}/",
        "/no-such-page/",
        "/t/%00/",
    ]
    return root, pages


# As in production: with DEBUG on, Django's own 404 and 500 pages carry inline styles.
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-test-secret-key-that-is-long-enough-0123456789-abcdefghij",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "SECURE_HSTS_SECONDS": "0",
}


def test_no_page_breaks_the_content_security_policy(daphne, browser, everything):
    root, pages = everything
    server = daphne(**PRODUCTION)
    anonymous = browser.new_context()
    staff = browser.new_context()
    sign_in(staff, server, root)
    for context, paths in ((anonymous, ["/login/", "/", "/kiosk/site/"]), (staff, pages)):
        page = context.new_page()
        violations = Violations(page)
        for path in paths:
            response = page.goto(server.url + path)
            assert response.headers["content-security-policy"] == settings.CONTENT_SECURITY_POLICY, path
            page.wait_for_load_state("load")
            page.wait_for_timeout(300)  # the page's scripts render after load (charts, Swagger UI, sockets)
        assert violations.found == [], violations.found
        context.close()


@pytest.mark.parametrize("template", ["500.html", "503.html"])
def test_the_error_pages_need_no_inline_style(daphne, page, db, template):
    server = daphne()
    violations = Violations(page)
    # The error pages are hard to provoke in a live server: serve the template
    # at one of its addresses, with the policy, and let it load its stylesheet.
    page.route(
        f"{server.url}/error-page",
        lambda route: route.fulfill(
            status=500,
            body=render_to_string(template),
            headers={
                "Content-Type": "text/html; charset=utf-8",
                "Content-Security-Policy": settings.CONTENT_SECURITY_POLICY,
            },
        ),
    )
    page.goto(f"{server.url}/error-page")
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).color") == "rgb(164, 0, 0)"
    assert violations.found == []


def test_the_violation_detector_sees_an_inline_style(daphne, page, db):
    server = daphne()
    violations = Violations(page)
    page.route(
        f"{server.url}/inline",
        lambda route: route.fulfill(
            body="<!doctype html><style>h1{color:red}</style><h1 style='color:blue'>x</h1>",
            headers={"Content-Type": "text/html", "Content-Security-Policy": settings.CONTENT_SECURITY_POLICY},
        ),
    )
    page.goto(f"{server.url}/inline")
    page.wait_for_timeout(300)
    assert violations.found


def test_a_sign_in_tab_left_open_gets_the_russian_csrf_page_and_its_link_signs_in(daphne, browser, django_user_model):
    """Issue 19: the ordinary way to meet the CSRF page, in production settings."""
    user = make_user(django_user_model, "tab-op")
    # The server hashes as production does; the suite's own MD5 hasher is not among its hashers.
    user.password = PBKDF2PasswordHasher().encode("pass-12345", PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])
    server = daphne(**PRODUCTION)
    context = browser.new_context()
    stale, fresh = context.new_page(), context.new_page()
    violations = Violations(stale)
    stale.goto(f"{server.url}/login/")
    # Signing in in the other tab rotates the CSRF token the first tab's form holds.
    fresh.goto(f"{server.url}/login/")
    fresh.fill("#id_username", "tab-op")
    fresh.fill("#id_password", "pass-12345")
    with fresh.expect_navigation():
        fresh.click("button[type=submit]")
    assert "/login/" not in fresh.url  # signed in
    stale.fill("#id_username", "tab-op")
    stale.fill("#id_password", "pass-12345")
    with stale.expect_navigation():
        stale.click("button[type=submit]")
    assert stale.locator("h1").inner_text() == "Страница устарела"
    assert stale.evaluate("document.documentElement.lang") == "ru"
    stale.wait_for_timeout(300)
    assert violations.found == []
    with stale.expect_navigation():
        stale.click("text=Открыть страницу заново")
    assert stale.url == f"{server.url}/login/"  # the page the form came from
    assert stale.locator("#id_username").count() == 1  # a fresh form, whose token works
    context.close()
