"""Admin-only webhook subscriptions: list (never the secret), create, delete."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import EVENT_TYPES, Subscription
from .services import subscription_delete

WEBHOOK_NOT_FOUND = "Подписка не найдена."


class IsSuperuser(BasePermission):
    # Subscriptions send data out of the product: an administrator's decision, not a manager's.
    message = "Подписки на события настраивает только администратор."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_superuser)


class WebhookIn(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    secret = serializers.CharField(min_length=16, max_length=200, help_text="Ключ подписи HMAC-SHA256 (≥ 16 символов)")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(EVENT_TYPES)), min_length=1, max_length=len(EVENT_TYPES)
    )
    personal_data = serializers.BooleanField(default=False, help_text="Передавать имена, телефоны, заметки")

    def validate_url(self, url: str) -> str:
        if not url.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Нужен адрес http:// или https://.")
        return url


class WebhookOut(serializers.ModelSerializer):
    class Meta:
        model = Subscription
        fields = ["id", "url", "events", "personal_data", "active", "created_at"]


class Webhooks(APIView):
    permission_classes = [IsAuthenticated, IsSuperuser]

    @extend_schema(responses=WebhookOut(many=True), summary="Подписки на события (без секретов)")
    def get(self, request):
        return Response(WebhookOut(Subscription.objects.all(), many=True).data)

    @extend_schema(request=WebhookIn, responses={201: WebhookOut}, summary="Подписаться на события")
    def post(self, request):
        incoming = WebhookIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        subscription = Subscription.objects.create(
            url=data["url"],
            secret=data["secret"],
            events=list(dict.fromkeys(data["events"])),
            personal_data=data["personal_data"],
        )
        return Response(WebhookOut(subscription).data, status=status.HTTP_201_CREATED)


class Webhook(APIView):
    permission_classes = [IsAuthenticated, IsSuperuser]

    @extend_schema(responses={204: None}, summary="Удалить подписку (неотправленные события удаляются с ней)")
    def delete(self, request, pk: int):
        if not subscription_delete(pk=pk):
            raise NotFound(WEBHOOK_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)
