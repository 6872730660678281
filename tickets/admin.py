"""Admin of tickets with their read-only event log."""

from django.contrib import admin

from .models import Ticket, TicketEvent


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    readonly_fields = ["type", "at", "counter", "operator", "data"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["number", "office", "service", "status", "issued_at", "counter", "wait_seconds", "service_seconds"]
    list_filter = ["office", "status", "service__channel", "local_date"]
    search_fields = ["number", "token"]
    date_hierarchy = "issued_at"
    inlines = [TicketEventInline]
    # History is evidence for the published reports: it is read-only here.
    readonly_fields = [f.name for f in Ticket._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
