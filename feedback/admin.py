"""Ratings in the admin: read-only (they come from clients); a manager sees their offices' only."""

from django.contrib import admin

from offices import access

from .models import Feedback


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["ticket", "rating", "comment", "source", "created_at", "seen_at"]
    list_filter = ["rating", "source"]
    readonly_fields = ["ticket", "rating", "comment", "source", "created_at", "seen_at", "seen_by"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("ticket")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(ticket__office__in=access.manager_offices(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
