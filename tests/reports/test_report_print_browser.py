"""The report pages at their real sizes: the channel table at 1366×768, the disclosure printed to PDF."""

import io
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from offices.models import Membership
from reports.models import Appeal, Call, ContactCount, Disclosure
from tests.helpers import ConsoleErrors, make_user, sign_in
from tickets import services as svc

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_orm_in_browser_tests")]

# The published 2024 remote channels, month by month: the widest figures the tables must hold.
PUBLISHED_REMOTE = {
    "contact_center": [22953, 24644, 26866, 22144, 24783, 28434, 33740, 30395, 27497, 31126, 34758, 27660],
    "robot": [10378, 12656, 14844, 9790, 11399, 13978, 16687, 14924, 13410, 15989, 17565, 13835],
    "personal_account": [888, 862, 690, 694, 689, 727, 845, 752, 1013, 1096, 1162, 1206],
    "telegram": [253, 226, 347, 220, 267, 317, 391, 366, 390, 193, 293, 397],
}
# The published «Итого» per month: an «other» channel makes up the rest (the in-person volume, which
# cannot be made of a few test tickets), so that the totals have the published seven digits.
PUBLISHED_TOTAL = [92540, 104437, 96104, 87931, 100339, 103061, 111811, 159763, 100383, 109433, 111510, 102515]
PUBLISHED_REMOTE["other"] = [
    total - sum(counts[m] for counts in PUBLISHED_REMOTE.values()) for m, total in enumerate(PUBLISHED_TOTAL)
]
# The published document's texts, the longest the page has had to hold.
PUBLISHED_DONE = """Активная эксплуатация электронной очереди на двух производственных участках АО «Белгородэнергосбыт»
Внедрение и эксплуатация CRM-системы
Создание сервиса получения информации о состоянии лицевого счета в личном кабинете клиента
Благоустройство территории у ЦОК Корочанского участка АО «Белгородэнергосбыт»
Внедрение и эксплуатация системы контроля качества переговоров «клиент-сотрудник» на производственном отделении
Оборудование окон ЦОК терминалами, способными принимать оплату с помощью биометрии
Увеличение количества линий в ВАС «Ростелеком» и в сервисе по роботизированному приему показаний"""
PUBLISHED_PLANNED = """Активная эксплуатация аудио-бейджей
Наполнение CRM-системы формами обратной связи с клиентами, для реализации дистанционного взаимодействия, \
внедрение решения по автоматизации процессов на базе искусственного интеллекта (в рамках развития CRM-системы)
Интеграция сервиса обработки обращений личного кабинета клиента физических и юридических лиц в CRM-систему
Организация единого информирования клиентов с помощью CRM-системы
Благоустройство и ремонт офиса ЦОК Новооскольского и Красненского участков АО «Белгороэнергосбыт»
Запуск чат-бота, что позволит автоматизировать информирование потребителя по часто задаваемым вопросам"""
PUBLISHED_HOURS = """Телефоны Контакт-Центра АО «Белгородэнергосбыт»: 1357 (бесплатный короткий номер для стационарных \
телефонов компании «Ростелеком») или 8 (4722) 23-08-49
Соединение с оператором Контакт-Центра с пн-пт с 8:00 до 18:00 без перерыва, сб* с 9:00 до 17:00 без перерыва.
Также оставить обращение в адрес АО «Белгородэнергосбыт» можно круглосуточно через:
1. Сайт компании belgorodenergosbyt.ru;
2. Сервис "Личный кабинет" на сайте компании belgorodenergosbyt.ru;
3. По электронной почте sbyt@belsbyt.ru, vopros@belsbyt.ru;
4. Официальная группа Вконтакте;
5. Чат Белгородэнергосбыт на сайте компании belsbyt.ru;
6. Телеграм: @belsbytbot."""
A4 = (595.28, 841.89)  # points, portrait


@pytest.fixture
def full_years(office, services, counters, operator):
    """Two full years (2023 and 2024) in every table, at the published magnitudes where they are counts."""
    for year in (2023, 2024):
        for month in range(1, 13):
            t = datetime(year, month, 5, 7, tzinfo=UTC)
            for i, code in enumerate(["fl", "ul", "cash"]):
                issued = t + timedelta(minutes=10 * i)
                ticket = svc.ticket_issue(office=office, service=services[code], now=issued)
                counter = counters[str(i + 1)]
                svc.ticket_call_next(counter=counter, operator=operator, now=issued + timedelta(seconds=200 + month))
                svc.ticket_finish(ticket=ticket, operator=operator, now=issued + timedelta(seconds=560 + 2 * month))
            first = date(year, month, 1)
            for channel, counts in PUBLISHED_REMOTE.items():
                ContactCount.objects.create(
                    month=first, channel=channel, count=round(counts[month - 1] * (0.9 if year == 2023 else 1))
                )
            Call.objects.create(
                key=f"{year}-{month}",
                started_at=t,
                answered_at=t + timedelta(seconds=40 + month),
                ended_at=t + timedelta(seconds=220 + month),
                month=first,
                wait_seconds=40 + month,
                talk_seconds=180,
            )
            Appeal.objects.create(
                key=f"{year}-{month}",
                received_at=t,
                answered_at=t + timedelta(hours=20 + month),
                month=first,
                response_seconds=(20 + month) * 3600,
            )
    Disclosure.objects.create(
        year=2024, measures_done=PUBLISHED_DONE, measures_planned=PUBLISHED_PLANNED, remote_hours=PUBLISHED_HOURS
    )


