"""A note and an operator's name carrying markup reach the operator screen as text: shown as
typed, no element made of them, no script run (the operator screen at 1366×768)."""

import pytest
from playwright.sync_api import expect

from offices.models import Counter, Membership
from tests.helpers import add_counter, add_services, make_office, make_user
from tests.workplace.test_operator_browser import Api, open_desk
from tickets import services as svc

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

NOTE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>' + "«длинная заметка» " * 20
NAME = '<b id="bold">Борис</b>'


def test_a_note_and_a_name_with_markup_are_shown_as_text_on_the_operator_screen(daphne, browser, django_user_model):
    office = make_office("desk")
    services = add_services(office)
    one = add_counter(office, "1", [services["fl"]], state=Counter.State.CLOSED)
    two = add_counter(office, "2", [services["fl"]], state=Counter.State.CLOSED)
    anna = make_user(django_user_model, "anna", office=office, role=Membership.Role.OPERATOR, first_name="Анна")
    boris = make_user(django_user_model, "boris", office=office, role=Membership.Role.OPERATOR, first_name=NAME)
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    server = daphne()
    page = open_desk(server, browser, anna, one)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Открыть окно").click()
    expect(page.locator("#state-badge")).to_have_text("Окно открыто")
    other = Api(server, boris)
    other.post(f"counters/{two.pk}/state/", {"state": "open"})
    other.post(f"counters/{two.pk}/call/", {"ticket": ticket.pk})
    other.post(f"tickets/{ticket.pk}/transfer/", {"to_counter": one.pk, "note": NOTE.strip()})
    row = page.locator(f'#queue-list li[data-ticket="{ticket.pk}"]')
    expect(row.locator(".note")).to_have_text(NOTE.strip())
    page.get_by_role("button", name="Вызвать следующего N", exact=True).click()
    expect(page.locator("#cur-number")).to_have_text(ticket.number)
    history = page.locator("#cur-history")
    expect(history).to_contain_text('<img src=x onerror="window.pwned=1">')
    expect(history).to_contain_text(NAME)
    # The transfer dialog lists the colleague by the same name, as text.
    page.locator('[data-action="transfer"]').click()
    expect(page.locator("#transfer-operator option", has_text="Борис")).to_have_text(NAME + " (окно 2)")
    assert page.locator("#operator img, #operator script, #bold").count() == 0
    assert page.evaluate("window.pwned") is None
    assert dialogs == []
    assert page.errors.errors == []
