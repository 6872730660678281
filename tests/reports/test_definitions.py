"""Every metric definition, pinned with expectations computed by hand in plain Python."""

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from reports import selectors
from reports.models import Appeal, Call, ContactCount
from tickets import services as svc


def visit(office, service, counter, operator, issued: datetime, wait: float, serve: float, status="done"):
    """A ticket through the real lifecycle: issued, called after `wait` s, finished after `serve` s."""
    ticket = svc.ticket_issue(office=office, service=service, now=issued)
    called = issued + timedelta(seconds=wait)
    if status == "cancelled":
        return svc.ticket_cancel(ticket=ticket, now=called)
    svc.ticket_call_next(counter=counter, operator=operator, now=called)
    if status == "no_show":
        return svc.ticket_no_show(ticket=ticket, operator=operator, now=called + timedelta(seconds=serve))
    if status == "expired":
        return svc.close_day(now=called + timedelta(days=1))
    svc.ticket_start(ticket=ticket, operator=operator, now=called)
    return svc.ticket_finish(ticket=ticket, operator=operator, now=called + timedelta(seconds=serve))


def half_up(value: float) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.fixture
def put(office, services, counters, operator):
    def _put(issued, wait, serve, code="fl", status="done"):
        counter = {"fl": counters["1"], "ul": counters["2"], "cash": counters["3"]}[code]
        return visit(office, services[code], counter, operator, issued, wait, serve, status)

    return _put


def month(report, number):
    return report["months"][number - 1]


def test_a_ticket_at_23_30_utc_on_the_last_day_counts_in_the_next_month_in_moscow(put):
    put(datetime(2024, 1, 31, 23, 30, tzinfo=UTC), wait=60, serve=60)  # 02:30 on 1 February in Moscow
    put(datetime(2024, 1, 31, 20, 0, tzinfo=UTC), wait=120, serve=60)  # 23:00 on 31 January in Moscow
    report = selectors.service_times(2024)
    assert (month(report, 1)["tickets"], month(report, 1)["avg_wait_seconds"]) == (1, 120)
    assert (month(report, 2)["tickets"], month(report, 2)["avg_wait_seconds"]) == (1, 60)


def test_a_ticket_at_new_year_counts_in_the_office_year(put):
    put(datetime(2023, 12, 31, 21, 30, tzinfo=UTC), wait=30, serve=30)  # 00:30 on 1 January 2024 in Moscow
    assert selectors.service_times(2024)["total"]["tickets"] == 1
    assert selectors.service_times(2023)["total"]["tickets"] is None  # no ticket that year: absent, not 0


def test_means_round_half_seconds_up(put):
    t = datetime(2024, 3, 5, 9, tzinfo=UTC)
    put(t, wait=100, serve=200)
    put(t + timedelta(minutes=10), wait=101, serve=201)
    march = month(selectors.service_times(2024), 3)
    assert (100 + 101) / 2 == 100.5
    assert march["avg_wait_seconds"] == 101 and march["avg_wait"] == "0:01:41"
    assert march["avg_service_seconds"] == half_up((200 + 201) / 2) == 201
    put(t + timedelta(minutes=20), wait=100, serve=200)
    march = month(selectors.service_times(2024), 3)
    assert march["avg_wait_seconds"] == half_up((100 + 101 + 100) / 3) == 100


def test_the_years_total_is_the_mean_over_tickets_not_over_months(put):
    put(datetime(2024, 1, 10, 9, tzinfo=UTC), wait=60, serve=600)
    for minute in range(3):
        put(datetime(2024, 2, 10, 9, minute * 10, tzinfo=UTC), wait=120, serve=300)
    report = selectors.service_times(2024)
    expected_total = half_up((60 + 3 * 120) / 4)  # 105
    mean_of_months = (60 + 120) / 2  # 90, which is not the definition
    assert report["total"]["avg_wait_seconds"] == expected_total == 105 != mean_of_months
    assert report["total"]["avg_service_seconds"] == half_up((600 + 3 * 300) / 4) == 375
    assert report["total"]["avg_wait"] == "0:01:45"
    assert report["total"]["tickets"] == 4


def test_no_shows_cancelled_and_expired_are_counted_but_not_averaged(put):
    t = datetime(2024, 4, 2, 8, tzinfo=UTC)
    put(t, wait=60, serve=60)
    put(t + timedelta(minutes=5), wait=900, serve=10, status="no_show")
    put(t + timedelta(minutes=10), wait=500, serve=0, status="cancelled")
    april = month(selectors.service_times(2024), 4)
    assert (april["tickets"], april["no_show"], april["cancelled"]) == (1, 1, 1)
    assert april["avg_wait_seconds"] == 60 and april["avg_service_seconds"] == 60


