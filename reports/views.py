"""The managers' report pages: the published tables, with charts and downloads."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from tickets.errors import InvalidDay, InvalidMonth, InvalidYear
from tickets.models import Ticket

from . import analytics, selectors
from .bookings import bookings_report
from .exports import LABELS
from .models import Disclosure
from .params import ReportScope, parse_day, parse_month, parse_year
from .satisfaction import satisfaction_report
from .selectors import sum_present
from .templatetags import report_format


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


def _tables(year: int, offices, company_wide: bool, through: int = 12) -> dict:
    times = selectors.service_times(year, offices, through=through)
    account = selectors.personal_account(year, through=through)
    calls = selectors.contact_center(year, through=through)
    return {
        "times": times,
        "time_halves": _halves(times["months"]),
        "channels": selectors.channels(year, offices, company_wide=company_wide),
        "account": account,
        "account_halves": _halves(account["months"]),
        "calls": calls,
    }


def _bad_year(request, error: InvalidYear | InvalidMonth | InvalidDay):
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
    try:
        month = parse_month(request.GET.get("month", ""))
        day = parse_day(request.GET.get("day", ""), year)
    except (InvalidMonth, InvalidDay) as error:
        return _bad_year(request, error)
    code = request.GET.get("office", "")
    scope = ReportScope.of(request.user, code, strict=False)
    office, company_wide = scope.office, scope.company_wide
    warning = "Этот офис вам недоступен или не существует, показаны все ваши офисы." if code and office is None else ""
    tables = _tables(year, scope.offices, company_wide)
    tables["topics"] = selectors.outcome_table(year, scope.offices)
    tables["load"] = _heat(analytics.load(year, scope.offices, month))
    tables["norm"] = analytics.norm(year, scope.offices)
    tables["operators"] = analytics.operators(year, scope.offices, day)
    tables["estimates"] = analytics.estimates(year, scope.offices)
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
    load_query = query + (f"&month={month}" if month else "")
    operators_query = query + (f"&day={day.isoformat()}" if day else "")
    return render(
        request,
        "reports/reports.html",
        {
            "year": year,
            "year_unfinished": finished_months(year, timezone.localdate()) < 12,
            "years": years,
            "office": office,
            "offices": scope.allowed,
            "company_wide": company_wide,
            "warning": warning,
            "query": query,
            "chart": chart,
            "labels": LABELS,
            "month_headers": list(zip(selectors.MONTHS, MONTHS_SHORT, strict=True)),
            "bookings": bookings_report(year, scope.offices),
            "satisfaction": satisfaction_report(year, scope.offices),
            "month": month,
            "load_month_name": selectors.MONTHS[month - 1].lower() if month else "",
            "day": day,
            "load_query": load_query,
            "operators_query": operators_query,
            "months": list(enumerate(selectors.MONTHS, start=1)),
            **tables,
        },
    )


def _heat(report: dict) -> dict:
    """The load table's cells with their colour level (0–4, by the share of the busiest cell's tickets)."""
    peak = report["peak"]
    for row in report["rows"]:
        for cell in row["hours"]:
            cell["level"] = min(4, -(-cell["issued"] * 4 // peak)) if peak else 0
    return report


def finished_months(year: int, today) -> int:
    """How many of the year's months are over: 12 for a past year, 0 for a future one."""
    if year < today.year:
        return 12
    return today.month - 1 if year == today.year else 0


def _note(previous_year: int, value, previous, fmt, compared: bool) -> str:
    """«2025: 0:04:00 −16,7 %» beside a value, or nothing where the two are not comparable."""
    if not compared:
        return ""
    return f"{previous_year}: {fmt(previous)} {report_format.change(value, previous)}".strip()


