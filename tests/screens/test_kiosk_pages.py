"""The kiosk page without a browser: open demo kiosks, the service tree, the next opening, the queue's query count."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from offices import kiosks
from offices.models import OfficeHours, Service
from tests.helpers import add_counter, add_services, make_office
from tickets import services as svc

MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def issue(client, code, priority=False, **extra):
    body = {"service": "fl", "priority": priority}
    return client.post(f"/api/v1/offices/{code}/tickets/", body, content_type="application/json", **extra)


def test_any_browser_at_an_open_kiosk_page_is_a_kiosk_of_that_office_only(db):
    demo = make_office("demo", remote_tickets=False, kiosk_open=True)
    other = make_office("other-demo", remote_tickets=False, kiosk_open=True)
    add_services(demo), add_services(other)
    browser = Client()
    assert issue(browser, "demo").status_code == 403  # not before it opens the kiosk page
    page = browser.get("/kiosk/demo/")
    assert kiosks.OPEN_COOKIE in page.cookies
    assert "Демо" in page.content.decode() and "не подключён" not in page.content.decode()
    assert issue(browser, "demo", priority=True).status_code == 201  # a kiosk may grant priority
    # The cookie names its office: it does not open another office's kiosk.
    assert issue(browser, "other-demo").json()["error"]["code"] == "kiosk_required"


def test_a_real_office_keeps_pairing_and_an_office_switched_back_refuses_the_cookie(db):
    real = make_office("real", remote_tickets=False)
    add_services(real)
    browser = Client()
    page = browser.get("/kiosk/real/")
    assert kiosks.OPEN_COOKIE not in page.cookies
    assert "Демо" not in page.content.decode() and "не подключён" in page.content.decode()
    assert issue(browser, "real").json()["error"]["code"] == "kiosk_required"

    real.kiosk_open = True
    real.save()
    browser.get("/kiosk/real/")
    assert issue(browser, "real").status_code == 201
    real.kiosk_open = False
    real.save()
    assert issue(browser, "real").json()["error"]["code"] == "kiosk_required"


def test_remote_limits_spare_the_open_kiosk_but_still_hold_for_other_clients(db, settings):
    settings.REMOTE_TICKETS_PER_CLIENT = "2/hour"
    settings.REMOTE_TICKETS_PER_OFFICE = "4/hour"
    office = make_office("demo", remote_tickets=True, kiosk_open=True)
    add_services(office)
    kiosk = Client()
    kiosk.get("/kiosk/demo/")
    assert [issue(kiosk, "demo").status_code for _ in range(8)] == [201] * 8
    phone = Client()
    assert [issue(phone, "demo").status_code for _ in range(3)] == [201, 201, 429]
    # The office-wide remote limit counts remote tickets only.
    others = [issue(Client(), "demo", REMOTE_ADDR=f"10.0.0.{n}").status_code for n in range(1, 4)]
    assert others == [201, 201, 429]


def test_the_kiosk_groups_services_under_their_heading_once(db):
    office = make_office("tree")
    for order, (code, name, group, description) in enumerate(
        [
            ("pay", "Оплата", "Физические лица", "Счета и долги"),
            ("meters", "Показания", "Физические лица", ""),
            ("ul", "Юридические лица", "", "Организации и ИП"),
            ("cash", "Касса", "", ""),
        ]
    ):
        Service.objects.create(
            office=office,
            code=code,
            name=name,
            prefix="АБВГ"[order],
            channel="individuals",
            kiosk_order=order,
            group=group,
            description=description,
        )
    page = Client().get("/kiosk/tree/").content.decode()
    assert page.count("<h2") == 1 and ">Физические лица</h2>" in page
    assert page.count('class="service"') == 4
    assert ">Счета и долги<" in page and ">Организации и ИП<" in page
    assert page.count('class="description"') == 2


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 3, 2, 6, 30, tzinfo=MSK), "Откроется сегодня в 08:00"),  # Monday before opening
        (datetime(2026, 3, 2, 18, 0, tzinfo=MSK), "Откроется завтра в 08:00"),  # Monday after closing
        (datetime(2026, 3, 6, 17, 0, tzinfo=MSK), "Откроется в понедельник в 08:00"),  # Friday evening
        (datetime(2026, 3, 7, 12, 0, tzinfo=MSK), "Откроется в понедельник в 08:00"),  # Saturday
        (datetime(2026, 3, 3, 17, 0, tzinfo=MSK), "Откроется в четверг в 08:00"),  # Tuesday; Wednesday off
    ],
)
def test_the_next_opening_is_said_in_the_offices_time(db, moment, text):
    office = make_office("weekdays", all_day=False)
    for weekday in (0, 1, 3, 4):
        OfficeHours.objects.create(office=office, weekday=weekday, opens=time(8), closes=time(17))
    # The server's clock is in UTC; the office's day and hours are Moscow's.
    with time_machine.travel(moment, tick=False):
        assert office.next_opening_text() == text
        assert Client().get("/api/v1/offices/weekdays/queue/").json()["next_opening_text"] == text


def test_an_office_without_hours_has_no_next_opening(db):
    office = make_office("never", all_day=False)
    assert office.next_opening() is None and office.next_opening_text() == ""


def test_the_kiosks_queue_estimates_cost_the_same_queries_for_any_number_of_services(db, django_assert_max_num_queries):
    office = make_office("busy")
    services = add_services(office)
    add_counter(office, "1", list(services.values()))
    for n in range(12):
        extra = Service.objects.create(office=office, code=f"s{n}", name=f"Услуга {n}", prefix="Д", channel="cashier")
        svc.ticket_issue(office=office, service=extra)
    for service in services.values():
        svc.ticket_issue(office=office, service=service)
    with django_assert_max_num_queries(8):
        body = Client().get("/api/v1/offices/busy/queue/").json()
    assert len(body["services"]) == 15
    # One waiting ticket, one open counter, no history: the default service time.
    fl = next(s for s in body["services"] if s["code"] == "fl")
    assert fl["waiting"] == 1 and fl["estimated_wait_seconds"] == 450
