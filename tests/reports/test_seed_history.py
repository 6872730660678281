"""The demo history agrees with itself: the channel table counts the calls and appeals the other tables list."""

import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count

from reports import selectors
from reports.models import Appeal, Call, ContactCount, Disclosure
from tickets.models import Ticket


@pytest.fixture
def demo_history(db):
    """The demo offices and their history up to 14 November 2025, at one ticket a day per office (small and fast)."""
    with time_machine.travel(datetime(2025, 11, 15, 9, tzinfo=UTC), tick=False):
        call_command("seed_demo", stdout=io.StringIO())
        call_command("seed_history", per_day=1, stdout=io.StringIO())


def test_the_contact_centre_and_cabinet_figures_of_the_channel_table_are_the_rows_of_their_tables(demo_history):
    assert Ticket.objects.filter(imported=True).exists()
    for year in (2024, 2025):
        channels = {row["key"]: row for row in selectors.channels(year)}
        calls = selectors.contact_center(year)
        appeals = selectors.personal_account(year)
        assert channels["contact_center"]["total"] == calls["total"]["calls"] > 0
        assert channels["personal_account"]["total"] == appeals["total"]["appeals"] > 0
        for m in range(12):
            assert channels["contact_center"]["months"][m] == calls["months"][m]["calls"], (year, m)
            assert channels["personal_account"]["months"][m] == appeals["months"][m]["appeals"], (year, m)
    # The current month counts to yesterday everywhere; nothing is recorded after it.
    november = {row["key"]: row["months"][10] for row in selectors.channels(2025)}
    assert november["contact_center"] > 0 and november["individuals"] is not None
    assert {row["key"]: row["months"][11] for row in selectors.channels(2025)}["remote"] is None


def test_the_remote_channels_are_scaled_like_the_in_person_ones(demo_history):
    """The published report has about 0.8 remote contacts per in-person one (567 414 to 712 413)."""
    channels = {row["key"]: row for row in selectors.channels(2024)}
    in_person = channels["in_person"]["total"] + channels["cashier"]["total"]
    ratio = channels["remote"]["total"] / in_person
    assert 0.6 < ratio < 1.1, ratio
    # Every call and appeal row is counted in exactly one monthly figure of its channel.
    assert Call.objects.count() == sum(
        ContactCount.objects.filter(channel="contact_center").values_list("count", flat=True)
    )
    per_month = dict(Appeal.objects.values_list("month").annotate(n=Count("id")))
    imported = dict(ContactCount.objects.filter(channel="personal_account").values_list("month", "count"))
    assert per_month == imported


def test_this_years_disclosure_text_is_not_last_years(demo_history):
    last, current = Disclosure.objects.get(year=2024), Disclosure.objects.get(year=2025)
    for field in ("measures_done", "measures_planned", "remote_hours"):
        assert getattr(last, field) and getattr(current, field)
        assert getattr(last, field) != getattr(current, field), field
    # Not one measure is repeated word for word from last year's lists.
    last_items = set(Disclosure.lines(last.measures_done)) | set(Disclosure.lines(last.measures_planned))
    assert last_items.isdisjoint(Disclosure.lines(current.measures_done))
    assert last_items.isdisjoint(Disclosure.lines(current.measures_planned))


def test_the_demo_history_has_topics_from_its_services_lists(demo_history):
    rows = selectors.outcomes(2025)
    assert rows and all(r["count"] > 0 for r in rows)
    named = {(r["service"], r["outcome"]) for r in rows if r["outcome"]}
    assert ("fl", "meter_reading") in named and ("cash", "payment") in named
    # Every served visit of a service with topics has one.
    assert not [r for r in rows if r["outcome"] is None and r["service"] in ("fl", "ul", "cash")]


def test_the_demo_history_has_ratings_for_the_satisfaction_report(demo_history):
    from feedback.models import Feedback
    from reports.satisfaction import satisfaction_report

    total = satisfaction_report(2025)["total"]
    # About one visit in four rated, mostly 4 and 5 (fixed seed: the same numbers on every run).
    assert 0.1 < total["response_rate"] < 0.45, total
    assert total["csat"] > 0.6 and 3.5 < total["average"] < 4.8, total
    # Already seen: the history does not flood the monitor.
    assert not Feedback.objects.filter(seen_at__isnull=True).exists()


def test_the_analytics_reports_have_a_history_too(demo_history):
    from reports import analytics
    from tickets import rollups

    with time_machine.travel(datetime(2025, 11, 15, 9, tzinfo=UTC), tick=False):
        assert rollups.drift() == []
        assert analytics.load(2025)["busiest"]
        assert analytics.norm(2025) and analytics.estimates(2025)
        people = analytics.operators(2025)
    assert people and all(r["open_seconds"] > 0 for r in people)
    assert any(b["reason"] == "Обед" for r in people for b in r["breaks"])
    assert Ticket.objects.filter(imported=True, promised_wait_seconds__isnull=True).count() == 0
