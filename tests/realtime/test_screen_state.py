"""Screens keep ids, not objects: what they are sent is read afresh, and an office save refreshes them."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from offices.models import OfficeHours
from tests.helpers import connect_screen, receive_type
from tickets import live

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_display_sync_after_an_hours_change_shows_the_office_closed(office, services, monkeypatch):
    from displays import consumers

    monkeypatch.setattr(consumers, "SYNC_INTERVAL_SECONDS", 0)
    display = await connect_screen("/ws/offices/main/display/")
    assert (await display.receive_json_from())["open"] is True
    await database_sync_to_async(OfficeHours.objects.filter(office=office).delete)()
    office.ticker_text = "Офис закрыт на учёт"
    await database_sync_to_async(office.save)()
    # Written behind the services' back: the live state is outdated as the admin's save does it.
    await database_sync_to_async(live.forget)(office.pk)
    await display.send_json_to({"type": "sync"})
    snapshot = await receive_type(display, "snapshot")
    assert snapshot["open"] is False
    assert snapshot["office"]["ticker"] == "Офис закрыт на учёт"
    await display.disconnect()


@database_sync_to_async
def save_in_admin(office, django_user_model, **changes) -> int:
    admin = django_user_model.objects.create_superuser("root", password="pass-12345")
    client = Client()
    client.force_login(admin)
    data = {
        "code": office.code,
        "name": office.name,
        "timezone": office.timezone,
        "stop_issuing_minutes": office.stop_issuing_minutes,
        "wait_norm_minutes": office.wait_norm_minutes,
        "ticker_text": office.ticker_text,
        "display_chime": "on",
        "display_voice": "on",
        "break_reasons": "lunch: Обед",
        "break_limit_minutes": office.break_limit_minutes,
        "service_limit_minutes": office.service_limit_minutes,
        "forecast_target_percent": office.forecast_target_percent,
        "issue_without_counter": "on" if office.issue_without_counter else "",
        **{
            f"{prefix}-{count}": "0"
            for prefix in ("hours", "services", "counters")
            for count in ("TOTAL_FORMS", "INITIAL_FORMS")
        },
        **changes,
    }
    response = client.post(f"/admin/offices/office/{office.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response.status_code


async def test_saving_an_office_in_the_admin_sends_its_screens_a_fresh_snapshot(office, services, django_user_model):
    display = await connect_screen("/ws/offices/main/display/")
    await display.receive_json_from()
    assert await save_in_admin(office, django_user_model, ticker_text="Новая строка") == 302
    snapshot = await receive_type(display, "snapshot")
    assert snapshot["office"]["ticker"] == "Новая строка"
    await display.disconnect()
