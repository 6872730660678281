"""Offices, their hours, services and counters, staff memberships and paired kiosks."""

import re
import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAY_NAMES = ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]
# «Откроется в понедельник»: the day after «в»/«во».
WEEKDAY_ACCUSATIVE = [
    "в понедельник",
    "во вторник",
    "в среду",
    "в четверг",
    "в пятницу",
    "в субботу",
    "в воскресенье",
]


def validate_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"Неизвестный часовой пояс: {value}") from None


# The break reasons an office offers unless its configuration lists its own.
DEFAULT_BREAK_REASONS = [
    {"code": "lunch", "name": "Обед"},
    {"code": "technical", "name": "Технический перерыв"},
    {"code": "training", "name": "Обучение"},
    {"code": "other", "name": "Другое"},
]


def default_break_reasons() -> list[dict]:
    return [dict(reason) for reason in DEFAULT_BREAK_REASONS]


class Office(models.Model):
    code = models.SlugField("код", max_length=50, unique=True)
    name = models.CharField("название", max_length=200)
    address = models.CharField("адрес", max_length=300, blank=True)
    timezone = models.CharField("часовой пояс", max_length=64, default="Europe/Moscow", validators=[validate_timezone])
    stop_issuing_minutes = models.PositiveIntegerField("прекращение выдачи талонов до закрытия, мин", default=15)
    wait_norm_minutes = models.PositiveIntegerField("норматив ожидания, мин", default=15)
    ticker_text = models.CharField("бегущая строка на табло", max_length=500, blank=True)
    display_chime = models.BooleanField("звуковой сигнал на табло", default=True)
    display_voice = models.BooleanField("голосовое объявление на табло", default=True)
    remote_tickets = models.BooleanField(
        "талоны без киоска",
        default=False,
        help_text="Разрешить получать талоны с любого устройства (с ограничением частоты), а не только с киосков офиса",
    )
    kiosk_open = models.BooleanField(
        "открытый киоск (демо)",
        default=False,
        help_text="Любой браузер на странице киоска этого офиса считается подключённым киоском (с отметкой «Демо»). "
        "Только для демонстрационных офисов.",
    )
    issue_without_counter = models.BooleanField(
        "талоны на услугу без открытого окна",
        default=True,
        help_text="Выдавать талон на услугу, по которой сейчас нет открытого окна (киоск, талон и телефон "
        "предупреждают об этом). Если выключено, такая услуга на киоске недоступна.",
    )
    call_chosen = models.BooleanField(
        "вызов выбранного талона",
        default=True,
        help_text="Оператор может вызвать талон из списка вне очереди",
    )
    break_reasons = models.JSONField(
        "причины перерыва",
        default=default_break_reasons,
        help_text='Список пар «код — название», например {"code": "lunch", "name": "Обед"}',
    )
    break_limit_minutes = models.PositiveIntegerField("предел перерыва, мин", default=30)
    service_limit_minutes = models.PositiveIntegerField("предел обслуживания одного клиента, мин", default=20)
    # Pre-booking (bookings app): days on which nothing can be booked, and the
    # letter of the tickets issued at a booking's check-in.
    closed_dates = models.JSONField(
        "нерабочие дни (праздники)",
        default=list,
        blank=True,
        help_text='Даты без предварительной записи, например ["2026-12-31", "2027-01-01"]',
    )
    booking_prefix = models.CharField("буква талонов по записи", max_length=1, default="З")
    # The staffing forecast (reports/forecast.py) plans counters so that this share of
    # clients is called within wait_norm_minutes (Erlang C). 100 % is never reached.
    forecast_target_percent = models.PositiveSmallIntegerField(
        "целевая доля клиентов, вызванных в пределах норматива, %",
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text="Для прогноза штата: сколько процентов клиентов должны быть вызваны не позже норматива ожидания "
        "(от 1 до 99).",
    )

    class Meta:
        verbose_name = "офис (ЦОК)"
        verbose_name_plural = "офисы (ЦОК)"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(forecast_target_percent__gte=1, forecast_target_percent__lte=99),
                name="office_forecast_target_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def active_counters(self) -> list["Counter"]:
        # Filtered in Python, so that a prefetch of counters still serves it.
        return [counter for counter in self.counters.all() if counter.active]

    def local_now(self, now: datetime | None = None) -> datetime:
        return (now or timezone.now()).astimezone(self.tz)

    def local_date(self, moment: datetime | None = None) -> date:
        return self.local_now(moment).date()

    def _hours_by_weekday(self) -> dict[int, "OfficeHours"]:
        # Hours are read often per request; cache them on the instance.
        if not hasattr(self, "_hours_cache"):
            self._hours_cache = {h.weekday: h for h in self.hours.all()}
        return self._hours_cache

    def session_at(self, moment: datetime | None = None) -> tuple[datetime, datetime] | None:
        """The opening period (local open, local close) that contains the moment, if any."""
        local = self.local_now(moment)
        hours = self._hours_by_weekday().get(local.weekday())
        if hours is None:
            return None
        opens, closes = hours.bounds(local.date(), self.tz)
        if opens <= local < closes:
            return opens, closes
        return None

    def is_open(self, moment: datetime | None = None) -> bool:
        return self.session_at(moment) is not None

    def is_issuing(self, moment: datetime | None = None) -> bool:
        """Open, and not yet within stop_issuing_minutes of closing."""
        session = self.session_at(moment)
        if session is None:
            return False
        _, closes = session
        return self.local_now(moment) < closes - timedelta(minutes=self.stop_issuing_minutes)

    def next_opening(self, moment: datetime | None = None) -> datetime | None:
        """When the office next opens after the moment (local time), within a week; None without hours."""
        local = self.local_now(moment)
        hours = self._hours_by_weekday()
        for days in range(8):
            day = local.date() + timedelta(days=days)
            h = hours.get(day.weekday())
            if h is None:
                continue
            opens, _ = h.bounds(day, self.tz)
            if opens > local:
                return opens
        return None

    def next_opening_text(self, moment: datetime | None = None) -> str:
        """«Откроется сегодня в 08:00», «…завтра в…», «…в понедельник в…»; empty without hours."""
        opens = self.next_opening(moment)
        if opens is None:
            return ""
        days = (opens.date() - self.local_date(moment)).days
        if days == 0:
            when = "сегодня"
        elif days == 1:
            when = "завтра"
        else:
            when = WEEKDAY_ACCUSATIVE[opens.weekday()]
        return f"Откроется {when} в {opens:%H:%M}"

    def hours_display(self) -> list[dict]:
        hours = self._hours_by_weekday()
        result = []
        for index, key in enumerate(WEEKDAYS):
            h = hours.get(index)
            result.append(
                {
                    "day": key,
                    "label": WEEKDAY_NAMES[index],
                    # What the kiosk and the hall display show: «круглосуточно», not «00:00–24:00».
                    "hours": ("круглосуточно" if h.all_day else h.as_text()) if h else None,
                }
            )
        return result

    def hours_as_dict(self) -> dict[str, str]:
        return {WEEKDAYS[h.weekday]: h.as_text() for h in self._hours_by_weekday().values()}

    # The reason a break gets when the operator names none.
    DEFAULT_BREAK_REASON = "other"

    def break_reason_label(self, code: str) -> str:
        """The Russian name of one of the office's break reasons ("" for none, the code itself if unknown)."""
        if not code:
            return ""
        return next((r["name"] for r in self.break_reasons if r.get("code") == code), code)

    def default_break_reason(self) -> str:
        """«other» when the office offers it (or offers nothing), else its last reason."""
        codes = [r.get("code") for r in self.break_reasons]
        if self.DEFAULT_BREAK_REASON in codes or not codes:
            return self.DEFAULT_BREAK_REASON
        return codes[-1]

    def has_break_reason(self, code: str) -> bool:
        codes = [r.get("code") for r in self.break_reasons]
        return code in codes or (not codes and code == self.DEFAULT_BREAK_REASON)

    def is_holiday(self, day: date) -> bool:
        return day.isoformat() in (self.closed_dates or [])


