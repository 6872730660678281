"""Admin of the office configuration: offices with hours and services, counters, roles, kiosks."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.urls import reverse
from django.utils import timezone

from .models import Counter, KioskDevice, Membership, Office, OfficeHours, Service


class OfficeHoursInline(admin.TabularInline):
    model = OfficeHours
    extra = 0


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0
    fields = ["code", "name", "prefix", "channel", "active", "kiosk_order"]


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "timezone", "wait_norm_minutes", "stop_issuing_minutes"]
    search_fields = ["name", "code"]
    inlines = [OfficeHoursInline, ServiceInline]


class RetireInsteadOfDelete:
    """An object with history (tickets, ticket events) cannot be deleted: the
    delete page says so in Russian and offers the «deactivate» action instead."""

    delete_confirmation_template = "admin/retire_instead.html"
    delete_selected_confirmation_template = "admin/retire_selected_instead.html"


@admin.register(Service)
class ServiceAdmin(RetireInsteadOfDelete, admin.ModelAdmin):
    list_display = ["name", "office", "code", "prefix", "channel", "active", "kiosk_order"]
    list_filter = ["office", "channel", "active"]
    actions = ["deactivate"]

    @admin.action(description="Вывести из работы (скрыть с киосков)")
    def deactivate(self, request, queryset):
        queryset.update(active=False)


@admin.register(Counter)
class CounterAdmin(RetireInsteadOfDelete, admin.ModelAdmin):
    list_display = ["number", "office", "state", "operator", "active"]
    list_filter = ["office", "state", "active"]
    filter_horizontal = ["services", "backup_services"]
    actions = ["deactivate"]

    @admin.action(description="Вывести из работы (скрыть с экранов)")
    def deactivate(self, request, queryset):
        busy = queryset.filter(tickets__status__in=["called", "serving"]).distinct()
        for counter in busy:
            self.message_user(
                request,
                f"Окно {counter.number} сейчас обслуживает клиента: завершите обслуживание и повторите.",
                messages.WARNING,
            )
        retired = queryset.exclude(pk__in=busy).update(active=False, state=Counter.State.CLOSED, operator=None)
        if retired:
            self.message_user(request, f"Выведено из работы окон: {retired}. История обслуживания сохранена.")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffAdmin(RetireInsteadOfDelete, UserAdmin):
    actions = ["deactivate"]

    @admin.action(description="Отключить учётные записи (история сохраняется)")
    def deactivate(self, request, queryset):
        # save() per user, not update(): it revokes the API tokens (offices/tokens.py).
        for user in queryset:
            user.is_active = False
            user.save(update_fields=["is_active"])


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "office", "role"]
    list_filter = ["role", "office"]


@admin.register(KioskDevice)
class KioskDeviceAdmin(admin.ModelAdmin):
    list_display = ["name", "office", "paired_at", "revoked_at"]
    list_filter = ["office"]
    readonly_fields = ["pairing_link", "paired_at", "revoked_at", "created_at"]
    actions = ["revoke", "renew"]

    @admin.display(description="ссылка для подключения (одноразовая)")
    def pairing_link(self, device):
        if not device.pk or not device.pairing_code:
            return "—"
        if device.paired_at:
            return "использована"
        if timezone.now() >= device.pairing_expires_at():
            return "срок действия истёк: выдайте новую ссылку"
        return reverse("kiosk-pair", args=[device.pairing_code])

    @admin.action(description="Отозвать доступ выбранных киосков")
    def revoke(self, request, queryset):
        queryset.update(revoked_at=timezone.now())

    @admin.action(description="Выдать новую ссылку подключения")
    def renew(self, request, queryset):
        for device in queryset:
            device.renew()
