"""The staff group of office managers in the admin, and who gets admin access.

A manager (``Membership`` with role manager) who should set up their offices in
the admin gets ``is_staff`` and this group. The group's permissions are the
whole list below and nothing else; the admin (offices/admin.py) then limits
every list, form and choice to the offices the manager manages
(``offices.access.manager_offices``). A company-wide manager manages every
office; only a superuser edits users with admin access, groups and offices'
creation.

The group is kept in step after every ``migrate`` (``OfficesConfig.ready``
connects ``ensure_manager_group`` to ``post_migrate``): permissions only exist
once their app is migrated, so a data migration could not grant them on a
fresh database.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

MANAGER_GROUP = "Руководители ЦОК"

# (app label, model, actions). Apps are named by label, not imported: reports
# sits above offices, and only its disclosure texts are the managers' to edit.
MANAGER_PERMISSIONS = [
    ("offices", "office", ["view", "change"]),
    ("offices", "officehours", ["view", "add", "change", "delete"]),
    ("offices", "service", ["view", "add", "change", "delete"]),
    ("offices", "counter", ["view", "add", "change", "delete"]),
    ("offices", "kioskdevice", ["view", "add", "change", "delete"]),
    ("offices", "membership", ["view", "add", "change", "delete"]),
    # Operators' accounts of the manager's offices only (see StaffAdmin).
    ("auth", "user", ["view", "add", "change"]),
    ("reports", "disclosure", ["view", "add", "change"]),
    # Clients' ratings of their offices, read-only (see feedback/admin.py).
    ("feedback", "feedback", ["view"]),
]


def manager_permissions(using: str = "default"):
    wanted = Q(pk__in=[])
    for app_label, model, actions in MANAGER_PERMISSIONS:
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    return Permission.objects.using(using).filter(wanted)


def ensure_manager_group(using: str = "default") -> Group:
    """Create the group, or bring its permissions back to exactly the list. Idempotent."""
    group, _ = Group.objects.using(using).get_or_create(name=MANAGER_GROUP)
    group.permissions.set(manager_permissions(using))
    return group


def grant_manager_admin(user) -> None:
    """Let a manager sign in to the admin with the managers' permissions (never superuser)."""
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(ensure_manager_group())


def after_migrate(sender, using="default", **kwargs) -> None:
    # Sent once per migrated app; the permissions of the later apps appear as
    # their own signals arrive, and the last call sees them all.
    ensure_manager_group(using)
