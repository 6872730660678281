"""With DEBUG on (as under `make run`), people's screens get the product's Russian error pages, never Django's."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from tests.helpers import make_user, wait_for

RUSSIAN_404 = "Страница не найдена"
MISSING_TICKET = "Талон не найден или уже недействителен"
DJANGO_TECHNICAL = ("Page not found", "Using the URLconf", "Traceback", "DEBUG = True")


@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    return settings


def assert_product_page(response, status: int, heading: str) -> None:
    html = response.content.decode()
    assert response.status_code == status
    assert '<html lang="ru">' in html and heading in html
    assert not [text for text in DJANGO_TECHNICAL if text in html], html[:300]


@pytest.mark.django_db
def test_unknown_objects_on_peoples_screens_show_the_russian_404(debug, operator):
    client = Client()
    client.force_login(operator)  # the operator's counter page needs a signed-in user to reach its 404
    for path in ["/kiosk/nowhere/", "/display/nowhere/", "/operator/999999/"]:
        assert_product_page(client.get(path), 404, RUSSIAN_404)
    # A client's ticket link speaks of their ticket (tests/screens/test_third_pass_browser.py has the rest).
    assert_product_page(client.get("/t/no-such-token/"), 404, MISSING_TICKET)


@pytest.mark.django_db
def test_an_unknown_address_shows_the_russian_404_and_a_missing_slash_still_redirects(debug):
    assert_product_page(Client().get("/no-such-page/"), 404, RUSSIAN_404)
    assert_product_page(Client().get("/t/"), 404, RUSSIAN_404)
    redirected = Client().get("/monitor")
    assert (redirected.status_code, redirected["Location"]) == (301, "/monitor/")


@pytest.mark.django_db
def test_a_report_page_refusal_is_the_russian_403(debug, operator):
    client = Client()
    client.force_login(operator)
    response = client.get("/monitor/")
    assert response.status_code == 403
    assert '<html lang="ru">' in response.content.decode()
    assert not [text for text in DJANGO_TECHNICAL if text in response.content.decode()]


@pytest.mark.django_db
def test_a_bug_on_a_peoples_screen_shows_the_russian_500_and_logs_the_traceback(debug, office, monkeypatch, caplog):
    from displays import views

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the kiosk")

    monkeypatch.setattr(views.kiosks, "issuer", broken)
    with caplog.at_level("ERROR", logger="django.request"):
        response = Client(raise_request_exception=False).get(f"/kiosk/{office.code}/")
    assert_product_page(response, 500, "<h1")
    assert "a bug in the kiosk" in caplog.text and "Traceback" in caplog.text


@pytest.mark.django_db
def test_a_bad_request_on_a_peoples_screen_shows_the_russian_400(debug, office, monkeypatch):
    from django.core.exceptions import SuspiciousOperation

    from displays import views

    def suspicious(*args, **kwargs):
        raise SuspiciousOperation("a forged kiosk cookie")

    monkeypatch.setattr(views.kiosks, "issuer", suspicious)
    assert_product_page(Client().get(f"/kiosk/{office.code}/"), 400, "<h1")


@pytest.mark.django_db
def test_the_api_and_the_admin_keep_their_own_answers_under_debug(debug, django_user_model):
    api = Client().get("/api/v1/tickets/no-such-token/")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    assert Client().get("/api/v1/nowhere/").json()["error"]["code"] == "not_found"
    admin = make_user(django_user_model, "root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/offices/office/999999/change/")
    assert page.status_code == 302  # the admin's own "doesn't exist" redirect, untouched


@pytest.mark.django_db
def test_with_debug_off_the_same_pages_come_from_the_handlers(settings):
    settings.DEBUG = False
    assert_product_page(Client().get("/no-such-page/"), 404, RUSSIAN_404)
    assert_product_page(Client().get("/t/no-such-token/"), 404, MISSING_TICKET)


@pytest.mark.browser
@pytest.mark.usefixtures("allow_orm_in_browser_tests")
def test_an_unknown_ticket_link_on_a_phone_under_make_run_shows_the_russian_page(daphne, browser, db):
    server = daphne(DJANGO_DEBUG="1")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    response = page.goto(f"{server.url}/t/no-such-token/")
    assert response.status == 404
    # The client's words about their ticket, without the staff's «Войти» or any other link.
    expect(page.get_by_role("heading", level=1)).to_have_text(MISSING_TICKET)
    expect(page.get_by_role("link")).to_have_count(0)
    assert "Using the URLconf" not in page.content()
    # It fits the phone: nothing wider than the screen.
    wait_for(page, "document.documentElement.scrollWidth <= 390")
    page.screenshot(path="/tmp/h2-404-phone.png")
    context.close()
