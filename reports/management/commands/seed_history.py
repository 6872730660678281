"""Generate a believable history for the demo offices, so that reports are full from the start.

Tickets, monthly remote-channel counts, personal-cabinet appeals and
contact-centre calls from 1 January of last year to yesterday, shaped by the
seasonality of the published 2024 report. Everything goes through the same
import functions as real files, so a second run adds nothing.

The demo is consistent with itself. Its offices serve far fewer people than the
published company, so every remote channel is the published figure scaled by
the same factor as the in-person volume (done demo tickets over the published
Очное + Касса). The contact-centre and personal-cabinet counts of a month are
exactly the calls and appeals generated for that month, so the channel table
and the contact-centre and cabinet tables agree. The current month counts up to
yesterday in all of them. Each year has its own disclosure text.
"""

import calendar
import io
import random
from collections import Counter as Tally
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db.models import Max, Min
from django.db.models.functions import Coalesce
from django.utils import timezone

from feedback.models import Feedback
from offices.models import CounterEvent, Membership, Office
from reports import estimates, imports
from reports.models import Disclosure
from tickets import rollups
from tickets.models import Ticket, TicketOutcome

# Published 2024 figures: in-person contacts per month (seasonality), mean wait and service (s).
SEASON = [22038, 30585, 19750, 22703, 25225, 25556, 24884, 26523, 26679, 29038, 26967, 27066]
WAIT = [210, 234, 248, 250, 212, 209, 266, 187, 246, 162, 177, 166]
SERVICE = [336, 349, 361, 386, 355, 356, 369, 384, 343, 363, 348, 340]
CASH = [36284, 35704, 33994, 32601, 38592, 34366, 35787, 30323, 31785, 32184, 31031, 32748]
REMOTE = {
    "contact_center": [22953, 24644, 26866, 22144, 24783, 28434, 33740, 30395, 27497, 31126, 34758, 27660],
    "robot": [10378, 12656, 14844, 9790, 11399, 13978, 16687, 14924, 13410, 15989, 17565, 13835],
    "personal_account": [888, 862, 690, 694, 689, 727, 845, 752, 1013, 1096, 1162, 1206],
    "telegram": [300] * 12,  # not in the published table; about as many as the demo always had
}
ACCOUNT_DAYS = [0.74, 0.77, 0.99, 1.14, 1.01, 1.02, 0.74, 0.73, 0.49, 0.52, 0.51, 0.39]
CHANNEL_MIX = [("fl", 0.38), ("ul", 0.05), ("cash", 0.57)]
# The disclosure texts of last year and of this year: this year's measures are what last year planned.
DISCLOSURES = {
    "last": {
        "measures_done": """Активная эксплуатация электронной очереди на двух производственных участках
Внедрение и эксплуатация CRM-системы
Создание сервиса получения информации о состоянии лицевого счета в личном кабинете клиента
Оборудование окон ЦОК терминалами, способными принимать оплату с помощью биометрии
Увеличение количества линий в ВАС «Ростелеком» и в сервисе по роботизированному приему показаний""",
        "measures_planned": """Активная эксплуатация аудио-бейджей
Интеграция сервиса обработки обращений личного кабинета клиента в CRM-систему
Организация единого информирования клиентов с помощью CRM-системы
Запуск чат-бота для информирования потребителей по часто задаваемым вопросам""",
        "remote_hours": "\n".join(
            [
                "Телефоны Контакт-Центра: 1357 (бесплатный короткий номер для стационарных телефонов компании "
                "«Ростелеком») или 8 (4722) 23-08-49",
                "Соединение с оператором Контакт-Центра с пн-пт с 8:00 до 18:00 без перерыва, "
                "сб с 9:00 до 17:00 без перерыва",
                "Круглосуточно: сайт компании, сервис «Личный кабинет», электронная почта, "
                "официальная группа ВКонтакте, чат на сайте, Телеграм",
            ]
        ),
    },
    "current": {
        "measures_done": """Электронная очередь с табло и голосовым вызовом во всех трёх ЦОК, включая круглосуточный
Аудио-бейджи у всех операторов ЦОК, прослушивание разговоров службой качества
Обращения из личного кабинета клиента поступают в CRM-систему и отвечаются из неё
Единое информирование клиентов через CRM-систему: SMS и электронная почта
Чат-бот в Телеграме отвечает на часто задаваемые вопросы и принимает показания""",
        "measures_planned": """Предварительная запись на приём в ЦОК через личный кабинет
Оценка качества обслуживания клиентом после визита: опрос на табло и по SMS
Расширение зоны ожидания и замена терминалов в ЦОК Старооскольского участка
Обучение операторов по итогам контроля качества переговоров «клиент-сотрудник»""",
        "remote_hours": "\n".join(
            [
                "Телефоны Контакт-Центра: 1357 (бесплатный короткий номер для стационарных телефонов компании "
                "«Ростелеком») или 8 (4722) 23-08-49",
                "Соединение с оператором Контакт-Центра с пн-пт с 8:00 до 19:00 без перерыва, "
                "сб с 9:00 до 17:00 без перерыва",
                "Круглосуточно: сайт компании, сервис «Личный кабинет», электронная почта, "
                "официальная группа ВКонтакте, чат на сайте, чат-бот в Телеграме",
            ]
        ),
    },
}

