"""Offices, hours, services and counters as a YAML file: validate everything, then upsert.

The upsert is idempotent. Services missing from the file are deactivated, not
deleted, because tickets refer to them; counters missing from the file are
left alone for the same reason.
"""

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from django.db import transaction

from .models import DEFAULT_BREAK_REASONS, WEEKDAYS, Counter, Office, OfficeHours, Service, outcome_problems

SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,50}$")
HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
CHANNELS = set(Service.Channel.values)
# `kiosk: open` makes every browser at the office's kiosk page a kiosk (demo offices).
KIOSK_MODES = ("paired", "open")


# Every key the file may hold, by where it stands. Anything else is refused:
# a typo such as `wiat_norm_minutes` would otherwise load as if never set.
FILE_KEYS = ("offices",)
OFFICE_KEYS = (
    "code",
    "name",
    "address",
    "timezone",
    "wait_norm_minutes",
    "stop_issuing_minutes",
    "break_limit_minutes",
    "service_limit_minutes",
    "ticker_text",
    "remote_tickets",
    "kiosk",
    "call_chosen",
    "issue_without_counter",
    "break_reasons",
    "hours",
    "services",
    "counters",
    "closed_dates",
    "booking_prefix",
    "forecast_target_percent",
)
BREAK_REASON_KEYS = ("code", "name")
SERVICE_KEYS = (
    "code",
    "name",
    "prefix",
    "channel",
    "active",
    "group",
    "description",
    "booking",
    "outcomes",
    "outcomes_required",
)
COUNTER_KEYS = ("number", "services", "backup_services")


def _check_keys(where: str, raw: dict, known: tuple[str, ...], problems: list[str]) -> None:
    for key in raw:
        if key in known:
            continue
        guess = difflib.get_close_matches(str(key), known, n=1)
        hint = f"; может быть, {guess[0]}?" if guess else f"; допустимы: {', '.join(known)}"
        problems.append(f"{where}: неизвестный ключ «{key}»{hint}")


class ConfigError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class LoadResult:
    offices: int = 0
    services: int = 0
    counters: int = 0
    notes: list[str] = field(default_factory=list)


def _parse_hours(text) -> tuple[time, time] | None:
    match = HOURS.match(str(text).strip())
    if not match:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        return None
    opens = time(h1, m1)
    closes = time(0, 0) if h2 == 24 else time(h2, m2)
    if closes != time(0, 0) and closes <= opens:
        return None
    return opens, closes


# A service's `booking:` keys with their defaults (whole minutes, places or days).
BOOKING_DEFAULTS = {"slot_minutes": 15, "per_slot": 1, "days_ahead": 14, "cutoff_minutes": 60}
BOOKING_LIMITS = {
    "slot_minutes": (5, 240),
    "per_slot": (1, 100),
    "days_ahead": (1, 366),
    "cutoff_minutes": (0, 7 * 1440),
}


def _check_booking(where: str, booking, office_hours: dict, problems: list[str]) -> None:
    if not isinstance(booking, dict):
        problems.append(f"{where}: ожидается словарь slot_minutes, per_slot, days_ahead, cutoff_minutes, hours")
        return
    for key in booking:
        if key not in BOOKING_DEFAULTS and key != "hours":
            problems.append(f"{where}.{key}: неизвестный параметр записи")
    for key, (low, high) in BOOKING_LIMITS.items():
        value = booking.get(key, BOOKING_DEFAULTS[key])
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problems.append(f"{where}.{key}: нужно целое число от {low} до {high}")
    hours = booking.get("hours", {})
    if not isinstance(hours, dict) or not hours:
        problems.append(f"{where}.hours: нужны часы записи «день: ЧЧ:ММ-ЧЧ:ММ»")
        return
    for day, text in hours.items():
        parsed = _parse_hours(text)
        if day not in WEEKDAYS:
            problems.append(f"{where}.hours.{day}: неизвестный день, допустимы {', '.join(WEEKDAYS)}")
        elif parsed is None:
            problems.append(f"{where}.hours.{day}: «{text}» — нужен формат ЧЧ:ММ-ЧЧ:ММ, закрытие позже открытия")
        else:
            office = _parse_hours(office_hours.get(day, "")) if isinstance(office_hours, dict) else None
            midnight = time(0, 0)
            if office is None or not (
                office[0] <= parsed[0] and (office[1] == midnight or (parsed[1] != midnight and parsed[1] <= office[1]))
            ):
                problems.append(f"{where}.hours.{day}: часы записи «{text}» должны быть внутри часов работы офиса")


