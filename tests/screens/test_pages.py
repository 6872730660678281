"""Every page renders in Russian with no leftover placeholders, and refuses whom it must."""

import re

import pytest
from django.test import Client

from tests.helpers import make_user
from tickets import services as svc

PLACEHOLDERS = re.compile(r"\{\{|\{%|%\(|\bNone\b|\bTODO\b|\bundefined\b")


@pytest.fixture
def pages(office, services, counters, operator, manager):
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    return {
        "/": None,
        "/login/": None,
        f"/kiosk/{office.code}/": None,
        f"/display/{office.code}/": None,
        f"/t/{ticket.token}/": None,
        "/operator/": operator,
        f"/operator/{counters['1'].pk}/": operator,
        "/monitor/": manager,
    }


def test_every_page_renders_without_placeholders(pages):
    for path, user in pages.items():
        client = Client()
        if user:
            client.force_login(user)
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert '<html lang="ru">' in html, path
        leftovers = PLACEHOLDERS.findall(re.sub(r"<script.*?</script>", "", html, flags=re.S))
        assert leftovers == [], (path, leftovers)


def test_staff_pages_send_anonymous_users_to_sign_in(db):
    for path in ["/operator/", "/operator/1/", "/monitor/"]:
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next="), path


def test_an_operator_cannot_open_the_monitor_or_another_offices_counter(counters, other_operator, operator):
    client = Client()
    client.force_login(other_operator)
    assert client.get(f"/operator/{counters['1'].pk}/").status_code == 403
    assert client.get("/monitor/").status_code == 403
    client.force_login(operator)
    assert client.get(f"/operator/{counters['1'].pk}/").status_code == 200


def test_unknown_office_ticket_and_counter_pages_are_404(operator, db):
    client = Client()
    client.force_login(operator)
    for path in ["/kiosk/nowhere/", "/display/nowhere/", "/t/nope/", "/t/nope/qr.svg", "/operator/999999/"]:
        assert client.get(path).status_code == 404, path


def test_the_qr_code_points_to_the_tracking_page(office, services, settings):
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    settings.PUBLIC_URL = "https://queue.example.ru"
    svg = Client().get(f"/t/{ticket.token}/qr.svg")
    assert svg["Content-Type"] == "image/svg+xml"
    assert svg.content.startswith(b"<svg") and b'xmlns="http://www.w3.org/2000/svg"' in svg.content
    import segno

    expected = segno.make(f"https://queue.example.ru/t/{ticket.token}/", error="m")
    assert expected.svg_inline(scale=4, border=2).split('class="qrline"')[1][:200] in svg.content.decode()


def test_a_company_wide_manager_sees_every_office_on_the_monitor(django_user_model, office, other_office):
    boss = make_user(django_user_model, "boss", role="manager")
    client = Client()
    client.force_login(boss)
    html = client.get("/monitor/").content.decode()
    assert 'id="office-main"' in html and 'id="office-other"' in html


def test_the_admin_manages_every_object(django_user_model, db):
    admin_user = make_user(django_user_model, "root", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(admin_user)
    for model in [
        "offices/office", "offices/service", "offices/counter", "offices/membership", "offices/kioskdevice",
        "tickets/ticket", "reports/disclosure", "reports/contactcount", "reports/appeal", "reports/call",
    ]:  # fmt: skip
        assert client.get(f"/admin/{model}/").status_code == 200, model
    assert client.get("/admin/reports/disclosure/add/").status_code == 200


@pytest.mark.parametrize("path", ["/", "/login/", "/kiosk/main/", "/no-such-page/", "/api/v1/offices/", "/api/docs/"])
def test_every_answer_carries_the_content_security_policy(services, path, settings):
    response = Client().get(path)
    assert response["Content-Security-Policy"] == (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
    )


def test_the_api_docs_load_their_script_from_a_file(db):
    page = Client().get("/api/docs/").content.decode()
    assert re.search(r'<script src="/api/docs/\?script="', page)
    assert "<style>" not in page and re.search(r"<script>\s", page) is None
    script = Client().get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


def test_the_priority_button_is_shown_only_where_priority_may_be_granted(services, operator):
    from offices.models import KioskDevice

    remote = Client().get("/kiosk/main/").content.decode()
    assert re.search(r'<button id="priority"[^>]* hidden>', remote)
    kiosk = Client()
    device = KioskDevice.objects.create(office=services["fl"].office, name="Киоск")
    kiosk.post(f"/kiosk/pair/{device.pairing_code}/")
    staff = Client()
    staff.force_login(operator)
    for client in (kiosk, staff):
        page = client.get("/kiosk/main/").content.decode()
        assert re.search(r'<button id="priority"[^>]*aria-pressed="false">', page)
