"""The office page's forms fit the data: time zones, all-day hours, break reasons, counters."""

import html
import json
import re
from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from offices.admin_forms import RUSSIAN_TIMEZONES, BreakReasonsField
from offices.models import Counter, OfficeHours
from tests.helpers import add_counter, add_services, make_office, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(django_user_model):
    client = Client()
    client.force_login(make_user(django_user_model, "root", is_staff=True, is_superuser=True))
    return client


def form_data(page: str) -> dict:
    """The values a browser would submit from the change form, unchanged."""
    data = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="submit"' in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data.setdefault(name.group(1), []).append(value.group(1) if value else "on")
            continue
        data[name.group(1)] = value.group(1) if value else ""
    for select in re.finditer(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select.group(2))
        data[select.group(1)] = chosen.group(1) if chosen else ""
    for area in re.finditer(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        data[area.group(1)] = area.group(2).strip("\n").replace("&quot;", '"').replace("&amp;", "&")
    return data


def test_all_day_hours_show_as_around_the_clock_in_the_list_and_the_form(admin_client):
    office = make_office("day")  # all week 00:00-00:00
    listing = admin_client.get("/admin/offices/office/").content.decode()
    assert "Пн–Вс круглосуточно" in listing
    page = admin_client.get(f"/admin/offices/office/{office.pk}/change/").content.decode()
    assert "00:00:00" not in page
    assert len(re.findall(r'name="hours-\d-all_day"[^>]*checked', page)) == 7
    assert "Пн круглосуточно" in page


def test_hours_are_edited_as_hh_mm_and_around_the_clock_by_a_tick(admin_client):
    office = make_office("edit")
    url = f"/admin/offices/office/{office.pk}/change/"
    data = form_data(admin_client.get(url).content.decode())
    # Monday: 08:00-17:00 instead of around the clock; Tuesday stays ticked.
    data.pop("hours-0-all_day")
    data.update({"hours-0-opens": "08:00", "hours-0-closes": "17:00"})
    answer = admin_client.post(url, data)
    assert answer.status_code == 302, re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', answer.content.decode())
    monday, tuesday = OfficeHours.objects.filter(office=office).order_by("weekday")[:2]
    assert (monday.opens, monday.closes) == (time(8), time(17))
    assert tuesday.all_day
    # Ticking it again makes the day around the clock, whatever the times say.
    data = form_data(admin_client.get(url).content.decode())
    assert data["hours-0-opens"] == "08:00"
    data["hours-0-all_day"] = ["on"]
    assert admin_client.post(url, data).status_code == 302
    monday.refresh_from_db()
    assert monday.all_day
    assert "Пн–Вс круглосуточно" in admin_client.get("/admin/offices/office/").content.decode()


def test_a_closing_before_the_opening_is_refused_in_russian(admin_client):
    office = make_office("bad")
    url = f"/admin/offices/office/{office.pk}/change/"
    data = form_data(admin_client.get(url).content.decode())
    data.pop("hours-0-all_day")
    data.update({"hours-0-opens": "17:00", "hours-0-closes": "08:00"})
    page = admin_client.post(url, data).content.decode()
    assert "Закрытие должно быть позже открытия" in page


def test_the_time_zone_is_a_list_with_russias_zones_first(admin_client):
    office = make_office("tz")
    page = admin_client.get(f"/admin/offices/office/{office.pk}/change/").content.decode()
    select = re.search(r'<select name="timezone".*?</select>', page, re.S).group(0)
    values = re.findall(r'<option value="([^"]+)"', select)
    assert values[: len(RUSSIAN_TIMEZONES)] == [zone for zone, _ in RUSSIAN_TIMEZONES]
    assert values[0] == "Europe/Kaliningrad" and values[len(RUSSIAN_TIMEZONES) - 1] == "Asia/Kamchatka"
    assert "America/New_York" in values and len(values) == len(set(values)) > 300
    assert re.search(r'<option value="Europe/Moscow" selected>Москва', select)
    data = form_data(page)
    data["timezone"] = "Asia/Vladivostok"
    assert admin_client.post(f"/admin/offices/office/{office.pk}/change/", data).status_code == 302
    office.refresh_from_db()
    assert office.timezone == "Asia/Vladivostok"
    data["timezone"] = "Mars/Olympus"
    assert (
        "Выберите корректный вариант"
        in admin_client.post(f"/admin/offices/office/{office.pk}/change/", data).content.decode()
    )


def test_break_reasons_are_lines_of_code_and_name_with_russian_errors():
    field = BreakReasonsField()
    assert field.clean("lunch: Обед\n\n tech : Технический перерыв ") == [
        {"code": "lunch", "name": "Обед"},
        {"code": "tech", "name": "Технический перерыв"},
    ]
    assert field.prepare_value([{"code": "lunch", "name": "Обед"}]) == "lunch: Обед"
    for text, message in [
        ("Обед", "Строка 1: укажите и код, и название"),
        ("обед: Обед", "Строка 1: код «обед» — только латинские буквы"),
        ("lunch: Обед\nlunch: Ещё обед", "Строка 2: код «lunch» уже указан выше"),
        ("   ", "Укажите хотя бы одну причину перерыва"),
    ]:
        with pytest.raises(ValidationError) as refused:
            field.clean(text)
        assert message in " ".join(refused.value.messages)


def test_the_office_form_has_the_workplace_settings_and_saves_break_reasons(admin_client):
    office = make_office("work")
    url = f"/admin/offices/office/{office.pk}/change/"
    page = admin_client.get(url).content.decode()
    for name in ("kiosk_open", "call_chosen", "break_limit_minutes", "service_limit_minutes"):
        assert f'name="{name}"' in page, name
    data = form_data(page)
    # Break reasons are a table of rows, code beside name: the stored ones, then three empty rows.
    codes = [data[f"break_reasons-{i}-code"] for i in range(7)]
    assert codes == ["lunch", "technical", "training", "other", "", "", ""]
    assert data["break_reasons-0-name"] == "Обед" and "<textarea" not in page.split("break-reasons")[1][:2000]
    data.update({"break_reasons-1-code": "", "break_reasons-1-name": ""})  # a row cleared: that reason goes
    data.update({"break_reasons-4-code": "meeting", "break_reasons-4-name": "Планёрка"})
    data["break_limit_minutes"] = "45"
    assert admin_client.post(url, data).status_code == 302
    office.refresh_from_db()
    assert [r["code"] for r in office.break_reasons] == ["lunch", "training", "other", "meeting"]
    assert office.break_reasons[-1] == {"code": "meeting", "name": "Планёрка"}
    assert office.break_limit_minutes == 45
    # Saved again untouched, nothing is lost.
    assert admin_client.post(url, form_data(admin_client.get(url).content.decode())).status_code == 302
    before = office.break_reasons
    office.refresh_from_db()
    assert office.break_reasons == before
    # Codes are still checked, row by row, and the rows come back as typed.
    data.update({"break_reasons-5-code": "обед", "break_reasons-5-name": "Обед"})
    answer = admin_client.post(url, data).content.decode()
    assert "Строка 6: код «обед» — только латинские буквы" in answer
    assert 'value="обед"' in answer and 'value="Планёрка"' in answer
    data.update({"break_reasons-5-code": "", "break_reasons-5-name": "Без кода"})
    assert "Строка 6: укажите и код, и название" in admin_client.post(url, data).content.decode()


def test_counters_and_their_services_are_edited_on_the_office_page(admin_client):
    office = make_office("cnt")
    services = add_services(office)
    other = make_office("other")
    add_services(other)
    add_counter(office, "1", [services["fl"]])
    url = f"/admin/offices/office/{office.pk}/change/"
    page = admin_client.get(url).content.decode()
    # Only this office's services are offered, as checkboxes.
    offered = set(re.findall(r'name="counters-0-services" value="(\d+)"', page))
    assert offered == {str(s.pk) for s in services.values()}
    data = form_data(page)
    data["counters-0-services"] = [str(services["fl"].pk), str(services["ul"].pk)]
    data["counters-0-backup_services"] = [str(services["cash"].pk)]
    data.update({"counters-1-number": "2", "counters-1-services": [str(services["cash"].pk)],
                 "counters-1-active": ["on"], "counters-TOTAL_FORMS": "2"})  # fmt: skip
    answer = admin_client.post(url, data)
    assert answer.status_code == 302, re.findall(r"errorlist[^>]*>(.*?)</ul>", answer.content.decode())
    first = Counter.objects.get(office=office, number="1")
    assert set(first.services.values_list("code", flat=True)) == {"fl", "ul"}
    assert list(first.backup_services.values_list("code", flat=True)) == ["cash"]
    assert list(Counter.objects.get(office=office, number="2").services.values_list("code", flat=True)) == ["cash"]


def test_the_services_table_has_group_and_description(admin_client):
    office = make_office("svc")
    add_services(office)
    page = admin_client.get(f"/admin/offices/office/{office.pk}/change/").content.decode()
    assert 'name="services-0-group"' in page and 'name="services-0-description"' in page


def test_the_add_row_text_agrees_with_every_inline(admin_client):
    office = make_office("rows")
    page = admin_client.get(f"/admin/offices/office/{office.pk}/change/").content.decode()
    texts = [
        json.loads(html.unescape(data))["options"]["addText"]
        for data in re.findall(r'data-inline-formset="([^"]+)"', page)
    ]
    assert texts == ["Добавить: День", "Добавить: Услуга", "Добавить: Окно"]
