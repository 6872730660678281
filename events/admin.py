"""Subscriptions (the secret is written, never shown) and the deliveries, with «Повторить» for dead ones."""

from django import forms
from django.contrib import admin, messages

from .models import EVENT_TYPES, Attempt, Delivery, Subscription
from .services import channel_label, delivery_retry, subscription_delete


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label="адрес", max_length=500, assume_scheme="https")
    secret = forms.CharField(
        label="секрет",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Подписывает каждое событие (HMAC-SHA256). Не показывается; оставьте пустым, чтобы не менять.",
    )
    events = forms.MultipleChoiceField(
        label="события", choices=list(EVENT_TYPES.items()), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Subscription
        fields = ["url", "secret", "events", "personal_data", "active"]

    def clean_secret(self):
        secret = self.cleaned_data["secret"]
        if not secret:
            if not self.instance.pk:
                raise forms.ValidationError("Задайте секрет.")
            return self.instance.secret
        return secret


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["url", "event_list", "personal_data", "active", "created_at"]

    @admin.display(description="события")
    def event_list(self, subscription):
        return ", ".join(subscription.events)

    # Through the service, which waits for the transitions and the worker writing
    # rows for the subscription: a plain delete races them and fails on a foreign key.
    def delete_model(self, request, subscription):
        subscription_delete(pk=subscription.pk)

    def delete_queryset(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            subscription_delete(pk=pk)


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "status_code", "duration_ms", "error"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event_type",
        "key",
        "receiver",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "subscription"]
    list_select_related = ["event", "subscription"]
    search_fields = ["key", "event__uid"]
    readonly_fields = [
        "event",
        "subscription",
        "channel",
        "key",
        "status",
        "attempts",
        "next_attempt_at",
        "retry_from",
        "delivered_at",
        "last_error",
    ]
    inlines = [AttemptInline]
    actions = ["retry"]

    @admin.display(description="событие")
    def event_type(self, delivery):
        return delivery.event.type

    @admin.display(description="получатель")
    def receiver(self, delivery):
        if delivery.subscription is not None:
            return delivery.subscription
        return f"Клиенту: {channel_label(delivery.channel)}"

    @admin.action(description="Повторить")
    def retry(self, request, queryset):
        dead = list(queryset.filter(status=Delivery.Status.DEAD))
        for delivery in dead:
            delivery_retry(delivery=delivery)
        self.message_user(request, f"Снова в очереди на отправку: {len(dead)}.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False
