"""CSV imports: good files, bad lines (nothing imported, every line listed), re-imports, duplicates."""

import pytest
import time_machine
from django.core.management import CommandError, call_command

from reports.models import Appeal, Call, ContactCount
from tickets.models import Ticket

HEADER = "office,service,number,issued_at,called_at,started_at,finished_at,status,counter\n"
GOOD = HEADER + (
    "main,fl,А001,2024-01-10T09:00:00+03:00,2024-01-10T09:05:00+03:00,2024-01-10T09:06:00+03:00,2024-01-10T09:16:00+03:00,done,1\n"
    "main,fl,А002,2024-01-10T09:01:00+03:00,2024-01-10T09:11:00+03:00,,2024-01-10T09:15:30+03:00,done,\n"
    "main,cash,К001,2024-01-31T23:30:00+00:00,2024-01-31T23:33:00+00:00,,2024-01-31T23:35:00+00:00,done,3\n"
    "main,ul,Б001,2024-02-01T10:00:00+03:00,2024-02-01T10:20:00+03:00,,,no_show,2\n"
    "main,ul,Б002,2024-02-01T10:05:00+03:00,,,,cancelled,\n"
)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_tickets_computes_durations_and_local_dates(counters, tmp_path, capsys):
    call_command("import_tickets", write(tmp_path, "t.csv", GOOD))
    assert "импортировано 5" in capsys.readouterr().out
    tickets = {t.number: t for t in Ticket.objects.all()}
    assert tickets["А001"].wait_seconds == 300 and tickets["А001"].service_seconds == 600
    assert tickets["А001"].counter == counters["1"]
    # No start: service counts from the call.
    assert tickets["А002"].service_seconds == 270 and tickets["А002"].started_at == tickets["А002"].called_at
    # 23:30 UTC on 31 January is 1 February in Moscow.
    assert tickets["К001"].local_date.isoformat() == "2024-02-01"
    assert tickets["Б001"].status == "no_show" and tickets["Б002"].status == "cancelled"
    assert all(t.imported for t in tickets.values())


def test_reimporting_the_same_file_changes_nothing(counters, tmp_path, capsys):
    path = write(tmp_path, "t.csv", GOOD)
    call_command("import_tickets", path)
    before = list(Ticket.objects.order_by("pk").values())
    call_command("import_tickets", path)
    assert "импортировано 0" in capsys.readouterr().out.splitlines()[-1]
    assert list(Ticket.objects.order_by("pk").values()) == before


def test_a_file_with_bad_lines_imports_nothing_and_lists_every_line(counters, tmp_path):
    bad = HEADER + (
        "main,fl,А010,2024-01-10T09:00:00+03:00,2024-01-10T09:05:00+03:00,,2024-01-10T09:16:00+03:00,done,1\n"  # good
        "nowhere,fl,А011,2024-01-10T09:00:00+03:00,2024-01-10T09:05:00+03:00,,2024-01-10T09:16:00+03:00,done,\n"
        "main,zz,А012,2024-01-10T09:00:00+03:00,2024-01-10T09:05:00+03:00,,2024-01-10T09:16:00+03:00,done,\n"
        "main,fl,А013,2024-01-10T09:00:00,2024-01-10T09:05:00+03:00,,2024-01-10T09:16:00+03:00,done,\n"
        "main,fl,А014,2024-01-10T09:00:00+03:00,2024-01-10T08:05:00+03:00,,2024-01-10T09:16:00+03:00,done,\n"
        "main,fl,А015,2024-01-10T09:00:00+03:00,,,,done,\n"
        "main,fl,А016,2024-01-10T09:00:00+03:00,,,,lost,\n"
        "main,fl,А017,yesterday,,,,cancelled,\n"
        "main,fl,А018,2024-01-10T09:00:00+03:00,2024-01-10T09:05:00+03:00,,2024-01-10T09:16:00+03:00,done,99\n"
        "main,fl,А010,2024-01-10T09:00:00+03:00,2024-01-10T09:06:00+03:00,,2024-01-10T09:16:00+03:00,done,1\n"
        "main,fl\n"
    )
    with pytest.raises(CommandError) as error:
        call_command("import_tickets", write(tmp_path, "bad.csv", bad))
    text = str(error.value)
    expected = {
        3: "неизвестный офис «nowhere»",
        4: "нет услуги «zz»",
        5: "нет смещения часового пояса",
        6: "called_at раньше issued_at",
        7: "не заполнено поле called_at",
        8: "статус «lost»",
        9: "не время в формате ISO 8601",
        10: "нет окна «99»",
        11: "уже есть в файле с другими данными",
        12: "неверное число столбцов",
    }
    for line, reason in expected.items():
        assert f"line {line}: " in text and reason in text, (line, reason)
    assert "line 2:" not in text
    assert "Ошибок: 10" in text and "ничего не изменено" in text
    assert Ticket.objects.count() == 0


