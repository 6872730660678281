"""Admin of the office configuration: offices with hours, services and counters, staff, kiosks.

A superuser sees everything. A manager with admin access (offices/groups.py:
``is_staff`` and the «Руководители ЦОК» group) sees and edits only the offices
they manage and what belongs to them: every queryset, every office choice and
every service choice below is limited to ``access.manager_offices``, and an
object of another office answers 404, as if it did not exist.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from . import access
from .admin_forms import CounterForm, OfficeForm, OfficeHoursForm
from .groups import MANAGER_GROUP, grant_manager_admin
from .models import WEEKDAY_NAMES, Counter, KioskDevice, Membership, Office, OfficeHours, Service

NO_ADMIN_ACCESS = (
    "У этой учётной записи нет доступа к администрированию. "
    "Операторы работают на странице оператора; доступ руководителю даёт администратор."
)


class AdminSignInForm(AdminAuthenticationForm):
    """Tells a right password of an account without admin access apart from a wrong password."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": "Неверное имя пользователя или пароль. Оба поля чувствительны к регистру.",
        "no_admin_access": NO_ADMIN_ACCESS,
    }

    def confirm_login_allowed(self, user):
        super(AdminAuthenticationForm, self).confirm_login_allowed(user)  # an inactive account
        if not user.is_staff:
            # Said only to whoever knows the password, so it reveals nothing new.
            raise ValidationError(self.error_messages["no_admin_access"], code="no_admin_access")


admin.site.login_form = AdminSignInForm


