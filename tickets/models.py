"""Tickets with their transitions, the append-only event log and the daily number sequence."""

import secrets
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from offices.models import AppendOnly, Counter, Office, Service

from .errors import InvalidTransition, NotCounterHolder


def new_token() -> str:
    return secrets.token_urlsafe(16)


# The one order in which waiting tickets are called (README «Порядок вызова»):
#   1. a transfer to the front of a queue (``front``);
#   2. a ticket back from the postponed pool whose time has come (``returns_at``, earliest first);
#   3. priority (льготная категория);
#   4. a booked ticket (checked in at the kiosk) whose slot has started, earliest slot first;
#   5. the longest in the queue (``queued_at``), then the ticket's id.
# A pooled ticket whose return time is still ahead is not in the queue at all:
# ``in_queue(now)`` leaves it out, so no timer process moves it back; it joins
# at step 2 as soon as the query's ``now`` passes its ``returns_at``. Step 4 is
# the same trick: the query compares ``slot_start`` with its ``now``, so a
# booked ticket waits like any other (step 5) until its slot starts and then
# moves ahead of the walk-ins with no timer.


def call_order(now: datetime) -> tuple:
    """The call order at the moment ``now`` (the booked tickets' step depends on it)."""
    slot_started = models.Case(
        models.When(slot_start__lte=now, then=F("slot_start")),
        default=models.Value(None),
        output_field=models.DateTimeField(),
    )
    return (
        F("front").desc(),
        F("returns_at").asc(nulls_last=True),
        F("priority").desc(),
        slot_started.asc(nulls_last=True),
        F("queued_at").asc(),
        F("id").asc(),
    )


class TicketQuerySet(models.QuerySet):
    """The few ways the queue is read; every "today's waiting tickets" goes through here."""

    def in_queue(self, now: datetime) -> "TicketQuerySet":
        """Not parked in the postponed pool at ``now``: the tickets call-next may take."""
        return self.filter(Q(returns_at__isnull=True) | Q(returns_at__lte=now))

    def in_pool(self, now: datetime) -> "TicketQuerySet":
        """Postponed and not due yet at ``now``, soonest return first."""
        return self.filter(returns_at__gt=now).order_by("returns_at", "id")

    def for_counter(self, counter: Counter, operator, *, backup: bool = False) -> "TicketQuerySet":
        """The tickets this counter may call: its main services' (or backup services'),
        and those transferred to this very counter or to this operator, wherever they sit.

        A targeted ticket is for its target only: no other counter takes it,
        not even one serving its service. Backup services never carry targets.
        """
        services = counter.backup_services.all() if backup else counter.services.all()
        untargeted = Q(target_counter__isnull=True, target_operator__isnull=True)
        # A target retired in the admin since the transfer (a counter taken out of work, an
        # account switched off) holds the ticket no more: the admin cannot reach services.py's
        # release, and nobody else could call it. It is back in its service's queue.
        retired = Q(target_counter__active=False) | Q(target_operator__is_active=False)
        mine = (untargeted | retired) & Q(service__in=services)
        if not backup:
            mine |= Q(target_counter=counter)
            if operator is not None:
                mine |= Q(target_operator=operator)
        return self.filter(mine)

    def may_call(self, ticket_id: int, counter: Counter, operator) -> bool:
        return any(self.for_counter(counter, operator, backup=b).filter(pk=ticket_id).exists() for b in (False, True))

    def waiting_today(self, office: Office, now: datetime | None = None) -> "TicketQuerySet":
        return self.waiting_on(office, office.local_date(now))

    def waiting_on(self, office: Office, day: date) -> "TicketQuerySet":
        return self.filter(office=office, local_date=day, status=Ticket.Status.WAITING)

    def active(self) -> "TicketQuerySet":
        """Called or being served: the tickets that hold a counter."""
        return self.filter(status__in=Ticket.ACTIVE)

    def at_counter(self, counter: Counter) -> "TicketQuerySet":
        return self.active().filter(counter=counter)

    def in_call_order(self, now: datetime) -> "TicketQuerySet":
        """The call order at ``now``; tickets still parked in the pool come after the queue."""
        parked = models.Case(
            models.When(returns_at__gt=now, then=models.Value(1)),
            default=models.Value(0),
            output_field=models.IntegerField(),
        )
        return self.order_by(parked, *call_order(now))


