"""The booking API: public slots, booking, viewing and cancelling by token; check-in at a kiosk or by staff.

Views validate, call one service and serialize; errors are raised and the one
exception handler (queue_system/errors.py) answers them.
"""

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from offices import kiosks
from tickets import idempotency
from tickets.api import idempotency_header, office_or_404, service_of, validated
from tickets.errors import KioskRequired

from . import services
from .errors import BookingNotFound
from .models import Booking
from .serializers import BookingIn, BookingOut, CheckInIn, CheckInOut, SlotsIn, SlotsOut


def client_address(request) -> str:
    """The client's address by DRF's NUM_PROXIES rule, the one the remote-ticket limits use."""
    return BaseThrottle().get_ident(request) or ""


def booking_response(booking: Booking, code: int = status.HTTP_200_OK) -> Response:
    return Response(BookingOut(booking, context={"now": timezone.now()}).data, status=code)


class Slots(APIView):
    @extend_schema(
        parameters=[SlotsIn],
        responses=SlotsOut,
        summary="Слоты предварительной записи на дату",
        description="Все слоты даты в часах записи, кроме уже начавшихся. В праздник: пустой список и "
        '"closed": "holiday". Дата вне сегодня … сегодня+days_ahead: 400 slot_unavailable.',
    )
    def get(self, request, code: str):
        office = office_or_404(code)
        data = SlotsIn(data=request.query_params)
        data.is_valid(raise_exception=True)
        service = service_of(office, data.validated_data["service"])
        return Response(SlotsOut(services.day_slots(service=service, day=data.validated_data["date"])).data)


class Bookings(APIView):
    @extend_schema(
        request=BookingIn,
        responses={201: BookingOut},
        summary="Записаться на время",
        description="start — начало одного из слотов (любое смещение UTC). Имя и телефон необязательны; "
        "с ними обязательно согласие (consent). Отказы: slot_unavailable, slot_full, booking_limit, invalid.",
    )
    def post(self, request, code: str):
        office = office_or_404(code)
        data = validated(BookingIn, request)
        booking = services.booking_create(
            office=office,
            service=service_of(office, data["service"]),
            start=data["start"],
            name=data["name"],
            phone=data["phone"],
            consent=data["consent"],
            address=client_address(request),
        )
        return booking_response(booking, status.HTTP_201_CREATED)


class BookingByToken(APIView):
    """A client's booking by its token: public, no sign-in; the token is the secret."""

    def get_booking(self, token: str) -> Booking:
        booking = Booking.objects.select_related("office", "service", "ticket").filter(token=token).first()
        if booking is None:
            raise BookingNotFound(BookingNotFound.BY_TOKEN)
        return booking

    @extend_schema(responses=BookingOut, summary="Запись по токену")
    def get(self, request, token: str):
        return booking_response(self.get_booking(token))

    @extend_schema(
        request=None,
        responses={200: BookingOut},
        summary="Отменить запись",
        description="Освобождает место. После получения талона или после визита: 409 not_cancellable.",
    )
    def delete(self, request, token: str):
        return booking_response(services.booking_cancel(booking=self.get_booking(token)))


class CheckIn(APIView):
    @extend_schema(
        request=CheckInIn,
        parameters=[idempotency_header],
        responses={
            201: CheckInOut,
            200: OpenApiResponse(CheckInOut, description="Повтор запроса с тем же Idempotency-Key: тот же талон"),
        },
        summary="Получить талон по записи (киоск или сотрудник)",
        description="Ответ — талон, как у POST …/tickets/, и запись. Отказы: booking_not_found, too_early "
        "(с opens_at), too_late, already_checked_in, wrong_office.",
    )
    def post(self, request, code: str):
        office = office_or_404(code)
        if kiosks.issuer(request, office) not in ("kiosk", "staff"):
            raise KioskRequired()
        data = validated(CheckInIn, request)
        # The kiosk's retry after a lost answer gets the same ticket back, as on POST …/tickets/.
        ticket, replayed = idempotency.once(
            idempotency.Attempt.of(request, data),
            lambda: services.booking_check_in(office=office, code=data["code"]).ticket,
        )
        return Response(CheckInOut(ticket).data, status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED)
