"""load_config, seed_demo and settings from the environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from offices.models import Counter, Membership, Office, OfficeHours, Service

GOOD = """
offices:
  - code: belgorod
    name: ЦОК Белгородского участка
    address: г. Белгород
    timezone: Europe/Moscow
    wait_norm_minutes: 15
    stop_issuing_minutes: 15
    hours: {mon: "08:00-17:00", fri: "08:00-16:00", sat: "09:00-14:00"}
    services:
      - {code: fl, name: Физические лица, prefix: А, channel: individuals}
      - {code: ul, name: Юридические лица, prefix: Б, channel: legal_entities}
      - {code: cash, name: Касса, prefix: К, channel: cashier}
    counters:
      - {number: "1", services: [fl], backup_services: [ul]}
      - {number: "2", services: [ul, fl]}
      - {number: "3", services: [cash]}
"""

BAD = """
offices:
  - code: "bad code"
    name: ""
    timezone: Mars/Olympus
    hours: {mon: "17:00-08:00", xyz: "08:00-17:00"}
    services:
      - {code: fl, name: ФЛ, prefix: АБ, channel: individuals}
      - {code: fl, name: ФЛ2, prefix: "1", channel: nobody}
    counters:
      - {number: "1", services: [missing]}
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "offices.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def state():
    return (
        list(Office.objects.values_list("code", "name")),
        list(OfficeHours.objects.values_list("office__code", "weekday", "opens", "closes")),
        list(Service.objects.values_list("office__code", "code", "prefix", "channel", "active")),
        sorted(
            (
                c.office.code,
                c.number,
                tuple(s.code for s in c.services.all()),
                tuple(s.code for s in c.backup_services.all()),
            )
            for c in Counter.objects.all()
        ),
    )


def test_load_config_creates_everything_and_a_second_load_changes_nothing(db, tmp_path):
    path = write(tmp_path, GOOD)
    call_command("load_config", path)
    first = state()
    assert first[0] == [("belgorod", "ЦОК Белгородского участка")]
    assert len(first[1]) == 3 and len(first[2]) == 3
    assert ("belgorod", "1", ("fl",), ("ul",)) in first[3]
    call_command("load_config", path)
    assert state() == first


def test_load_config_lists_every_problem_and_changes_nothing(db, tmp_path):
    call_command("load_config", write(tmp_path, GOOD))
    before = state()
    with pytest.raises(CommandError) as error:
        call_command("load_config", write(tmp_path, BAD))
    text = str(error.value)
    for fragment in [
        ".code: нужен код",
        ".name: нужно название офиса",
        "неизвестный часовой пояс «Mars/Olympus»",
        "hours.mon: «17:00-08:00»",
        "hours.xyz: неизвестный день",
        "prefix: нужна одна буква",
        "услуга «fl» указана дважды",
        "channel: допустимы",
        "услуги «missing» нет в этом офисе",
    ]:
        assert fragment in text, fragment
    assert "ничего не изменено" in text
    assert state() == before


def test_load_config_rejects_invalid_yaml(db, tmp_path):
    with pytest.raises(CommandError, match="корректным YAML"):
        call_command("load_config", write(tmp_path, "offices: [unclosed"))


def test_services_removed_from_the_file_are_deactivated_not_deleted(db, tmp_path):
    call_command("load_config", write(tmp_path, GOOD))
    call_command(
        "load_config",
        write(
            tmp_path,
            GOOD.replace("      - {code: cash, name: Касса, prefix: К, channel: cashier}\n", "").replace(
                '      - {number: "3", services: [cash]}\n', ""
            ),
        ),
    )
    assert Service.objects.get(code="cash").active is False


