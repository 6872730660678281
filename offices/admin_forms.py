"""Admin forms shaped to the data: time zones as a list, all-day hours, break reasons as a table."""

import re
from datetime import time
from zoneinfo import available_timezones

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join

from .models import Counter, Office, OfficeHours

# Russia's time zones, west to east, first in the list: the offices are there.
RUSSIAN_TIMEZONES = [
    ("Europe/Kaliningrad", "Калининград (МСК−1, UTC+2)"),
    ("Europe/Moscow", "Москва (МСК, UTC+3)"),
    ("Europe/Samara", "Самара (МСК+1, UTC+4)"),
    ("Asia/Yekaterinburg", "Екатеринбург (МСК+2, UTC+5)"),
    ("Asia/Omsk", "Омск (МСК+3, UTC+6)"),
    ("Asia/Krasnoyarsk", "Красноярск (МСК+4, UTC+7)"),
    ("Asia/Irkutsk", "Иркутск (МСК+5, UTC+8)"),
    ("Asia/Yakutsk", "Якутск (МСК+6, UTC+9)"),
    ("Asia/Vladivostok", "Владивосток (МСК+7, UTC+10)"),
    ("Asia/Magadan", "Магадан (МСК+8, UTC+11)"),
    ("Asia/Kamchatka", "Камчатка (МСК+9, UTC+12)"),
]


def timezone_choices() -> list:
    russian = {zone for zone, _ in RUSSIAN_TIMEZONES}
    others = sorted(available_timezones() - russian)
    return [("Россия", RUSSIAN_TIMEZONES), ("Другие", [(zone, zone) for zone in others])]


SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
REASON_EXAMPLE = "например код lunch и название «Обед»"


class BreakReasonsTable(forms.Widget):
    """Break reasons as a table of rows «код | название», with a few empty rows to add more.

    The rows come back as the lines «код: название» that BreakReasonsField reads
    (one per row, empty rows included, so that «Строка N» is row N). A form
    posted as that plain text, as scripts and tests do, is read as it is.
    """

    SPARE_ROWS = 3

    def value_from_datadict(self, data, files, name):
        if name in data:
            return data[name]
        lines, index = [], 0
        while f"{name}-{index}-code" in data:
            code, title = data.get(f"{name}-{index}-code", "").strip(), data.get(f"{name}-{index}-name", "").strip()
            lines.append(f"{code}: {title}" if code or title else "")
            index += 1
        return "\n".join(lines)

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}-0-code" not in data

    @staticmethod
    def rows(value) -> list[tuple[str, str]]:
        if isinstance(value, list):
            return [(reason.get("code", ""), reason.get("name", "")) for reason in value]
        rows = []
        for line in (value or "").splitlines():
            code, _, title = line.partition(":")
            rows.append((code.strip(), title.strip()))
        return rows

    def render(self, name, value, attrs=None, renderer=None):
        rows = self.rows(value) + [("", "")] * self.SPARE_ROWS
        first_id = (attrs or {}).get("id", f"id_{name}")
        cells = format_html_join(
            "",
            '<tr><td><input type="text" name="{0}-{1}-code" value="{2}" maxlength="30" size="14"{3}'
            ' aria-label="Код причины {4}" autocomplete="off"></td>'
            '<td><input type="text" name="{0}-{1}-name" value="{5}" size="40" aria-label="Название причины {4}"'
            ' autocomplete="off"></td></tr>',
            (
                (name, i, code, format_html(' id="{}"', first_id) if i == 0 else "", i + 1, title)
                for i, (code, title) in enumerate(rows)
            ),
        )
        return format_html(
            '<table class="break-reasons"><thead><tr><th scope="col">Код (латиницей)</th>'
            '<th scope="col">Название</th></tr></thead><tbody>{}</tbody></table>',
            cells,
        )


