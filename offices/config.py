"""Offices, hours, services and counters as a YAML file: validate everything, then upsert.

The upsert is idempotent. Services missing from the file are deactivated, not
deleted, because tickets refer to them; counters missing from the file are
left alone for the same reason.
"""

import re
from dataclasses import dataclass, field
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from django.db import transaction

from .models import DEFAULT_BREAK_REASONS, WEEKDAYS, Counter, Office, OfficeHours, Service, outcome_problems

SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,50}$")
HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
CHANNELS = set(Service.Channel.values)
# `kiosk: open` makes every browser at the office's kiosk page a kiosk (demo offices).
KIOSK_MODES = ("paired", "open")


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


def _check_office(index: int, raw, problems: list[str]) -> None:
    where = f"offices[{index}]"
    if not isinstance(raw, dict):
        problems.append(f"{where}: ожидается словарь с полями офиса")
        return
    code = raw.get("code")
    where = f"offices[{index}] ({code})" if code else where
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
    if not isinstance(raw.get("remote_tickets", False), bool):
        problems.append(f"{where}.remote_tickets: нужно true или false")
    if raw.get("kiosk", "paired") not in KIOSK_MODES:
        problems.append(f"{where}.kiosk: допустимы {', '.join(KIOSK_MODES)}")
    if not isinstance(raw.get("call_chosen", True), bool):
        problems.append(f"{where}.call_chosen: нужно true или false")
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
        if not isinstance(r_code, str) or not SLUG.match(r_code) or len(r_code) > 30:
            problems.append(f"{r_where}.code: нужен код из латинских букв, цифр, «-» или «_» (до 30 символов)")
        elif r_code in reason_codes:
            problems.append(f"{r_where}.code: причина «{r_code}» указана дважды")
        else:
            reason_codes.add(r_code)
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
                "break_reasons": [
                    {"code": r["code"], "name": r["name"].strip()}
                    for r in raw.get("break_reasons", DEFAULT_BREAK_REASONS)
                ],
                "break_limit_minutes": raw.get("break_limit_minutes", 30),
                "service_limit_minutes": raw.get("service_limit_minutes", 20),
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
