"""Real deliver_events processes: killed mid-batch, and two at once (PostgreSQL)."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter as Tally

import pytest
from django.conf import settings

from events.models import Delivery, Event, Subscription
from tickets import services as ts

from ..servers import test_database_url as database_url
from .conftest import SECRET


def worker(tmp_path, name: str, **env) -> subprocess.Popen:
    log = open(tmp_path / f"{name}.log", "ab")
    return subprocess.Popen(
        [sys.executable, "manage.py", "deliver_events"],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "queue_system.settings",
            "WEBHOOK_POLL_SECONDS": "0.05",
            "WEBHOOK_RETRY_BASE_SECONDS": "0.05",
            **env,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def issue_many(office, service, n: int) -> None:
    for _ in range(n):
        ts.ticket_issue(office=office, service=service)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_in_the_middle_of_a_batch_loses_nothing(tmp_path, receiver, office, services):
    Subscription.objects.create(url=receiver.url, secret=SECRET, events=["ticket.issued"])
    issue_many(office, services["fl"], 30)
    receiver.delay = 0.05  # a batch of 20 takes about a second to send
    first = worker(tmp_path, "first", WEBHOOK_BATCH_SIZE="20")
    try:
        wait_for(lambda: len(receiver.received) >= 5)
        first.send_signal(signal.SIGKILL)  # no chance to finish or roll back by itself
        first.wait()
    finally:
        stop(first)
    sent_before_kill = {r.event_id for r in receiver.received}
    # Killed mid-batch: the receiver got events whose deliveries never committed.
    assert Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() < len(sent_before_kill)
    receiver.delay = 0
    second = worker(tmp_path, "second")
    try:
        wait_for(lambda: not Delivery.objects.exclude(status=Delivery.Status.DELIVERED).exists())
    finally:
        stop(second)
    ids = {str(uid) for uid in Event.objects.values_list("uid", flat=True)}
    assert {r.event_id for r in receiver.accepted()} == ids
    # What the killed worker had sent comes again, under the same id, at most once more.
    tally = Tally(r.event_id for r in receiver.received)
    assert max(tally.values()) <= 2
    for r in receiver.received:
        assert r.payload["id"] == r.event_id


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_together_send_each_event_once(tmp_path, receiver, office, services, counters, operator):
    Subscription.objects.create(url=receiver.url, secret=SECRET, events=["ticket.issued", "ticket.called"])
    issue_many(office, services["fl"], 60)
    for _ in range(10):
        ts.ticket_call_next(counter=counters["1"], operator=operator)
        ts.ticket_finish(ticket=counters["1"].tickets.filter(status="called").get(), operator=operator)
    receiver.delay = 0.03
    workers = [worker(tmp_path, f"w{n}", WEBHOOK_BATCH_SIZE="5") for n in range(2)]
    try:
        wait_for(lambda: not Delivery.objects.exclude(status=Delivery.Status.DELIVERED).exists(), timeout=60)
    finally:
        for process in workers:
            stop(process)
    tally = Tally(r.event_id for r in receiver.received)
    assert len(tally) == Event.objects.count() == 70
    assert set(tally.values()) == {1}
    # Both sent at the same time (each worker sends one request at a time).
    assert receiver.most_in_flight >= 2
    called = {str(e.uid): e.key for e in Event.objects.filter(type="ticket.called")}
    issued = {e.key: str(e.uid) for e in Event.objects.filter(type="ticket.issued")}
    order = [r.event_id for r in receiver.received]
    for uid, key in called.items():
        assert order.index(issued[key]) < order.index(uid)
