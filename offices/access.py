"""Who may act where. One place for the office-membership rules."""

from django.db.models import QuerySet

from .models import Membership, Office


def operator_offices(user) -> QuerySet[Office]:
    if not user.is_authenticated:
        return Office.objects.none()
    if user.is_superuser:
        return Office.objects.all()
    return Office.objects.filter(memberships__user=user, memberships__role=Membership.Role.OPERATOR).distinct()


def manager_offices(user) -> QuerySet[Office]:
    if not user.is_authenticated:
        return Office.objects.none()
    if (
        user.is_superuser
        or Membership.objects.filter(user=user, role=Membership.Role.MANAGER, office__isnull=True).exists()
    ):
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