def test_expired_tickets_are_their_own_count(put, office, services):
    svc.ticket_issue(office=office, service=services["fl"], now=datetime(2024, 4, 3, 8, tzinfo=UTC))
    svc.close_day(now=datetime(2024, 4, 4, 8, tzinfo=UTC))
    april = month(selectors.service_times(2024), 4)
    assert (april["tickets"], april["expired"], april["avg_wait_seconds"]) == (0, 1, None)


def test_a_transferred_ticket_sums_its_waits_and_services(office, services, counters, operator):
    t = datetime(2024, 5, 6, 8, tzinfo=UTC)
    ticket = svc.ticket_issue(office=office, service=services["fl"], now=t)
    svc.ticket_call_next(counter=counters["1"], operator=operator, now=t + timedelta(seconds=60))
    svc.ticket_start(ticket=ticket, operator=operator, now=t + timedelta(seconds=60))
    svc.ticket_transfer(
        ticket=ticket, service=services["ul"], to_front=False, operator=operator, now=t + timedelta(seconds=180)
    )
    svc.ticket_call_next(counter=counters["2"], operator=operator, now=t + timedelta(seconds=210))
    svc.ticket_finish(ticket=ticket, operator=operator, now=t + timedelta(seconds=300))
    may = month(selectors.service_times(2024), 5)
    assert may["avg_wait_seconds"] == 60 + 30
    assert may["avg_service_seconds"] == 120 + 90
    # It counts once, under the service where it ended.
    channel_rows = {row["key"]: row for row in selectors.channels(2024)}
    assert channel_rows["legal_entities"]["months"][4] == 1 and channel_rows["individuals"]["months"][4] == 0


def test_a_month_without_tickets_is_absent_not_zero(put):
    put(datetime(2024, 6, 3, 8, tzinfo=UTC), wait=30, serve=30)
    report = selectors.service_times(2024)
    january = month(report, 1)
    assert january == {
        "month": 1,
        "month_name": "Январь",
        "tickets": None,
        "no_show": None,
        "cancelled": None,
        "expired": None,
        "avg_wait_seconds": None,
        "avg_service_seconds": None,
        "avg_wait": None,
        "avg_service": None,
        "over_norm_share": None,
    }
    assert len(report["months"]) == 12


def test_share_over_the_norm_uses_the_offices_norm(put, office):
    office.wait_norm_minutes = 15
    office.save()
    t = datetime(2024, 7, 1, 8, tzinfo=UTC)
    put(t, wait=900, serve=10)  # exactly the norm: not over
    put(t + timedelta(hours=1), wait=901, serve=10)
    put(t + timedelta(hours=2), wait=30, serve=10)
    put(t + timedelta(hours=3), wait=2000, serve=10)
    july = month(selectors.service_times(2024), 7)
    assert july["over_norm_share"] == round(2 / 4, 4) == 0.5


def test_channel_filter_keeps_only_that_channel(put):
    t = datetime(2024, 8, 1, 8, tzinfo=UTC)
    put(t, wait=10, serve=10, code="fl")
    put(t + timedelta(minutes=1), wait=50, serve=10, code="cash")
    report = selectors.service_times(2024, channel="cashier")
    assert month(report, 8)["tickets"] == 1 and month(report, 8)["avg_wait_seconds"] == 50


def test_the_channel_table_groups_are_the_sums_of_their_rows(put, office, other_office):
    t = datetime(2024, 9, 2, 8, tzinfo=UTC)
    for i, code in enumerate(["fl", "fl", "ul", "cash", "cash", "cash"]):
        put(t + timedelta(minutes=i * 3), wait=10, serve=10, code=code)
    put(t + timedelta(minutes=30), wait=10, serve=10, code="fl", status="no_show")  # not a contact
    ContactCount.objects.create(month=datetime(2024, 9, 1).date(), channel="contact_center", count=100)
    ContactCount.objects.create(month=datetime(2024, 9, 1).date(), channel="robot", count=40)
    ContactCount.objects.create(month=datetime(2024, 9, 1).date(), channel="telegram", count=7)
    ContactCount.objects.create(month=datetime(2024, 10, 1).date(), channel="personal_account", count=3)
    rows = selectors.channels(2024)
    keys = [row["key"] for row in rows]
    assert keys == [
        "in_person", "individuals", "legal_entities", "cashier", "remote",
        "contact_center", "robot", "personal_account", "telegram", "total",
    ]  # fmt: skip
    by = {row["key"]: row for row in rows}
    sep = 8  # September
    assert by["individuals"]["months"][sep] == 2 and by["legal_entities"]["months"][sep] == 1
    assert by["in_person"]["months"][sep] == 3
    assert by["cashier"]["months"][sep] == 3
    assert by["remote"]["months"][sep] == 100 + 40 + 7 and by["remote"]["months"][9] == 3
    assert by["total"]["months"][sep] == 3 + 3 + 147
    for row in rows:
        assert row["total"] == sum(n for n in row["months"] if n is not None)
    known = lambda *values: sum(v for v in values if v is not None)  # noqa: E731
    for m in range(12):
        assert by["in_person"]["months"][m] in (
            None,
            known(by["individuals"]["months"][m], by["legal_entities"]["months"][m]),
        )
        assert by["remote"]["months"][m] in (None, known(*(by[k]["months"][m] for k in keys[5:9])))
        assert by["total"]["months"][m] in (
            None,
            known(by["in_person"]["months"][m], by["cashier"]["months"][m], by["remote"]["months"][m]),
        )
    # Missing is not zero: months without tickets or imported counts are absent.
    assert by["individuals"]["months"][0] is None and by["contact_center"]["months"][9] is None
    assert by["personal_account"]["months"][sep] is None and by["personal_account"]["months"][9] == 3
    assert by["in_person"]["months"][9] is None and by["total"]["months"][9] == 3
    # One office: in-person rows only; the company-wide remote channels are not counted there (absent).
    from offices.models import Office

    office_rows = {
        r["key"]: r for r in selectors.channels(2024, Office.objects.filter(pk=office.pk), company_wide=False)
    }
    assert office_rows["remote"]["total"] is None and office_rows["total"]["total"] == 6
    assert office_rows["contact_center"]["months"] == [None] * 12
    other_rows = {
        r["key"]: r for r in selectors.channels(2024, Office.objects.filter(pk=other_office.pk), company_wide=False)
    }
    assert other_rows["total"]["total"] is None