def test_partial_import_takes_the_good_lines(counters, tmp_path, capsys):
    text = GOOD + "main,fl,А099,2024-01-10T09:00:00+03:00,,,,lost,\n"
    call_command("import_tickets", write(tmp_path, "p.csv", text), "--partial")
    assert Ticket.objects.count() == 5
    assert "line 7: статус «lost»" in capsys.readouterr().err


def test_a_row_already_stored_with_other_data_is_an_error_and_identical_is_skipped(counters, tmp_path, capsys):
    call_command("import_tickets", write(tmp_path, "a.csv", GOOD))
    changed = GOOD.replace("2024-01-10T09:16:00+03:00,done,1", "2024-01-10T09:17:00+03:00,done,1")
    with pytest.raises(CommandError, match="талон А001 за 10.01.2024 уже есть в базе с другими данными"):
        call_command("import_tickets", write(tmp_path, "b.csv", changed))
    extra = GOOD + "main,fl,А003,2024-01-10T09:02:00+03:00,,,,cancelled,\n"
    call_command("import_tickets", write(tmp_path, "c.csv", extra))
    assert "импортировано 1, пропущено как уже загруженные 5" in capsys.readouterr().out
    assert Ticket.objects.count() == 6


def test_a_wrong_header_is_reported(counters, tmp_path):
    with pytest.raises(CommandError, match="line 1: ожидаются столбцы"):
        call_command("import_tickets", write(tmp_path, "h.csv", "office;service\n"))


def test_import_contacts_replaces_a_month_and_refuses_in_person_channels(db, tmp_path, capsys):
    path = write(tmp_path, "c.csv", "month,channel,count\n2024-01,contact_center,22953\n2024-01,robot,10378\n")
    call_command("import_contacts", path)
    call_command("import_contacts", path)
    assert ContactCount.objects.count() == 2
    call_command("import_contacts", write(tmp_path, "c2.csv", "month,channel,count\n2024-01,robot,10400\n"))
    assert ContactCount.objects.get(channel="robot").count == 10400
    assert "заменено 1" in capsys.readouterr().out
    bad = "month,channel,count\n2024-02,individuals,5\n2024-13,robot,1\n2024-02,fax,1\n2024-02,robot,-1\n2024-02,vk,x\n"
    with pytest.raises(CommandError) as error:
        call_command("import_contacts", write(tmp_path, "c3.csv", bad))
    text = str(error.value)
    for line, reason in {
        2: "считается по талонам",
        3: "ГГГГ-ММ",
        4: "неизвестный канал «fax»",
        5: "отрицательным",
        6: "не целое",
    }.items():
        assert f"line {line}: " in text and reason in text
    assert ContactCount.objects.count() == 2


def test_import_appeals_and_reimport(db, tmp_path):
    text = (
        "channel,received_at,answered_at\n"
        "personal_account,2024-01-10T09:00:00+03:00,2024-01-10T21:00:00+03:00\n"
        "personal_account,2024-01-10T09:00:00+03:00,2024-01-10T21:00:00+03:00\n"  # a second, identical appeal
        "personal_account,2024-01-11T09:00:00+03:00,\n"
    )
    path = write(tmp_path, "a.csv", text)
    call_command("import_appeals", path)
    call_command("import_appeals", path)
    assert Appeal.objects.count() == 3
    assert sorted(Appeal.objects.values_list("response_seconds", flat=True), key=lambda v: v or 0) == [
        None,
        43200,
        43200,
    ]
    with pytest.raises(CommandError, match="line 2: answered_at раньше received_at"):
        call_command(
            "import_appeals",
            write(
                tmp_path,
                "b.csv",
                "channel,received_at,answered_at\npersonal_account,2024-01-10T09:00:00+03:00,2024-01-09T09:00:00+03:00\n",
            ),
        )


def test_import_calls(db, tmp_path):
    text = (
        "started_at,answered_at,ended_at\n"
        "2024-03-01T09:00:00+03:00,2024-03-01T09:00:20+03:00,2024-03-01T09:02:00+03:00\n"
        "2024-03-01T09:01:00+03:00,,2024-03-01T09:01:45+03:00\n"
    )
    path = write(tmp_path, "c.csv", text)
    call_command("import_calls", path)
    call_command("import_calls", path)
    assert Call.objects.count() == 2
    answered = Call.objects.get(answered_at__isnull=False)
    assert (answered.wait_seconds, answered.talk_seconds) == (20, 100)
    bad = (
        "started_at,answered_at,ended_at\n"
        "2024-03-01T09:00:00+03:00,2024-03-01T08:00:00+03:00,2024-03-01T09:02:00+03:00\n"
    )
    with pytest.raises(CommandError, match="line 2: нужно started_at ≤ answered_at ≤ ended_at"):
        call_command("import_calls", write(tmp_path, "d.csv", bad))
    assert Call.objects.count() == 2