class OfficeHours(models.Model):
    """Opening hours for one weekday. ``closes`` of 00:00 means midnight at the end of the day."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="hours", verbose_name="офис")
    weekday = models.PositiveSmallIntegerField(
        "день недели", choices=[(i, name) for i, name in enumerate(WEEKDAY_NAMES)]
    )
    opens = models.TimeField("открытие")
    closes = models.TimeField("закрытие", help_text="00:00 означает полночь (конец суток)")

    class Meta:
        verbose_name = "часы работы"
        verbose_name_plural = "часы работы"
        ordering = ["weekday"]
        constraints = [
            models.UniqueConstraint(fields=["office", "weekday"], name="office_hours_one_per_day"),
            models.CheckConstraint(
                condition=Q(closes=time(0, 0)) | Q(closes__gt=models.F("opens")),
                name="office_hours_close_after_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{WEEKDAY_NAMES[self.weekday]} {'круглосуточно' if self.all_day else self.as_text()}"

    @property
    def all_day(self) -> bool:
        return self.opens == time(0, 0) and self.closes == time(0, 0)

    def bounds(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
        opens = datetime.combine(day, self.opens, tzinfo=tz)
        if self.closes == time(0, 0):
            closes = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
        else:
            closes = datetime.combine(day, self.closes, tzinfo=tz)
        return opens, closes

    def as_text(self) -> str:
        closes = "24:00" if self.closes == time(0, 0) else self.closes.strftime("%H:%M")
        return f"{self.opens.strftime('%H:%M')}-{closes}"


class Service(models.Model):
    class Channel(models.TextChoices):
        INDIVIDUALS = "individuals", "ЦОК ФЛ"
        LEGAL_ENTITIES = "legal_entities", "ЦОК ЮЛ"
        CASHIER = "cashier", "Касса"

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="services", verbose_name="офис")
    code = models.SlugField("код", max_length=50)
    name = models.CharField("название", max_length=200)
    prefix = models.CharField("буква талона", max_length=1)
    channel = models.CharField("канал", max_length=20, choices=Channel.choices)
    active = models.BooleanField("активна", default=True)
    kiosk_order = models.PositiveIntegerField("порядок на киоске", default=0)
    group = models.CharField(
        "группа на киоске", max_length=100, blank=True, help_text="заголовок группы услуг на киоске"
    )
    description = models.CharField(
        "описание", max_length=200, blank=True, help_text="одна строка под названием на киоске"
    )
    # Pre-booking of this service (bookings app); off by default.
    booking_enabled = models.BooleanField("предварительная запись", default=False)
    slot_minutes = models.PositiveIntegerField("длительность слота, мин", default=15)
    per_slot = models.PositiveIntegerField("мест в слоте", default=1)
    days_ahead = models.PositiveIntegerField("запись на дней вперёд", default=14)
    cutoff_minutes = models.PositiveIntegerField("запись закрывается до начала слота, мин", default=60)
    booking_hours = models.JSONField(
        "часы записи",
        default=dict,
        blank=True,
        help_text='По дням недели внутри часов работы офиса, например {"mon": "09:00-12:00", "wed": "13:00-16:00"}',
    )
    # Visit outcomes (темы обращений) the operator ticks when finishing: [{"code", "name"}].
    outcomes = models.JSONField(
        "темы обращений",
        default=list,
        blank=True,
        help_text="список тем в JSON: у каждой темы код латиницей и название, как в config/demo.yaml",
    )
    outcomes_required = models.BooleanField(
        "тема обязательна", default=False, help_text="не завершать обслуживание без отмеченной темы"
    )

    class Meta:
        verbose_name = "услуга"
        verbose_name_plural = "услуги"
        ordering = ["office", "kiosk_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["office", "code"], name="service_code_unique_per_office"),
            models.CheckConstraint(
                condition=Q(channel__in=["individuals", "legal_entities", "cashier"]),
                name="service_channel_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def booking_slots(self, day: date) -> list[tuple[datetime, datetime]]:
        """The booking slots of a local day as (start, end) in the office's time zone.

        Slots tile the day's booking hours from their start, each ``slot_minutes``
        long, and are clipped to the office's hours that day: a slot that would
        end after closing is not offered. A holiday or a day without booking
        hours has none.
        """
        office = self.office
        if not self.booking_enabled or office.is_holiday(day):
            return []
        text = (self.booking_hours or {}).get(WEEKDAYS[day.weekday()])
        hours = office._hours_by_weekday().get(day.weekday())
        if not text or hours is None or not self.slot_minutes:
            return []
        tz = office.tz
        first, last = (time.fromisoformat(part) if part != "24:00" else time(0, 0) for part in text.split("-"))
        begin = datetime.combine(day, first, tzinfo=tz)
        end = datetime.combine(day + timedelta(days=1) if last == time(0, 0) else day, last, tzinfo=tz)
        opens, closes = hours.bounds(day, tz)
        begin, end = max(begin, opens), min(end, closes)
        step = timedelta(minutes=self.slot_minutes)
        slots = []
        start = begin
        while start + step <= end:
            slots.append((start, start + step))
            start += step
        return slots

    def clean(self):
        problems = outcome_problems(self.outcomes)
        if problems:
            raise ValidationError({"outcomes": problems})

    def outcome_names(self) -> dict[str, str]:
        return {o["code"]: o["name"] for o in self.outcomes}


def outcome_problems(outcomes) -> list[str]:
    """What is wrong with a service's outcome list (YAML and admin say the same)."""
    if not isinstance(outcomes, list):
        return ["ожидается список тем вида {code, name}"]
    problems, seen = [], set()
    for index, outcome in enumerate(outcomes):
        if not isinstance(outcome, dict) or set(outcome) != {"code", "name"}:
            problems.append(f"тема {index + 1}: ожидаются ровно поля code и name")
            continue
        code, name = outcome["code"], outcome["name"]
        if not isinstance(code, str) or not re.fullmatch(r"[a-z0-9_]{1,50}", code):
            problems.append(f"тема {index + 1}: code — латинские строчные буквы, цифры и _ (до 50)")
        elif code in seen:
            problems.append(f"тема {index + 1}: код {code} повторяется")
        seen.add(code)
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            problems.append(f"тема {index + 1}: name — непустая строка до 100 символов")
    return problems


