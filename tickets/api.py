from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import authenticate
from django.db.models import Q
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, NotFound, PermissionDenied, Throttled
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from offices import access, kiosks, tokens
from offices.api import office_or_404
from offices.models import Counter, Service

from . import selectors, services, throttles
from .errors import QueueError, UnknownService
from .models import Ticket

# Input


class IssueIn(serializers.Serializer):
    service = serializers.CharField(max_length=50)
    priority = serializers.BooleanField(default=False)


class ActionIn(serializers.Serializer):
    counter = serializers.IntegerField(required=False, help_text="Окно, от имени которого действует оператор")


class TransferIn(ActionIn):
    service = serializers.CharField(max_length=50)
    position = serializers.ChoiceField(choices=["front", "back"], default="back")


class CounterStateIn(serializers.Serializer):
    state = serializers.ChoiceField(choices=Counter.State.choices)


class TokenIn(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


# Output


class TicketOut(serializers.ModelSerializer):
    service = serializers.CharField(source="service.code")
    service_name = serializers.CharField(source="service.name")
    counter = serializers.SerializerMethodField()
    position = serializers.SerializerMethodField()
    estimated_wait_seconds = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "token",
            "number",
            "service",
            "service_name",
            "status",
            "priority",
            "issued_at",
            "called_at",
            "started_at",
            "finished_at",
            "recall_count",
            "counter",
            "position",
            "estimated_wait_seconds",
        ]

    def _tracking(self, ticket) -> dict:
        cache = self.context.setdefault("tracking", {})
        if ticket.pk not in cache:
            cache[ticket.pk] = selectors.tracking_status(ticket)
        return cache[ticket.pk]

    def get_counter(self, ticket) -> str | None:
        return ticket.counter.number if ticket.counter_id else None

    def get_position(self, ticket) -> int | None:
        return self._tracking(ticket)["position"]

    def get_estimated_wait_seconds(self, ticket) -> int | None:
        return self._tracking(ticket)["estimated_wait_seconds"]


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
    issued_at = serializers.DateTimeField()


class CounterOut(serializers.ModelSerializer):
    services = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    backup_services = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    office = serializers.CharField(source="office.code")
    ticket = serializers.SerializerMethodField(help_text="Вызванный или обслуживаемый талон")
    today = serializers.SerializerMethodField(help_text="Обслужено сегодня в этом окне")

    class Meta:
        model = Counter
        fields = ["id", "office", "number", "state", "services", "backup_services", "ticket", "today"]

    def get_ticket(self, counter) -> dict | None:
        ticket = (
            Ticket.objects.filter(counter=counter, status__in=Ticket.ACTIVE)
            .select_related("service", "counter", "office")
            .first()
        )
        return TicketOut(ticket).data if ticket else None

    def get_today(self, counter) -> dict:
        return selectors.today_stats(counter.office, counter)


def ticket_response(ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
    return Response(TicketOut(ticket).data, status=code)


def validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# Who may touch a counter or a ticket: operators of its office (and admins) for
# queue work, any staff of the office for reading, opening/closing and cancelling.
OPERATE = (access.can_operate, "Вы не работаете в окнах этого офиса.")
STAFF = (access.is_staff_of, "Вы не работаете в этом офисе.")


def counter_for(request, pk: int, rule=OPERATE) -> Counter:
    counter = Counter.objects.select_related("office").filter(pk=pk).first()
    if counter is None:
        raise NotFound("Окно не найдено.")
    allowed, refusal = rule
    if not allowed(request.user, counter.office):
        raise PermissionDenied(refusal)
    return counter


def ticket_for(request, pk: int, rule=OPERATE) -> Ticket:
    ticket = Ticket.objects.select_related("office", "service", "counter").filter(pk=pk).first()
    if ticket is None:
        raise NotFound("Талон не найден.")
    allowed, refusal = rule
    if not allowed(request.user, ticket.office):
        raise PermissionDenied(refusal)
    return ticket


def service_of(office, code: str) -> Service:
    service = Service.objects.filter(office=office, code=code).first()
    if service is None:
        raise UnknownService(f"Услуги «{code}» нет в этом офисе.")
    return service


class KioskRequired(QueueError):
    code = "kiosk_required"
    status = 403
    message = "Талон можно получить в терминале электронной очереди в офисе."


class PriorityNotAllowed(QueueError):
    code = "priority_not_allowed"
    status = 403
    message = "Льготный талон выдаётся только в терминале офиса или сотрудником."


class TicketIssue(APIView):
    @extend_schema(
        request=IssueIn,
        responses={201: TicketOut},
        summary="Выдать талон (киоск)",
    )
    def post(self, request, code: str):
        office = office_or_404(code)
        who = kiosks.issuer(request, office)
        if who is None:
            raise KioskRequired()
        if who == "remote":
            for throttle in (throttles.PerClient(), throttles.PerOffice()):
                if not throttles.allow(throttle, request, self):
                    wait = throttle.wait() or 60
                    error = Throttled(
                        detail=f"Слишком много запросов талонов. Повторите через {max(1, round(wait / 60))} мин."
                    )
                    error.wait = wait  # becomes Retry-After
                    raise error
        data = validated(IssueIn, request)
        if data["priority"] and who == "remote":
            # Priority is granted by someone in the hall: the kiosk's button or staff.
            raise PriorityNotAllowed()
        service = service_of(office, data["service"])
        ticket = services.ticket_issue(office=office, service=service, priority=data["priority"])
        return ticket_response(ticket, status.HTTP_201_CREATED)


class TicketTrack(APIView):
    @extend_schema(responses=TrackingOut, summary="Отслеживание талона по токену")
    def get(self, request, token: str):
        ticket = Ticket.objects.select_related("office", "service", "counter").filter(token=token).first()
        if ticket is None:
            raise NotFound("Талон не найден.")
        tracking = selectors.tracking_status(ticket)
        data = {
            **tracking,
            "status_label": ticket.get_status_display(),
            "office": ticket.office.name,
            "service": ticket.service.name,
            "issued_at": ticket.issued_at,
        }
        return Response(TrackingOut(data).data)


class CounterCallNext(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: TicketOut, 204: OpenApiResponse(description="Очередь пуста")},
        summary="Вызвать следующего клиента",
    )
    def post(self, request, pk: int):
        counter = counter_for(request, pk)
        ticket = services.ticket_call_next(counter=counter, operator=request.user)
        if ticket is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return ticket_response(ticket)


