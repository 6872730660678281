"""The office, service and counter admins, extended here so that what they change reaches the screens.

offices/ cannot know about screens or services.py (it is the lowest layer), so
the hooks live in displays: after a save commits, the office's displays and
operator screens get a fresh snapshot (its live state is outdated), and a
change of hours, ticker, services or counters shows without a reload. The
counter's retirement goes through ``tickets.services.counter_retire``, which
logs and announces it like any change of a counter.
"""

from functools import partial

from django.contrib import admin, messages

from offices.admin import CounterAdmin, OfficeAdmin, ServiceAdmin
from offices.models import Counter, Office, Service
from tickets import dispatch, services
from tickets.errors import CounterBusy

from . import snapshots

admin.site.unregister(Office)
admin.site.unregister(Service)
admin.site.unregister(Counter)


def push_after_commit(office_ids) -> None:
    """One fresh snapshot per office, after the admin's transaction commits, in order behind its other announcements."""
    for office_id in sorted(set(office_ids)):
        dispatch.after_commit(partial(snapshots.push_office, office_id))


@admin.register(Office)
class OfficeWithScreensAdmin(OfficeAdmin):
    def save_related(self, request, form, formsets, change):
        # After the inlines (hours, services, counters) are saved, not after the office alone.
        super().save_related(request, form, formsets, change)
        push_after_commit([form.instance.pk])


@admin.register(Service)
class ServiceWithScreensAdmin(ServiceAdmin):
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        push_after_commit([form.instance.office_id])

    @admin.action(description="Вывести из работы (скрыть с киосков)")
    def deactivate(self, request, queryset):
        offices = list(queryset.values_list("office_id", flat=True))
        queryset.update(active=False)
        push_after_commit(offices)


@admin.register(Counter)
class CounterWithScreensAdmin(CounterAdmin):
    actions = ["deactivate"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        push_after_commit([form.instance.office_id])

    @admin.action(description="Вывести из работы (скрыть с экранов)")
    def deactivate(self, request, queryset):
        retired = []
        for counter in queryset.filter(active=True).select_related("office"):
            try:
                services.counter_retire(counter=counter, user=request.user)
            except CounterBusy:
                self.message_user(
                    request,
                    f"Окно {counter.number} сейчас обслуживает клиента: завершите обслуживание и повторите.",
                    messages.WARNING,
                )
                continue
            retired.append(counter)
        push_after_commit(c.office_id for c in retired)
        if retired:
            self.message_user(request, f"Выведено из работы окон: {len(retired)}. История обслуживания сохранена.")
