"""Data of the other channels, imported for the published reports.

Each row keeps the month it counts in (in the company's time zone) and its
measured durations, computed once at import, so that the reports aggregate in
SQL. ``key`` identifies a row of an imported file, so that importing the same
file again adds nothing.
"""

from django.db import models

REMOTE_CHANNELS = [
    ("contact_center", "Контакт-центр"),
    ("robot", "Робот"),
    ("personal_account", "Личный кабинет"),
    ("email", "Электронная почта"),
    ("website", "Сайт"),
    ("chat", "Чат"),
    ("vk", "ВКонтакте"),
    ("telegram", "Телеграм"),
    ("other", "Прочие"),
]


class ContactCount(models.Model):
    """Monthly number of contacts through a remote channel (company-wide)."""

    month = models.DateField("месяц", help_text="первое число месяца")
    channel = models.CharField("канал", max_length=20, choices=REMOTE_CHANNELS)
    count = models.PositiveIntegerField("обращений")

    class Meta:
        verbose_name = "обращения по каналу за месяц"
        verbose_name_plural = "обращения по каналам"
        ordering = ["month", "channel"]
        constraints = [models.UniqueConstraint(fields=["month", "channel"], name="contact_count_unique")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.channel}: {self.count}"


class Appeal(models.Model):
    """An appeal through the personal cabinet (or another written channel) and its answer."""

    key = models.CharField("ключ строки импорта", max_length=64, unique=True)
    channel = models.CharField("канал", max_length=20, choices=REMOTE_CHANNELS, default="personal_account")
    received_at = models.DateTimeField("получено")
    answered_at = models.DateTimeField("отвечено", null=True, blank=True)
    month = models.DateField("месяц получения")
    response_seconds = models.FloatField("время ответа, с", null=True, blank=True)

    class Meta:
        verbose_name = "обращение в ЛК"
        verbose_name_plural = "обращения в ЛК"
        indexes = [models.Index(fields=["channel", "month"], name="appeal_channel_month_idx")]

    def __str__(self) -> str:
        return f"{self.channel} {self.received_at:%Y-%m-%d %H:%M}"


class Call(models.Model):
    """A call to the contact centre. No answer means abandoned."""

    key = models.CharField("ключ строки импорта", max_length=64, unique=True)
    started_at = models.DateTimeField("начало")
    answered_at = models.DateTimeField("ответ оператора", null=True, blank=True)
    ended_at = models.DateTimeField("окончание")
    month = models.DateField("месяц")
    wait_seconds = models.FloatField("ожидание ответа, с", null=True, blank=True)
    talk_seconds = models.FloatField("разговор, с", null=True, blank=True)

    class Meta:
        verbose_name = "звонок в контакт-центр"
        verbose_name_plural = "звонки в контакт-центр"
        indexes = [models.Index(fields=["month"], name="call_month_idx")]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"


class Disclosure(models.Model):
    """The editable text of the yearly disclosure page."""

    year = models.PositiveIntegerField("год", unique=True)
    company = models.CharField("компания", max_length=200, default="АО «Белгородэнергосбыт»")
    measures_done = models.TextField("мероприятия, выполненные за год", blank=True, help_text="по одному на строке")
    measures_planned = models.TextField(
        "мероприятия, запланированные на следующий год", blank=True, help_text="по одному на строке"
    )
    remote_hours = models.TextField("режим работы каналов заочного обслуживания", blank=True)
    remote_note = models.TextField(
        "примечание о дистанционных каналах",
        blank=True,
        default=(
            "Статистика по среднему времени ожидания ответа на обращения и обслуживания потребителей "
            "(покупателей) в каналах дистанционного обслуживания (Вконтакте, Чат на сайте компании, Телеграм) "
            "на текущий момент отсутствует."
        ),
    )

    class Meta:
        verbose_name = "раскрытие информации за год"
        verbose_name_plural = "раскрытие информации"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}"

    @staticmethod
    def lines(text: str) -> list[str]:
        return [line.strip().lstrip("-•").strip() for line in text.splitlines() if line.strip()]