class BreakReasonsField(forms.CharField):
    """Break reasons, edited as rows of code and name: the stored list of {code, name}.

    The codes are what counters and their event log keep, so they are shown
    and kept as typed; only the names are for people.
    """

    widget = BreakReasonsTable

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(f"{reason.get('code', '')}: {reason.get('name', '')}" for reason in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        reasons, codes, problems = [], set(), []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            code, colon, name = line.partition(":")
            code, name = code.strip(), name.strip()
            if not colon or not code or not name:
                problems.append(f"Строка {number}: укажите и код, и название, {REASON_EXAMPLE}.")
            elif not SLUG.match(code) or len(code) > 30:
                problems.append(
                    f"Строка {number}: код «{code}» — только латинские буквы, цифры, «-» и «_», до 30 символов."
                )
            elif code in codes:
                problems.append(f"Строка {number}: код «{code}» уже указан выше.")
            else:
                codes.add(code)
                reasons.append({"code": code, "name": name})
        if problems:
            raise ValidationError(problems)
        if not reasons:
            raise ValidationError(f"Укажите хотя бы одну причину перерыва, {REASON_EXAMPLE}.")
        return reasons


class OfficeForm(forms.ModelForm):
    timezone = forms.ChoiceField(label="Часовой пояс", choices=timezone_choices)
    break_reasons = BreakReasonsField(
        label="Причины перерыва",
        help_text="По одной на строке: код латиницей (например lunch) и название (например «Обед»). "
        "Чтобы убрать причину, очистите обе ячейки её строки; чтобы добавить больше трёх, сохраните и продолжите. "
        "Код хранится в истории окон: не меняйте коды существующих причин.",
    )

    booking_prefix = forms.CharField(
        label="Буква талонов по записи",
        max_length=1,
        required=False,
        help_text="Одна буква; пусто — «З».",
    )

    def clean_booking_prefix(self) -> str:
        prefix = self.cleaned_data.get("booking_prefix") or Office._meta.get_field("booking_prefix").default
        if not prefix.isalpha():
            raise forms.ValidationError("Нужна одна буква, например «З».")
        return prefix

    class Meta:
        model = Office
        # The admin's fieldsets choose the fields shown; these are the editable ones.
        fields = [
            "name", "code", "address", "timezone", "kiosk_open", "remote_tickets", "issue_without_counter",
            "stop_issuing_minutes", "wait_norm_minutes", "ticker_text", "display_chime", "display_voice", "call_chosen",
            "break_reasons", "break_limit_minutes", "service_limit_minutes", "booking_prefix", "closed_dates",
            "forecast_target_percent",
        ]  # fmt: skip


# HH:MM without seconds, and without the admin's clock shortcuts (no
# vTimeField class): these are the office's local wall-clock times, so the
# admin's «ваше время отстаёт от времени сервера» note does not apply to them.
# A text input, not type=time, which an English browser would show as 08:00 AM.
HOURS_TIME = forms.TimeInput(format="%H:%M", attrs={"size": 5, "placeholder": "ЧЧ:ММ", "class": "hours-time"})
MIDNIGHT = time(0, 0)


class OfficeHoursForm(forms.ModelForm):
    all_day = forms.BooleanField(label="Круглосуточно", required=False)

    class Meta:
        model = OfficeHours
        fields = ["weekday", "opens", "closes", "all_day"]
        widgets = {"opens": HOURS_TIME, "closes": HOURS_TIME}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opens"].required = self.fields["closes"].required = False
        if self.instance.pk:
            self.initial["all_day"] = self.instance.all_day

    def clean(self):
        data = super().clean()
        if data.get("all_day"):
            data["opens"] = data["closes"] = MIDNIGHT
        else:
            for name in ("opens", "closes"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, "Укажите время или отметьте «круглосуточно».")
            opens, closes = data.get("opens"), data.get("closes")
            if opens is not None and closes is not None and closes != MIDNIGHT and closes <= opens:
                self.add_error("closes", "Закрытие должно быть позже открытия (00:00 — полночь, конец суток).")
        return data


class CounterForm(forms.ModelForm):
    """A counter's services must be its own office's."""

    class Meta:
        model = Counter
        fields = ["office", "number", "services", "backup_services", "active"]

    def clean(self):
        data = super().clean()
        # On the office page (inline) the office is the page's; on a new office, not saved yet.
        office = data.get("office") or (self.instance.office if self.instance.office_id else None)
        if office is not None:
            for name in ("services", "backup_services"):
                foreign = [s for s in data.get(name) or [] if s.office_id != office.pk]
                if foreign:
                    self.add_error(name, f"Услуги другого офиса: {', '.join(s.name for s in foreign)}.")
        return data