class CounterQuerySet(models.QuerySet):
    def held_by(self, user) -> "CounterQuerySet":
        """The counters ``user`` holds: open or on a break (a closed counter has no operator)."""
        return self.filter(operator=user).exclude(state=Counter.State.CLOSED)


class Counter(models.Model):
    class State(models.TextChoices):
        CLOSED = "closed", "Закрыто"
        OPEN = "open", "Открыто"
        BREAK = "break", "Перерыв"

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="counters", verbose_name="офис")
    number = models.CharField("номер окна", max_length=10)
    state = models.CharField("состояние", max_length=10, choices=State.choices, default=State.CLOSED)
    services = models.ManyToManyField(Service, related_name="main_counters", verbose_name="основные услуги", blank=True)
    backup_services = models.ManyToManyField(
        Service, related_name="backup_counters", verbose_name="резервные услуги", blank=True
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="оператор",
    )
    state_changed_at = models.DateTimeField("состояние изменено", null=True, blank=True)
    # The code of one of the office's break_reasons while on break, else empty.
    break_reason = models.CharField("причина перерыва", max_length=30, blank=True)
    # A counter with history is retired, not deleted: hidden from screens and
    # from the operator's choice, and it cannot be opened.
    active = models.BooleanField("в работе", default=True)

    objects = CounterQuerySet.as_manager()

    # What the operator's workplace shows and offers in each state of an idle
    # counter (with a ticket at the counter, the ticket's actions apply).
    STATE_LABELS = {State.OPEN: "Окно открыто", State.BREAK: "Перерыв", State.CLOSED: "Окно закрыто"}
    ACTIONS = {State.CLOSED: ("open",), State.BREAK: ("resume", "close"), State.OPEN: ("call", "break", "close")}

    class Meta:
        verbose_name = "окно"
        verbose_name_plural = "окна"
        ordering = ["office", "number"]
        constraints = [
            models.UniqueConstraint(fields=["office", "number"], name="counter_number_unique_per_office"),
            models.CheckConstraint(condition=Q(state__in=["closed", "open", "break"]), name="counter_state_valid"),
        ]

    def __str__(self) -> str:
        return f"Окно {self.number} ({self.office.name})"

    @property
    def state_label(self) -> str:
        return self.STATE_LABELS[self.state]

    @property
    def operator_name(self) -> str | None:
        return (self.operator.get_full_name() or self.operator.username) if self.operator else None

    @property
    def break_reason_label(self) -> str:
        return self.office.break_reason_label(self.break_reason)

    def set_state(self, state: str, *, user, at: datetime, reason: str = "") -> "CounterEvent":
        """Move to ``state``, setting every field a state owns, and append one CounterEvent.

        Opening makes ``user`` the counter's operator; a break keeps the operator
        (a manager may send someone else's counter to a break) and stores the
        reason code; closing clears both. The caller holds a row lock.
        """
        previous, previous_operator = self.state, self.operator_id
        self.state = state
        self.state_changed_at = at
        if state == self.State.OPEN:
            self.operator = user
        elif state == self.State.CLOSED:
            self.operator = None
        self.break_reason = reason if state == self.State.BREAK else ""
        self.save(update_fields=["state", "state_changed_at", "operator", "break_reason"])
        if state == self.State.OPEN:
            kind = CounterEvent.Type.RESUMED if previous == self.State.BREAK else CounterEvent.Type.OPENED
        else:
            kind = CounterEvent.Type.BREAK if state == self.State.BREAK else CounterEvent.Type.CLOSED
        data = {"from": previous}
        if state == self.State.BREAK:
            data.update(reason=reason, reason_label=self.break_reason_label)
        if previous_operator and user is not None and previous_operator != user.pk:
            # Someone other than the counter's operator: a manager from the monitor.
            data["remote"] = True
            data["operator"] = previous_operator
        return CounterEvent.objects.create(counter=self, type=kind, at=at, user=user, data=data)


