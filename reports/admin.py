"""Admin of the disclosure texts and of the imported channel data."""

from django.contrib import admin

from .models import Appeal, Call, ContactCount, Disclosure


@admin.register(Disclosure)
class DisclosureAdmin(admin.ModelAdmin):
    list_display = ["year", "company"]


@admin.register(ContactCount)
class ContactCountAdmin(admin.ModelAdmin):
    list_display = ["month", "channel", "count"]
    list_filter = ["channel"]
    date_hierarchy = "month"


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ["channel", "received_at", "answered_at", "month"]
    list_filter = ["channel"]
    date_hierarchy = "received_at"
    exclude = ["key"]


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["started_at", "answered_at", "ended_at", "wait_seconds", "talk_seconds"]
    date_hierarchy = "started_at"
    exclude = ["key"]
