"""The admin's Russian reads right with every model: no case or gender to agree, offices by their names."""

import re

import pytest

from offices.models import Counter, KioskDevice, Membership
from tests.helpers import add_counter, add_services, make_office, make_user

pytestmark = pytest.mark.django_db


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


@pytest.fixture
def office():
    office = make_office("korocha", name="ЦОК Короча")
    add_counter(office, "1", add_services(office).values())
    return office


def test_lists_are_titled_in_the_plural_and_counted_without_a_model_name(admin_client, office):
    page = admin_client.get("/admin/offices/service/").content.decode()
    assert "<h1>Услуги: выбор</h1>" in page and "<title>Услуги: выбор |" in page
    assert "Выберите" not in page
    kiosks = admin_client.get("/admin/offices/kioskdevice/").content.decode()
    assert re.search(r"Всего:\s*0\b", kiosks) and "0 киоски" not in kiosks


def test_saving_says_what_was_saved_with_no_gender_to_agree(admin_client, office):
    service = office.services.first()
    url = f"/admin/offices/service/{service.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "Изменение: услуга" in page  # not «Изменить услуга»
    data = {
        "office": office.pk, "code": service.code, "name": "Оплата счетов", "prefix": service.prefix,
        "channel": service.channel, "kiosk_order": 0, "active": "on",
        "slot_minutes": service.slot_minutes, "per_slot": service.per_slot, "days_ahead": service.days_ahead,
        "cutoff_minutes": service.cutoff_minutes, "booking_hours": "{}",
    }  # fmt: skip
    answer = text(admin_client.post(url, data, follow=True).content.decode())
    assert "Сохранено: услуга «Оплата счетов (А)»." in answer
    assert "был успешно" not in answer and "была успешно" not in answer
    added = admin_client.post("/admin/offices/service/add/", {**data, "code": "new", "prefix": "Н"}, follow=True)
    assert "Добавлено: услуга «Оплата счетов (Н)»." in text(added.content.decode())


def test_objects_are_named_by_their_offices_russian_name(office, django_user_model):
    counter = Counter.objects.get(office=office)
    assert str(counter) == "Окно 1 (ЦОК Короча)"
    assert str(KioskDevice.objects.create(office=office, name="Киоск у входа")) == "Киоск у входа (ЦОК Короча)"
    member = make_user(django_user_model, "anna", office=office, role=Membership.Role.OPERATOR)
    assert "(ЦОК Короча)" in str(member.memberships.get())


def test_the_time_zone_list_puts_russias_zones_first_and_the_rest_under_others(admin_client, office):
    page = admin_client.get(f"/admin/offices/office/{office.pk}/change/").content.decode()
    groups = re.findall(r'<optgroup label="([^"]+)">', page)
    assert groups == ["Россия", "Другие"]
    russia = page.split('<optgroup label="Россия">')[1].split("</optgroup>")[0]
    assert russia.count("<option") == 11
