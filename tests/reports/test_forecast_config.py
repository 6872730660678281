"""The office's target share for the staffing forecast: YAML, admin and database agree."""

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from offices import config
from offices.models import Office
from tests.helpers import make_office, make_user

pytestmark = pytest.mark.django_db

YAML = """
offices:
  - code: fc
    name: ЦОК прогноза
    wait_norm_minutes: 10
    {target}
    hours: {{mon: "08:00-17:00"}}
    services:
      - {{code: fl, name: Физические лица, prefix: А, channel: individuals}}
"""


def test_load_config_sets_the_target_share_and_defaults_to_80():
    config.apply(config.parse(YAML.format(target="forecast_target_percent: 90")))
    assert Office.objects.get(code="fc").forecast_target_percent == 90
    config.apply(config.parse(YAML.format(target="")))
    assert Office.objects.get(code="fc").forecast_target_percent == 80


@pytest.mark.parametrize("value", ["100", "0", "80.5", "true", '"80"'])
def test_a_target_outside_1_to_99_percent_is_refused_in_russian(value):
    problems = config.validate(config.parse(YAML.format(target=f"forecast_target_percent: {value}")))
    assert problems == ["offices[0] (fc).forecast_target_percent: нужно целое число процентов от 1 до 99"]


def test_a_typo_in_the_key_is_named_with_the_right_one():
    problems = config.validate(config.parse(YAML.format(target="forecast_target_percnt: 90")))
    assert any("forecast_target_percnt" in p and "forecast_target_percent?" in p for p in problems)


def test_the_database_refuses_a_target_of_100_percent():
    office = make_office("fc")
    office.forecast_target_percent = 100
    with pytest.raises(IntegrityError), transaction.atomic():
        office.save(update_fields=["forecast_target_percent"])


def test_the_admin_edits_the_target_share(django_user_model):
    office = make_office("fc")
    client = Client()
    client.force_login(make_user(django_user_model, "root", is_staff=True, is_superuser=True))
    page = client.get(f"/admin/offices/office/{office.pk}/change/").content.decode()
    assert "Прогноз загрузки и штат" in page
    assert 'name="forecast_target_percent"' in page
    assert "целевая доля клиентов, вызванных в пределах норматива, %" in page.lower()