def test_personal_account_response_days(db):
    def appeal(received, days, channel="personal_account"):
        answered = received + timedelta(days=days) if days is not None else None
        Appeal.objects.create(
            key=f"{received.isoformat()}-{days}-{channel}",
            channel=channel,
            received_at=received,
            answered_at=answered,
            month=received.date().replace(day=1),
            response_seconds=(answered - received).total_seconds() if answered else None,
        )

    appeal(datetime(2024, 1, 10, 9, tzinfo=UTC), 0.5)
    appeal(datetime(2024, 1, 11, 9, tzinfo=UTC), 1.0)
    appeal(datetime(2024, 1, 12, 9, tzinfo=UTC), None)  # still open: counted, not averaged
    appeal(datetime(2024, 2, 1, 9, tzinfo=UTC), 0.745)
    appeal(datetime(2024, 2, 2, 9, tzinfo=UTC), 3, channel="email")  # another channel
    report = selectors.personal_account(2024)
    january, february = report["months"][0], report["months"][1]
    assert (january["appeals"], january["answered"]) == (3, 2)
    assert january["avg_response_days"] == 0.75 and january["avg_response"] == "0,75"
    assert february["avg_response"] == "0,75"  # 0.745 rounds half up
    total = (0.5 + 1.0 + 0.745) / 3  # 0.74833…
    assert report["total"]["avg_response"] == "0,75" and round(total, 2) == 0.75
    assert report["total"]["appeals"] == 4
    assert report["months"][2]["avg_response_days"] is None
    assert (report["months"][2]["appeals"], report["months"][2]["answered"]) == (None, None)  # no appeals: absent
    assert selectors.personal_account(2023)["total"]["appeals"] is None


def test_contact_center_wait_and_talk_over_answered_calls(db):
    def call(start, wait, talk):
        answered = start + timedelta(seconds=wait) if wait is not None else None
        ended = (answered or start) + timedelta(seconds=talk)
        Call.objects.create(
            key=f"{start.isoformat()}",
            started_at=start,
            answered_at=answered,
            ended_at=ended,
            month=start.date().replace(day=1),
            wait_seconds=wait,
            talk_seconds=talk if answered else None,
        )

    t = datetime(2024, 3, 1, 9, tzinfo=UTC)
    call(t, 20, 100)
    call(t + timedelta(minutes=5), 31, 181)
    call(t + timedelta(minutes=9), None, 45)  # abandoned after 45 s
    march = selectors.contact_center(2024)["months"][2]
    assert (march["calls"], march["answered"], march["abandoned"]) == (3, 2, 1)
    assert march["avg_wait_seconds"] == half_up((20 + 31) / 2) == 26
    assert march["avg_talk_seconds"] == half_up((100 + 181) / 2) == 141
    assert march["avg_wait"] == "0:00:26" and march["avg_talk"] == "0:02:21"
    april = selectors.contact_center(2024)["months"][3]
    assert (april["calls"], april["abandoned"], april["avg_wait"]) == (None, None, None)  # no calls: absent


def test_hms_format():
    assert [selectors.hms(s) for s in (0, 216, 3599, 3600, 36000)] == [
        "0:00:00",
        "0:03:36",
        "0:59:59",
        "1:00:00",
        "10:00:00",
    ]
