"""The parameters of every report, parsed once for the API and the pages alike.

A bad year is a 400 ``invalid_year`` on both (the pages show it as a Russian
400 page), checked before who may read what, so it is never a 403.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.http import Http404

from offices import access
from offices.models import Office
from tickets.errors import MAX_YEAR, MIN_YEAR, OFFICE_NOT_FOUND, InvalidDay, InvalidMonth, InvalidYear

YEAR_FORMAT = re.compile(r"[0-9]{4}")  # ASCII digits only: str.isdigit() accepts «٢٠٢٤»
MONTH_FORMAT = re.compile(r"[0-9]{1,2}")
DAY_FORMAT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_month(raw: str) -> int | None:
    """A month of the report year (1–12), or None for the whole year."""
    if raw == "":
        return None
    if not MONTH_FORMAT.fullmatch(raw) or not 1 <= int(raw) <= 12:
        raise InvalidMonth()
    return int(raw)


def parse_day(raw: str, year: int) -> date | None:
    """A day of the report year (ГГГГ-ММ-ДД), or None."""
    if raw == "":
        return None
    try:
        day = date.fromisoformat(raw) if DAY_FORMAT.fullmatch(raw) else None
    except ValueError:
        day = None
    if day is None or day.year != year:
        raise InvalidDay()
    return day


def parse_year(raw: str, default: int) -> int:
    """The report year from a query parameter or a path; ``default`` when it is empty."""
    if raw == "":
        return default
    if not YEAR_FORMAT.fullmatch(raw) or not MIN_YEAR <= int(raw) <= MAX_YEAR:
        raise InvalidYear()
    return int(raw)


@dataclass(frozen=True)
class ReportScope:
    """Which offices a report covers for this user.

    ``offices`` is None for the whole company (an admin or a company-wide
    manager without an office chosen); ``allowed`` is every office the user
    manages, for the page's office picker.
    """

    office: Office | None
    offices: QuerySet | None
    company_wide: bool
    allowed: QuerySet

    @classmethod
    def of(cls, user, code: str = "", *, strict: bool = True) -> "ReportScope":
        """Refuses a non-manager. An unknown or foreign office is a 404/403 when ``strict`` (the API);
        the pages fall back to all the user's offices instead (``office`` None)."""
        allowed = access.require_manager(user)
        code = code[:50]
        office = None
        if code and strict:
            office = Office.objects.filter(code=code).first()
            if office is None:
                raise Http404(OFFICE_NOT_FOUND)
            access.require_manager(user, office)
        elif code:
            office = allowed.filter(code=code).first()
        if office is not None:
            return cls(office, Office.objects.filter(pk=office.pk), False, allowed)
        company_wide = access.is_company_wide(user)
        return cls(None, None if company_wide else allowed, company_wide, allowed)