def row(number="А001", issued="2024-01-10T09:00:00+03:00", office="main", status="cancelled"):
    return f"{office},fl,{number},{issued},,,,{status},\n"


def import_errors(tmp_path, command: str, text: str) -> str:
    with pytest.raises(CommandError) as error:
        call_command(command, write(tmp_path, "bad.csv", text))
    return str(error.value)


def test_hostile_fields_are_bad_lines_not_a_crash(counters, tmp_path):
    text = import_errors(
        tmp_path,
        "import_tickets",
        HEADER
        + row("А001")
        + row(office="m" * 140_000)  # over the csv module's field limit
        + row("А0\x0003")  # a NUL would pass every check and fail at COPY
        + row("А004", issued="9999-12-31T23:59:59-14:00")  # overflows when converted
        + row("А005", issued="0001-01-01T00:00:00+14:00")
        + row("А006"),
    )
    assert "line 3: поле длиннее 131072 символов" in text
    assert "line 4: в строке есть символ NUL" in text
    assert "line 5: issued_at: «9999-12-31T23:59:59-14:00» — дата вне диапазона" in text
    assert "line 6: issued_at: «0001-01-01T00:00:00+14:00» — дата вне диапазона" in text
    assert "line 2:" not in text and "line 7:" not in text
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("count", "reason"),
    [
        ("99999999999999999999", "больше 2147483647"),
        ("1_000", "не целое число"),
        ("١٠٠", "не целое число"),
        ("1e3", "не целое число"),
    ],
)
def test_an_odd_or_huge_count_is_a_bad_line(db, tmp_path, count, reason):
    text = import_errors(tmp_path, "import_contacts", f"month,channel,count\n2024-01,robot,{count}\n")
    assert f"line 2: количество «{count}» — {reason}" in text
    assert not ContactCount.objects.exists()


def test_a_count_with_spaces_between_thousands_is_still_read(db, tmp_path):
    call_command("import_contacts", write(tmp_path, "c.csv", 'month,channel,count\n2024-01,robot,"10 378"\n'))
    assert ContactCount.objects.get().count == 10378


def test_tickets_of_today_or_later_are_refused(counters, tmp_path):
    from django.utils import timezone

    office = counters["1"].office
    today = office.local_date()
    tomorrow = today.fromordinal(today.toordinal() + 1)
    text = import_errors(
        tmp_path,
        "import_tickets",
        HEADER
        + row("А001", issued="2024-01-10T09:00:00+03:00")
        + row("К001", issued=f"{today.isoformat()}T00:01:00+03:00")
        + row("К002", issued=f"{tomorrow.isoformat()}T09:00:00+03:00")
        + row("К003", issued=timezone.now().isoformat()),
    )
    for line in (3, 4, 5):
        assert f"line {line}: талон за" in text and "импортируются только прошедшие дни" in text
    assert "line 2:" not in text
    assert not Ticket.objects.exists()


T_NOW = "2024-06-01T12:00:00+03:00"


@pytest.mark.parametrize(
    ("command", "header", "good", "future"),
    [
        (
            "import_appeals",
            "channel,received_at,answered_at\n",
            "personal_account,2024-06-01T11:00:00+03:00,2024-06-01T11:59:59+03:00\n",
            [
                ("personal_account,2024-06-01T12:00:01+03:00,\n", "received_at: «2024-06-01T12:00:01+03:00»"),
                ("personal_account,2024-06-01T11:00:00+03:00,2024-06-02T09:00:00+03:00\n", "answered_at: «2024-06-02"),
            ],
        ),
        (
            "import_calls",
            "started_at,answered_at,ended_at\n",
            "2024-06-01T11:59:00+03:00,,2024-06-01T12:00:00+03:00\n",
            [
                ("2024-06-01T11:59:00+03:00,2024-06-01T11:59:30+03:00,2024-06-01T12:01:00+03:00\n", "ended_at: «"),
                ("2025-01-01T09:00:00+03:00,,2025-01-01T09:05:00+03:00\n", "started_at: «2025-01-01T09:00:00+03:00»"),
            ],
        ),
    ],
)
def test_appeals_and_calls_after_now_are_refused_and_nothing_is_imported(db, tmp_path, command, header, good, future):
    model = Appeal if command == "import_appeals" else Call
    with time_machine.travel(T_NOW, tick=False):
        text = import_errors(tmp_path, command, header + good + "".join(line for line, _ in future))
        assert "line 2:" not in text
        for number, (_, reason) in enumerate(future, start=3):
            assert f"line {number}: {reason}" in text, text
        assert text.count("время в будущем; импортируются только прошедшие события") == len(future)
        assert not model.objects.exists()
        # Up to now is the past: the good line alone imports.
        call_command(command, write(tmp_path, "good.csv", header + good))
    assert model.objects.count() == 1