def test_seed_demo_is_idempotent_and_creates_the_roles(db):
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    counts = (
        Office.objects.count(),
        get_user_model().objects.count(),
        Membership.objects.count(),
        Counter.objects.count(),
    )
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    assert (
        Office.objects.count(),
        get_user_model().objects.count(),
        Membership.objects.count(),
        Counter.objects.count(),
    ) == counts
    assert counts[0] == 3
    assert get_user_model().objects.get(username="admin").is_superuser
    assert Membership.objects.get(user__username="manager").office is None
    assert Office.objects.get(code="korocha").is_open()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DJANGO_DEBUG", "perhaps", "DJANGO_DEBUG='perhaps'"),
        ("TIME_ZONE", "Moon/Base", "TIME_ZONE='Moon/Base': unknown time zone"),
        ("DATABASE_URL", "nosuchdb://x", "DATABASE_URL"),
        ("DATABASE_URL", "postgres://u@h1:x,h2/db", "DATABASE_URL is not a valid database URL: 'h1:x'"),
        ("DB_POOL_MAX", "0", "DB_POOL_MAX='0': must be at least 1"),
        ("REMOTE_TICKETS_PER_CLIENT", "five per hour", "REMOTE_TICKETS_PER_CLIENT='five per hour'"),
        ("REMOTE_TICKETS_PER_OFFICE", "300/fortnight", "REMOTE_TICKETS_PER_OFFICE='300/fortnight'"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL='LOUD': expected one of DEBUG, INFO"),
        ("REDIS_URL", "127.0.0.1:6379", "REDIS_URL='127.0.0.1:6379'"),
        ("PUBLIC_URL", "queue.example.ru", "PUBLIC_URL='queue.example.ru'"),
        ("DJANGO_CSRF_TRUSTED_ORIGINS", "queue.example.ru", "DJANGO_CSRF_TRUSTED_ORIGINS: 'queue.example.ru'"),
        ("API_TOKEN_TTL_HOURS", "0", "API_TOKEN_TTL_HOURS='0': must be at least 1"),
        ("KIOSK_PAIRING_HOURS", "day", "KIOSK_PAIRING_HOURS='day': expected a whole number"),
    ],
)
def test_a_bad_environment_value_fails_at_start_with_a_clear_message(variable, value, message):
    env = {**os.environ, variable: value, "DJANGO_SETTINGS_MODULE": "queue_system.settings"}
    env.pop("PYTEST_XDIST_WORKER", None)
    if variable == "DB_POOL_MAX":
        env["DATABASE_URL"] = "postgres://u:p@127.0.0.1:5432/x"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REDIS_SENTINELS": "sentinel1"}, "REDIS_SENTINELS: 'sentinel1' is not host:port"),
        ({"REDIS_SENTINELS": "10.0.0.5:263790", "REDIS_SENTINEL_MASTER": "q"}, "'10.0.0.5:263790' is not host:port"),
        ({"REDIS_SENTINELS": "10.0.0.5:26379"}, "REDIS_SENTINELS and REDIS_SENTINEL_MASTER go together"),
        ({"REDIS_SENTINEL_MASTER": "queue"}, "REDIS_SENTINELS and REDIS_SENTINEL_MASTER go together"),
        (
            {
                "REDIS_URL": "redis://127.0.0.1:6379/0",
                "REDIS_SENTINELS": "10.0.0.5:26379",
                "REDIS_SENTINEL_MASTER": "q",
            },
            "set REDIS_URL (one Redis) or REDIS_SENTINELS (Redis Sentinel), not both",
        ),
        (
            {"REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_DB": "2"},
            "REDIS_DB and REDIS_PASSWORD are for REDIS_SENTINELS",
        ),
        ({"REDIS_SENTINELS": "10.0.0.5:26379", "REDIS_SENTINEL_MASTER": "q", "REDIS_DB": "x"}, "REDIS_DB='x'"),
    ],
)
def test_a_bad_redis_sentinel_setting_fails_at_start_with_a_clear_message(env, message):
    base = {k: v for k, v in os.environ.items() if not k.startswith("REDIS_")}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**base, **env, "DJANGO_SETTINGS_MODULE": "queue_system.settings"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_production_needs_a_secret_key():
    env = {**os.environ, "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "DJANGO_SETTINGS_MODULE": "queue_system.settings"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_under_asgi_a_request_crosses_into_the_sync_thread_once(caplog, settings):
    # Django logs every point where it adapts the chain between sync and async
    # (only with DEBUG). A middleware that ran async between sync ones would add
    # two thread hops per hook and per request.
    from django.core.handlers.asgi import ASGIHandler

    settings.DEBUG = True
    with caplog.at_level("DEBUG", logger="django.request"):
        ASGIHandler()
    adapted = [r.getMessage() for r in caplog.records if "handler adapted" in r.getMessage()]
    assert adapted == [
        "Asynchronous handler adapted for middleware queue_system.middleware.DatabaseUnavailableMiddleware."
    ]


def test_the_redis_channel_layer_sets_its_own_timeouts_above_the_blocking_read():
    # Library defaults must not decide whether an idle screen survives (channels_redis#422).
    script = (
        "import django, json; django.setup();"
        "from django.conf import settings; from channels_redis.core import RedisChannelLayer;"
        "host = settings.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0];"
        "print(json.dumps([host, RedisChannelLayer.brpop_timeout]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/0", "DJANGO_SETTINGS_MODULE": "queue_system.settings"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stderr
    host, blocking_read = json.loads(result.stdout)
    assert host["socket_timeout"] >= 3 * blocking_read
    assert host["socket_connect_timeout"] and host["health_check_interval"]


def test_load_config_refuses_unknown_keys_naming_each_and_where_it_stands(db, tmp_path):
    call_command("load_config", write(tmp_path, GOOD))
    before = state()
    typos = (
        GOOD.replace("    wait_norm_minutes: 15\n", "    wiat_norm_minutes: 10\n")
        .replace("channel: cashier}", "channel: cashier, colour: red}")
        .replace('{number: "2", services: [ul, fl]}', '{number: "2", services: [ul, fl], backup_service: [cash]}')
        .replace("    counters:\n", "    break_reasons: [{code: lunch, name: Обед, minutes: 30}]\n    counters:\n")
        + "version: 2\n"
    )
    with pytest.raises(CommandError) as error:
        call_command("load_config", write(tmp_path, typos))
    text = str(error.value)
    for fragment in [
        "offices[0] (belgorod): неизвестный ключ «wiat_norm_minutes»; может быть, wait_norm_minutes?",
        "offices[0] (belgorod).services[2] (услуга cash): неизвестный ключ «colour»",
        "offices[0] (belgorod).counters[1] (окно 2): неизвестный ключ «backup_service»; может быть, backup_services?",
        "offices[0] (belgorod).break_reasons[0] (lunch): неизвестный ключ «minutes»",
        "файл: неизвестный ключ «version»; допустимы: offices",
        "Ошибки (5)",
    ]:
        assert fragment in text, (fragment, text)
    assert "ничего не изменено" in text
    assert state() == before  # not even the norm of the valid keys changed


@pytest.mark.parametrize("name", sorted(p.name for p in (settings.BASE_DIR / "config").glob("*.yaml")))
def test_every_shipped_config_file_loads(db, name):
    call_command("load_config", str(settings.BASE_DIR / "config" / name), stdout=open(os.devnull, "w"))
    assert Office.objects.exists()


def test_every_key_the_loader_applies_is_a_known_key(db, tmp_path):
    every_key = """
offices:
  - code: full
    name: Офис со всеми ключами
    address: адрес
    timezone: Europe/Moscow
    wait_norm_minutes: 10
    stop_issuing_minutes: 5
    break_limit_minutes: 25
    service_limit_minutes: 15
    ticker_text: бегущая строка
    remote_tickets: true
    kiosk: open
    call_chosen: false
    break_reasons: [{code: lunch, name: Обед}]
    hours: {mon: "08:00-17:00"}
    services:
      - {code: fl, name: Услуга, prefix: А, channel: individuals, active: true, group: Группа, description: Описание}
    counters:
      - {number: "1", services: [fl], backup_services: []}
"""
    call_command("load_config", write(tmp_path, every_key), stdout=open(os.devnull, "w"))
    office = Office.objects.get(code="full")
    assert (office.wait_norm_minutes, office.break_limit_minutes, office.kiosk_open) == (10, 25, True)


def test_a_database_url_may_name_several_hosts_in_libpqs_form():
    script = (
        "import django, json; django.setup(); from django.conf import settings;"
        "db = settings.DATABASES['default']; print(json.dumps([db['HOST'], db['PORT'], db['NAME'], db['OPTIONS']]))"
    )
    url = "postgres://queue:pw@10.0.0.5:5432,10.0.0.6,[fd00::7]:5433/queue?target_session_attrs=read-write"
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "queue_system.settings"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stderr
    host, port, name, options = json.loads(result.stdout)
    assert (host, port, name) == ("10.0.0.5,10.0.0.6,fd00::7", "5432,5432,5433", "queue")
    assert options["target_session_attrs"] == "read-write"
