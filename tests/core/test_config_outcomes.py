"""Outcomes in the office YAML: loaded onto the services, every mistake listed."""

import pytest

from offices import config
from offices.models import Service

YAML = """
offices:
  - code: belgorod
    name: ЦОК
    timezone: Europe/Moscow
    services:
      - code: fl
        name: Физические лица
        prefix: А
        channel: individuals
        outcomes_required: true
        outcomes:
          - {code: meter_reading, name: Передача показаний}
          - {code: payment, name: "Оплата "}
      - {code: cash, name: Касса, prefix: К, channel: cashier}
    counters: []
"""


@pytest.mark.django_db
def test_outcomes_and_required_load_onto_the_service():
    config.apply(config.parse(YAML))
    fl = Service.objects.get(code="fl")
    assert fl.outcomes == [
        {"code": "meter_reading", "name": "Передача показаний"},
        {"code": "payment", "name": "Оплата"},
    ]
    assert fl.outcomes_required is True
    cash = Service.objects.get(code="cash")
    assert cash.outcomes == [] and cash.outcomes_required is False


@pytest.mark.parametrize(
    "outcomes, required, expected",
    [
        ("[{code: Bad Code, name: X}]", "false", "латинские строчные"),
        ("[{code: a, name: X}, {code: a, name: Y}]", "false", "повторяется"),
        ("[{code: a}]", "false", "ровно поля code и name"),
        ("{code: a, name: X}", "false", "ожидается список"),
        ("[]", "true", "тем нет"),
        ("[{code: a, name: X}]", "maybe", "true или false"),
    ],
)
def test_bad_outcomes_are_listed(outcomes, required, expected):
    text = YAML.replace("outcomes_required: true", f"outcomes_required: {required}").replace(
        """outcomes:
          - {code: meter_reading, name: Передача показаний}
          - {code: payment, name: "Оплата "}""",
        f"outcomes: {outcomes}",
    )
    problems = config.validate(config.parse(text))
    assert any(expected in p and "services[0].outcomes" in p for p in problems), problems