class AppendOnly(models.Model):
    """A log row: written once, never changed or deleted (the ticket and counter event logs)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError(f"{type(self).__name__} rows are append-only.")


class CounterEvent(AppendOnly):
    """Append-only log of a counter's state changes: who opened, closed or paused it, and why."""

    class Type(models.TextChoices):
        OPENED = "opened", "Открыто"
        CLOSED = "closed", "Закрыто"
        BREAK = "break", "Перерыв"
        RESUMED = "resumed", "Возобновлено"

    counter = models.ForeignKey(Counter, on_delete=models.PROTECT, related_name="events", verbose_name="окно")
    type = models.CharField("событие", max_length=10, choices=Type.choices)
    at = models.DateTimeField("время")
    # Who made the change: the operator, or a manager acting from the monitor.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="сотрудник",
    )
    data = models.JSONField("подробности", default=dict, blank=True)

    class Meta:
        verbose_name = "событие окна"
        verbose_name_plural = "события окон"
        ordering = ["at", "id"]
        # The staffing forecast reads one office's counters over one week, and each one's state before it.
        indexes = [models.Index(fields=["counter", "at"], name="counter_event_counter_at_idx")]

    def __str__(self) -> str:
        return f"{self.counter_id}: {self.type}"


class Membership(models.Model):
    """A staff member's role in an office. A manager without an office is company-wide."""

    class Role(models.TextChoices):
        OPERATOR = "operator", "Оператор"
        MANAGER = "manager", "Руководитель"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name="сотрудник"
    )
    office = models.ForeignKey(
        Office,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name="офис",
        help_text="пусто: руководитель всех офисов",
    )
    role = models.CharField("роль", max_length=10, choices=Role.choices)

    class Meta:
        verbose_name = "сотрудник офиса"
        verbose_name_plural = "сотрудники офисов"
        constraints = [
            models.UniqueConstraint(fields=["user", "office", "role"], name="membership_unique"),
            models.CheckConstraint(
                condition=Q(office__isnull=False) | Q(role="manager"),
                name="membership_company_wide_only_for_managers",
            ),
        ]

    def __str__(self) -> str:
        where = self.office.name if self.office_id else "все офисы"
        return f"{self.user} — {self.get_role_display()} ({where})"


