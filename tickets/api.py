"""The queue's REST API: offices and their queue, tickets, counters, API tokens.

Views validate, call one service by name and serialize. Each transition goes
from its ``@action`` here to its service in services.py to its model method in
models.py, all under the same name. Errors are raised, never built here: the
exception handler in queue_system/errors.py answers them.
"""

from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import authenticate, get_user_model
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, NotFound, PermissionDenied, Throttled
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from offices import access, kiosks, tokens
from offices.models import Counter, Office, Service

from . import idempotency, selectors, services, throttles
from .errors import (
    BAD_CREDENTIALS,
    COUNTER_NOT_FOUND,
    MESSAGES,
    OFFICE_NOT_FOUND,
    TICKET_NOT_FOUND,
    InvalidTransfer,
    KioskRequired,
    PriorityNotAllowed,
    TooManyAttempts,
    UnknownService,
    too_many_tickets,
)
from .models import Ticket
from .serializers import (
    ActionIn,
    CallChosenIn,
    CounterOut,
    CounterRemoteIn,
    CounterStateIn,
    FinishIn,
    IssueIn,
    OfficeOut,
    PostponeIn,
    QueueOut,
    TicketOut,
    TokenIn,
    TrackingOut,
    TransferIn,
)

idempotency_header = OpenApiParameter(
    idempotency.HEADER,
    {"type": "string", "minLength": 1, "maxLength": 100, "pattern": f"^{idempotency.KEY_PATTERN.pattern}$"},
    OpenApiParameter.HEADER,
    description=(
        "Ключ повтора: 1–100 видимых символов ASCII, новый для каждого нажатия (например, UUID). "
        "Повтор с тем же ключом от того же киоска, пользователя или адреса в течение 24 ч возвращает тот же талон "
        "(200) вместо нового; тот же ключ с другим телом — 422 idempotency_mismatch."
    ),
)


def office_or_404(code: str) -> Office:
    office = Office.objects.filter(code=code).prefetch_related("hours").first()
    if office is None:
        raise NotFound(OFFICE_NOT_FOUND)
    return office


def service_of(office, code: str) -> Service:
    service = Service.objects.filter(office=office, code=code).first()
    if service is None:
        raise UnknownService.named(code)
    return service


def validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def require(permission: type[BasePermission], request, view, obj) -> None:
    """Apply one of offices/access.py's permission classes to an object."""
    if not permission().has_object_permission(request, view, obj):
        raise PermissionDenied(permission.message)


