"""The admin speaks Russian: every list and form, as a superuser walks them at 1366×768."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from offices.models import CounterEvent, KioskDevice, Membership
from reports.models import Appeal, Call, ContactCount, Disclosure
from tests.helpers import add_counter, add_services, make_office, make_user, sign_in
from tickets import services as svc

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

# What people read as the page's frame: headings, breadcrumbs, the side menu,
# field labels, column headers, filters, buttons, help texts.
FRAME = (
    "h1, h2, h3, caption, legend, label, thead th, .breadcrumbs, #nav-sidebar, #changelist-filter, "
    ".object-tools, .submit-row, .actions, .paginator, .help, .inline-group .add-row, #user-tools"
)
# English the admin showed before (app sections, models, fields, columns, Django's own words).
ENGLISH = {
    "axes", "offices", "office", "reports", "report", "tickets", "ticket", "user", "users", "username", "service",
    "services", "counter", "counters", "membership", "memberships", "kiosk", "device", "disclosure", "appeal",
    "appeals", "call", "calls", "contact", "count", "event", "events", "token", "tokens", "group", "groups", "hours",
    "add", "change", "delete", "history", "home", "save", "search", "filter", "name", "code", "type", "data", "at",
    "key", "operator", "state", "status", "number", "weekday", "opens", "closes", "prefix", "channel", "active",
    "front", "credential", "pairing", "attempt", "attempts", "access", "log", "logs", "failure", "failures", "all",
    "yes", "no", "by", "view", "site", "logout", "password", "created", "month", "year", "started", "ended",
    "answered", "received", "seconds", "issued", "called", "finished", "note", "target", "ticketevent", "counterevent",
    "officehours", "kioskdevice", "contactcount", "tokenproxy", "accessattempt", "accesslog", "accessfailurelog",
}  # fmt: skip


@pytest.fixture
def everything(django_user_model):
    """One object of every kind the admin lists, so that every change form has something to show."""
    office = make_office("walk", name="ЦОК Обход")
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]], [services["ul"]])
    operator = make_user(django_user_model, "op-walk", office=office, role=Membership.Role.OPERATOR)
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_call_next(counter=counter, operator=operator)
    CounterEvent.objects.create(counter=counter, type=CounterEvent.Type.OPENED, at=timezone.now(), user=operator)
    KioskDevice.objects.create(office=office, name="Киоск у входа")
    Disclosure.objects.create(year=2025)
    ContactCount.objects.create(month=date(2025, 1, 1), channel="email", count=3)
    now = timezone.now()
    Appeal.objects.create(key="a1", received_at=now, answered_at=now + timedelta(hours=1), month=date(2025, 1, 1))
    Call.objects.create(key="c1", started_at=now, answered_at=now, ended_at=now, month=date(2025, 1, 1))
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        fields = {"username": "op-walk", "ip_address": "127.0.0.1", "user_agent": "Chromium"}
        if model is AccessAttempt:
            fields["failures_since_start"] = 1
        model.objects.create(**fields)
    Token.objects.create(user=operator)
    Group.objects.get_or_create(name="Руководители ЦОК")
    return ticket


def frame_text(page) -> str:
    return "\n".join(page.locator(FRAME).all_inner_texts())


def english_words(text: str) -> set[str]:
    # Whole words only: a token key such as 3fadd9… holds no English word.
    return {w for w in re.findall(r"(?<![A-Za-z0-9])[A-Za-z]+(?![A-Za-z0-9])", text) if w.lower() in ENGLISH}


def test_every_admin_list_and_form_is_in_russian(daphne, browser, django_user_model, everything):
    admin_user = django_user_model.objects.create_superuser("root", password="pass-12345", first_name="Админ")
    server = daphne()
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ru-RU")
    sign_in(context, server, admin_user)
    page = context.new_page()
    page.goto(f"{server.url}/admin/")
    changelists = page.eval_on_selector_all(
        "#content-main .module tr[class^='model-'] th a", "links => links.map(a => a.getAttribute('href'))"
    )
    assert len(changelists) >= 15  # every registered model of every app
    visited, found = [], {}
    pages = ["/admin/"]
    for changelist in changelists:
        pages.append(changelist)
        page.goto(server.url + changelist)
        first = page.locator("#result_list tbody tr a[href*='/change/']").first
        if first.count():
            pages.append(first.get_attribute("href"))
        if page.locator(".object-tools a.addlink").count():
            pages.append(page.locator(".object-tools a.addlink").first.get_attribute("href"))
    for path in pages:
        page.goto(server.url + path)
        visited.append(path)
        words = english_words(frame_text(page) + " " + page.title())
        if words:
            found[path] = sorted(words)
    assert found == {}
    # The walk did reach the pages the issue named.
    for path in ("/admin/axes/accessattempt/", "/admin/offices/membership/", "/admin/tickets/ticket/"):
        assert path in visited
    assert any(re.fullmatch(r"/admin/tickets/ticket/\d+/change/", p) for p in visited)
    assert any(re.fullmatch(r"/admin/offices/office/\d+/change/", p) for p in visited)
    assert len(visited) >= 40
    context.close()
