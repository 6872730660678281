"""The feedback API: a client's rating from the phone or the counter's tablet, a manager marking a low one seen."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from offices import access, kiosks
from offices.models import Counter
from tickets import throttles as ticket_throttles
from tickets.errors import COUNTER_NOT_FOUND, MESSAGES, TICKET_NOT_FOUND
from tickets.models import Ticket

from . import services, throttles
from .errors import FEEDBACK_NOT_FOUND, NotOfficeManager, TabletNotPaired
from .models import MAX_COMMENT, MAX_RATING, MIN_RATING, Feedback

RATING_RANGE = f"Оценка — целое число от {MIN_RATING} до {MAX_RATING}."


class FeedbackIn(serializers.Serializer):
    rating = serializers.IntegerField(
        min_value=MIN_RATING,
        max_value=MAX_RATING,
        help_text="Оценка от 1 до 5",
        error_messages={
            "min_value": RATING_RANGE,
            "max_value": RATING_RANGE,
            "invalid": RATING_RANGE,
            "required": "Поставьте оценку от 1 до 5.",
            "null": RATING_RANGE,
            "max_string_length": RATING_RANGE,
        },
    )
    comment = serializers.CharField(
        max_length=MAX_COMMENT,
        required=False,
        default="",
        allow_blank=True,
        help_text="Комментарий, до 1000 символов",
        error_messages={"max_length": f"Комментарий — не длиннее {MAX_COMMENT} символов."},
    )


class TabletFeedbackIn(FeedbackIn):
    ticket = serializers.CharField(max_length=12, help_text="Номер талона, который только что обслужили в этом окне")


class FeedbackOut(serializers.ModelSerializer):
    class Meta:
        model = Feedback
        fields = ["id", "rating", "comment", "created_at"]


def validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class TicketFeedback(APIView):
    """A client's rating of a finished visit, by the ticket's token: public, no sign-in."""

    @extend_schema(
        request=FeedbackIn,
        responses={201: FeedbackOut},
        summary="Оценить обслуживание (клиент)",
        description=(
            "Только для обслуженного талона (иначе 409 not_finished), один раз (409 already_rated), "
            "в течение 24 часов после обслуживания (410 feedback_closed). Оценка вне 1–5 или комментарий "
            "длиннее 1000 символов — 400 invalid."
        ),
    )
    def post(self, request, token: str):
        throttle = throttles.FeedbackPerClient()
        if not ticket_throttles.allow(throttle, request, self):
            error = Throttled(detail=MESSAGES["throttled"])
            error.wait = throttle.wait() or 60  # becomes Retry-After
            raise error
        ticket = Ticket.objects.filter(token=token).first()
        if ticket is None:
            raise NotFound(TICKET_NOT_FOUND)
        data = validated(FeedbackIn, request)
        feedback = services.feedback_create(ticket=ticket, rating=data["rating"], comment=data["comment"])
        return Response(FeedbackOut(feedback).data, status=status.HTTP_201_CREATED)


class CounterFeedback(APIView):
    """The rating from a counter's tablet, for the ticket just finished there: only that counter's paired tablet."""

    @extend_schema(
        request=TabletFeedbackIn,
        responses={201: FeedbackOut},
        summary="Оценить обслуживание (планшет у окна)",
        description="Для талона, обслуженного в этом окне за последнюю минуту; 403 tablet_not_paired без планшета.",
    )
    def post(self, request, pk: int):
        counter = Counter.objects.select_related("office").filter(pk=pk).first()
        if counter is None:
            raise NotFound(COUNTER_NOT_FOUND)
        device = kiosks.device_of(request)
        if device is None or device.counter_id != counter.pk:
            raise TabletNotPaired()
        data = validated(TabletFeedbackIn, request)
        ticket = services.ticket_for_tablet(counter=counter, number=data["ticket"])
        if ticket is None:
            raise NotFound(TICKET_NOT_FOUND)
        feedback = services.feedback_create(
            ticket=ticket, rating=data["rating"], comment=data["comment"], source=Feedback.Source.TABLET
        )
        return Response(FeedbackOut(feedback).data, status=status.HTTP_201_CREATED)


class FeedbackSeen(APIView):
    """A manager of the ticket's office has read a rating: it leaves the monitor."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: OpenApiResponse(description='{"id", "seen_at"}')},
        summary="Руководитель: оценка просмотрена",
    )
    def post(self, request, pk: int):
        feedback = Feedback.objects.select_related("ticket__office").filter(pk=pk).first()
        if feedback is None:
            raise NotFound(FEEDBACK_NOT_FOUND)
        if not access.can_manage(request.user, feedback.ticket.office):
            if not access.is_staff_of(request.user, feedback.ticket.office):
                # Another office's ratings do not exist for this user.
                raise NotFound(FEEDBACK_NOT_FOUND)
            raise NotOfficeManager()
        feedback = services.feedback_mark_seen(feedback=feedback, manager=request.user)
        return Response({"id": feedback.pk, "seen_at": feedback.seen_at})
