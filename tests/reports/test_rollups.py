"""The monthly and daily rollups: every report read from them equals the same report computed from the tickets."""

import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offices.models import Office, Service
from reports import analytics, imports, selectors
from tests.helpers import add_counter, add_services, make_office
from tickets import rollups
from tickets import services as svc
from tickets.models import OutcomeMonth, ServiceMonth, Ticket

START = datetime(2024, 1, 30, 6, 0, tzinfo=UTC)  # 09:00 in Moscow, two days before February
HEADER = "office,service,number,issued_at,called_at,started_at,finished_at,status,counter\n"
QUARTERS = st.integers(min_value=0, max_value=4 * 1800).map(lambda q: q / 4)  # up to 30 min, in 0.25 s steps
# The topics of the services of both offices (cash has none); a finish ticks those of its service among its codes.
OUTCOMES = {
    "fl": [
        {"code": "meter", "name": "Показания"},
        {"code": "pay", "name": "Оплата"},
        {"code": "recalc", "name": "Перерасчёт"},
    ],
    "ul": [{"code": "pay", "name": "Оплата"}],
}


def reports_agree(year: int, *, every_scope: bool = True) -> None:
    scopes = [None, Office.objects.filter(code="main"), Office.objects.filter(code="other")]
    for offices in scopes if every_scope else scopes[:2]:
        for channel in [None, *Service.Channel.values] if every_scope else [None, "individuals"]:
            assert selectors.service_times(year, offices, channel) == selectors.service_times(
                year, offices, channel, from_tickets=True
            ), (offices, channel)
        assert selectors.channels(year, offices) == selectors.channels(year, offices, from_tickets=True), offices
        assert selectors.outcomes(year, offices) == selectors.outcomes(year, offices, from_tickets=True), offices
        assert selectors.outcome_table(year, offices) == selectors.outcome_table(year, offices, from_tickets=True)
        # The analytics: monthly figures from the same rows, load and operators from the daily rows up to the mark.
        for report in (analytics.norm, analytics.estimates, analytics.load, analytics.operators):
            assert report(year, offices) == report(year, offices, from_tickets=True), (report.__name__, offices)


