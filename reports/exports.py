"""The report tables as XLSX workbooks and CSV files, laid out like the published ones.

Column labels carry their unit, and the report page uses the same labels
(``LABELS``), so a time column reads «(ч:мм:сс)» wherever it appears.

Missing is not zero: an absent value (None from the selectors) is written as
«—», in CSV and in XLSX alike. In XLSX it is a text cell on purpose: SUM,
AVERAGE and COUNT skip text just as they skip a blank, but a formula that
does arithmetic with it fails with #VALUE! instead of taking an empty cell
for 0, and the sheet reads like the page. Cells that are empty by layout (the
«Итого» row of the half-year tables) stay empty (``BLANK``).
"""

import csv
import io
from copy import copy
from dataclasses import dataclass
from datetime import timedelta

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from .selectors import MONTHS

HMS, COUNT, DAYS, SHARE, TEXT = "hms", "count", "days", "share", "text"
FORMATS = {HMS: "h:mm:ss", COUNT: "#,##0", DAYS: "0.00", SHARE: "0.0%"}
ABSENT = "—"
BLANK = object()  # a cell empty by layout, not a missing value

LABELS = {
    "wait": "Среднее время ожидания в очереди (ч:мм:сс)",
    "service": "Среднее время очного обслуживания (ч:мм:сс)",
    "account": "Среднее время ожидания ответа в ЛК (дней)",
    "detail_wait": "Ожидание (ч:мм:сс)",
    "detail_service": "Обслуживание (ч:мм:сс)",
    "over_norm": "Дольше нормы (%)",
    "account_detail": "Среднее время ответа (дней)",
    "call_wait": "Среднее время ожидания ответа (ч:мм:сс)",
    "call_talk": "Среднее время разговора (ч:мм:сс)",
}


@dataclass
class Table:
    title: str
    columns: list[str]
    kinds: list[str]
    rows: list[list]


def _cell_text(value, kind: str) -> str:
    if value is None:
        return ABSENT
    if value is BLANK:
        return ""
    if kind == HMS:
        hours, rest = divmod(int(value), 3600)
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
    if kind == DAYS:
        return f"{value:.2f}".replace(".", ",")
    if kind == SHARE:
        return f"{value * 100:.1f}".replace(".", ",") + "%"
    return str(value)