# How often each outcome is the topic of a visit (others weigh 1): readings and
# payments lead in an energy retailer's centres, complaints are rare.
OUTCOME_WEIGHTS = {
    "meter_reading": 8,
    "payment": 9,
    "debt": 4,
    "recalculation": 4,
    "contract": 3,
    "certificate": 2,
    "meter_replace": 2,
    "invoice": 3,
    "reconciliation": 3,
    "complaint": 0.5,
    "other": 1.5,
}
TICKETS_PER_DAY = 30  # per office, at the yearly mean season

# Clients' ratings after a visit: about one visit in four is rated, mostly well.
RATED_SHARE = 0.25
RATING_WEIGHTS = {1: 3, 2: 4, 3: 10, 4: 28, 5: 55}
RATING_COMMENTS = {
    1: ["Очень долго ждал, окна пустовали", "Оператор не смог ответить на вопрос"],
    2: ["Долгое ожидание", "Пришлось прийти второй раз"],
    4: ["Хорошо, но долго ждал"],
    5: ["Спасибо, всё быстро и вежливо", "Оператор всё подробно объяснил"],
}


class Command(BaseCommand):
    help = (
        "Загрузить демонстрационную историю (талоны, каналы, ЛК, контакт-центр). Повторный запуск ничего не дублирует."
    )

    def add_arguments(self, parser):
        parser.add_argument("--per-day", type=int, default=TICKETS_PER_DAY)

    def handle(self, *args, per_day: int, **options):
        offices = list(Office.objects.prefetch_related("hours", "counters__services").order_by("code"))
        if not offices:
            self.stdout.write("Нет офисов: сначала загрузите конфигурацию (seed_demo).")
            return
        today = timezone.localdate()
        start, end = date(today.year - 1, 1, 1), today - timedelta(days=1)
        if Ticket.objects.filter(imported=True, office__in=offices).exists():
            self.stdout.write("Демонстрационная история уже загружена.")
            return
        rng = random.Random(2024)
        done: Tally = Tally()
        csv_text = self.tickets_csv(offices, start, end, per_day, rng, done)
        result = imports.import_tickets(io.StringIO(csv_text))
        self.stdout.write(f"История талонов: {result.imported}.")
        self.stdout.write(f"Темы обращений: {self.add_outcomes(offices, rng)}.")
        self.stdout.write(f"Оценки обслуживания: {self.add_ratings(offices, rng)}.")
        self.stdout.write(f"Смены операторов: {self.add_shifts(offices)}.")
        promised = estimates.promise_history(offices)
        rollups.rebuild([office.pk for office in offices])
        self.stdout.write(f"Обещанное ожидание: {promised} талонов.")
        months = self.months(start, end)
        counts = self.remote_counts(months, end, done, rng)
        imports.import_contacts(io.StringIO(self.contacts_csv(counts)))
        imports.import_appeals(io.StringIO(self.appeals_csv(counts["personal_account"], end, rng)))
        imports.import_calls(io.StringIO(self.calls_csv(counts["contact_center"], end, rng)))
        for year in range(start.year, today.year + 1):
            text = DISCLOSURES["current" if year == today.year else "last"]
            Disclosure.objects.get_or_create(year=year, defaults=text)
        self.stdout.write(f"Каналы, обращения в ЛК и звонки за {len(months)} мес. загружены.")

    @staticmethod
    def add_outcomes(offices, rng: random.Random) -> int:
        """One topic per served visit (two in one of six), drawn by OUTCOME_WEIGHTS from its service's list.

        Written straight into the table: the history is imported, not lived
        through the services, and a service call per ticket would take minutes."""
        done = Ticket.objects.filter(imported=True, office__in=offices, status=Ticket.Status.DONE)
        codes = {s.pk: [o["code"] for o in s.outcomes] for o in offices for s in o.services.all() if s.outcomes}
        rows = []
        for ticket_id, service_id in done.values_list("id", "service_id").order_by("id").iterator():
            choices = codes.get(service_id)
            if not choices:
                continue
            weights = [OUTCOME_WEIGHTS.get(code, 1) for code in choices]
            picked = {*rng.choices(choices, weights, k=2 if rng.random() < 1 / 6 else 1)}
            rows.extend(TicketOutcome(ticket_id=ticket_id, code=code) for code in sorted(picked))
        TicketOutcome.objects.bulk_create(rows, batch_size=2000)
        return len(rows)

    @staticmethod
    def add_ratings(offices, rng: random.Random) -> int:
        """A rating for about RATED_SHARE of the served visits, a few with a comment, a minute or two after the finish.

        Written straight into the table like the topics (no outbox events for history), and
        already seen: the demo's monitor shows only the low ratings that come in live."""
        done = Ticket.objects.filter(imported=True, office__in=offices, status=Ticket.Status.DONE)
        ratings, weights = list(RATING_WEIGHTS), list(RATING_WEIGHTS.values())
        rows = []
        for ticket_id, finished_at in done.values_list("id", "finished_at").order_by("id").iterator():
            if rng.random() >= RATED_SHARE:
                continue
            rating = rng.choices(ratings, weights)[0]
            comments = RATING_COMMENTS.get(rating, [])
            comment = rng.choice(comments) if comments and rng.random() < 0.3 else ""
            at = finished_at + timedelta(seconds=rng.randint(20, 300))
            rows.append(Feedback(ticket_id=ticket_id, rating=rating, comment=comment, created_at=at, seen_at=at))
        Feedback.objects.bulk_create(rows, batch_size=2000)
        return len(rows)

    @staticmethod
    def add_shifts(offices) -> int:
        """Who worked at each counter, and when: the operators' figures need both.

        Counter 1 of an office is its demo operator's; every other counter has
        an operator of its own (an account without a password, for the history
        only). Each day a counter served someone it is open over the office's
        hours (from 08:00 to 20:00 in a round-the-clock office, as the tickets
        were spread), and longer if a client came earlier or stayed later, with
        lunch from 12:00 to 12:45. Written straight into the
        tables, like the topics.
        """
        User = get_user_model()
        events, assigned = [], 0
        for office in offices:
            tz = ZoneInfo(office.timezone)
            people = {}
            for counter in sorted(office.counters.all(), key=lambda c: c.number):
                username = (
                    f"operator-{office.code}" if counter.number == "1" else f"history-{office.code}-{counter.number}"
                )
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={"first_name": f"Оператор окна {counter.number}", "last_name": office.name},
                )
                if created:
                    user.set_unusable_password()
                    user.save(update_fields=["password"])
                    Membership.objects.get_or_create(user=user, office=office, role=Membership.Role.OPERATOR)
                people[counter.pk] = user.pk
                assigned += Ticket.objects.filter(imported=True, office=office, counter=counter).update(operator=user)
            days = (
                Ticket.objects.filter(imported=True, office=office, counter__isnull=False)
                .values("counter_id", "local_date")
                .annotate(first=Min("called_at"), last=Max(Coalesce("finished_at", "called_at")))
                .order_by("local_date", "counter_id")
            )
            for row in days:
                counter, user = row["counter_id"], people[row["counter_id"]]
                hours = {h.weekday: h for h in office.hours.all()}.get(row["local_date"].weekday())
                opens, closes = row["first"] - timedelta(minutes=5), row["last"] + timedelta(minutes=5)
                if hours is not None:  # the whole working day, as the tickets were spread over it
                    starts = time(8, 0) if hours.opens == time(0, 0) else hours.opens
                    day_opens = datetime.combine(row["local_date"], starts, tzinfo=tz)
                    ends = time(20, 0) if hours.closes == time(0, 0) else hours.closes
                    day_closes = datetime.combine(row["local_date"], ends, tzinfo=tz)
                    opens, closes = min(opens, day_opens), max(closes, day_closes)
                lunch = datetime.combine(row["local_date"], time(12, 0), tzinfo=tz)
                log = [(opens, CounterEvent.Type.OPENED, {"from": "closed"})]
                if opens < lunch and lunch + timedelta(minutes=45) < closes:
                    log.append(
                        (lunch, CounterEvent.Type.BREAK, {"from": "open", "reason": "lunch", "reason_label": "Обед"})
                    )
                    log.append((lunch + timedelta(minutes=45), CounterEvent.Type.RESUMED, {"from": "break"}))
                log.append((closes, CounterEvent.Type.CLOSED, {"from": "open"}))
                events += [
                    CounterEvent(counter_id=counter, type=kind, at=at, user_id=user, data=data)
                    for at, kind, data in log
                ]
        CounterEvent.objects.bulk_create(events, batch_size=2000)
        return assigned

    @staticmethod
    def months(start: date, end: date) -> list[date]:
        months, current = [], start
        while current <= end:
            months.append(current)
            current = date(current.year + (current.month == 12), current.month % 12 + 1, 1)
        return months

    def tickets_csv(self, offices, start: date, end: date, per_day: int, rng: random.Random, done: Tally) -> str:
        """The tickets file; ``done`` counts the done tickets of each month (its first day)."""
        mean_season = sum(SEASON) / 12
        rows = ["office,service,number,issued_at,called_at,started_at,finished_at,status,counter"]
        day = start
        while day <= end:
            month = day.month - 1
            for office in offices:
                hours = {h.weekday: h for h in office.hours.all()}.get(day.weekday())
                if hours is None:
                    continue
                tz = ZoneInfo(office.timezone)
                opens = datetime.combine(day, hours.opens, tzinfo=tz)
                closes = datetime.combine(day, time(20, 0) if hours.closes == time(0, 0) else hours.closes, tzinfo=tz)
                if hours.opens == time(0, 0):
                    opens = datetime.combine(day, time(8, 0), tzinfo=tz)  # a round-the-clock office is busy by day
                counters = {s.code: str(c.number) for c in office.counters.all() for s in c.services.all()}
                count = max(1, round(per_day * SEASON[month] / mean_season * rng.uniform(0.8, 1.2)))
                span = (closes - opens).total_seconds() - 1800
                numbers: dict[str, int] = {}
                for moment in sorted(rng.uniform(0, span) for _ in range(count)):
                    code = rng.choices([c for c, _ in CHANNEL_MIX], [w for _, w in CHANNEL_MIX])[0]
                    prefix = {"fl": "А", "ul": "Б", "cash": "К"}[code]
                    numbers[prefix] = numbers.get(prefix, 0) + 1
                    issued = (opens + timedelta(seconds=moment)).astimezone(UTC).replace(microsecond=0)
                    wait = max(5, round(rng.expovariate(1 / WAIT[month])))
                    serve = max(30, round(rng.gauss(SERVICE[month], SERVICE[month] / 3)))
                    roll = rng.random()
                    called = issued + timedelta(seconds=wait)
                    number = f"{prefix}{numbers[prefix]:03d}"
                    counter = counters.get(code, "")
                    if roll < 0.03:
                        rows.append(f"{office.code},{code},{number},{issued.isoformat()},,,,cancelled,")
                    elif roll < 0.07:
                        rows.append(
                            f"{office.code},{code},{number},{issued.isoformat()},{called.isoformat()},,,no_show,{counter}"
                        )
                    else:
                        done[day.replace(day=1)] += 1
                        finished = called + timedelta(seconds=serve)
                        rows.append(
                            f"{office.code},{code},{number},{issued.isoformat()},{called.isoformat()},,"
                            f"{finished.isoformat()},done,{counter}"
                        )
            day += timedelta(days=1)
        return "\n".join(rows) + "\n"

    @staticmethod
    def remote_counts(months: list[date], end: date, done: Tally, rng: random.Random) -> dict[str, dict[date, int]]:
        """Each remote channel's count per month: the published figure at the demo's scale.

        The scale is the demo's done tickets over the published Очное + Касса of the
        same calendar months; the current month counts up to ``end``, as the tickets do.
        """
        published = sum(SEASON[m.month - 1] + CASH[m.month - 1] for m in months)
        scale = sum(done[m] for m in months) / published
        counts: dict[str, dict[date, int]] = {channel: {} for channel in REMOTE}
        for month in months:
            days = calendar.monthrange(month.year, month.month)[1]
            share = min(days, (end - month).days + 1) / days
            growth = 1 + 0.06 * (month.year - 2024)
            for channel, values in REMOTE.items():
                expected = values[month.month - 1] * scale * growth * share * rng.uniform(0.95, 1.05)
                counts[channel][month] = max(1, round(expected))
        return counts

    @staticmethod
    def contacts_csv(counts: dict[str, dict[date, int]]) -> str:
        rows = ["month,channel,count"]
        for channel, months in counts.items():
            rows.extend(f"{month:%Y-%m},{channel},{count}" for month, count in months.items())
        return "\n".join(rows) + "\n"

    @staticmethod
    def moments(month: date, end: date, count: int, rng: random.Random) -> list[datetime]:
        """``count`` moments in the month up to ``end``, on working hours (8:00–18:00 in Moscow, 5–15 UTC),
        so that none falls into another month in the company's time zone."""
        last = min(calendar.monthrange(month.year, month.month)[1], (end - month).days + 1)
        return sorted(
            datetime(month.year, month.month, rng.randint(1, last), rng.randint(5, 14), rng.randint(0, 59),
                     rng.randint(0, 59), tzinfo=UTC)
            for _ in range(count)
        )  # fmt: skip

    @classmethod
    def appeals_csv(cls, counts: dict[date, int], end: date, rng: random.Random) -> str:
        rows = ["channel,received_at,answered_at"]
        for month, count in counts.items():
            for received in cls.moments(month, end, count, rng):
                days = rng.expovariate(1 / ACCOUNT_DAYS[month.month - 1])
                answered = received + timedelta(days=days)
                rows.append(f"personal_account,{received.isoformat()},{answered.replace(microsecond=0).isoformat()}")
        return "\n".join(rows) + "\n"

    @classmethod
    def calls_csv(cls, counts: dict[date, int], end: date, rng: random.Random) -> str:
        rows = ["started_at,answered_at,ended_at"]
        for month, count in counts.items():
            for started in cls.moments(month, end, count, rng):
                if rng.random() < 0.05:
                    rows.append(
                        f"{started.isoformat()},,{(started + timedelta(seconds=rng.randint(10, 120))).isoformat()}"
                    )
                    continue
                answered = started + timedelta(seconds=round(rng.expovariate(1 / 45)))
                ended = answered + timedelta(seconds=max(20, round(rng.gauss(170, 60))))
                rows.append(f"{started.isoformat()},{answered.isoformat()},{ended.isoformat()}")
        return "\n".join(rows) + "\n"