@pytest.fixture
def boss(django_user_model):
    return make_user(django_user_model, "boss", role=Membership.Role.MANAGER)


def test_the_channel_table_fits_1366_and_the_in_person_channels_have_their_own_chart(daphne, context, full_years, boss):
    server = daphne()
    sign_in(context, server, boss)
    page = context.new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    console = ConsoleErrors(page)
    page.goto(f"{server.url}/reports/?year=2024")
    table = page.locator("#table-channels")
    table.scroll_into_view_if_needed()
    # The published 1 279 827 and the year's 36 test tickets.
    assert page.locator("#table-channels .row-total td").last.inner_text() == "1\u202f279\u202f863"
    viewport = page.evaluate("window.innerWidth")
    assert viewport == 1366
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport
    box = table.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport
    # Nothing inside the table is cut or scrolls either.
    assert page.evaluate("(t => t.scrollWidth <= t.clientWidth)(document.getElementById('table-channels'))")
    charts = page.evaluate(
        "Object.fromEntries(window.reportCharts.map(c => [c.canvas.id, c.data.datasets.map(d => d.label)]))"
    )
    assert charts["chart-in-person"] == ["ЦОК ФЛ", "ЦОК ЮЛ", "Касса"]
    assert charts["chart-remote"] == ["Контакт-центр", "Робот", "Личный кабинет", "Телеграм", "Прочие"]
    assert console.errors == []


def test_the_disclosure_prints_on_two_portrait_a4_pages_in_10_pt_with_no_heading_ending_a_page(
    daphne, context, full_years, boss
):
    server = daphne()
    sign_in(context, server, boss)
    page = context.new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{server.url}/reports/disclosure/2024/")
    page.emulate_media(media="print")
    # Every element that holds text, as printed: nothing under 10 pt (13.33 px).
    sizes = page.evaluate(
        """[...document.querySelectorAll("main *")]
             .filter(e => e.getClientRects().length)
             .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
             .map(e => [e.tagName, e.textContent.trim().slice(0, 30), parseFloat(getComputedStyle(e).fontSize)])"""
    )
    assert len(sizes) > 200  # the lists, every table cell, the notes
    small = [s for s in sizes if s[2] < 10 * 96 / 72 - 0.01]
    assert small == []
    headings = [" ".join(h.split()) for h in page.locator("h1, h2").all_inner_texts()]

    pdf = page.pdf(prefer_css_page_size=True)
    if os.environ.get("KEEP_PDF"):
        Path(os.environ["KEEP_PDF"]).write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    assert 1 <= len(reader.pages) <= 2
    for pdf_page in reader.pages:
        width, height = float(pdf_page.mediabox.width), float(pdf_page.mediabox.height)
        assert abs(width - A4[0]) <= 2 and abs(height - A4[1]) <= 2, (width, height)
    text = [[line.strip() for line in p.extract_text().splitlines() if line.strip()] for p in reader.pages]
    assert "Перечень мероприятий" in text[0][1]
    assert any("Режим работы каналов заочного обслуживания" in line for line in text[-1])
    assert text[-1][-1] == "6. Телеграм: @belsbytbot."  # nothing was cut off at the end
    for lines in text:
        # A heading's line (a heading may wrap) is never the last line of a page.
        assert not any(lines[-1] in heading for heading in headings), lines[-1]


def test_no_table_of_the_report_page_runs_under_the_chart_beside_it_at_1366(daphne, context, full_years, boss):
    server = daphne()
    sign_in(context, server, boss)
    page = context.new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    console = ConsoleErrors(page)
    page.goto(f"{server.url}/reports/?year=2024")
    # Each table beside a chart: its right edge (and every cell's) left of the chart's left edge.
    pairs = page.evaluate(
        """[...document.querySelectorAll(".pair")].filter(p => p.querySelector(":scope > table")).map(p => {
             const table = p.querySelector(":scope > table"), chart = p.querySelector(":scope > .chart");
             const right = Math.max(...[...table.querySelectorAll("th, td")].map(c => c.getBoundingClientRect().right),
                                    table.getBoundingClientRect().right);
             return [table.id, right, chart.getBoundingClientRect().left];
           })"""
    )
    assert [p[0] for p in pairs] == ["table-wait", "table-account", "table-calls"]
    for table_id, right, chart_left in pairs:
        assert right <= chart_left, (table_id, right, chart_left)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    assert console.errors == []