def ticket_response(ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
    return Response(TicketOut(ticket).data, status=code)


class OfficeViewSet(viewsets.ViewSet):
    """Offices with their services, counters and hours; the queue now; issuing a ticket. Public."""

    # What OfficeOut reads: the same few queries for one office or many, whatever their counters.
    OFFICE_OUT_PREFETCH = ("hours", "services", "counters__services", "counters__backup_services")

    @extend_schema(responses=OfficeOut(many=True), summary="Офисы с услугами, окнами и часами работы")
    def list(self, request):
        offices = Office.objects.prefetch_related(*self.OFFICE_OUT_PREFETCH)
        return Response(OfficeOut(offices, many=True).data)

    @extend_schema(responses=OfficeOut, summary="Офис")
    def retrieve(self, request, code: str):
        office = Office.objects.filter(code=code).prefetch_related(*self.OFFICE_OUT_PREFETCH).first()
        if office is None:
            raise NotFound(OFFICE_NOT_FOUND)
        return Response(OfficeOut(office).data)

    @extend_schema(responses=QueueOut, summary="Очередь офиса сейчас")
    @action(detail=True)
    def queue(self, request, code: str):
        return Response(QueueOut(selectors.queue_summary(office_or_404(code))).data)

    @extend_schema(
        request=IssueIn,
        parameters=[idempotency_header],
        responses={
            201: TicketOut,
            200: OpenApiResponse(TicketOut, description="Повтор запроса с тем же Idempotency-Key: тот же талон"),
        },
        summary="Выдать талон (киоск)",
    )
    @action(detail=True, methods=["post"])
    def issue(self, request, code: str):
        office = office_or_404(code)
        key = idempotency.key_of(request)
        who = kiosks.issuer(request, office)
        if who is None:
            raise KioskRequired()
        attempt = None
        if key is not None:
            attempt = idempotency.Attempt.of(request, validated(IssueIn, request), key)
            ticket = idempotency.replayed(attempt)
            if ticket is not None:
                # Before the limits: a retry of a ticket already given is not counted again.
                return ticket_response(ticket)
        if who == "remote":
            for throttle in (throttles.PerClient(), throttles.PerOffice()):
                if not throttles.allow(throttle, request, self):
                    wait = throttle.wait() or 60
                    error = Throttled(detail=too_many_tickets(wait))
                    error.wait = wait  # becomes Retry-After
                    raise error
        data = validated(IssueIn, request)
        if data["priority"] and who == "remote":
            # Priority is granted by someone in the hall: the kiosk's button or staff.
            raise PriorityNotAllowed()
        service = service_of(office, data["service"])
        # The number before the key's transaction, which would otherwise hold the
        # day's sequence row to its end (services.ticket_prepare). A retry racing
        # its first request then leaves one number unused.
        prepared = services.ticket_prepare(office=office, service=service, priority=data["priority"])
        ticket, replayed = idempotency.once(attempt, lambda: services.ticket_issue_prepared(prepared))
        return ticket_response(ticket, status.HTTP_200_OK if replayed else status.HTTP_201_CREATED)


class TicketViewSet(viewsets.ViewSet):
    """A ticket's transitions at a counter, cancelling it; an office's tickets of today. Staff only."""

    permission_classes = [IsAuthenticated]

    def get_ticket(self, pk: int, permission: type[BasePermission] = access.IsOperator) -> Ticket:
        ticket = Ticket.objects.select_related("office", "service", "counter").filter(pk=pk).first()
        if ticket is None:
            raise NotFound(TICKET_NOT_FOUND)
        require(permission, self.request, self, ticket)
        return ticket

    def at_counter(self, pk: int, serializer_class=ActionIn) -> tuple[Ticket, Counter | None, dict]:
        """The ticket, the counter the operator acts from (if given), and the validated body."""
        ticket = self.get_ticket(pk)
        data = validated(serializer_class, self.request)
        counter = None
        if data.get("counter") is not None:
            counter = Counter.objects.filter(pk=data["counter"], office=ticket.office).first()
            if counter is None:
                raise NotFound(COUNTER_NOT_FOUND)
        return ticket, counter, data

    @extend_schema(request=ActionIn, responses=TicketOut, summary="Повторный вызов")
    @action(detail=True, methods=["post"])
    def recall(self, request, pk: int):
        ticket, counter, _ = self.at_counter(pk)
        return ticket_response(services.ticket_recall(ticket=ticket, operator=request.user, counter=counter))

    @extend_schema(request=ActionIn, responses=TicketOut, summary="Начать обслуживание")
    @action(detail=True, methods=["post"])
    def start(self, request, pk: int):
        ticket, counter, _ = self.at_counter(pk)
        return ticket_response(services.ticket_start(ticket=ticket, operator=request.user, counter=counter))

    @extend_schema(
        request=FinishIn,
        responses=TicketOut,
        summary="Завершить обслуживание (с темами обращения); с call_next — и вызвать следующего",
        description="С call_next: true в ответе есть next — вызванный следующий талон, или null, если очередь пуста.",
    )
    @action(detail=True, methods=["post"])
    def finish(self, request, pk: int):
        ticket, counter, data = self.at_counter(pk, FinishIn)
        done = {"ticket": ticket, "operator": request.user, "outcomes": data["outcomes"], "note": data["note"]}
        if not data["call_next"]:
            return ticket_response(services.ticket_finish(**done, counter=counter))
        finished, called = services.ticket_finish_and_call_next(**done, counter=counter)
        return Response({**TicketOut(finished).data, "next": TicketOut(called).data if called else None})

    @extend_schema(request=ActionIn, responses=TicketOut, summary="Клиент не явился")
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk: int):
        ticket, counter, _ = self.at_counter(pk)
        return ticket_response(services.ticket_no_show(ticket=ticket, operator=request.user, counter=counter))

    @extend_schema(
        request=PostponeIn, responses=TicketOut, summary="Отложить на N минут (или в конец очереди без minutes)"
    )
    @action(detail=True, methods=["post"])
    def postpone(self, request, pk: int):
        ticket, counter, data = self.at_counter(pk, PostponeIn)
        ticket = services.ticket_postpone(
            ticket=ticket, operator=request.user, minutes=data.get("minutes"), counter=counter
        )
        return ticket_response(ticket)

    @extend_schema(
        request=TransferIn, responses=TicketOut, summary="Перенаправить талон: на услугу, в окно или оператору"
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk: int):
        ticket, counter, data = self.at_counter(pk, TransferIn)
        to_counter = to_operator = None
        if data.get("to_counter") is not None:
            to_counter = Counter.objects.filter(pk=data["to_counter"]).first()
            if to_counter is None:
                raise InvalidTransfer(InvalidTransfer.UNKNOWN_COUNTER)
        if data.get("to_operator") is not None:
            to_operator = get_user_model().objects.filter(pk=data["to_operator"]).first()
            if to_operator is None:
                raise InvalidTransfer(InvalidTransfer.UNKNOWN_OPERATOR)
        ticket = services.ticket_transfer(
            ticket=ticket,
            service=service_of(ticket.office, data["service"]) if data.get("service") else None,
            to_counter=to_counter,
            to_operator=to_operator,
            note=data["note"],
            to_front=data["position"] == "front",
            operator=request.user,
            counter=counter,
        )
        return ticket_response(ticket)

    @extend_schema(responses=TicketOut(many=True), summary="Талоны офиса за сегодня")
    def today(self, request, code: str):
        """Today's waiting and active tickets in call order, for the office's staff."""
        office = office_or_404(code)
        access.require_staff(request.user, office)
        now = timezone.now()
        day = office.local_date(now)
        tickets = (
            (Ticket.objects.waiting_on(office, day) | Ticket.objects.filter(office=office, local_date=day).active())
            .select_related("service", "counter", "office")
            .in_call_order(now)
        )
        queue = selectors.office_queue(office, day=day)
        queue.read_averages(list(queue.by_service))  # one query, not one per service
        return Response(TicketOut(tickets, many=True, context={"queue": queue}).data)

    @extend_schema(request=None, responses=TicketOut, summary="Отменить ожидающий талон")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk: int):
        ticket = self.get_ticket(pk, access.IsStaff)
        return ticket_response(services.ticket_cancel(ticket=ticket, operator=request.user))


