"""Units and absent values: the report page, its CSV/XLSX exports and the disclosure page."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook

from offices.models import Membership
from reports.models import Call, ContactCount
from tests.helpers import make_user, token_client
from tickets import services as svc

HMS = re.compile(r"^\d+:\d\d:\d\d$")
UNIT = "(ч:мм:сс)"
ENDPOINTS = ["service-times", "channels", "personal-account", "contact-center"]

# The published document's own wording (../shared/seed), which the disclosure page keeps as printed,
# its inconsistencies included: one service column says «(мин.)», its twin says nothing.
PUBLISHED_HEADINGS = [
    "Перечень мероприятий, выполненных в {year} г. по повышению качества обслуживания клиентов:",
    "Перечень мероприятий, запланированных на {next} г. по повышению качества обслуживания клиентов:",
    "Среднее за календарный месяц время обслуживания потребителей (покупателей) в очереди до начала очного "
    "обслуживания работником Центра обслуживания клиентов",
    "Среднее за календарный месяц время ожидания потребителей (покупателей) в очереди до начала очного "
    "обслуживания работником Центра обслуживания клиентов",
    "Среднее за календарный месяц время ожидания потребителей (покупателей) ответа в Личном кабинете",
    "Количество обращений в АО «Белгородэнергосбыт» в разрезе каналов обслуживания за {year} год",
    "Среднее за календарный месяц время ожидания в очереди до ответа оператора и время обслуживания Контакт-центра",
    "Режим работы каналов заочного обслуживания в течение года",
]
PUBLISHED_COLUMNS = {
    "d-service": ["Месяц", "Среднее время очного обслуживания, (мин.)", "Месяц", "Среднее время очного обслуживания"],
    "d-wait": ["Месяц", "Среднее время ожидания в очереди, (мин.)"] * 2,
    "d-account": ["Месяц", "Среднее время ожидания ответа в ЛК*, (день)"] * 2,
}
PUBLISHED_CALL_COLUMNS = ["Среднее время ожидания (сек.)", "Среднее время разговора (сек.)"]
PUBLISHED_CHANNELS = [
    "Очное обслуживание", "ЦОК ФЛ", "ЦОК ЮЛ", "Касса", "Заочное обслуживание",
    "Контакт - центр", "Робот", "Личный кабинет", "Итого",
]  # fmt: skip


class Tables(HTMLParser):
    """The text of every table cell, by table id: {"id": {"head": [[...]], "body": [[...]]}}; and the h2 texts."""

    def __init__(self, html: str):
        super().__init__()
        self.tables, self.headings = {}, []
        self._table = self._part = self._row = self._cell = self._h2 = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id", f"t{len(self.tables)}"), {"head": [], "body": []})
        elif tag in ("thead", "tbody"):
            self._part = "head" if tag == "thead" else "body"
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table[self._part].append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "h2":
            self._h2 = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = self._row = None
        elif tag == "h2":
            self.headings.append(" ".join("".join(self._h2).split()))
            self._h2 = None

    def handle_data(self, data):
        for target in (self._cell, self._h2):
            if target is not None:
                target.append(data)


@pytest.fixture
def history(office, services, counters, operator):
    """2024 only: tickets and calls in March, one remote count; 2023 has nothing at all."""
    t = datetime(2024, 3, 5, 7, tzinfo=UTC)
    for i in range(2):
        ticket = svc.ticket_issue(office=office, service=services["fl"], now=t + timedelta(minutes=i))
        svc.ticket_call_next(counter=counters["1"], operator=operator, now=t + timedelta(minutes=i, seconds=200))
        svc.ticket_finish(ticket=ticket, operator=operator, now=t + timedelta(minutes=i, seconds=560))
    ContactCount.objects.create(month=date(2024, 3, 1), channel="contact_center", count=1)
    Call.objects.create(
        key="c1",
        started_at=t,
        answered_at=t + timedelta(seconds=40),
        ended_at=t + timedelta(seconds=220),
        month=date(2024, 3, 1),
        wait_seconds=40,
        talk_seconds=180,
    )


@pytest.fixture
def boss(django_user_model):
    return make_user(django_user_model, "boss", role=Membership.Role.MANAGER)


def page_tables(client, user, url) -> Tables:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return Tables(response.content.decode())


def time_columns(table: dict) -> dict[int, str]:
    """Header text of every column whose body cells hold H:MM:SS values."""
    header = table["head"][-1]
    return {i: header[i] for row in table["body"] for i, cell in enumerate(row) if HMS.match(cell)}


def test_every_time_column_of_the_report_page_is_labelled_h_mm_ss(client, boss, history):
    parsed = page_tables(client, boss, "/reports/?year=2024")
    labelled = {table_id: time_columns(table) for table_id, table in parsed.tables.items()}
    assert set(labelled["table-wait"]) == {1, 3} and set(labelled["table-service"]) == {1, 3}
    assert set(labelled["table-calls"]) == {4, 5}  # the contact centre's wait and talk, H:MM:SS like the others
    for table_id, columns in labelled.items():
        for label in columns.values():
            assert label.endswith(UNIT), (table_id, label)
    html = client.get("/reports/?year=2024").content.decode()
    assert "(мин.)" not in html and "(сек.)" not in html


def test_csv_and_xlsx_headers_name_the_unit_of_every_time_column(boss, history):
    client = token_client(boss)
    time_headers = set()
    for endpoint in ENDPOINTS:
        text = client.get(f"/api/v1/reports/{endpoint}/?year=2024&format=csv").content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
        header = None
        for row in rows:
            if row and row[0] in ("Месяц", "Канал обращения"):
                header = row
            elif header and len(row) == len(header):
                for i, cell in enumerate(row):
                    if HMS.match(cell):
                        assert header[i].endswith(UNIT), (endpoint, header[i])
                        time_headers.add(header[i])
        sheet = load_workbook(
            io.BytesIO(client.get(f"/api/v1/reports/{endpoint}/?year=2024&format=xlsx").content)
        ).active
        header = None
        for row in sheet.iter_rows():
            if row[0].value in ("Месяц", "Канал обращения"):
                header = [c.value for c in row]
            elif header:
                for i, cell in enumerate(row):
                    if cell.number_format == "h:mm:ss" and cell.value is not None:
                        assert header[i].endswith(UNIT), (endpoint, header[i])
    assert time_headers == {
        "Среднее время ожидания в очереди (ч:мм:сс)",
        "Среднее время очного обслуживания (ч:мм:сс)",
        "Ожидание (ч:мм:сс)",
        "Обслуживание (ч:мм:сс)",
        "Среднее время ожидания ответа (ч:мм:сс)",
        "Среднее время разговора (ч:мм:сс)",
    }


def test_the_disclosure_page_keeps_the_published_labels_word_for_word(client, boss, history):
    parsed = page_tables(client, boss, "/reports/disclosure/2024/")
    assert parsed.headings == [h.format(year=2024, next=2025) for h in PUBLISHED_HEADINGS]
    for table_id, columns in PUBLISHED_COLUMNS.items():
        assert parsed.tables[table_id]["head"][0] == columns, table_id
    assert parsed.tables["d-calls"]["head"][0] == ["Месяц", *PUBLISHED_CALL_COLUMNS] * 2
    for table_id in ("d-channels", "d-channels-2"):
        assert parsed.tables[table_id]["head"][0][0] == "Канал обращения"
        assert [row[0] for row in parsed.tables[table_id]["body"]] == PUBLISHED_CHANNELS


def test_a_missing_previous_year_leaves_the_comparison_out_of_the_whole_disclosure_page(client, boss, history):
    parsed = page_tables(client, boss, "/reports/disclosure/2024/")
    assert parsed.tables["d-wait"]["body"][2][1] == "0:03:20"  # March, without «2023: —» beside it
    for table_id in ("d-service", "d-wait", "d-account", "d-calls"):
        for row in parsed.tables[table_id]["body"]:
            assert not any("2023" in cell for cell in row), (table_id, row)
    channels = parsed.tables["d-channels-2"]
    assert channels["head"][0][-1] == "Итого"  # no «Итого 2023» and «Изменение» columns of dashes
    assert all(len(row) == 8 for row in channels["body"])
    html = client.get("/reports/disclosure/2024/").content.decode()
    assert "За 2023 год данных нет, поэтому сравнения с ним нет" in html
    # This year's absent months are dashes, and real figures stay figures.
    assert parsed.tables["d-channels"]["body"][0][1] == "—"
    assert parsed.tables["d-calls"]["body"][2][1:3] == ["40", "180"]  # March


def test_absent_months_are_dashes_on_the_report_page(client, boss, history):
    parsed = page_tables(client, boss, "/reports/?year=2024")
    rows = {row[0]: row[1:] for row in parsed.tables["table-channels"]["body"]}
    assert rows["ЦОК ФЛ"][:3] == ["—", "—", "2"]
    assert rows["ЦОК ЮЛ"][:3] == ["—", "—", "0"]  # tickets that month, none of them legal entities: a real zero
    assert rows["Робот"] == ["—"] * 13
    calls = {row[0]: row[1:] for row in parsed.tables["table-calls"]["body"]}
    assert calls["Январь"] == ["—"] * 5 and calls["Март"] == ["1", "1", "0", "0:00:40", "0:03:00"]


def test_exports_write_absent_values_as_a_dash_and_keep_layout_blanks_empty(boss, history):
    client = token_client(boss)
    text = client.get("/api/v1/reports/service-times/?year=2024&format=csv").content.decode("utf-8-sig")
    assert "Январь;—;Июль;—" in text and "Итого;;;0:03:20" in text
    assert "Январь;—;—;—;—;—;—;—" in text
    channels = client.get("/api/v1/reports/channels/?year=2024&format=csv").content.decode("utf-8-sig")
    assert "Робот;" + ";".join(["—"] * 13) in channels
    sheet = load_workbook(io.BytesIO(client.get("/api/v1/reports/service-times/?year=2024&format=xlsx").content)).active
    assert [c.value for c in sheet[3]][:4] == ["Январь", "—", "Июль", "—"]
    assert [c.value for c in sheet[9]][:3] == ["Итого", None, None] and sheet[9][3].value is not None
    calls = load_workbook(
        io.BytesIO(client.get("/api/v1/reports/contact-center/?year=2024&format=xlsx").content)
    ).active
    values = {row[0].value: [c.value for c in row[1:]] for row in calls.iter_rows(min_row=3)}
    assert values["Январь"] == ["—"] * 5
    assert values["Март"][:3] == [1, 1, 0]


def test_an_office_report_shows_the_company_wide_channels_as_absent(client, manager, history):
    parsed = page_tables(client, manager, "/reports/?year=2024")
    rows = {row[0]: row[1:] for row in parsed.tables["table-channels"]["body"]}
    assert rows["Контакт-центр"] == ["—"] * 13 and rows["Заочное обслуживание"] == ["—"] * 13
    assert rows["Итого"][2] == "2"  # the office's own tickets in March
    html = client.get("/reports/?year=2024").content.decode()
    assert 'id="chart-in-person"' in html and 'id="chart-remote"' not in html
