"""A kiosk's admin page gives its full pairing link and a QR code of exactly that link."""

import re

import pytest
import segno
from django.test import Client
from playwright.sync_api import expect

from offices.models import KioskDevice, Membership
from tests.helpers import make_office, make_user, sign_in


def qr_path(svg: str) -> str:
    return re.search(r'class="qrline"[^>]*\sd="([^"]+)"', svg).group(1)


@pytest.mark.django_db
def test_the_kiosk_page_shows_the_absolute_link_and_its_qr_code(django_user_model):
    office = make_office("hall")
    kiosk = KioskDevice.objects.create(office=office, name="Киоск у входа")
    client = Client()
    client.force_login(make_user(django_user_model, "root", is_staff=True, is_superuser=True))
    page = client.get(f"/admin/offices/kioskdevice/{kiosk.pk}/change/").content.decode()
    url = f"http://testserver/kiosk/pair/{kiosk.pairing_code}/"
    assert f'<a id="pairing-link" href="{url}">{url}</a>' in page
    svg = re.search(r'<div id="pairing-qr" class="pairing-qr">(.*?)</div>', page, re.S).group(1)
    assert qr_path(svg) == qr_path(segno.make(url, error="m").svg_inline(scale=5, border=2))
    # The link of another kiosk would give another code.
    assert qr_path(svg) != qr_path(
        segno.make(url.replace("/pair/", "/pair/x"), error="m").svg_inline(scale=5, border=2)
    )


@pytest.mark.django_db
def test_a_used_link_is_not_shown_and_a_new_one_is_a_click_away(django_user_model):
    office = make_office("hall")
    kiosk = KioskDevice.objects.create(office=office, name="Киоск")
    client = Client()
    client.force_login(make_user(django_user_model, "root", is_staff=True, is_superuser=True))
    assert client.post(f"/kiosk/pair/{kiosk.pairing_code}/").status_code == 302  # paired
    page = client.get(f"/admin/offices/kioskdevice/{kiosk.pk}/change/").content.decode()
    assert 'id="pairing-link"' not in page and "киоск уже подключён" in page
    answer = client.post("/admin/offices/kioskdevice/", {"action": "renew", "_selected_action": [kiosk.pk]})
    assert answer["Location"] == f"/admin/offices/kioskdevice/{kiosk.pk}/change/"
    kiosk.refresh_from_db()
    assert f"/kiosk/pair/{kiosk.pairing_code}/" in client.get(answer["Location"]).content.decode()


@pytest.mark.django_db
def test_adding_a_kiosk_leads_to_its_link(django_user_model):
    office = make_office("hall")
    manager = make_user(django_user_model, "mgr", office=office, role=Membership.Role.MANAGER)
    from offices.groups import grant_manager_admin

    grant_manager_admin(manager)
    client = Client()
    client.force_login(manager)
    answer = client.post("/admin/offices/kioskdevice/add/", {"office": office.pk, "name": "Киоск 2"})
    kiosk = KioskDevice.objects.get(name="Киоск 2")
    assert answer["Location"] == f"/admin/offices/kioskdevice/{kiosk.pk}/change/"
    assert f"/kiosk/pair/{kiosk.pairing_code}/" in client.get(answer["Location"]).content.decode()


@pytest.mark.browser
def test_the_pairing_link_on_the_kiosk_page_opens_the_pairing_page(daphne, browser, django_user_model):
    office = make_office("hall", name="ЦОК Зал")
    kiosk = KioskDevice.objects.create(office=office, name="Киоск у входа")
    admin_user = django_user_model.objects.create_superuser("root", password="pass-12345")
    server = daphne()
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    sign_in(context, server, admin_user)
    page = context.new_page()
    page.goto(f"{server.url}/admin/offices/kioskdevice/{kiosk.pk}/change/")
    link = page.locator("#pairing-link")
    expected = f"{server.url}/kiosk/pair/{kiosk.pairing_code}/"
    expect(link).to_have_text(expected)
    qr = page.locator("#pairing-qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 200 and box["y"] + box["height"] <= 768  # scannable, on the first screen
    assert qr_path(qr.evaluate("svg => svg.outerHTML")) == qr_path(
        segno.make(expected, error="m").svg_inline(scale=5, border=2)
    )
    # The kiosk's browser (here: a fresh one) opens the link and pairs.
    kiosk_browser = browser.new_context(viewport={"width": 1080, "height": 1920})
    kiosk_page = kiosk_browser.new_page()
    kiosk_page.goto(link.get_attribute("href"))
    expect(kiosk_page.locator("h1")).to_have_text("Подключить этот браузер как киоск?")
    kiosk_page.click("button[type=submit]")
    expect(kiosk_page).to_have_url(f"{server.url}/kiosk/hall/")
    kiosk.refresh_from_db()
    assert kiosk.paired_at is not None
    context.close()
    kiosk_browser.close()
