"""The office admin, extended here so that saving an office refreshes its screens.

offices/ cannot know about screens (it is the lowest layer), so the hook lives
in displays: after the save commits, the office's displays and operator
screens get a fresh snapshot, and a change of hours, ticker or sound shows
without a reload.
"""

from django.contrib import admin
from django.db import transaction

from offices.admin import OfficeAdmin
from offices.models import Office

from . import snapshots

admin.site.unregister(Office)


@admin.register(Office)
class OfficeWithScreensAdmin(OfficeAdmin):
    def save_related(self, request, form, formsets, change):
        # After the inlines (hours) are saved, not after the office alone.
        super().save_related(request, form, formsets, change)
        office_id = form.instance.pk
        transaction.on_commit(lambda: snapshots.push_office(office_id))