def _check_office(index: int, raw, problems: list[str]) -> None:
    where = f"offices[{index}]"
    if not isinstance(raw, dict):
        problems.append(f"{where}: ожидается словарь с полями офиса")
        return
    code = raw.get("code")
    where = f"offices[{index}] ({code})" if code else where
    _check_keys(where, raw, OFFICE_KEYS, problems)
    if not isinstance(code, str) or not SLUG.match(code):
        problems.append(f"{where}.code: нужен код из латинских букв, цифр, «-» или «_»")
    if not isinstance(raw.get("name"), str) or not raw["name"].strip():
        problems.append(f"{where}.name: нужно название офиса")
    tz = raw.get("timezone", "Europe/Moscow")
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{where}.timezone: неизвестный часовой пояс «{tz}»")
    for key in ("wait_norm_minutes", "stop_issuing_minutes", "break_limit_minutes", "service_limit_minutes"):
        value = raw.get(key, 15)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 24 * 60:
            problems.append(f"{where}.{key}: нужно целое число минут от 0 до 1440")
    target = raw.get("forecast_target_percent", 80)
    if not isinstance(target, int) or isinstance(target, bool) or not 1 <= target <= 99:
        problems.append(f"{where}.forecast_target_percent: нужно целое число процентов от 1 до 99")
    if not isinstance(raw.get("remote_tickets", False), bool):
        problems.append(f"{where}.remote_tickets: нужно true или false")
    if raw.get("kiosk", "paired") not in KIOSK_MODES:
        problems.append(f"{where}.kiosk: допустимы {', '.join(KIOSK_MODES)}")
    if not isinstance(raw.get("call_chosen", True), bool):
        problems.append(f"{where}.call_chosen: нужно true или false")
    if not isinstance(raw.get("issue_without_counter", True), bool):
        problems.append(f"{where}.issue_without_counter: нужно true или false")
    reasons = raw.get("break_reasons", DEFAULT_BREAK_REASONS)
    if not isinstance(reasons, list) or not reasons:
        problems.append(f"{where}.break_reasons: ожидается непустой список причин «code, name»")
        reasons = []
    reason_codes = set()
    for r_index, reason in enumerate(reasons):
        r_where = f"{where}.break_reasons[{r_index}]"
        if not isinstance(reason, dict) or not isinstance(reason.get("name"), str) or not reason["name"].strip():
            problems.append(f"{r_where}: нужны code и name, например {{code: lunch, name: Обед}}")
            continue
        r_code = reason.get("code")
        _check_keys(f"{r_where} ({r_code})", reason, BREAK_REASON_KEYS, problems)
        if not isinstance(r_code, str) or not SLUG.match(r_code) or len(r_code) > 30:
            problems.append(f"{r_where}.code: нужен код из латинских букв, цифр, «-» или «_» (до 30 символов)")
        elif r_code in reason_codes:
            problems.append(f"{r_where}.code: причина «{r_code}» указана дважды")
        else:
            reason_codes.add(r_code)
    prefix = raw.get("booking_prefix", "З")
    if not isinstance(prefix, str) or len(prefix) != 1 or not prefix.isalpha():
        problems.append(f"{where}.booking_prefix: нужна одна буква, например «З»")
    closed = raw.get("closed_dates", [])
    if not isinstance(closed, list):
        problems.append(f"{where}.closed_dates: ожидается список дат ГГГГ-ММ-ДД")
        closed = []
    for value in closed:
        try:
            date.fromisoformat(value if isinstance(value, str) else str(value))
        except ValueError:
            problems.append(f"{where}.closed_dates: «{value}» — нужна дата ГГГГ-ММ-ДД")
    hours = raw.get("hours", {})
    if not isinstance(hours, dict):
        problems.append(f"{where}.hours: ожидается словарь «день: ЧЧ:ММ-ЧЧ:ММ»")
        hours = {}
    for day, text in hours.items():
        if day not in WEEKDAYS:
            problems.append(f"{where}.hours.{day}: неизвестный день, допустимы {', '.join(WEEKDAYS)}")
        elif _parse_hours(text) is None:
            problems.append(f"{where}.hours.{day}: «{text}» — нужен формат ЧЧ:ММ-ЧЧ:ММ, закрытие позже открытия")
    services = raw.get("services", [])
    codes = set()
    if not isinstance(services, list):
        problems.append(f"{where}.services: ожидается список услуг")
        services = []
    for s_index, service in enumerate(services):
        s_where = f"{where}.services[{s_index}]"
        if not isinstance(service, dict):
            problems.append(f"{s_where}: ожидается словарь с полями услуги")
            continue
        s_code = service.get("code")
        _check_keys(f"{s_where} (услуга {s_code})", service, SERVICE_KEYS, problems)
        if not isinstance(s_code, str) or not SLUG.match(s_code):
            problems.append(f"{s_where}.code: нужен код из латинских букв, цифр, «-» или «_»")
        elif s_code in codes:
            problems.append(f"{s_where}.code: услуга «{s_code}» указана дважды")
        else:
            codes.add(s_code)
        if not isinstance(service.get("name"), str) or not service["name"].strip():
            problems.append(f"{s_where}.name: нужно название услуги")
        prefix = service.get("prefix")
        if not isinstance(prefix, str) or len(prefix) != 1 or not prefix.isalpha():
            problems.append(f"{s_where}.prefix: нужна одна буква, например «А»")
        if service.get("channel") not in CHANNELS:
            problems.append(f"{s_where}.channel: допустимы {', '.join(sorted(CHANNELS))}")
        if "active" in service and not isinstance(service["active"], bool):
            problems.append(f"{s_where}.active: нужно true или false")
        for key, limit in (("group", 100), ("description", 200)):
            value = service.get(key, "")
            if not isinstance(value, str) or len(value) > limit:
                problems.append(f"{s_where}.{key}: нужна строка до {limit} символов")
        if service.get("booking") is not None:
            _check_booking(f"{s_where}.booking", service["booking"], hours, problems)
        problems.extend(f"{s_where}.outcomes: {p}" for p in outcome_problems(service.get("outcomes", [])))
        if "outcomes_required" in service and not isinstance(service["outcomes_required"], bool):
            problems.append(f"{s_where}.outcomes_required: нужно true или false")
        elif service.get("outcomes_required") and not service.get("outcomes"):
            problems.append(f"{s_where}.outcomes_required: тема обязательна, но тем нет")
    counters = raw.get("counters", [])
    numbers = set()
    if not isinstance(counters, list):
        problems.append(f"{where}.counters: ожидается список окон")
        counters = []
    for c_index, counter in enumerate(counters):
        c_where = f"{where}.counters[{c_index}]"
        if not isinstance(counter, dict):
            problems.append(f"{c_where}: ожидается словарь с полями окна")
            continue
        number = counter.get("number")
        _check_keys(f"{c_where} (окно {number})", counter, COUNTER_KEYS, problems)
        if (
            not isinstance(number, (str, int))
            or isinstance(number, bool)
            or not str(number).strip()
            or len(str(number)) > 10
        ):
            problems.append(f"{c_where}.number: нужен номер окна (до 10 символов)")
        elif str(number) in numbers:
            problems.append(f"{c_where}.number: окно «{number}» указано дважды")
        else:
            numbers.add(str(number))
        for key in ("services", "backup_services"):
            listed = counter.get(key, [])
            if not isinstance(listed, list):
                problems.append(f"{c_where}.{key}: ожидается список кодов услуг")
                continue
            for s_code in listed:
                if s_code not in codes:
                    problems.append(f"{c_where}.{key}: услуги «{s_code}» нет в этом офисе")


