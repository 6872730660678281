from django.contrib import admin

from .models import Counter, Membership, Office, OfficeHours, Service


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
