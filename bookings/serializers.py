"""Input and output of the booking API. The personal data goes out only with the booking's own token."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.serializers import TicketOut

from .errors import CONSENT_REQUIRED
from .models import Booking


class NoSurrogates(serializers.CharField):
    """Text without lone surrogates: DRF's error would echo one and break the JSON renderer."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise serializers.ValidationError("Недопустимые символы.") from None
        return value


class SlotsIn(serializers.Serializer):
    service = NoSurrogates(max_length=50)
    date = serializers.DateField(help_text="ГГГГ-ММ-ДД, местная дата офиса")


class SlotOut(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    free = serializers.IntegerField(help_text="свободных мест (0, если мест нет)")
    available = serializers.BooleanField(help_text="можно записаться: есть места и запись ещё не закрыта")


class SlotsOut(serializers.Serializer):
    date = serializers.DateField()
    service = serializers.CharField()
    closed = serializers.CharField(required=False, help_text="holiday: нерабочий день")
    slots = SlotOut(many=True)


class BookingIn(serializers.Serializer):
    service = NoSurrogates(max_length=50)
    start = serializers.DateTimeField(help_text="начало слота, момент времени с любым смещением UTC")
    name = NoSurrogates(max_length=100, required=False, default="", allow_blank=True)
    phone = serializers.RegexField(
        r"^\+?[0-9 ()\-]{5,20}$",
        max_length=20,
        required=False,
        default="",
        allow_blank=True,
        error_messages={"invalid": "Укажите номер телефона цифрами, например +7 900 123-45-67."},
    )
    consent = serializers.BooleanField(
        default=False, help_text="согласие на обработку персональных данных (обязательно с именем или телефоном)"
    )

    def validate(self, data):
        if (data["name"].strip() or data["phone"].strip()) and not data["consent"]:
            raise serializers.ValidationError({"consent": [CONSENT_REQUIRED]})
        return data


class CheckInIn(serializers.Serializer):
    code = serializers.RegexField(
        r"^[0-9]{6}$", error_messages={"invalid": "Код записи — шесть цифр."}, help_text="шестизначный код записи"
    )


class BookingOut(serializers.ModelSerializer):
    """A booking as its token's holder sees it."""

    office = serializers.CharField(source="office.code")
    office_name = serializers.CharField(source="office.name")
    service = serializers.CharField(source="service.code")
    service_name = serializers.CharField(source="service.name")
    status = serializers.SerializerMethodField()
    status_label = serializers.SerializerMethodField()
    ticket = serializers.SerializerMethodField(help_text="талон, полученный по записи")

    class Meta:
        model = Booking
        fields = [
            "code",
            "token",
            "office",
            "office_name",
            "service",
            "service_name",
            "start",
            "end",
            "status",
            "status_label",
            "name",
            "phone",
            "ticket",
        ]

    def _status(self, booking) -> str:
        return booking.status_at(self.context["now"])

    def get_status(self, booking) -> str:
        return self._status(booking)

    def get_status_label(self, booking) -> str:
        return Booking.Status(self._status(booking)).label

    def get_ticket(self, booking) -> dict | None:
        if booking.ticket is None:
            return None
        return {"number": booking.ticket.number, "token": booking.ticket.token}


class CheckInBookingOut(serializers.Serializer):
    """The booking beside the check-in's ticket: no personal data (the kiosk is in a public hall)."""

    code = serializers.CharField()
    service = serializers.CharField(source="service.code")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class CheckInOut(TicketOut):
    booking = serializers.SerializerMethodField(help_text="запись, по которой выдан талон")

    class Meta(TicketOut.Meta):
        fields = TicketOut.Meta.fields + ["booking"]

    @extend_schema_field(CheckInBookingOut)
    def get_booking(self, ticket) -> dict:
        return CheckInBookingOut(ticket.booking).data
