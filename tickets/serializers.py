"""Every serializer of the queue API: input, and output of offices, counters, tickets and the queue.

Output serializers read positions and estimates from the ``queue`` in their
context (an ``OfficeQueue``), never by querying per object.
"""

import copy

from rest_framework import serializers

from offices.models import Counter, Office, Service

from . import payloads, selectors
from .models import Ticket

# Input


class IssueIn(serializers.Serializer):
    service = serializers.CharField(max_length=50)
    priority = serializers.BooleanField(default=False)


class ActionIn(serializers.Serializer):
    counter = serializers.IntegerField(required=False, help_text="Окно, от имени которого действует оператор")


class PostponeIn(ActionIn):
    minutes = serializers.IntegerField(
        required=False, allow_null=True, help_text="В отложенные на столько минут (1–240); без него — в конец очереди"
    )


class TransferIn(ActionIn):
    service = serializers.CharField(max_length=50, required=False, help_text="Код услуги")
    to_counter = serializers.IntegerField(required=False, allow_null=True, help_text="Только для этого окна")
    to_operator = serializers.IntegerField(required=False, allow_null=True, help_text="Только для этого оператора")
    note = serializers.CharField(
        max_length=500, required=False, default="", allow_blank=True, help_text="Заметка для следующего оператора"
    )
    position = serializers.ChoiceField(choices=["front", "back"], default="back")


class FinishIn(ActionIn):
    outcomes = serializers.ListField(
        child=serializers.CharField(max_length=50),
        max_length=50,
        required=False,
        default=list,
        help_text="Коды тем обращения из outcomes услуги талона",
    )
    note = serializers.CharField(
        max_length=500, required=False, default="", allow_blank=True, help_text="Заметка о визите"
    )
    call_next = serializers.BooleanField(
        default=False, help_text="Сразу вызвать следующего клиента в это окно (counter обязателен)"
    )

    def validate(self, data):
        if data["call_next"] and data.get("counter") is None:
            raise serializers.ValidationError("Укажите окно, в которое вызвать следующего клиента.")
        return data


class CallChosenIn(serializers.Serializer):
    ticket = serializers.IntegerField(help_text="Ожидающий талон, который вызвать вне очереди")


class CounterStateIn(serializers.Serializer):
    state = serializers.ChoiceField(choices=Counter.State.choices)
    reason = serializers.CharField(
        max_length=30, required=False, default="", allow_blank=True, help_text="Код причины перерыва (для break)"
    )
    close_others = serializers.BooleanField(
        default=False, help_text="Открывая окно, закрыть другие окна этого пользователя (страница оператора)"
    )


class CounterRemoteIn(serializers.Serializer):
    state = serializers.ChoiceField(choices=[("closed", "Закрыто"), ("break", "Перерыв")])
    reason = serializers.CharField(
        max_length=30, required=False, default="", allow_blank=True, help_text="Код причины перерыва (для break)"
    )