class OfficeScopedAdmin:
    """A manager's admin: only objects of the offices they manage, and only those offices to choose."""

    office_lookup = "office"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        # One row per object (an office, or a foreign key to one): no distinct(), which delete() refuses.
        return queryset.filter(**{f"{self.office_lookup}__in": access.manager_offices(request.user)})

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and not request.user.is_superuser:
            # Not the admin's usual redirect to the index: another office's object does not exist here.
            raise Http404("Нет такого объекта в ваших офисах.")
        return obj

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        # The office filter offered every office's name; it offers only the manager's own.
        return [("office", admin.RelatedOnlyFieldListFilter) if f == "office" else f for f in filters]

    def get_list_display(self, request):
        columns = super().get_list_display(request)
        if request.user.is_superuser or len(access.manager_offices(request.user)[:2]) > 1:
            return columns
        # A manager of one office: the same office on every row only pushed the table past 1366 px.
        return [c for c in columns if c != "office"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Office and not request.user.is_superuser:
            offices = access.manager_offices(request.user)
            kwargs["queryset"] = offices
            if len(offices[:2]) == 1:
                kwargs["initial"] = offices[0]  # a manager of one office: already chosen
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.related_model is Service and not request.user.is_superuser:
            kwargs["queryset"] = Service.objects.filter(office__in=access.manager_offices(request.user))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class OfficeHoursInline(admin.TabularInline):
    model = OfficeHours
    form = OfficeHoursForm
    extra = 0
    fields = ["weekday", "opens", "closes", "all_day"]
    verbose_name = "день"
    verbose_name_plural = "часы работы (местное время офиса)"


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0
    fields = ["code", "name", "prefix", "channel", "group", "description", "kiosk_order", "active"]
    classes = ["services-inline"]


class CounterInline(admin.TabularInline):
    model = Counter
    form = CounterForm
    extra = 0
    fields = ["number", "services", "backup_services", "active"]
    classes = ["counters-inline"]
    verbose_name_plural = "окна (услуги выбираются из сохранённых услуг офиса)"

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # Only this office's services; a new office has none saved yet.
        services = Service.objects.filter(office=obj) if obj is not None and obj.pk else Service.objects.none()
        for name in ("services", "backup_services"):
            field = formset.form.base_fields[name]
            field.queryset = services
            field.widget = forms.CheckboxSelectMultiple(choices=field.choices)
            field.help_text = ""
        return formset


def hours_summary(office: Office) -> str:
    """«Пн–Пт 08:00–17:00, Сб 09:00–14:00»; all-day days as «круглосуточно»."""
    texts = {h.weekday: "круглосуточно" if h.all_day else h.as_text().replace("-", "–") for h in office.hours.all()}
    parts, day = [], 0
    while day < 7:
        if day not in texts:
            day += 1
            continue
        end = day
        while end + 1 < 7 and texts.get(end + 1) == texts[day]:
            end += 1
        days = WEEKDAY_NAMES[day] if end == day else f"{WEEKDAY_NAMES[day]}–{WEEKDAY_NAMES[end]}"
        parts.append(f"{days} {texts[day]}")
        day = end + 1
    return ", ".join(parts) or "закрыт"


@admin.register(Office)
class OfficeAdmin(OfficeScopedAdmin, admin.ModelAdmin):
    form = OfficeForm
    office_lookup = "pk"
    list_display = ["name", "code", "hours", "timezone", "wait_norm", "stop_issuing"]
    search_fields = ["name", "code"]
    inlines = [OfficeHoursInline, ServiceInline, CounterInline]
    fieldsets = [
        (None, {"fields": ["name", "code", "address", "timezone"]}),
        (
            "Выдача талонов",
            {
                "fields": [
                    "kiosk_open",
                    "remote_tickets",
                    "issue_without_counter",
                    "stop_issuing_minutes",
                    "wait_norm_minutes",
                ]
            },
        ),
        ("Прогноз загрузки и штат", {"fields": ["forecast_target_percent"]}),
        ("Табло в зале", {"fields": ["ticker_text", "display_chime", "display_voice"]}),
        ("Предварительная запись", {"fields": ["booking_prefix", "closed_dates"]}),
        (
            "Рабочее место оператора",
            {"fields": ["call_chosen", "break_reasons", "break_limit_minutes", "service_limit_minutes"]},
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("hours")

    def get_readonly_fields(self, request, obj=None):
        # The code is in the addresses of the office's kiosks and displays; an
        # open kiosk and remote tickets switch off pairing or the kiosk-only rule,
        # the office's protection against ticket flooding.
        return [] if request.user.is_superuser else ["code", "kiosk_open", "remote_tickets"]

    @admin.display(description="часы работы")
    def hours(self, office):
        return hours_summary(office)

    @admin.display(description="норматив ожидания", ordering="wait_norm_minutes")
    def wait_norm(self, office):
        return f"{office.wait_norm_minutes} мин"

    @admin.display(description="конец выдачи талонов", ordering="stop_issuing_minutes")
    def stop_issuing(self, office):
        return f"за {office.stop_issuing_minutes} мин до закрытия" if office.stop_issuing_minutes else "до закрытия"


class RetireInsteadOfDelete:
    """An object with history (tickets, ticket events) cannot be deleted: the
    delete page says so in Russian and offers the «deactivate» action instead."""

    delete_confirmation_template = "admin/retire_instead.html"
    delete_selected_confirmation_template = "admin/retire_selected_instead.html"


SERVICE_FIELDS = ["office", "code", "name", "prefix", "channel", "group", "description", "kiosk_order", "active"]


@admin.register(Service)
class ServiceAdmin(OfficeScopedAdmin, RetireInsteadOfDelete, admin.ModelAdmin):
    list_display = ["name", "office", "code", "prefix", "channel", "group", "active", "kiosk_order"]
    list_filter = ["office", "channel", "active"]
    fieldsets = [
        (None, {"fields": SERVICE_FIELDS}),
        ("Темы обращений", {"fields": ["outcomes", "outcomes_required"]}),
        (
            "Предварительная запись",
            {
                "fields": [
                    "booking_enabled",
                    "slot_minutes",
                    "per_slot",
                    "days_ahead",
                    "cutoff_minutes",
                    "booking_hours",
                ]
            },
        ),
    ]
    actions = ["deactivate"]

    @admin.action(description="Вывести из работы (скрыть с киосков)")
    def deactivate(self, request, queryset):
        queryset.update(active=False)


@admin.register(Counter)
class CounterAdmin(OfficeScopedAdmin, RetireInsteadOfDelete, admin.ModelAdmin):
    form = CounterForm
    list_display = ["number", "office", "state", "operator", "active"]
    list_filter = ["office", "state", "active"]
    filter_horizontal = ["services", "backup_services"]
    # The state changes at the operator's workplace, with its event log: shown here, not edited.
    readonly_fields = ["state", "break_reason", "operator", "state_changed_at"]
    # The «deactivate» action retires through tickets.services: displays/admin.py adds it (offices cannot import it).


User = get_user_model()
admin.site.unregister(User)


def operators_managed_by(user):
    """The accounts a manager may edit: operators of their offices, never staff, superusers or managers,
    nor an operator who also works in an office they do not manage: a new password for that account
    would let them work at the other office's counters."""
    offices = access.manager_offices(user)
    return (
        User.objects.filter(
            memberships__role=Membership.Role.OPERATOR,
            memberships__office__in=offices,
            is_staff=False,
            is_superuser=False,
        )
        .exclude(memberships__role=Membership.Role.MANAGER)
        .exclude(memberships__office__in=Office.objects.exclude(pk__in=offices))
        .distinct()
    )


class OperatorCreationForm(AdminUserCreationForm):
    """A manager's new account is an operator of one of their offices, with no admin access."""

    office = forms.ModelChoiceField(
        label="Офис",
        queryset=Office.objects.none(),
        help_text="Новый сотрудник станет оператором этого офиса, без доступа к администрированию.",
    )

    # Set per request on a subclass (see StaffAdmin.get_form): the manager's offices.
    offices = Office.objects.none()

    class Meta(AdminUserCreationForm.Meta):
        fields = ["username", "first_name", "last_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # self.fields is this form's own copy; the class's field is shared by every request.
        self.fields["office"].queryset = self.offices
        if len(self.offices[:2]) == 1:
            self.fields["office"].initial = self.offices[0]


@admin.register(User)
class StaffAdmin(RetireInsteadOfDelete, UserAdmin):
    actions = ["deactivate", "grant_manager_admin"]
    manager_fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Сотрудник", {"fields": ["first_name", "last_name", "is_active"]}),
    ]
    manager_add_fieldsets = [
        (None, {"fields": ["username", "first_name", "last_name", "office", "password1", "password2"]}),
    ]

    def get_queryset(self, request):
        if request.user.is_superuser:
            return super().get_queryset(request)
        return operators_managed_by(request.user)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and not request.user.is_superuser:
            raise Http404("Нет такого сотрудника в ваших офисах.")
        return obj

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        # No staff, superuser, group or permission fields: a manager cannot grant access.
        return self.manager_add_fieldsets if obj is None else self.manager_fieldsets

    def get_form(self, request, obj=None, **kwargs):
        if obj is None and not request.user.is_superuser:
            offices = access.manager_offices(request.user)
            kwargs["form"] = type("OperatorCreationForm", (OperatorCreationForm,), {"offices": offices})
        return super().get_form(request, obj, **kwargs)

    def get_list_filter(self, request):
        return super().get_list_filter(request) if request.user.is_superuser else ["is_active"]

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.is_staff = obj.is_superuser = False
        super().save_model(request, obj, form, change)
        if not change and "office" in form.cleaned_data:
            Membership.objects.get_or_create(
                user=obj, office=form.cleaned_data["office"], role=Membership.Role.OPERATOR
            )

    def has_superuser_permission(self, request) -> bool:
        return request.user.is_superuser

    @admin.action(description="Дать руководителям доступ к настройке своих офисов", permissions=["superuser"])
    def grant_manager_admin(self, request, queryset):
        managers = queryset.filter(memberships__role=Membership.Role.MANAGER, is_superuser=False).distinct()
        for user in managers:
            grant_manager_admin(user)
        self.message_user(
            request,
            f"Доступ к администрированию (группа «{MANAGER_GROUP}») получили руководителей: {len(managers)}. "
            "Без роли руководителя в офисе доступ не даётся.",
        )

    @admin.action(description="Отключить учётные записи (история сохраняется)")
    def deactivate(self, request, queryset):
        # save() per user, not update(): it revokes the API tokens (offices/tokens.py).
        for user in queryset:
            user.is_active = False
            user.save(update_fields=["is_active"])


@admin.register(Membership)
class MembershipAdmin(OfficeScopedAdmin, admin.ModelAdmin):
    list_display = ["user", "office", "role"]
    list_filter = ["role", "office"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not request.user.is_superuser:
            # A manager adds operators to their own offices; managers are appointed by an administrator.
            form.base_fields["office"].required = True
            form.base_fields["office"].help_text = ""
            form.base_fields["role"].choices = [(Membership.Role.OPERATOR, Membership.Role.OPERATOR.label)]
            form.base_fields["user"].queryset = operators_managed_by(request.user)
        return form

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # Managers' own appointments are an administrator's to change.
        return queryset if request.user.is_superuser else queryset.filter(role=Membership.Role.OPERATOR)


@admin.register(KioskDevice)
class KioskDeviceAdmin(OfficeScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "office", "pairing_state", "paired_at", "revoked_at"]
    list_filter = ["office"]
    fields = [
        "office",
        "name",
        "counter",
        "pairing_state",
        "pairing_created_at",
        "paired_at",
        "revoked_at",
        "created_at",
    ]
    readonly_fields = ["pairing_state", "pairing_created_at", "paired_at", "revoked_at", "created_at"]
    change_form_template = "admin/offices/kioskdevice/change_form.html"
    actions = ["revoke", "renew"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "counter":
            counters = Counter.objects.filter(active=True).select_related("office")
            if not request.user.is_superuser:
                counters = counters.filter(office__in=access.manager_offices(request.user))
            kwargs["queryset"] = counters
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="ссылка для подключения")
    def pairing_state(self, device):
        if not device.pk or not device.pairing_code:
            return "—"
        if device.revoked_at:
            return "киоск отозван: выдайте новую ссылку"
        if device.paired_at:
            return "использована: киоск подключён"
        if timezone.now() >= device.pairing_expires_at():
            return "срок действия истёк: выдайте новую ссылку"
        return format_html(
            "действует до {}", timezone.localtime(device.pairing_expires_at()).strftime("%d.%m.%Y %H:%M")
        )

    def pairing_url(self, request, device) -> str | None:
        """The one-time link while it can still be used, absolute as the admin reached the site."""
        if device.pairing_code and not device.paired_at and not device.revoked_at:
            if timezone.now() < device.pairing_expires_at():
                return request.build_absolute_uri(reverse("kiosk-pair", args=[device.pairing_code]))
        return None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        device = self.get_object(request, object_id)
        url = self.pairing_url(request, device) if device is not None else None
        extra_context = {**(extra_context or {}), "pairing_url": url, "pairing_qr": url and pairing_qr_svg(url)}
        return super().change_view(request, object_id, form_url, extra_context)

    def response_add(self, request, obj, post_url_continue=None):
        # Straight to the page with the link and its QR code: that is what the new kiosk needs.
        self.message_user(request, f"Киоск «{obj.name}» добавлен. Откройте ссылку на киоске или отсканируйте QR-код.")
        return HttpResponseRedirect(reverse("admin:offices_kioskdevice_change", args=[obj.pk]))

    @admin.action(description="Отозвать доступ выбранных киосков")
    def revoke(self, request, queryset):
        queryset.update(revoked_at=timezone.now())

    @admin.action(description="Выдать новую ссылку подключения")
    def renew(self, request, queryset):
        devices = list(queryset)
        for device in devices:
            device.renew()
        if len(devices) == 1:
            # From the kiosk's own page: back to it, where the new link and QR code are.
            return HttpResponseRedirect(reverse("admin:offices_kioskdevice_change", args=[devices[0].pk]))
        return None


def pairing_qr_svg(url: str) -> str:
    import segno

    # Inline SVG: no extra request, and the page's CSP allows it (no script, no style attribute).
    return mark_safe(segno.make(url, error="m").svg_inline(scale=5, border=2, title="QR-код ссылки подключения"))
