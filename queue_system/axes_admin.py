"""django-axes' admin with Russian columns and titles (registered by queue_system.apps.AxesConfig).

Axes names its objects in English f-strings («Access Log for …»), which the
admin shows as the change page's title and last breadcrumb; these admins give
them a Russian title instead.
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.utils import timezone


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M:%S") if moment else "—"


class RussianTitle:
    change_form_template = "admin/axes/change_form.html"

    def title_of(self, obj) -> str:
        return f"{obj.username or '—'}, {obj.ip_address or '—'}, {_when(obj.attempt_time)}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None:
            extra_context = {**(extra_context or {}), "subtitle": self.title_of(obj)}
        return super().change_view(request, object_id, form_url, extra_context)


class AccessAttemptRussianAdmin(RussianTitle, AccessAttemptAdmin):
    @admin.display(description="состояние")
    def status(self, obj):
        return super().status(obj)

    @admin.display(description="действует до")
    def expiration(self, obj):
        return super().expiration(obj)


class AccessLogRussianAdmin(RussianTitle, AccessLogAdmin):
    pass


class AccessFailureLogRussianAdmin(RussianTitle, AccessFailureLogAdmin):
    pass


def register(site: admin.AdminSite) -> None:
    for model, model_admin in (
        (AccessAttempt, AccessAttemptRussianAdmin),
        (AccessLog, AccessLogRussianAdmin),
        (AccessFailureLog, AccessFailureLogRussianAdmin),
    ):
        # Registered only when axes registers its own (AXES_ENABLE_ADMIN).
        if site.is_registered(model):
            site.unregister(model)
            site.register(model, model_admin)