def tracking_response(ticket: Ticket) -> Response:
    data = {**selectors.tracking_status(ticket), "office": ticket.office.name, "issued_at": ticket.issued_at}
    return Response(TrackingOut(data).data)


class TicketTrack(APIView):
    """A client's ticket by its token: public, no sign-in; the token is the secret."""

    def get_ticket(self, token: str) -> Ticket:
        ticket = Ticket.objects.select_related("office", "service", "counter").filter(token=token).first()
        if ticket is None:
            raise NotFound(TICKET_NOT_FOUND)
        return ticket

    @extend_schema(responses=TrackingOut, summary="Отслеживание талона по токену")
    def get(self, request, token: str):
        return tracking_response(self.get_ticket(token))

    @extend_schema(
        request=None,
        responses={200: TrackingOut},
        summary="Отказаться от талона (клиент)",
        description="Освобождает место в очереди. Только для ожидающего талона: иначе 409 с кодом not_waiting.",
    )
    def delete(self, request, token: str):
        throttle = throttles.CancelPerClient()
        if not throttles.allow(throttle, request, self):
            error = Throttled(detail=MESSAGES["throttled"])
            error.wait = throttle.wait() or 60  # becomes Retry-After
            raise error
        return tracking_response(services.ticket_cancel(ticket=self.get_ticket(token)))