@login_required
def disclosure(request, year: int):
    """The yearly disclosure, compared with the year before.

    A year that is not over is preliminary: dated, and compared month by month only
    for the months that are over; its totals are compared over those same months of
    both years. Where the year before has no data at all, the comparison is left out.
    """
    try:
        year = parse_year(str(year), year)
    except InvalidYear as error:
        return _bad_year(request, error)
    scope = ReportScope.of(request.user)
    company_wide = scope.company_wide
    today = timezone.localdate()
    finished = finished_months(year, today)
    preliminary = finished < 12
    current = _tables(year, scope.offices, company_wide)
    if finished:
        previous = _tables(year - 1, scope.offices, company_wide, through=finished)
        # The totals to compare: this year's finished months against the same months a year before.
        span = current if not preliminary else _tables(year, scope.offices, company_wide, through=finished)
    else:
        previous = span = None
    prev_year = year - 1
    text = Disclosure.objects.filter(year=year).first() or Disclosure(year=year)

    def compared(table: str, presence) -> bool:
        return previous is not None and presence(previous[table]) is not None

    has = {
        "times": compared("times", lambda t: t["total"]["tickets"]),
        "account": compared("account", lambda t: t["total"]["appeals"]),
        "calls": compared("calls", lambda t: t["total"]["calls"]),
        "channels": compared("channels", lambda rows: sum_present(r["total"] for r in rows)),
    }
    span_label = ""
    if preliminary and finished:
        span_label = "январь" + (f"–{selectors.MONTHS[finished - 1].lower()}" if finished > 1 else "")

    def month_cells(table: str, key: str, fmt) -> list[dict]:
        cells = []
        for i, month in enumerate(current[table]["months"]):
            prev = previous[table]["months"][i][key] if previous else None
            cells.append(
                {
                    "name": month["month_name"],
                    "unfinished": preliminary and i == finished,
                    "value": fmt(month[key]),
                    "note": _note(prev_year, month[key], prev, fmt, has[table] and i < finished),
                }
            )
        return cells

    def total_cell(table: str, key: str, fmt) -> dict:
        value = current[table]["total"][key]
        cell = {"value": fmt(value), "note": ""}
        if has[table]:
            ours, theirs = span[table]["total"][key], previous[table]["total"][key]
            note = _note(prev_year, ours, theirs, fmt, True)
            cell["note"] = f"{span_label}: {fmt(ours)}; {note}" if preliminary else note
        return cell

    if preliminary and finished:
        compare_note = (
            f"Сравнение с {prev_year} годом — только за закончившиеся месяцы ({span_label}), "
            f"итоги сравниваются за те же месяцы обоих лет; «—» — данных нет."
        )
    elif preliminary:
        compare_note = f"Ни один месяц года ещё не закончился: сравнения с {prev_year} годом нет."
    elif all(has.values()):
        compare_note = f"Рядом с каждым значением — значение за {prev_year} год и изменение; «—» — данных нет."
    elif any(has.values()):
        compare_note = (
            f"Рядом со значением — значение за {prev_year} год и изменение там, где за {prev_year} год "
            f"есть данные; «—» — данных нет."
        )
    else:
        compare_note = f"За {prev_year} год данных нет, поэтому сравнения с ним нет; «—» — данных нет."
    hms, days, seconds = report_format.hms, report_format.days, report_format.seconds
    calls_wait = month_cells("calls", "avg_wait_seconds", seconds)
    calls_talk = month_cells("calls", "avg_talk_seconds", seconds)
    previous_channels = {row["key"]: row for row in previous["channels"]} if previous else {}
    channels = []
    for row in current["channels"]:
        ours = sum_present(row["months"][:finished])
        theirs = sum_present(previous_channels.get(row["key"], {"months": []})["months"][:finished])
        channels.append(
            {
                **row,
                "label": PUBLISHED_ROW_LABELS.get(row["key"], row["label"]),
                "span": ours,
                "previous": theirs,
                "change": report_format.change(ours, theirs),
            }
        )
    return render(
        request,
        "reports/disclosure.html",
        {
            "year": year,
            "previous_year": prev_year,
            "preliminary": preliminary,
            "today": today,
            "finished": finished,
            "span_label": span_label,
            "compare": has,
            "compare_note": compare_note,
            "text": text,
            "done": Disclosure.lines(text.measures_done),
            "planned": Disclosure.lines(text.measures_planned),
            "hours": Disclosure.lines(text.remote_hours),
            "company_wide": company_wide,
            "service_rows": _halves(month_cells("times", "avg_service_seconds", hms)),
            "service_total": total_cell("times", "avg_service_seconds", hms),
            "wait_rows": _halves(month_cells("times", "avg_wait_seconds", hms)),
            "wait_total": total_cell("times", "avg_wait_seconds", hms),
            "account_rows": _halves(month_cells("account", "avg_response_days", days)),
            "account_total": total_cell("account", "avg_response_days", days),
            "call_rows": _halves(list(zip(calls_wait, calls_talk, strict=True))),
            "calls_total": (
                total_cell("calls", "avg_wait_seconds", seconds),
                total_cell("calls", "avg_talk_seconds", seconds),
            ),
            "channels": channels,
            "months": selectors.MONTHS,
        },
    )
