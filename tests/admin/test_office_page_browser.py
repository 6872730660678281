"""The office page at 1366×768: it fits, says «круглосуточно», and the time zone note appears once at most."""

from datetime import date

import pytest
from playwright.sync_api import expect

from offices.models import Service
from tests.helpers import add_counter, add_services, make_office, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]


@pytest.fixture
def office():
    office = make_office("wide", name="ЦОК Корочанского участка (демо, круглосуточно)")
    services = add_services(office)
    # Long values, as the demo has them, in every column of the services table.
    for service in services.values():
        service.group = "Физические лица и индивидуальные предприниматели"
        service.description = "Оплата счетов, передача показаний, вопросы по договору энергоснабжения"
        service.save()
    Service.objects.create(
        office=office,
        code="consultation-long",
        name="Консультация по вопросам технологического присоединения",
        prefix="Т",
        channel="legal_entities",
        kiosk_order=4,
    )
    add_counter(office, "1", [services["fl"], services["ul"]], [services["cash"]])
    add_counter(office, "2", list(services.values()))
    return office


@pytest.fixture
def admin_page(daphne, browser, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", password="pass-12345")
    server = daphne()
    # A browser seven hours ahead of the server's Moscow time: Django's note appears.
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="ru-RU", timezone_id="Asia/Vladivostok"
    )
    sign_in(context, server, admin_user)
    page = context.new_page()
    page.server = server
    yield page
    context.close()


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def right_edge(page, selector: str) -> float:
    return page.evaluate(f"document.querySelector({selector!r}).getBoundingClientRect().right")


def visible_notes(page) -> int:
    return page.evaluate("[...document.querySelectorAll('.timezonewarning')].filter(n => n.offsetParent).length")


def test_the_office_page_fits_1366_pixels_with_its_services_and_counters(admin_page, office):
    page = admin_page
    page.goto(f"{page.server.url}/admin/offices/office/{office.pk}/change/")
    expect(page.locator(".services-inline")).to_be_visible()
    for name in ("group", "description"):
        expect(page.locator(f"#id_services-0-{name}")).to_be_visible()
    assert page_width(page) <= 1366
    for table in (".services-inline table", ".counters-inline table", "#hours-group table"):
        assert right_edge(page, table) <= 1366, table
    # Every input of the services table is wide enough to read a code.
    assert page.locator("#id_services-0-code").bounding_box()["width"] >= 60
    # Counters with their services, ticked, on the office page.
    expect(page.locator("#id_counters-0-services input:checked")).to_have_count(2)
    # With the nav sidebar open as well (the admin remembers it): still no sideways scroll.
    page.goto(f"{page.server.url}/admin/offices/office/")
    assert page_width(page) <= 1366


def test_all_day_hours_read_around_the_clock(admin_page, office):
    page = admin_page
    page.goto(f"{page.server.url}/admin/offices/office/")
    expect(page.locator("#result_list")).to_contain_text("Пн–Вс круглосуточно")
    page.goto(f"{page.server.url}/admin/offices/office/{office.pk}/change/")
    expect(page.locator("#hours-group thead")).to_contain_text("Круглосуточно")
    expect(page.locator("#hours-group input[name$='-all_day']:checked")).to_have_count(7)
    expect(page.locator("#id_hours-0-opens")).to_have_value("00:00")
    expect(page.locator("#hours-group")).not_to_contain_text("00:00:00")


def test_the_time_zone_note_appears_once_at_most(admin_page, office):
    page = admin_page
    page.goto(f"{page.server.url}/admin/offices/office/{office.pk}/change/")
    # The hours are the office's local times: the browser's offset is not theirs to warn about.
    assert visible_notes(page) == 0
    page.click("#hours-group .add-row a")
    assert visible_notes(page) == 0
    # A form with two date-time fields (four inputs): Django adds the note to each; one shows.
    page.goto(f"{page.server.url}/admin/reports/appeal/add/")
    expect(page.locator(".timezonewarning").first).to_contain_text("локальное время опережает время сервера")
    assert page.locator(".timezonewarning").count() >= 2
    assert visible_notes(page) == 1


def test_the_time_zone_is_chosen_from_a_list(admin_page, office):
    page = admin_page
    page.goto(f"{page.server.url}/admin/offices/office/{office.pk}/change/")
    select = page.locator("select#id_timezone")
    expect(select).to_have_value("Europe/Moscow")
    assert select.locator("option").first.inner_text().startswith("Калининград")
    select.select_option("Asia/Yekaterinburg")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_be_visible()
    office.refresh_from_db()
    assert office.timezone == "Asia/Yekaterinburg"


def test_appeal_dates_are_saved_from_the_page_with_the_one_note(admin_page):
    # The note's script must not break the date widgets it deduplicates.
    page = admin_page
    page.goto(f"{page.server.url}/admin/reports/appeal/add/")
    page.fill("#id_received_at_0", "15.01.2025")
    page.fill("#id_received_at_1", "10:00:00")
    page.fill("#id_month", "01.01.2025")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_be_visible()
    from reports.models import Appeal

    assert Appeal.objects.get().month == date(2025, 1, 1)