class DailySequence(models.Model):
    """The last number issued per office, prefix and local day; locked while incremented."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    prefix = models.CharField(max_length=1)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "prefix", "day"], name="sequence_unique_per_day")]

    def __str__(self) -> str:
        return f"{self.prefix} {self.day}: {self.last}"


class Ticket(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Ожидает"
        CALLED = "called", "Вызван"
        SERVING = "serving", "Обслуживается"
        DONE = "done", "Обслужен"
        NO_SHOW = "no_show", "Не явился"
        CANCELLED = "cancelled", "Отменён"
        EXPIRED = "expired", "Истёк"

    ACTIVE = (Status.CALLED, Status.SERVING)
    UNFINISHED = (Status.WAITING, Status.CALLED, Status.SERVING)
    # The API actions each status allows, as the transitions below check them;
    # sent with the ticket so that screens do not restate the table.
    ACTIONS = {
        Status.WAITING: ("cancel",),
        Status.CALLED: ("recall", "start", "finish", "no-show", "transfer", "postpone"),
        Status.SERVING: ("finish", "transfer"),
    }

    # No index of their own on office and service: the composite indexes below
    # start with them. Every index costs each insert, and an import inserts millions.
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="tickets", verbose_name="офис", db_index=False
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="tickets", verbose_name="услуга", db_index=False
    )
    number = models.CharField("номер", max_length=12)
    local_date = models.DateField("дата (местная)")
    priority = models.BooleanField("льготная категория", default=False)
    status = models.CharField("статус", max_length=10, choices=Status.choices, default=Status.WAITING)
    # History keeps its counters and operators: PROTECT, and they are retired
    # (Counter.active, User.is_active) instead of deleted.
    counter = models.ForeignKey(
        Counter, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name="окно"
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="оператор",
    )
    issued_at = models.DateTimeField("выдан")
    # When the ticket last entered a queue: issue, transfer or postpone.
    queued_at = models.DateTimeField("в очереди с")
    # Set by a transfer to the front of a queue; cleared by the next call.
    front = models.BooleanField("в начало очереди", default=False)
    # A postponed ticket waits in the pool until this moment, then is callable
    # again at the front of its service; cleared by the next call.
    returns_at = models.DateTimeField("вернётся в очередь", null=True, blank=True)
    # A transfer to a specific counter or operator: only they may call it.
    target_counter = models.ForeignKey(
        Counter,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="для окна",
        db_index=False,
    )
    target_operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="для оператора",
        db_index=False,
    )
    # Left by the operator who transferred the ticket, for the next one.
    note = models.CharField("заметка оператора", max_length=500, blank=True)
    called_at = models.DateTimeField("вызван", null=True, blank=True)
    started_at = models.DateTimeField("начало обслуживания", null=True, blank=True)
    finished_at = models.DateTimeField("завершён", null=True, blank=True)
    recall_count = models.PositiveIntegerField("повторных вызовов", default=0)
    wait_seconds = models.FloatField("ожидание, с", default=0)
    service_seconds = models.FloatField("обслуживание, с", default=0)
    # Unique by a constraint, not unique=True: that adds a second, LIKE-only index on PostgreSQL.
    token = models.CharField("код отслеживания", max_length=32, default=new_token, editable=False)
    # Tickets of a previous queue system, loaded by import_tickets: they have no event log.
    imported = models.BooleanField("импортирован", default=False)
    # Issued at a pre-booking's check-in: the booked slot's start. Called ahead of
    # walk-ins from then on (call_order), and its wait counts from then (``call``).
    slot_start = models.DateTimeField("запись на", null=True, blank=True)
    # The wait the kiosk (or the phone) promised at issue: the estimate of the
    # issue's place in its queue. None for imported tickets (estimate accuracy skips them).
    promised_wait_seconds = models.IntegerField("обещанное ожидание, с", null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = "талон"
        verbose_name_plural = "талоны"
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["office", "local_date", "number"], name="ticket_number_unique_per_day"),
            models.UniqueConstraint(fields=["token"], name="ticket_token_unique"),
            # A counter holds at most one called or served ticket.
            models.UniqueConstraint(
                fields=["counter"],
                condition=Q(status__in=["called", "serving"]),
                name="one_active_ticket_per_counter",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["waiting", "called", "serving", "done", "no_show", "cancelled", "expired"]),
                name="ticket_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["called", "serving"]) | Q(counter__isnull=False),
                name="active_ticket_has_counter",
            ),
        ]
        indexes = [
            models.Index(fields=["office", "local_date", "status"], name="ticket_queue_idx"),
            models.Index(fields=["office", "issued_at"], name="ticket_office_issued_idx"),
            models.Index(fields=["local_date", "status"], name="ticket_report_idx"),
            # The estimate reads a service's latest finished tickets.
            models.Index(fields=["service", "status", "-finished_at"], name="ticket_service_recent_idx"),
            # Booked visitors' tickets are few: the bookings report reads them alone.
            models.Index(fields=["local_date"], condition=Q(slot_start__isnull=False), name="ticket_booked_idx"),
            # Transfers to a counter or an operator are rare: only those rows are indexed.
            models.Index(
                fields=["target_counter"], condition=Q(target_counter__isnull=False), name="ticket_target_counter_idx"
            ),
            models.Index(
                fields=["target_operator"],
                condition=Q(target_operator__isnull=False),
                name="ticket_target_operator_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def actions(self) -> tuple[str, ...]:
        return self.ACTIONS.get(self.status, ())

    @property
    def waits_since(self) -> datetime:
        """Where the wait counts from: the queue entry, or a booked slot's start if later.

        A booked client who checks in early is not kept waiting by the queue
        until their slot starts, so that time is not wait (README, reports).
        """
        if self.slot_start is not None and self.slot_start > self.queued_at:
            return self.slot_start
        return self.queued_at

    def waited_seconds(self, now: datetime) -> float:
        """How long the client has waited, the one definition every screen shows («ждал», «ждёт»).

        The waits stored by earlier calls (``wait_seconds``), plus, while the ticket
        waits, the time since ``waits_since``: the sum ``call`` stores when it is
        called. A called or served ticket's wait is the stored one.
        """
        if self.status != self.Status.WAITING:
            return self.wait_seconds
        return self.wait_seconds + max((now - self.waits_since).total_seconds(), 0)

    # Transitions. Each checks the current state, sets every field it owns,
    # saves only those fields and appends one event. The caller holds a row
    # lock on the ticket (see services.py).

    @property
    def holder_id(self) -> int | None:
        """Who acts on a called or served ticket: the operator at its counter (for a
        counter that names nobody, the operator who called it). None while it waits."""
        if self.counter_id is None:
            return None
        return self.counter.operator_id or self.operator_id

    def _require(self, *statuses: str, counter: Counter | None = None, operator=None, remote: bool = False) -> None:
        """The ticket is in one of ``statuses``, at ``counter`` when one is given, and
        ``operator`` holds its counter, unless the caller checked that they act
        remotely (a manager: services._remote)."""
        if self.status not in statuses:
            raise InvalidTransition()
        if counter is not None and self.counter_id != counter.pk:
            raise InvalidTransition(InvalidTransition.AT_OTHER_COUNTER)
        if operator is not None and not remote and self.holder_id not in (None, operator.pk):
            raise NotCounterHolder()

    @staticmethod
    def _remote(remote: bool) -> dict:
        return {"remote": True} if remote else {}

    # When the last transition on this instance happened (its event's ``at``): the CRM event's time.
    logged_at: datetime | None = None

    def _log(self, kind: str, at: datetime, *, operator=None, counter_id=None, **data) -> "TicketEvent":
        self.logged_at = at
        return TicketEvent.objects.create(
            ticket=self,
            type=kind,
            at=at,
            counter_id=counter_id or self.counter_id,
            operator=operator,
            data=data,
        )

    # Where a waiting ticket stands: set by transfer and postpone, spent by a call.
    _PLACE_FIELDS = ["front", "returns_at", "target_counter", "target_operator"]

    def call(self, *, counter: Counter, operator, at: datetime, chosen: bool = False) -> None:
        """Call to ``counter``; ``chosen``: picked from the list out of order (logged as such)."""
        self._require(self.Status.WAITING)
        self.status = self.Status.CALLED
        self.counter = counter
        self.operator = operator
        self.called_at = at
        self.started_at = None
        self.wait_seconds += max((at - self.waits_since).total_seconds(), 0)
        data = {"chosen": True} if chosen else {}
        if self.returns_at is not None and self.returns_at > at:
            data["from_pool"] = True
        # Where it stood in the queue is spent once it is called; the note stays
        # for the operator who now serves it.
        self.front = False
        self.returns_at = None
        self.target_counter = None
        self.target_operator = None
        self.save(
            update_fields=["status", "counter", "operator", "called_at", "started_at", "wait_seconds"]
            + self._PLACE_FIELDS
        )
        self._log(TicketEvent.Type.CALLED, at, operator=operator, **data)

    def recall(self, *, operator, at: datetime, counter: Counter | None = None, remote: bool = False) -> None:
        self._require(self.Status.CALLED, counter=counter, operator=operator, remote=remote)
        self.recall_count += 1
        self.called_at = at
        self.save(update_fields=["recall_count", "called_at"])
        self._log(
            TicketEvent.Type.RECALLED, at, operator=operator, recall_count=self.recall_count, **self._remote(remote)
        )

    def start(self, *, operator, at: datetime, counter: Counter | None = None, remote: bool = False) -> None:
        self._require(self.Status.CALLED, counter=counter, operator=operator, remote=remote)
        self.status = self.Status.SERVING
        self.started_at = at
        self.save(update_fields=["status", "started_at"])
        self._log(TicketEvent.Type.STARTED, at, operator=operator, **self._remote(remote))

    def finish(
        self,
        *,
        operator,
        at: datetime,
        counter: Counter | None = None,
        remote: bool = False,
        outcomes: list[str] = (),
        note: str = "",
    ) -> None:
        """Served; ``outcomes`` are codes of the service's outcomes, already checked by the caller."""
        self._require(self.Status.CALLED, self.Status.SERVING, counter=counter, operator=operator, remote=remote)
        if self.started_at is None:
            # Finished without pressing start: service began at the last call.
            self.started_at = self.called_at
        self.status = self.Status.DONE
        self.finished_at = at
        self.service_seconds += max((at - self.started_at).total_seconds(), 0)
        self.save(update_fields=["status", "started_at", "finished_at", "service_seconds"])
        TicketOutcome.objects.bulk_create(TicketOutcome(ticket=self, code=code) for code in outcomes)
        data = {"outcomes": list(outcomes), "note": note} if outcomes or note else {}
        self._log(TicketEvent.Type.FINISHED, at, operator=operator, **data, **self._remote(remote))

    def no_show(self, *, operator, at: datetime, counter: Counter | None = None, remote: bool = False) -> None:
        self._require(self.Status.CALLED, counter=counter, operator=operator, remote=remote)
        self.status = self.Status.NO_SHOW
        self.finished_at = at
        self.save(update_fields=["status", "finished_at"])
        self._log(TicketEvent.Type.NO_SHOW, at, operator=operator, **self._remote(remote))

    def transfer(
        self,
        *,
        to_front: bool,
        operator,
        at: datetime,
        service: Service | None = None,
        to_counter: Counter | None = None,
        to_operator=None,
        note: str = "",
        counter: Counter | None = None,
        remote: bool = False,
    ) -> None:
        """Back to a queue: another service's, or only for one counter or one operator, with a note.

        The caller has checked that the targets belong to this office.
        """
        self._require(self.Status.CALLED, self.Status.SERVING, counter=counter, operator=operator, remote=remote)
        service = service or self.service
        if service.office_id != self.office_id:
            raise InvalidTransition(InvalidTransition.OTHER_OFFICE)
        from_service = self.service.code
        from_counter = self.counter_id
        if self.status == self.Status.SERVING:
            self.service_seconds += max((at - self.started_at).total_seconds(), 0)
        self._requeue(at, front=to_front)
        self.service = service
        self.target_counter = to_counter
        self.target_operator = to_operator
        self.note = note
        self.save(update_fields=self._REQUEUE_FIELDS + ["service", "service_seconds", "note"])
        self._log(
            TicketEvent.Type.TRANSFERRED,
            at,
            operator=operator,
            from_service=from_service,
            to_service=service.code,
            to_counter=to_counter.number if to_counter else None,
            to_operator=to_operator.pk if to_operator else None,
            note=note,
            position="front" if to_front else "back",
            counter_id=from_counter,
            **self._remote(remote),
        )

    def postpone(
        self,
        *,
        operator,
        at: datetime,
        minutes: int | None = None,
        counter: Counter | None = None,
        remote: bool = False,
    ) -> None:
        """Out of the way: for ``minutes`` into the postponed pool, after which it is
        called first in its service; without minutes, to the back of its queue."""
        self._require(self.Status.CALLED, counter=counter, operator=operator, remote=remote)
        from_counter = self.counter_id
        self._requeue(at, front=False)
        self.returns_at = at + timedelta(minutes=minutes) if minutes else None
        self.save(update_fields=self._REQUEUE_FIELDS)
        data = {"minutes": minutes, "returns_at": self.returns_at.isoformat()} if minutes else {}
        self._log(
            TicketEvent.Type.POSTPONED, at, operator=operator, counter_id=from_counter, **data, **self._remote(remote)
        )

    _REQUEUE_FIELDS = ["status", "counter", "operator", "queued_at", "called_at", "started_at"] + _PLACE_FIELDS

    def _requeue(self, at: datetime, *, front: bool) -> None:
        self.status = self.Status.WAITING
        self.counter = None
        self.operator = None
        self.queued_at = at
        self.front = front
        self.returns_at = None
        self.target_counter = None
        self.target_operator = None
        self.called_at = None
        self.started_at = None

    def cancel(self, *, operator, at: datetime) -> None:
        self._require(self.Status.WAITING)
        self.status = self.Status.CANCELLED
        self.finished_at = at
        self.save(update_fields=["status", "finished_at"])
        self._log(TicketEvent.Type.CANCELLED, at, operator=operator)

    def expire(self, *, at: datetime) -> None:
        self._require(*self.UNFINISHED)
        previous = self.status
        self.status = self.Status.EXPIRED
        self.finished_at = at
        self.save(update_fields=["status", "finished_at"])
        self._log(TicketEvent.Type.EXPIRED, at, previous=previous)


