"""Issue 26's admin points at 1366×768: the Russian 404 under DEBUG, lists and messages that read right,
break reasons as a table, time zones grouped; each changed page passes axe."""

import re

import pytest
from playwright.sync_api import expect

from offices.models import Office
from tests.admin.test_manager_setup_browser import seed_demo, sign_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

AXE = "tests/vendor/axe.min.js"


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=AXE)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert len(result["passes"]) > 10  # axe did look at the page
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]]


@pytest.fixture
def admin_page(daphne, browser):
    seed_demo()
    server = daphne()  # DEBUG on, as under `make run`
    # bypass_csp: only to inject axe itself, which the admin's CSP (rightly) refuses.
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ru-RU", bypass_csp=True)
    page = context.new_page()
    yield server, page
    context.close()


def test_another_offices_object_is_the_admins_russian_404_under_debug(admin_page):
    server, page = admin_page
    sign_in_to_admin(page, server, "manager-korocha")
    expect(page.locator("#content h1")).to_have_text("Администрирование")
    belgorod = Office.objects.get(code="belgorod")
    answer = page.goto(f"{server.url}/admin/offices/counter/{belgorod.counters.first().pk}/change/")
    assert answer.status == 404
    expect(page.locator("#content h1")).to_have_text("Страница не найдена")
    expect(page.locator("#content")).to_contain_text("относится к офису, которым вы не управляете")
    expect(page.locator("#site-name")).to_contain_text("Электронная очередь ЦОК")
    expect(page.locator("body")).not_to_contain_text("Page not found")
    assert axe_violations(page) == []
    page.get_by_role("link", name="← К администрированию").click()
    expect(page.locator("#content h1")).to_have_text("Администрирование")


def test_lists_messages_and_the_office_form_read_right_and_pass_axe(admin_page):
    server, page = admin_page
    sign_in_to_admin(page, server, "admin")
    page.goto(f"{server.url}/admin/offices/kioskdevice/")
    expect(page.locator("#content h1")).to_have_text("Киоски: выбор")
    expect(page.locator(".paginator")).to_contain_text("Всего:")
    page.goto(f"{server.url}/admin/offices/counter/")
    expect(page.locator("#content h1")).to_have_text("Окна: выбор")
    names = page.locator("#result_list input.action-select").evaluate_all("cs => cs.map(c => c.ariaLabel)")
    korocha_name = Office.objects.get(code="korocha").name
    assert any(name.endswith(f"Окно 1 ({korocha_name})") for name in names), names  # not «Окно 1 (korocha)»
    assert not any("korocha" in name for name in names), names
    assert axe_violations(page) == []

    korocha = Office.objects.get(code="korocha")
    page.goto(f"{server.url}/admin/offices/office/{korocha.pk}/change/")
    zone = page.locator("#id_timezone")
    assert zone.locator("optgroup").evaluate_all("gs => gs.map(g => g.label)") == ["Россия", "Другие"]
    assert zone.locator("optgroup[label='Россия'] option").count() == 11
    table = page.locator("table.break-reasons")
    expect(table).to_be_visible()
    expect(page.get_by_label("Код причины 1")).to_have_value("lunch")
    expect(page.get_by_label("Название причины 1")).to_have_value("Обед")
    assert page.locator("textarea[name=break_reasons]").count() == 0
    # The inlines' fields are named by their column and row, not only placed under a header.
    expect(page.locator("#id_hours-0-weekday")).to_have_attribute("aria-label", re.compile(r"^День недели — Пн"))
    assert axe_violations(page) == []  # the whole page, its tabular inlines (hours, services, counters) too
    # A new reason in the first empty row; the others stay as they were.
    rows = table.locator("tbody tr").count()
    page.get_by_label(f"Код причины {rows - 2}").fill("meeting")
    page.get_by_label(f"Название причины {rows - 2}").fill("Планёрка")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist")).to_contain_text(f"Сохранено: офис (ЦОК) «{korocha.name}»")
    korocha.refresh_from_db()
    assert korocha.break_reasons[-1] == {"code": "meeting", "name": "Планёрка"}
    assert [r["code"] for r in korocha.break_reasons][:4] == ["lunch", "technical", "training", "other"]
    # A code that is not Latin is refused, row by row, and the typed rows come back.
    rows = table.locator("tbody tr").count()
    page.get_by_label(f"Код причины {rows - 2}").fill("обед")
    page.get_by_label(f"Название причины {rows - 2}").fill("Второй обед")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".errorlist")).to_contain_text(f"Строка {rows - 2}: код «обед»")
    expect(page.get_by_label(f"Название причины {rows - 2}")).to_have_value("Второй обед")
    assert axe_violations(page) == []
