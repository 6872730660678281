from django.contrib import admin
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


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "office", "code", "prefix", "channel", "active", "kiosk_order"]
    list_filter = ["office", "channel", "active"]


@admin.register(Counter)
class CounterAdmin(admin.ModelAdmin):
    list_display = ["number", "office", "state", "operator"]
    list_filter = ["office", "state"]
    filter_horizontal = ["services", "backup_services"]


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