class TicketEvent(AppendOnly):
    """Append-only log: one row per committed transition."""

    class Type(models.TextChoices):
        ISSUED = "issued", "Выдан"
        CALLED = "called", "Вызван"
        RECALLED = "recalled", "Повторный вызов"
        STARTED = "started", "Начато обслуживание"
        FINISHED = "finished", "Обслуживание завершено"
        NO_SHOW = "no_show", "Не явился"
        TRANSFERRED = "transferred", "Перенаправлен"
        POSTPONED = "postponed", "Отложен"
        CANCELLED = "cancelled", "Отменён"
        EXPIRED = "expired", "Истёк"

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events", verbose_name="талон")
    type = models.CharField("событие", max_length=12, choices=Type.choices)
    at = models.DateTimeField("время")
    # PROTECT: SET_NULL would UPDATE an append-only row, which the database refuses.
    counter = models.ForeignKey(
        Counter, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="окно"
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="оператор",
    )
    data = models.JSONField("подробности", default=dict, blank=True)

    class Meta:
        verbose_name = "событие талона"
        verbose_name_plural = "события талонов"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.type}"


class IdempotencyKey(models.Model):
    """An ``Idempotency-Key`` an issuer sent with a request that creates a ticket,
    and the ticket its first request gave (tickets/idempotency.py)."""

    issuer = models.CharField("кто прислал", max_length=150)
    key = models.CharField("ключ", max_length=100)
    # sha256 of the request (its path and validated body): the same key with another body is refused.
    fingerprint = models.CharField("отпечаток запроса", max_length=64)
    # Null only inside the transaction that first stored the key; it commits with the ticket.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, null=True, related_name="+", verbose_name="талон")
    created_at = models.DateTimeField("получен")

    class Meta:
        verbose_name = "ключ идемпотентности"
        verbose_name_plural = "ключи идемпотентности"
        constraints = [models.UniqueConstraint(fields=["issuer", "key"], name="idempotency_key_once_per_issuer")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created_idx")]

    def __str__(self) -> str:
        return f"{self.issuer}: {self.key}"


class TicketOutcome(models.Model):
    """One outcome (тема обращения) ticked when a ticket was finished: the topic report counts these."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="outcomes", verbose_name="талон")
    # A code of the ticket's service's outcomes at the time; the name is read from the service.
    code = models.CharField("тема", max_length=50)

    class Meta:
        verbose_name = "тема обращения"
        verbose_name_plural = "темы обращений"
        constraints = [models.UniqueConstraint(fields=["ticket", "code"], name="outcome_once_per_ticket")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.code}"


class ServiceMonth(models.Model):
    """What the published tables need of one office, service and month, kept as tickets change.

    Maintained by ``tickets.rollups`` in the transaction of each change that makes a
    ticket count, so a report reads a few thousand rows whatever the number of
    tickets. The month is the ticket's ``local_date`` month (its office's time zone).

    Why this grain. The key is the service, not the channel: the channel is read
    through ``Service.channel`` at report time, so editing it needs no rebuild, and
    the analytics' figures per service (norm compliance, estimate accuracy) read
    the same rows. A finer key (day × hour, operator) would multiply the rows by
    ~100 and put a company-year read beyond 100 ms; load by weekday × hour and
    operator figures have their own daily tables (``HourLoad``, ``OperatorDay``),
    written in bulk for whole past days (``tickets.daily``), never on the call path.

    ``tickets`` counts tickets of any status (a month with tickets but none done is
    a real zero, not absent). Times are whole microseconds, so sums are exact in any
    order. ``over_norm`` was counted against ``norm_minutes``; a row whose norm is
    not its office's current one (the norm was edited: NULL once both were mixed)
    is recounted from the tickets before it is read (``rollups.refresh``).
    """

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    tickets = models.IntegerField(default=0)
    done = models.IntegerField(default=0)
    no_show = models.IntegerField(default=0)
    cancelled = models.IntegerField(default=0)
    expired = models.IntegerField(default=0)
    wait_us = models.BigIntegerField(default=0)
    service_us = models.BigIntegerField(default=0)
    over_norm = models.IntegerField(default=0)
    # Done tickets that waited over twice the norm (norm compliance: within 2× = done − this).
    over_double_norm = models.IntegerField(default=0)
    # Estimate accuracy over the done tickets with a promise (``promised_wait_seconds``):
    # how many, Σ|promised − wait|, Σ(promised − wait) in µs, and how many within ±5 minutes.
    promised = models.IntegerField(default=0)
    promise_error_us = models.BigIntegerField(default=0)
    promise_bias_us = models.BigIntegerField(default=0)
    promise_within = models.IntegerField(default=0)
    norm_minutes = models.IntegerField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "service", "month"], name="service_month_unique"),
        ]
        indexes = [models.Index(fields=["month"], name="service_month_month_idx")]

    def __str__(self) -> str:
        return f"{self.office_id}/{self.service_id} {self.month:%Y-%m}"


class OutcomeMonth(models.Model):
    """The topics («Обращения по тематикам») of one office, service and month, kept as tickets finish.

    Each done ticket adds 1 to the row of each outcome code ticked at its finish,
    or 1 to the row with ``code`` "" («Без темы») when none was; imported tickets
    have none. Maintained by ``tickets.rollups`` with ``ServiceMonth``, whose
    ``done`` is the shares' denominator; the month is the ticket's ``local_date``
    month. The code is the one stored; its name is read from the service.
    """

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    code = models.CharField(max_length=50, blank=True)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "service", "month", "code"], name="outcome_month_unique"),
        ]
        indexes = [models.Index(fields=["month"], name="outcome_month_month_idx")]

    def __str__(self) -> str:
        return f"{self.office_id}/{self.service_id} {self.month:%Y-%m} {self.code or '—'}"


class HourLoad(models.Model):
    """Tickets issued in one local hour of one office's day, and the wait of the done ones among them.

    Written in bulk for whole past days (``rollups.roll``: close_day, imports,
    ``rollups --rebuild``), never on the call path; the days after the office's
    ``RollupMark`` are read live from the tickets. The hour is the local hour of
    ``issued_at`` in the office's time zone, the day the ticket's ``local_date``.
    """

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    hour = models.SmallIntegerField()
    issued = models.IntegerField(default=0)
    done = models.IntegerField(default=0)
    wait_us = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "day", "hour"], name="hour_load_unique")]
        indexes = [models.Index(fields=["day"], name="hour_load_day_idx")]

    def __str__(self) -> str:
        return f"{self.office_id} {self.day} {self.hour:02d}"


class OperatorDay(models.Model):
    """One operator's day in one office: clients, times and breaks (``rollups.roll``, like ``HourLoad``).

    ``over_limit`` counts the served clients whose service took longer than the
    office's ``service_limit_minutes`` as it was when counted (``limit_minutes``);
    ``breaks`` maps a break reason's code to [breaks, µs].
    """

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    served = models.IntegerField(default=0)
    service_us = models.BigIntegerField(default=0)
    over_limit = models.IntegerField(default=0)
    limit_minutes = models.IntegerField(null=True)
    no_show = models.IntegerField(default=0)
    transfers = models.IntegerField(default=0)
    open_us = models.BigIntegerField(default=0)
    breaks = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "operator", "day"], name="operator_day_unique")]
        indexes = [models.Index(fields=["day"], name="operator_day_day_idx")]

    def __str__(self) -> str:
        return f"{self.office_id}/{self.operator_id} {self.day}"


class RollupMark(models.Model):
    """The last local day of an office whose ``HourLoad`` and ``OperatorDay`` rows are written."""

    office = models.OneToOneField(Office, on_delete=models.CASCADE, related_name="+", primary_key=True)
    through = models.DateField()

    def __str__(self) -> str:
        return f"{self.office_id} ≤ {self.through}"