class CounterViewSet(viewsets.ViewSet):
    """A counter: its state and current ticket, opening and closing it, calling the next client."""

    permission_classes = [IsAuthenticated]

    def get_counter(self, pk: int, permission: type[BasePermission]) -> Counter:
        counter = Counter.objects.select_related("office").filter(pk=pk).first()
        if counter is None:
            raise NotFound(COUNTER_NOT_FOUND)
        require(permission, self.request, self, counter)
        return counter

    @extend_schema(responses=CounterOut, summary="Окно")
    def retrieve(self, request, pk: int):
        return Response(CounterOut(self.get_counter(pk, access.IsStaff), context={"request": request}).data)

    @extend_schema(
        responses=OpenApiResponse(description="Очередь окна, отложенные талоны, варианты перенаправления"),
        summary="Рабочее место оператора: очередь и отложенные",
    )
    @action(detail=True)
    def workplace(self, request, pk: int):
        counter = self.get_counter(pk, access.IsOperator)
        return Response(selectors.counter_workplace(counter, request.user))

    @extend_schema(
        request=CallChosenIn,
        responses={200: TicketOut},
        summary="Вызвать выбранного клиента вне очереди (из списка или из отложенных)",
    )
    @action(detail=True, methods=["post"])
    def call(self, request, pk: int):
        counter = self.get_counter(pk, access.IsOperator)
        data = validated(CallChosenIn, request)
        ticket = Ticket.objects.filter(pk=data["ticket"]).first()
        if ticket is None:
            raise NotFound(TICKET_NOT_FOUND)
        return ticket_response(services.ticket_call_chosen(counter=counter, ticket=ticket, operator=request.user))

    @extend_schema(
        request=None,
        responses={200: TicketOut, 204: OpenApiResponse(description="Очередь пуста")},
        summary="Вызвать следующего клиента",
    )
    @action(detail=True, methods=["post"], url_path="call-next")
    def call_next(self, request, pk: int):
        counter = self.get_counter(pk, access.IsOperator)
        ticket = services.ticket_call_next(counter=counter, operator=request.user)
        if ticket is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return ticket_response(ticket)

    @extend_schema(request=CounterStateIn, responses=CounterOut, summary="Открыть, закрыть окно или перерыв")
    @action(detail=True, methods=["post"])
    def state(self, request, pk: int):
        counter = self.get_counter(pk, access.IsStaff)
        data = validated(CounterStateIn, request)
        if data["state"] == Counter.State.OPEN:
            # Opening stays with the operators: a manager closes or pauses a counter, never opens it.
            require(access.IsOperator, request, self, counter)
        if data["state"] == Counter.State.OPEN and data["close_others"]:
            counter = services.counter_open_alone(counter=counter, user=request.user)
        else:
            counter = services.counter_set_state(
                counter=counter, state=data["state"], user=request.user, reason=data["reason"]
            )
        return Response(CounterOut(counter, context={"request": request}).data)

    @extend_schema(
        request=CounterRemoteIn, responses=CounterOut, summary="Руководитель: закрыть окно или отправить на перерыв"
    )
    @action(detail=True, methods=["post"])
    def remote(self, request, pk: int):
        counter = self.get_counter(pk, access.IsManager)
        data = validated(CounterRemoteIn, request)
        counter = services.counter_remote_set_state(
            counter=counter, state=data["state"], manager=request.user, reason=data["reason"]
        )
        return Response(CounterOut(counter, context={"request": request}).data)


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
            raise AuthenticationFailed(BAD_CREDENTIALS)
        return Response({"token": tokens.token_for(user).key})

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Токен отозван")})
    def delete(self, request):
        """Revoke the token this request was made with (sign out of the API)."""
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