def to_csv(tables: list[Table]) -> bytes:
    """Semicolon-separated UTF-8 with a BOM: what Excel in a Russian locale opens as is."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.columns)
        for row in table.rows:
            writer.writerow([_cell_text(v, k) for v, k in zip(row, table.kinds, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


THIN = Side(style="thin", color="999999")
BORDER = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
BOLD = Font(bold=True)
CENTERED = Alignment(horizontal="center")


def to_xlsx(tables: list[Table], sheet_title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title[:31]
    row_index = 1
    widths: dict[int, int] = {}
    looks: dict[tuple, object] = {}  # (number format, absent, total row) → the style of such a cell
    for table in tables:
        sheet.cell(row=row_index, column=1, value=table.title).font = Font(bold=True, size=12)
        sheet.cell(row=row_index, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(start_row=row_index, start_column=1, end_row=row_index, end_column=len(table.columns))
        sheet.row_dimensions[row_index].height = 32
        row_index += 1
        for col, name in enumerate(table.columns, start=1):
            cell = sheet.cell(row=row_index, column=col, value=name)
            cell.font = BOLD
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
            cell.border = BORDER
            widths[col] = max(widths.get(col, 10), min(len(name), 28))
        row_index += 1
        for row in table.rows:
            for col, (value, kind) in enumerate(zip(row, table.kinds, strict=True), start=1):
                if value is None:
                    value, kind = ABSENT, TEXT
                elif value is BLANK:
                    value = None
                elif kind == HMS:
                    value = timedelta(seconds=int(value))
                cell = sheet.cell(row=row_index, column=col, value=value)
                look = (FORMATS.get(kind), value == ABSENT, bool(row) and row[0] == "Итого")
                if look in looks:
                    # A copy of the same style's indexes: openpyxl hashes a style object on
                    # every assignment, which was most of a large export's time.
                    cell._style = copy(looks[look])
                    continue
                cell.border = BORDER
                if look[0]:
                    cell.number_format = look[0]
                elif look[1]:
                    cell.alignment = CENTERED
                if look[2]:
                    cell.font = BOLD
                looks[look] = copy(cell._style)
            row_index += 1
        row_index += 1
    for col, width in widths.items():
        sheet.column_dimensions[get_column_letter(col)].width = width + 4
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def half_years(title: str, label: str, months: list, total, kind: str) -> Table:
    """The published layout: January–June beside July–December, the total below."""
    rows = [[MONTHS[i], months[i], MONTHS[i + 6], months[i + 6]] for i in range(6)]
    rows.append(["Итого", BLANK, BLANK, total])
    return Table(title, ["Месяц", label, "Месяц", label], [TEXT, kind, TEXT, kind], rows)


def service_times_tables(report: dict) -> list[Table]:
    months, total = report["months"], report["total"]
    return [
        half_years(
            "Среднее за календарный месяц время ожидания потребителей (покупателей) в очереди до начала очного "
            "обслуживания работником Центра обслуживания клиентов",
            LABELS["wait"],
            [m["avg_wait_seconds"] for m in months],
            total["avg_wait_seconds"],
            HMS,
        ),
        half_years(
            "Среднее за календарный месяц время очного обслуживания потребителей (покупателей) работником "
            "Центра обслуживания клиентов",
            LABELS["service"],
            [m["avg_service_seconds"] for m in months],
            total["avg_service_seconds"],
            HMS,
        ),
        Table(
            "Подробно по месяцам",
            [
                "Месяц",
                "Обслужено",
                "Не явились",
                "Отменены",
                "Истекли",
                LABELS["detail_wait"],
                LABELS["detail_service"],
                LABELS["over_norm"],
            ],
            [TEXT, COUNT, COUNT, COUNT, COUNT, HMS, HMS, SHARE],
            [
                [
                    m["month_name"],
                    m["tickets"],
                    m["no_show"],
                    m["cancelled"],
                    m["expired"],
                    m["avg_wait_seconds"],
                    m["avg_service_seconds"],
                    m["over_norm_share"],
                ]
                for m in [*months, total]
            ],  # fmt: skip
        ),
    ]


def channels_tables(report: dict) -> list[Table]:
    return [
        Table(
            f"Количество обращений в разрезе каналов обслуживания за {report['year']} год",
            ["Канал обращения", *MONTHS, "Итого"],
            [TEXT] + [COUNT] * 13,
            [[row["label"], *row["months"], row["total"]] for row in report["rows"]],
        )
    ]


def personal_account_tables(report: dict) -> list[Table]:
    months = report["months"]
    return [
        half_years(
            "Среднее за календарный месяц время ожидания потребителей (покупателей) ответа в Личном кабинете",
            LABELS["account"],
            [m["avg_response_days"] for m in months],
            report["total"]["avg_response_days"],
            DAYS,
        ),
        Table(
            "Обращения по месяцам",
            ["Месяц", "Обращений", "С ответом", LABELS["account_detail"]],
            [TEXT, COUNT, COUNT, DAYS],
            [
                [m["month_name"], m["appeals"], m["answered"], m["avg_response_days"]]
                for m in [*months, report["total"]]
            ],
        ),
    ]


def contact_center_tables(report: dict) -> list[Table]:
    rows = [*report["months"], report["total"]]
    return [
        Table(
            "Среднее за календарный месяц время ожидания в очереди до ответа оператора и время обслуживания "
            "Контакт-центра",
            [
                "Месяц",
                "Звонков",
                "Принято",
                "Потеряно",
                LABELS["call_wait"],
                LABELS["call_talk"],
            ],
            [TEXT, COUNT, COUNT, COUNT, HMS, HMS],
            [
                [
                    r["month_name"],
                    r["calls"],
                    r["answered"],
                    r["abandoned"],
                    r["avg_wait_seconds"],
                    r["avg_talk_seconds"],
                ]
                for r in rows
            ],
        )
    ]


def bookings_tables(report: dict) -> list[Table]:
    columns = [
        "Месяц", "Офис", "Услуга", "Записано", "Отменено", "Пришли", "Не пришли",
        "Ожидание по записи (ч:мм:сс)", "Ожидание без записи (ч:мм:сс)", "По записи ждали дольше 5 мин (%)",
    ]  # fmt: skip
    kinds = [TEXT, TEXT, TEXT, COUNT, COUNT, COUNT, COUNT, HMS, HMS, SHARE]

    def line(row: dict, month: str, office: str, service: str) -> list:
        return [
            month, office, service, row["booked"], row["cancelled"], row["checked_in"], row["no_show"],
            row["avg_wait_booked_seconds"], row["avg_wait_walk_in_seconds"], row["booked_over_5_min_share"],
        ]  # fmt: skip

    rows = [line(r, r["month_name"], r["office_name"], r["service_name"]) for r in report["rows"]]
    if report["total"]:
        rows.append(line(report["total"], "Итого", "", ""))
    return [Table(f"Предварительная запись, {report['year']}", columns, kinds, rows)]


def outcomes_tables(report: dict) -> list[Table]:
    return [
        Table(
            f"Обращения по тематикам за {report['year']} год",
            ["Месяц", "Офис", "Услуга", "Тема обращения", "Обращений", "Доля"],
            [TEXT, TEXT, TEXT, TEXT, COUNT, SHARE],
            [[r["month"], r["office"], r["service_name"], r["name"], r["count"], r["share"]] for r in report["rows"]],
        )
    ]


SATISFACTION_COLUMNS = ["Обслужено", "Оценок", "Средняя оценка", "CSAT (4–5)", "Доля оценивших"]
SATISFACTION_KINDS = [COUNT, COUNT, DAYS, SHARE, SHARE]


def _satisfaction_cells(row: dict) -> list:
    return [row["done"], row["ratings"], row["average"], row["csat"], row["response_rate"]]


def satisfaction_tables(report: dict) -> list[Table]:
    by_service = [
        [r["month_name"], r["office_name"], r["service_name"], *_satisfaction_cells(r)] for r in report["rows"]
    ]
    if report["total"]:
        by_service.append(["Итого", "", "", *_satisfaction_cells(report["total"])])
    by_operator = [
        [r["month_name"], r["office_name"], r["operator_name"], *_satisfaction_cells(r)] for r in report["operators"]
    ]
    return [
        Table(
            f"Удовлетворённость клиентов по услугам, {report['year']}",
            ["Месяц", "Офис", "Услуга", *SATISFACTION_COLUMNS],
            [TEXT, TEXT, TEXT, *SATISFACTION_KINDS],
            by_service,
        ),
        Table(
            f"Удовлетворённость клиентов по операторам, {report['year']}",
            ["Месяц", "Офис", "Оператор", *SATISFACTION_COLUMNS],
            [TEXT, TEXT, TEXT, *SATISFACTION_KINDS],
            by_operator,
        ),
    ]


def load_tables(report: dict) -> list[Table]:
    hours = report["hours"]
    span = f"{report['year']} год" if not report["month"] else f"{MONTHS[report['month'] - 1].lower()} {report['year']}"
    heads = [f"{h:02d}:00" for h in hours]
    return [
        Table(
            f"Выдано талонов по дням недели и часам, {span}",
            ["День недели", *heads],
            [TEXT] + [COUNT] * len(hours),
            [[r["weekday_name"], *(c["issued"] for c in r["hours"])] for r in report["rows"]],
        ),
        Table(
            f"Среднее время ожидания по дням недели и часам выдачи (ч:мм:сс), {span}",
            ["День недели", *heads],
            [TEXT] + [HMS] * len(hours),
            [[r["weekday_name"], *(c["avg_wait_seconds"] for c in r["hours"])] for r in report["rows"]],
        ),
        Table(
            "Самые загруженные часы",
            ["Часы", "Выдано талонов"],
            [TEXT, COUNT],
            [[b["label"], b["issued"]] for b in report["busiest"]],
        ),
    ]


def norm_tables(report: dict) -> list[Table]:
    return [
        Table(
            f"Соблюдение норматива ожидания за {report['year']} год",
            [
                "Месяц", "Офис", "Услуга", "Норматив (мин)", "Обслужено", "В пределах норматива",
                "В пределах норматива (%)", "В пределах двух нормативов", "В пределах двух нормативов (%)",
                "Дольше норматива",
            ],
            [TEXT, TEXT, TEXT, COUNT, COUNT, COUNT, SHARE, COUNT, SHARE, COUNT],
            [
                [
                    r["month"], r["office_name"], r["service_name"], r["norm_minutes"], r["done"], r["within_norm"],
                    r["within_norm_share"], r["within_double_norm"], r["within_double_norm_share"], r["over_norm"],
                ]
                for r in report["rows"]
            ],
        )
    ]  # fmt: skip


def operators_tables(report: dict) -> list[Table]:
    reasons = sorted({b["reason"] for r in report["rows"] for b in r["breaks"]})
    when = f"за {report['day']}" if report.get("day") else f"по месяцам {report['year']} года"
    columns = [
        "Период", "Оператор", "Обслужено", "Среднее обслуживание (ч:мм:сс)", "Дольше предела обслуживания (%)",
        "Не явились", "Перенаправил", "Окно открыто (ч:мм:сс)", "Обслуживание (ч:мм:сс)", "Загрузка (%)",
    ]  # fmt: skip
    kinds = [TEXT, TEXT, COUNT, HMS, SHARE, COUNT, COUNT, HMS, HMS, SHARE]
    for reason in reasons:
        columns += [f"Перерыв «{reason}»: раз", f"Перерыв «{reason}» (ч:мм:сс)"]
        kinds += [COUNT, HMS]
    rows = []
    for r in report["rows"]:
        breaks = {b["reason"]: b for b in r["breaks"]}
        line = [
            r["period"], r["operator"], r["served"], r["avg_service_seconds"], r["over_limit_share"], r["no_show"],
            r["transfers"], r["open_seconds"], r["serving_seconds"], r["utilisation"],
        ]  # fmt: skip
        for reason in reasons:
            b = breaks.get(reason)
            line += [b["count"], b["seconds"]] if b else [0, 0]
        rows.append(line)
    return [Table(f"Показатели операторов {when}", columns, kinds, rows)]


def estimates_tables(report: dict) -> list[Table]:
    return [
        Table(
            f"Точность обещанного времени ожидания за {report['year']} год",
            [
                "Месяц", "Офис", "Талонов с прогнозом", "Средняя ошибка (ч:мм:сс)", "В пределах ±5 мин (%)",
                "Смещение: обещано − факт (с)",
            ],
            [TEXT, TEXT, COUNT, HMS, SHARE, COUNT],
            [
                [r["month"], r["office_name"], r["promised"], r["mean_abs_error_seconds"], r["within_5_min_share"],
                 r["bias_seconds"]]
                for r in report["rows"]
            ],
        )
    ]  # fmt: skip
