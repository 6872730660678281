"""The managers' report pages: the published tables, with charts and downloads."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from tickets.errors import InvalidYear
from tickets.models import Ticket

from . import selectors
from .exports import LABELS
from .models import Disclosure
from .params import ReportScope, parse_year


def _years() -> list[int]:
    first = Ticket.objects.order_by("local_date").values_list("local_date", flat=True).first()
    current = timezone.localdate().year
    start = first.year if first else current
    return list(range(current, start - 1, -1))


# The month headers of the wide channel table, short enough for 14 columns at 1366 px.
MONTHS_SHORT = ["Янв.", "Февр.", "Март", "Апр.", "Май", "Июнь", "Июль", "Авг.", "Сент.", "Окт.", "Нояб.", "Дек."]
IN_PERSON_CHART = ("individuals", "legal_entities", "cashier")
# The published document's own row label, kept on the disclosure page as printed there.
PUBLISHED_ROW_LABELS = {"contact_center": "Контакт - центр"}


def _halves(months: list) -> list[tuple]:
    return [(months[i], months[i + 6]) for i in range(6)]


def _tables(year: int, offices, company_wide: bool) -> dict:
    times = selectors.service_times(year, offices)
    account = selectors.personal_account(year)
    calls = selectors.contact_center(year)
    return {
        "times": times,
        "time_halves": _halves(times["months"]),
        "channels": selectors.channels(year, offices, company_wide=company_wide),
        "account": account,
        "account_halves": _halves(account["months"]),
        "calls": calls,
    }


def _bad_year(request, error: InvalidYear):
    return render(request, "400.html", {"message": error.message}, status=400)


@login_required
def reports(request):
    years = _years()
    try:
        year = parse_year(request.GET.get("year", ""), years[0])
    except InvalidYear as error:
        return _bad_year(request, error)
    if year not in years:
        # A year without tickets (a link to 2024): the picker keeps it, so «Показать» does not switch years.
        years = sorted({*years, year}, reverse=True)
    code = request.GET.get("office", "")
    scope = ReportScope.of(request.user, code, strict=False)
    office, company_wide = scope.office, scope.company_wide
    warning = "Этот офис вам недоступен или не существует, показаны все ваши офисы." if code and office is None else ""
    tables = _tables(year, scope.offices, company_wide)
    tables["topics"] = selectors.outcome_table(year, scope.offices)
    chart = {
        "months": selectors.MONTHS,
        "wait": [m["avg_wait_seconds"] for m in tables["times"]["months"]],
        "service": [m["avg_service_seconds"] for m in tables["times"]["months"]],
        # In-person and remote channels in two charts: the remote ones are far larger
        # and, stacked together, would hide the in-person rows.
        "inPerson": [
            {"label": r["label"], "months": r["months"]} for r in tables["channels"] if r["key"] in IN_PERSON_CHART
        ],
        "remote": [
            {"label": r["label"], "months": r["months"]}
            for r in tables["channels"]
            if r["key"] not in IN_PERSON_CHART and r["key"] not in ("in_person", "remote", "total")
        ],
        "account": [m["avg_response_days"] for m in tables["account"]["months"]],
        "callWait": [m["avg_wait_seconds"] for m in tables["calls"]["months"]],
        "callTalk": [m["avg_talk_seconds"] for m in tables["calls"]["months"]],
    }
    query = f"year={year}" + (f"&office={office.code}" if office else "")
    return render(
        request,
        "reports/reports.html",
        {
            "year": year,
            "years": years,
            "office": office,
            "offices": scope.allowed,
            "company_wide": company_wide,
            "warning": warning,
            "query": query,
            "chart": chart,
            "labels": LABELS,
            "month_headers": list(zip(selectors.MONTHS, MONTHS_SHORT, strict=True)),
            **tables,
        },
    )


@login_required
def disclosure(request, year: int):
    try:
        year = parse_year(str(year), year)
    except InvalidYear as error:
        return _bad_year(request, error)
    scope = ReportScope.of(request.user)
    company_wide = scope.company_wide
    current = _tables(year, scope.offices, company_wide)
    previous = _tables(year - 1, scope.offices, company_wide)
    text = Disclosure.objects.filter(year=year).first() or Disclosure(year=year)
    previous_channels = {row["key"]: row for row in previous["channels"]}
    return render(
        request,
        "reports/disclosure.html",
        {
            "year": year,
            "previous_year": year - 1,
            "text": text,
            "done": Disclosure.lines(text.measures_done),
            "planned": Disclosure.lines(text.measures_planned),
            "hours": Disclosure.lines(text.remote_hours),
            "company_wide": company_wide,
            "time_rows": _paired_halves(current["times"]["months"], previous["times"]["months"]),
            "times": current["times"],
            "prev_times": previous["times"],
            "account_rows": _paired_halves(current["account"]["months"], previous["account"]["months"]),
            "account": current["account"],
            "prev_account": previous["account"],
            "channels": [
                (
                    {**row, "label": PUBLISHED_ROW_LABELS.get(row["key"], row["label"])},
                    previous_channels.get(row["key"], {"total": None}),
                )
                for row in current["channels"]
            ],
            "call_rows": _paired_halves(current["calls"]["months"], previous["calls"]["months"]),
            "calls_total": (current["calls"]["total"], previous["calls"]["total"]),
            "months": selectors.MONTHS,
        },
    )


def _paired_halves(months: list, previous: list) -> list[tuple]:
    """Each month beside last year's, in the two half-year columns."""
    return _halves(list(zip(months, previous, strict=True)))