class CounterState(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=CounterStateIn, responses=CounterOut, summary="Открыть, закрыть окно или перерыв")
    def post(self, request, pk: int):
        counter = counter_for(request, pk, STAFF)
        data = validated(CounterStateIn, request)
        counter = services.counter_set_state(counter=counter, state=data["state"], user=request.user)
        return Response(CounterOut(counter).data)


class CounterDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=CounterOut, summary="Окно")
    def get(self, request, pk: int):
        return Response(CounterOut(counter_for(request, pk, STAFF)).data)


ACTIONS = {
    "recall": services.ticket_recall,
    "start": services.ticket_start,
    "finish": services.ticket_finish,
    "no-show": services.ticket_no_show,
    "postpone": services.ticket_postpone,
}


class TicketAction(APIView):
    """recall, start, finish, no-show, postpone: from the operator's counter."""

    permission_classes = [IsAuthenticated]
    action_name = ""

    @extend_schema(request=ActionIn, responses=TicketOut)
    def post(self, request, pk: int):
        ticket = ticket_for(request, pk)
        data = validated(ActionIn, request)
        counter = self._counter(request, ticket, data.get("counter"))
        ticket = ACTIONS[self.action_name](ticket=ticket, operator=request.user, counter=counter)
        return ticket_response(ticket)

    @staticmethod
    def _counter(request, ticket: Ticket, counter_id: int | None) -> Counter | None:
        if counter_id is None:
            return None
        counter = Counter.objects.filter(pk=counter_id, office=ticket.office).first()
        if counter is None:
            raise NotFound("Окно не найдено.")
        return counter


class TicketTransfer(TicketAction):
    @extend_schema(request=TransferIn, responses=TicketOut, summary="Перенаправить талон на другую услугу")
    def post(self, request, pk: int):
        ticket = ticket_for(request, pk)
        data = validated(TransferIn, request)
        counter = self._counter(request, ticket, data.get("counter"))
        service = service_of(ticket.office, data["service"])
        ticket = services.ticket_transfer(
            ticket=ticket,
            service=service,
            to_front=data["position"] == "front",
            operator=request.user,
            counter=counter,
        )
        return ticket_response(ticket)


class TicketCancel(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=TicketOut, summary="Отменить ожидающий талон")
    def post(self, request, pk: int):
        ticket = ticket_for(request, pk, STAFF)
        return ticket_response(services.ticket_cancel(ticket=ticket, operator=request.user))


class OfficeTickets(APIView):
    """Today's tickets of an office, for staff."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=TicketOut(many=True), summary="Талоны офиса за сегодня")
    def get(self, request, code: str):
        office = office_or_404(code)
        if not access.is_staff_of(request.user, office):
            raise PermissionDenied("Вы не работаете в этом офисе.")
        tickets = (
            Ticket.objects.filter(office=office, local_date=office.local_date())
            .filter(Q(status=Ticket.Status.WAITING) | Q(status__in=Ticket.ACTIVE))
            .select_related("service", "counter", "office")
            .order_by(*selectors.CALL_ORDER)
        )
        return Response(TicketOut(tickets, many=True).data)


class TooManyAttempts(QueueError):
    code = "too_many_attempts"
    status = 429
    message = "Слишком много неудачных попыток входа. Повторите попытку позже."


class AuthToken(APIView):
    @extend_schema(request=TokenIn, responses={200: OpenApiResponse(description='{"token": "..."}')})
    def post(self, request):
        data = validated(TokenIn, request)
        try:
            # The plain HttpRequest: django-axes counts failures per address and user name.
            user = authenticate(request._request, username=data["username"], password=data["password"])
        except AxesBackendPermissionDenied:
            raise TooManyAttempts() from None
        if user is None or not user.is_active:
            raise AuthenticationFailed("Неверное имя пользователя или пароль.")
        return Response({"token": tokens.token_for(user).key})

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Токен отозван")})
    def delete(self, request):
        """Revoke the token this request was made with (sign out of the API)."""
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