class TokenIn(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


# Offices


class ServiceOut(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["code", "name", "prefix", "channel", "kiosk_order"]


class OfficeCounterOut(serializers.ModelSerializer):
    services = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    backup_services = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Counter
        fields = ["id", "number", "state", "services", "backup_services"]


class OfficeOut(serializers.ModelSerializer):
    services = serializers.SerializerMethodField()
    counters = OfficeCounterOut(many=True, read_only=True, source="active_counters")
    hours = serializers.SerializerMethodField()
    open_now = serializers.SerializerMethodField()
    issuing_now = serializers.SerializerMethodField()

    class Meta:
        model = Office
        fields = [
            "code",
            "name",
            "address",
            "timezone",
            "wait_norm_minutes",
            "stop_issuing_minutes",
            "hours",
            "open_now",
            "issuing_now",
            "services",
            "counters",
        ]

    def get_services(self, office) -> list[dict]:
        # Filtered in Python, so that the list's prefetch serves every office.
        return ServiceOut([s for s in office.services.all() if s.active], many=True).data

    def get_hours(self, office) -> dict[str, str]:
        return office.hours_as_dict()

    def get_open_now(self, office) -> bool:
        return office.is_open()

    def get_issuing_now(self, office) -> bool:
        return office.is_issuing()


# Tickets


_DATETIME = serializers.DateTimeField()


def _moment(value):
    """A datetime as every DRF DateTimeField writes it (ISO 8601 in the current time zone)."""
    return None if value is None else _DATETIME.to_representation(value)


class TicketOut(serializers.ModelSerializer):
    """A ticket in its API form: every ticket answer, list, snapshot line and CRM event."""

    service = serializers.CharField(source="service.code")
    service_name = serializers.CharField(source="service.name")
    status_label = serializers.CharField(source="get_status_display")
    actions = serializers.ListField(child=serializers.CharField(), help_text="Доступные действия с талоном")
    counter = serializers.SerializerMethodField()
    position = serializers.SerializerMethodField()
    estimated_wait_seconds = serializers.SerializerMethodField()
    priority_label = serializers.SerializerMethodField(help_text="«Льготная категория» или пусто")
    booked_label = serializers.SerializerMethodField(help_text="«По записи на 10:30» или пусто")

    class Meta:
        model = Ticket
        fields = [
            "id",
            "token",
            "number",
            "service",
            "service_name",
            "status",
            "status_label",
            "actions",
            "priority",
            "issued_at",
            "called_at",
            "started_at",
            "finished_at",
            "recall_count",
            "counter",
            "position",
            "estimated_wait_seconds",
            "priority_label",
            "wait_seconds",
            "note",
            "returns_at",
            "slot_start",
            "booked_label",
        ]

    def get_fields(self):
        # ModelSerializer reads the model's fields anew for every instance; built
        # once per class, copied per instance (each instance binds its own copies).
        prototype = type(self).__dict__.get("_fields_built")
        if prototype is None:
            prototype = type(self)._fields_built = super().get_fields()
        return copy.deepcopy(prototype)

    def to_representation(self, ticket) -> dict:
        # Built for every ticket answer, queue line and CRM event, inside the
        # transition's transaction for the last: DRF's walk over the bound fields
        # cost 0.27 ms a ticket, this 0.03 ms. The declared fields still describe
        # the schema; a test holds this dict equal to DRF's own, field by field.
        place = self._place(ticket)
        data = {
            "id": ticket.pk,
            "token": None if ticket.token is None else str(ticket.token),
            "number": str(ticket.number),
            "service": ticket.service.code,
            "service_name": ticket.service.name,
            "status": str(ticket.status),
            "status_label": ticket.get_status_display(),
            "actions": list(ticket.actions),
            "priority": bool(ticket.priority),
            "issued_at": _moment(ticket.issued_at),
            "called_at": _moment(ticket.called_at),
            "started_at": _moment(ticket.started_at),
            "finished_at": _moment(ticket.finished_at),
            "recall_count": int(ticket.recall_count),
            "counter": self.get_counter(ticket),
            "position": place[0] if place else None,
            "estimated_wait_seconds": place[1] if place else None,
            "priority_label": self.get_priority_label(ticket),
            "wait_seconds": float(ticket.wait_seconds),
            "note": str(ticket.note),
            "returns_at": _moment(ticket.returns_at),
            "slot_start": _moment(ticket.slot_start),
            "booked_label": self.get_booked_label(ticket),
        }
        for name in self.Meta.fields[len(data) :]:  # a subclass's own fields (CheckInOut: booking)
            field = self.fields[name]
            value = field.get_attribute(ticket)
            data[name] = None if value is None else field.to_representation(value)
        return data

    def _place(self, ticket) -> tuple[int, int] | None:
        """Position and estimate: from the office's queue in the context (a list), else counted for this one ticket."""
        if ticket.status != Ticket.Status.WAITING or self.context.get("without_place"):
            return None
        if getattr(ticket, "issue_place", None) is not None:
            return ticket.issue_place  # counted by ticket_issue a moment ago: the place it promised
        queue = self.context.get("queue")
        if queue is not None:
            ahead = queue.position(ticket)
            return None if ahead is None else (ahead, queue.estimated_wait(ticket))
        places = self.context.setdefault("places", {})
        if ticket.pk not in places:
            places[ticket.pk] = selectors.place(ticket)
        return places[ticket.pk]

    def get_counter(self, ticket) -> str | None:
        return ticket.counter.number if ticket.counter_id else None

    def get_priority_label(self, ticket) -> str:
        return selectors.PRIORITY_LABEL if ticket.priority else ""

    def get_booked_label(self, ticket) -> str:
        return payloads.booked_label(ticket)

    def get_position(self, ticket) -> int | None:
        found = self._place(ticket)
        return found[0] if found else None

    def get_estimated_wait_seconds(self, ticket) -> int | None:
        found = self._place(ticket)
        return found[1] if found else None


class TrackingOut(serializers.Serializer):
    """Public view of a ticket: no ids beyond the token, no personal data."""

    number = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    office = serializers.CharField()
    service = serializers.CharField()
    position = serializers.IntegerField(allow_null=True)
    estimated_wait_seconds = serializers.IntegerField(allow_null=True)
    counter = serializers.CharField(allow_null=True)
    actions = serializers.ListField(child=serializers.CharField(), help_text="Что клиент может сделать: cancel")
    alert = serializers.BooleanField(help_text="Вызов ещё впереди: телефон может подать сигнал")
    no_open_counter = serializers.BooleanField(help_text="Талон ждёт, но сейчас ни одно открытое окно не ведёт услугу")
    returns_at = serializers.DateTimeField(allow_null=True, help_text="Отложенный талон: когда он вернётся в очередь")
    issued_at = serializers.DateTimeField()


# Counters


class CounterOut(serializers.ModelSerializer):
    services = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    backup_services = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    office = serializers.CharField(source="office.code")
    status_label = serializers.CharField(source="state_label")
    actions = serializers.SerializerMethodField(help_text="Что оператор может сделать в окне сейчас")
    ticket = serializers.SerializerMethodField(help_text="Вызванный или обслуживаемый талон")
    today = serializers.SerializerMethodField(help_text="Обслужено сегодня в этом окне")
    break_reason_label = serializers.CharField(read_only=True)
    operator = serializers.CharField(source="operator_name", read_only=True, allow_null=True)
    held_elsewhere = serializers.SerializerMethodField(help_text="Другие окна, открытые этим пользователем")
    open_confirm = serializers.SerializerMethodField(help_text="Вопрос перед открытием, если другие окна закроются")

    class Meta:
        model = Counter
        fields = [
            "id",
            "office",
            "number",
            "state",
            "status_label",
            "state_changed_at",
            "break_reason",
            "break_reason_label",
            "operator",
            "held_elsewhere",
            "open_confirm",
            "actions",
            "services",
            "backup_services",
            "ticket",
            "today",
        ]

    def _ticket(self, counter) -> Ticket | None:
        cache = self.context.setdefault("active_tickets", {})
        if counter.pk not in cache:
            cache[counter.pk] = (
                Ticket.objects.at_counter(counter).select_related("service", "counter", "office").first()
            )
        return cache[counter.pk]

    def get_actions(self, counter) -> list[str]:
        # With a ticket at the counter, the ticket's actions are what the operator can do.
        ticket = self._ticket(counter)
        return list(ticket.actions if ticket else Counter.ACTIONS[counter.state])

    def get_ticket(self, counter) -> dict | None:
        ticket = self._ticket(counter)
        if ticket is None:
            return None
        # The operator sees where the client has been: transfers with their notes;
        # and the outcomes the finish step offers for the ticket's service.
        return {
            **TicketOut(ticket).data,
            "transfers": selectors.transfer_history(ticket),
            "outcome_choices": ticket.service.outcomes,
            "outcomes_required": ticket.service.outcomes_required,
        }

    def get_held_elsewhere(self, counter) -> list[dict]:
        request = self.context.get("request")
        held = selectors.counters_held_elsewhere(counter, request.user if request else None)
        return [{"id": c.pk, "number": c.number} for c in held]

    def get_open_confirm(self, counter) -> str:
        numbers = [c["number"] for c in self.get_held_elsewhere(counter)]
        if not numbers:
            return ""
        if len(numbers) == 1:
            return f"Окно {numbers[0]} будет закрыто. Продолжить?"
        return f"Окна {', '.join(numbers)} будут закрыты. Продолжить?"

    def get_today(self, counter) -> dict:
        return selectors.today_stats(counter.office, counter)


# The office's queue now


class QueueServiceOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    channel = serializers.CharField()
    waiting = serializers.IntegerField()
    longest_wait_seconds = serializers.IntegerField()
    estimated_wait_seconds = serializers.IntegerField()


class QueueActiveOut(serializers.Serializer):
    ticket = serializers.CharField()
    service = serializers.CharField()
    status = serializers.CharField()
    counter = serializers.CharField()
    called_at = serializers.DateTimeField()


class QueueOut(serializers.Serializer):
    office = serializers.CharField()
    open = serializers.BooleanField()
    issuing = serializers.BooleanField()
    next_opening = serializers.DateTimeField(allow_null=True, help_text="когда офис откроется в следующий раз")
    next_opening_text = serializers.CharField(help_text="«Откроется в понедельник в 08:00»; пусто без часов работы")
    services = QueueServiceOut(many=True)
    active = QueueActiveOut(many=True)
