"""Acceptance: manager-korocha sets up a service and a counter for korocha and cannot touch another office."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
from playwright.sync_api import expect

from offices.models import Counter, Office, Service

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

PASSWORD = "demo-pass-2024"  # seed_demo's


def seed_demo() -> None:
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    # The tests hash with MD5 (conftest), which the server process does not
    # accept: give the demo users a hash it knows, as `make run` would.
    hasher = PBKDF2PasswordHasher()
    for user in get_user_model().objects.all():
        user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
        user.save(update_fields=["password"])


def sign_in_to_admin(page, server, username: str) -> None:
    page.goto(f"{server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


def test_manager_korocha_sets_up_a_service_and_a_counter_and_cannot_touch_another_office(daphne, browser):
    seed_demo()
    korocha = Office.objects.get(code="korocha")
    belgorod = Office.objects.get(code="belgorod")
    server = daphne()
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ru-RU")
    page = context.new_page()

    sign_in_to_admin(page, server, "manager-korocha")
    expect(page.locator("#content h1")).to_have_text("Администрирование")
    expect(page.locator("#content-main")).not_to_contain_text("Талоны")  # not theirs

    # A new service, through the form.
    page.goto(f"{server.url}/admin/offices/service/add/")
    office_choices = page.locator("#id_office option").all_inner_texts()
    assert [text for text in office_choices if not text.startswith("---")] == [korocha.name]
    expect(page.locator("#id_office")).to_have_value(str(korocha.pk))
    page.fill("#id_code", "meter-swap")
    page.fill("#id_name", "Замена счётчика")
    page.fill("#id_prefix", "З")
    page.select_option("#id_channel", "individuals")
    page.fill("#id_group", "Физические лица")
    page.fill("#id_description", "Заявка на замену прибора учёта")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("Замена счётчика")
    service = Service.objects.get(office=korocha, code="meter-swap")
    assert (service.office_id, service.group, service.prefix) == (korocha.pk, "Физические лица", "З")

    # A new counter serving it, through the form with its two-list service chooser.
    page.goto(f"{server.url}/admin/offices/counter/add/")
    page.fill("#id_number", "7")
    page.select_option("#id_services_from", label=str(service))
    page.click("#id_services_add")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("Окно 7")
    counter = Counter.objects.get(office=korocha, number="7")
    assert list(counter.services.all()) == [service]

    # Another office's objects, by address: refused as if they did not exist.
    for path in (
        f"/admin/offices/service/{belgorod.services.first().pk}/change/",
        f"/admin/offices/counter/{belgorod.counters.first().pk}/change/",
        f"/admin/offices/office/{belgorod.pk}/change/",
    ):
        assert page.goto(server.url + path).status == 404, path
    assert page.goto(f"{server.url}/admin/offices/office/add/").status == 403
    listing = page.goto(f"{server.url}/admin/offices/counter/")
    assert listing.status == 200
    expect(page.locator("#result_list")).not_to_contain_text(belgorod.name)
    context.close()


def test_an_operator_is_told_plainly_that_the_admin_is_not_for_them(daphne, browser):
    seed_demo()
    server = daphne()
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ru-RU")
    page = context.new_page()
    sign_in_to_admin(page, server, "operator-korocha")
    expect(page.locator(".errornote")).to_contain_text("У этой учётной записи нет доступа к администрированию")
    expect(page.locator(".errornote")).not_to_contain_text("корректные")
    context.close()