def validate(data) -> list[str]:
    problems: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("offices"), list):
        return ["файл должен содержать список offices"]
    seen = set()
    _check_keys("файл", data, FILE_KEYS, problems)
    for index, raw in enumerate(data["offices"]):
        _check_office(index, raw, problems)
        if isinstance(raw, dict) and raw.get("code") in seen:
            problems.append(f"offices[{index}].code: офис «{raw['code']}» указан дважды")
        if isinstance(raw, dict):
            seen.add(raw.get("code"))
    return problems


def parse(text: str):
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([f"файл не является корректным YAML: {exc}"]) from None


def _booking_fields(booking) -> dict:
    if booking is None:
        return {"booking_enabled": False}
    return {
        "booking_enabled": True,
        **{key: booking.get(key, default) for key, default in BOOKING_DEFAULTS.items()},
        "booking_hours": dict(booking.get("hours", {})),
    }


@transaction.atomic
def apply(data) -> LoadResult:
    problems = validate(data)
    if problems:
        raise ConfigError(problems)
    result = LoadResult()
    for raw in data["offices"]:
        office, _ = Office.objects.update_or_create(
            code=raw["code"],
            defaults={
                "name": raw["name"].strip(),
                "address": raw.get("address", ""),
                "timezone": raw.get("timezone", "Europe/Moscow"),
                "wait_norm_minutes": raw.get("wait_norm_minutes", 15),
                "stop_issuing_minutes": raw.get("stop_issuing_minutes", 15),
                "ticker_text": raw.get("ticker_text", ""),
                "remote_tickets": raw.get("remote_tickets", False),
                "kiosk_open": raw.get("kiosk", "paired") == "open",
                "call_chosen": raw.get("call_chosen", True),
                "issue_without_counter": raw.get("issue_without_counter", True),
                "break_reasons": [
                    {"code": r["code"], "name": r["name"].strip()}
                    for r in raw.get("break_reasons", DEFAULT_BREAK_REASONS)
                ],
                "break_limit_minutes": raw.get("break_limit_minutes", 30),
                "service_limit_minutes": raw.get("service_limit_minutes", 20),
                # YAML reads an unquoted 2026-12-31 as a date: stored as text either way.
                "closed_dates": sorted(str(d) for d in raw.get("closed_dates", [])),
                "booking_prefix": raw.get("booking_prefix", "З"),
                "forecast_target_percent": raw.get("forecast_target_percent", 80),
            },
        )
        result.offices += 1
        hours = {WEEKDAYS.index(day): _parse_hours(text) for day, text in raw.get("hours", {}).items()}
        office.hours.exclude(weekday__in=hours.keys()).delete()
        for weekday, (opens, closes) in hours.items():
            OfficeHours.objects.update_or_create(
                office=office, weekday=weekday, defaults={"opens": opens, "closes": closes}
            )
        services = {}
        for order, raw_service in enumerate(raw.get("services", [])):
            service, _ = Service.objects.update_or_create(
                office=office,
                code=raw_service["code"],
                defaults={
                    "name": raw_service["name"].strip(),
                    "prefix": raw_service["prefix"],
                    "channel": raw_service["channel"],
                    "active": raw_service.get("active", True),
                    "kiosk_order": order,
                    "group": raw_service.get("group", "").strip(),
                    "description": raw_service.get("description", "").strip(),
                    **_booking_fields(raw_service.get("booking")),
                    "outcomes": [
                        {"code": o["code"], "name": o["name"].strip()} for o in raw_service.get("outcomes", [])
                    ],
                    "outcomes_required": raw_service.get("outcomes_required", False),
                },
            )
            services[service.code] = service
            result.services += 1
        deactivated = office.services.exclude(code__in=services.keys()).filter(active=True).update(active=False)
        if deactivated:
            result.notes.append(f"{office.code}: отключено услуг, которых нет в файле: {deactivated}")
        for raw_counter in raw.get("counters", []):
            counter, _ = Counter.objects.get_or_create(office=office, number=str(raw_counter["number"]))
            counter.services.set([services[c] for c in raw_counter.get("services", [])])
            counter.backup_services.set([services[c] for c in raw_counter.get("backup_services", [])])
            result.counters += 1
    return result