def _secret() -> str:
    return secrets.token_urlsafe(24)


class KioskDevice(models.Model):
    """A touch kiosk in an office hall. Opening its one-time pairing link stores a signed credential on it."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="kiosks", verbose_name="офис")
    name = models.CharField("название", max_length=100, help_text="например, «Киоск у входа»")
    pairing_code = models.CharField(
        "код подключения", max_length=64, unique=True, null=True, blank=True, default=_secret, editable=False
    )
    credential = models.CharField("ключ киоска", max_length=64, default=_secret, editable=False)
    created_at = models.DateTimeField("создан", auto_now_add=True)
    # When the current pairing link was made: it expires KIOSK_PAIRING_HOURS later.
    # After use the code stays, so that a second visit can be told «already used».
    pairing_created_at = models.DateTimeField("ссылка создана", default=timezone.now)
    paired_at = models.DateTimeField("подключён", null=True, blank=True)
    revoked_at = models.DateTimeField("отозван", null=True, blank=True)
    # A rating tablet beside a counter (feedback app) instead of a ticket kiosk: paired the same way.
    counter = models.ForeignKey(
        Counter,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rating_tablets",
        verbose_name="окно (планшет оценки)",
        help_text="Только для планшета у окна: после каждого клиента этого окна он просит оценить обслуживание. "
        "Для киоска выдачи талонов оставьте пустым.",
    )

    class Meta:
        verbose_name = "киоск"
        verbose_name_plural = "киоски"
        ordering = ["office", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.office.name})"

    def clean(self):
        if self.counter_id is not None and self.office_id is not None and self.counter.office_id != self.office_id:
            raise ValidationError({"counter": "Это окно другого офиса."})

    def renew(self) -> None:
        """A new one-time pairing link; the old credential stops working."""
        self.pairing_code = _secret()
        self.pairing_created_at = timezone.now()
        self.credential = _secret()
        self.paired_at = None
        self.revoked_at = None
        self.save(update_fields=["pairing_code", "pairing_created_at", "credential", "paired_at", "revoked_at"])

    def pairing_expires_at(self) -> datetime:
        return self.pairing_created_at + timedelta(hours=settings.KIOSK_PAIRING_HOURS)
