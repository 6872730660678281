from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from tickets import selectors

from .models import Counter, Office, Service


def office_or_404(code: str) -> Office:
    office = Office.objects.filter(code=code).prefetch_related("hours").first()
    if office is None:
        raise NotFound("Офис не найден.")
    return office


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
        return ServiceOut(office.services.filter(active=True), many=True).data

    def get_hours(self, office) -> dict[str, str]:
        return office.hours_as_dict()

    def get_open_now(self, office) -> bool:
        return office.is_open()

    def get_issuing_now(self, office) -> bool:
        return office.is_issuing()


class OfficeList(APIView):
    @extend_schema(responses=OfficeOut(many=True), summary="Офисы с услугами, окнами и часами работы")
    def get(self, request):
        offices = Office.objects.prefetch_related(
            "hours", "services", "counters__services", "counters__backup_services"
        )
        return Response(OfficeOut(offices, many=True).data)


class OfficeDetail(APIView):
    @extend_schema(responses=OfficeOut, summary="Офис")
    def get(self, request, code: str):
        return Response(OfficeOut(office_or_404(code)).data)


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
    services = QueueServiceOut(many=True)
    active = QueueActiveOut(many=True)


class OfficeQueue(APIView):
    @extend_schema(responses=QueueOut, summary="Очередь офиса сейчас")
    def get(self, request, code: str):
        return Response(QueueOut(selectors.queue_summary(office_or_404(code))).data)