class Day:
    """The office's day as a sequence of operations, each through the real services."""

    def __init__(self, operator):
        self.operator = operator
        self.now = START
        self.main = Office.objects.get(code="main")
        self.other = Office.objects.get(code="other")
        self.counters = list(self.main.counters.order_by("number")) + list(self.other.counters.order_by("number"))
        self.last_import = None

    def tick(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def issue(self, office: int, service: str, after: float):
        office = [self.main, self.other][office]
        svc.ticket_issue(office=office, service=office.services.get(code=service), now=self.tick(after))

    def call(self, counter: int, after: float):
        # The first free counter from this one on that has someone to call.
        now = self.tick(after)
        for n in range(len(self.counters)):
            counter_ = self.counters[(counter + n) % len(self.counters)]
            if not Ticket.objects.at_counter(counter_).exists():
                if svc.ticket_call_next(counter=counter_, operator=self.operator, now=now) is not None:
                    return

    def active(self, nth: int):
        """The nth called or served ticket; with none, the next one called first."""
        tickets = list(Ticket.objects.filter(status__in=Ticket.ACTIVE).order_by("pk"))
        if not tickets:
            self.call(nth, 5)
            tickets = list(Ticket.objects.filter(status__in=Ticket.ACTIVE).order_by("pk"))
        return tickets[nth % len(tickets)] if tickets else None

    def finish(self, counter: int, after: float, start: bool, codes: list[str]):
        ticket = self.active(counter)
        if ticket is None:
            return
        if start and ticket.status == Ticket.Status.CALLED:
            svc.ticket_start(ticket=ticket, operator=self.operator, now=self.tick(after / 2))
        known = ticket.service.outcome_names()
        outcomes = [code for code in codes if code in known]
        svc.ticket_finish(ticket=ticket, operator=self.operator, outcomes=outcomes, now=self.tick(after))

    def no_show(self, counter: int, after: float):
        ticket = self.active(counter)
        if ticket is not None and ticket.status == Ticket.Status.CALLED:
            svc.ticket_no_show(ticket=ticket, operator=self.operator, now=self.tick(after))

    def transfer(self, counter: int, service: str, after: float):
        ticket = self.active(counter)
        if ticket is None:
            return
        target = ticket.office.services.get(code=service)
        svc.ticket_transfer(ticket=ticket, to_front=False, operator=self.operator, service=target, now=self.tick(after))

    def cancel(self, nth: int):
        waiting = list(Ticket.objects.filter(status=Ticket.Status.WAITING).order_by("pk"))
        if waiting:
            svc.ticket_cancel(ticket=waiting[nth % len(waiting)], operator=self.operator, now=self.tick(1))

    def close_day(self):
        # The next morning: what is left of the day expires.
        self.now = (self.now + timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)
        svc.close_day(now=self.now)

    def norm(self, minutes: int):
        self.main.wait_norm_minutes = minutes
        self.main.save(update_fields=["wait_norm_minutes"])

    def channel(self, service: str, channel: str):
        Service.objects.filter(office=self.main, code=service).update(channel=channel)

    def import_rows(self, rows: list[tuple]):
        lines = []
        for day, number, service, wait, serve, status in rows:
            issued = datetime(2024, 1, 20, 7, 0, tzinfo=UTC) + timedelta(days=day, minutes=number)
            called = issued + timedelta(seconds=wait)
            finished = called + timedelta(seconds=serve)
            if status == "done":
                times = f"{issued.isoformat()},{called.isoformat()},,{finished.isoformat()}"
            elif status == "no_show":
                times = f"{issued.isoformat()},{called.isoformat()},,"
            else:
                times = f"{issued.isoformat()},,,"
            lines.append(f"main,{service},И{number:03d},{times},{status},\n")
        self.last_import = HEADER + "".join(lines)
        self.reimport()

    def reimport(self):
        if self.last_import is None:
            return
        try:
            imports.import_tickets(io.StringIO(self.last_import))
        except imports.ImportFailed:
            pass  # a number the office already has with other data: all or nothing, nothing changed


ISSUE = st.tuples(st.just("issue"), st.integers(0, 1), st.sampled_from(["fl", "ul", "cash"]), QUARTERS)
CALL = st.tuples(st.just("call"), st.integers(0, 5), QUARTERS)
FINISH = st.tuples(
    st.just("finish"),
    st.integers(0, 5),
    QUARTERS,
    st.booleans(),
    st.lists(st.sampled_from(["meter", "pay", "recalc"]), max_size=3),  # none, one or several topics
)
# Issues, calls and finishes weigh more, so that most sequences have tickets to act on.
OPERATIONS = st.one_of(
    ISSUE,
    ISSUE,
    ISSUE,
    CALL,
    CALL,
    CALL,
    FINISH,
    FINISH,
    st.tuples(st.just("no_show"), st.integers(0, 5), QUARTERS),
    st.tuples(st.just("transfer"), st.integers(0, 5), st.sampled_from(["fl", "ul", "cash"]), QUARTERS),
    st.tuples(st.just("cancel"), st.integers(0, 20)),
    st.tuples(st.just("close_day")),
    st.tuples(st.just("norm"), st.sampled_from([0, 1, 5, 15])),
    st.tuples(st.just("channel"), st.sampled_from(["fl", "ul"]), st.sampled_from(Service.Channel.values)),
    st.tuples(
        st.just("import_rows"),
        st.lists(
            st.tuples(
                st.integers(0, 15),
                st.integers(1, 30),
                st.sampled_from(["fl", "ul", "cash"]),
                QUARTERS,
                QUARTERS,
                st.sampled_from(["done", "done", "no_show", "cancelled"]),
            ),
            max_size=6,
        ),
    ),
    st.tuples(st.just("reimport")),
)


class Rollback(Exception):
    pass


@pytest.fixture
def two_offices(db, operator):
    main = Office.objects.get(code="main")
    services = {s.code: s for s in main.services.all()}
    for number, served in [("1", ["fl"]), ("2", ["ul"]), ("3", ["cash", "fl"])]:
        add_counter(main, number, [services[code] for code in served])
    other = make_office("other")
    add_services(other)
    for number, served in [("1", ["fl", "ul"]), ("2", ["cash"]), ("3", ["fl", "cash"])]:
        add_counter(other, number, [s for s in other.services.all() if s.code in served])
    Service.objects.filter(code="fl").update(outcomes=OUTCOMES["fl"])
    Service.objects.filter(code="ul").update(outcomes=OUTCOMES["ul"])
    return operator


@pytest.fixture
def main_services(services):
    return services


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(operations=st.lists(OPERATIONS, min_size=5, max_size=25))
def test_reports_from_rollups_equal_reports_from_tickets(main_services, two_offices, operations):
    operator = two_offices
    try:
        with transaction.atomic():
            day = Day(operator)
            for name, *args in operations:
                getattr(day, name)(*args)
                reports_agree(2024, every_scope=False)
            reports_agree(2024)
            assert rollups.drift() == []
            raise Rollback
    except Rollback:
        pass


def test_check_reports_drift_per_office_service_and_month_and_rebuild_repairs_it(services, counters, operator, capsys):
    ticket = svc.ticket_issue(office=counters["1"].office, service=services["fl"], now=START)
    svc.ticket_call_next(counter=counters["1"], operator=operator, now=START + timedelta(seconds=90))
    svc.ticket_finish(ticket=ticket, operator=operator, now=START + timedelta(seconds=300))
    call_command("rollups", "--check")
    assert "совпадают" in capsys.readouterr().out
    ServiceMonth.objects.filter(service=services["fl"]).update(done=7, wait_us=1)
    with pytest.raises(CommandError, match="строк 1"):
        call_command("rollups", "--check")
    assert capsys.readouterr().out.splitlines() == ["main fl 2024-01: done 7 ≠ 1, wait_us 1 ≠ 90000000"]
    call_command("rollups", "--rebuild")
    call_command("rollups", "--check")
    assert selectors.service_times(2024)["months"][0]["avg_wait_seconds"] == 90


def test_an_edited_norm_is_read_at_once(services, counters, operator):
    office = counters["1"].office
    for wait in (120, 400):
        ticket = svc.ticket_issue(office=office, service=services["fl"], now=START)
        svc.ticket_call_next(counter=counters["1"], operator=operator, now=START + timedelta(seconds=wait))
        svc.ticket_finish(ticket=ticket, operator=operator, now=START + timedelta(seconds=wait + 60))
    assert selectors.service_times(2024)["months"][0]["over_norm_share"] == 0
    office.wait_norm_minutes = 5
    office.save()
    assert selectors.service_times(2024)["months"][0]["over_norm_share"] == 0.5
    assert selectors.service_times(2024) == selectors.service_times(2024, from_tickets=True)


def called_at_ten_counters(office, service, operator) -> list:
    """A ticket called at each of ten new counters."""
    counters = [add_counter(office, str(n), [service]) for n in range(1, 11)]
    tickets = []
    for n, counter in enumerate(counters):
        ticket = svc.ticket_issue(office=office, service=service, now=START + timedelta(seconds=n))
        svc.ticket_call_next(counter=counter, operator=operator, now=START + timedelta(seconds=100 + n))
        tickets.append(ticket)
    return tickets


def all_at_once(tickets, finish) -> None:
    """``finish(ticket, n)`` for every ticket, each in a thread of its own, all released together; none fails."""
    barrier = threading.Barrier(len(tickets))
    errors = []

    def run(ticket, n):
        try:
            barrier.wait(timeout=10)
            finish(ticket, n)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(t, n)) for n, t in enumerate(tickets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_counters_finishing_at_once_leave_the_rollups_exact(services, operator):
    office = Office.objects.get(code="main")
    tickets = called_at_ten_counters(office, services["fl"], operator)
    all_at_once(
        tickets,
        lambda ticket, n: svc.ticket_finish(ticket=ticket, operator=operator, now=START + timedelta(seconds=700 + n)),
    )
    row = ServiceMonth.objects.get(service=services["fl"])
    assert (row.tickets, row.done) == (10, 10)
    assert row.wait_us == 100 * 10 * 1_000_000
    assert row.service_us == 600 * 10 * 1_000_000
    assert rollups.drift() == []
    assert selectors.service_times(2024) == selectors.service_times(2024, from_tickets=True)


def test_check_reports_drift_in_the_topics_per_code_and_rebuild_repairs_it(services, counters, operator, capsys):
    services["fl"].outcomes = OUTCOMES["fl"]
    services["fl"].save()
    for n, outcomes in enumerate([["pay"], ["pay", "meter"], []]):
        ticket = svc.ticket_issue(office=counters["1"].office, service=services["fl"], now=START + timedelta(minutes=n))
        svc.ticket_call_next(counter=counters["1"], operator=operator, now=START + timedelta(minutes=n, seconds=30))
        svc.ticket_finish(
            ticket=ticket, operator=operator, outcomes=outcomes, now=START + timedelta(minutes=n, seconds=90)
        )
    stored = dict(OutcomeMonth.objects.values_list("code", "count"))
    assert stored == {"pay": 2, "meter": 1, "": 1}
    call_command("rollups", "--check")
    assert "совпадают" in capsys.readouterr().out
    OutcomeMonth.objects.filter(code="pay").update(count=5)
    OutcomeMonth.objects.filter(code="").delete()
    with pytest.raises(CommandError, match="строк 2"):
        call_command("rollups", "--check")
    assert capsys.readouterr().out.splitlines() == [
        "main fl 2024-01 без темы: count 0 ≠ 1",
        "main fl 2024-01 pay: count 5 ≠ 2",
    ]
    call_command("rollups", "--rebuild")
    call_command("rollups", "--check")
    assert dict(OutcomeMonth.objects.values_list("code", "count")) == stored
    assert [(r["outcome"], r["count"], r["share"]) for r in selectors.outcomes(2024)] == [
        ("meter", 1, 0.3333),
        ("pay", 2, 0.6667),
        (None, 1, 0.3333),
    ]


def test_the_topics_report_reads_the_rollups_in_as_many_queries_whatever_the_tickets(
    services, counters, operator, django_assert_max_num_queries
):
    services["fl"].outcomes = OUTCOMES["fl"]
    services["fl"].save()
    office = counters["1"].office

    def served(count: int) -> None:
        for n in range(count):
            service = ["fl", "ul"][n % 2]
            ticket = svc.ticket_issue(office=office, service=services[service], now=START)
            counter = counters["1" if service == "fl" else "2"]
            svc.ticket_call_next(counter=counter, operator=operator, now=START + timedelta(seconds=30))
            outcomes = ["meter", "pay"][: n % 3] if ticket.service.code == "fl" else []
            svc.ticket_finish(ticket=ticket, operator=operator, outcomes=outcomes, now=START + timedelta(seconds=90))

    served(3)
    with CaptureQueriesContext(connection) as few:
        selectors.outcome_table(2024)
    served(30)
    with CaptureQueriesContext(connection) as many:
        table = selectors.outcome_table(2024)
    assert len(many.captured_queries) == len(few.captured_queries) <= 4
    assert not [q["sql"] for q in many.captured_queries if "tickets_ticket" in q["sql"]]
    assert table == selectors.outcome_table(2024, from_tickets=True)
    assert sum(group["done"] for group in table) == 33


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_counters_finishing_with_topics_at_once_leave_the_topic_rollups_exact(services, operator):
    office = Office.objects.get(code="main")
    services["fl"].outcomes = OUTCOMES["fl"]
    services["fl"].save()
    tickets = called_at_ten_counters(office, services["fl"], operator)
    # Every finish writes the "pay" row; some also "meter" and "recalc", two none at all.
    picks = [["pay"], ["pay", "meter"], ["recalc", "pay"], ["pay", "meter", "recalc"], []] * 2
    all_at_once(
        tickets,
        lambda ticket, n: svc.ticket_finish(
            ticket=ticket, operator=operator, outcomes=picks[n], now=START + timedelta(seconds=700)
        ),
    )
    assert dict(OutcomeMonth.objects.values_list("code", "count")) == {"pay": 8, "meter": 4, "recalc": 4, "": 2}
    assert ServiceMonth.objects.get(service=services["fl"]).done == 10
    assert rollups.drift() == []
    assert selectors.outcomes(2024) == selectors.outcomes(2024, from_tickets=True)
