"""Who may act where: the one owner of the office-membership rules.

``can_*``/``is_*`` answer the question; ``require_*`` raise Django's
``PermissionDenied`` with the Russian refusal (a 403 page on the screens, the
standard JSON error on the API); the DRF permission classes apply the same
rules to an API object (an office, or anything with an ``office``). The
consumers use the same checks and send the same refusal texts.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from rest_framework.permissions import BasePermission

from .models import Membership, Office

NOT_OPERATOR = "Вы не работаете в окнах этого офиса."
NOT_STAFF = "Вы не работаете в этом офисе."
REPORTS_FOR_MANAGERS = "Отчёты доступны только руководителям."
MONITOR_FOR_MANAGERS = "Монитор доступен только руководителям."
NOT_MANAGER_OF_OFFICE = "Отчёты этого офиса вам недоступны."
NOT_MANAGER = "Управлять окнами этого офиса может только его руководитель."


def operator_offices(user) -> QuerySet[Office]:
    if not user.is_authenticated:
        return Office.objects.none()
    if user.is_superuser:
        return Office.objects.all()
    return Office.objects.filter(memberships__user=user, memberships__role=Membership.Role.OPERATOR).distinct()


def manager_offices(user) -> QuerySet[Office]:
    if not user.is_authenticated:
        return Office.objects.none()
    if is_company_wide(user):
        return Office.objects.all()
    return Office.objects.filter(memberships__user=user, memberships__role=Membership.Role.MANAGER).distinct()


def can_operate(user, office: Office) -> bool:
    return operator_offices(user).filter(pk=office.pk).exists()


def can_manage(user, office: Office) -> bool:
    return manager_offices(user).filter(pk=office.pk).exists()


def is_staff_of(user, office: Office) -> bool:
    return can_operate(user, office) or can_manage(user, office)


def is_company_wide(user) -> bool:
    """An admin or a manager without an office reads the whole company."""
    if not user.is_authenticated:
        return False
    return (
        user.is_superuser
        or Membership.objects.filter(user=user, role=Membership.Role.MANAGER, office__isnull=True).exists()
    )


def require_operator(user, office: Office) -> None:
    """Queue work at the office's counters: its operators and admins."""
    if not can_operate(user, office):
        raise PermissionDenied(NOT_OPERATOR)


def require_staff(user, office: Office) -> None:
    """Reading the office's queue, opening and closing counters, cancelling: any of its staff."""
    if not is_staff_of(user, office):
        raise PermissionDenied(NOT_STAFF)


def require_manager(user, office: Office | None = None, *, refusal: str = REPORTS_FOR_MANAGERS) -> QuerySet[Office]:
    """The offices the user manages (a manager of ``office``, when given); refused when none."""
    offices = manager_offices(user)
    if not offices.exists():
        raise PermissionDenied(refusal)
    if office is not None and not offices.filter(pk=office.pk).exists():
        raise PermissionDenied(NOT_MANAGER_OF_OFFICE)
    return offices


def require_office_manager(user, office: Office) -> None:
    """The monitor of one office and remote control of its counters: its managers, company-wide ones, admins."""
    if not can_manage(user, office):
        raise PermissionDenied(NOT_MANAGER)


def office_of(obj) -> Office:
    return obj if isinstance(obj, Office) else obj.office


class IsOperator(BasePermission):
    message = NOT_OPERATOR

    def has_object_permission(self, request, view, obj) -> bool:
        return can_operate(request.user, office_of(obj))


class IsStaff(BasePermission):
    message = NOT_STAFF

    def has_object_permission(self, request, view, obj) -> bool:
        return is_staff_of(request.user, office_of(obj))


class IsManager(BasePermission):
    message = NOT_MANAGER

    def has_object_permission(self, request, view, obj) -> bool:
        return can_manage(request.user, office_of(obj))
