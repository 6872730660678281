"""Real processes on PostgreSQL: two notify loops and two delivery workers tell each call once."""

import os
import subprocess
import sys
import time
from collections import Counter as Tally

import pytest
from django.conf import settings

from notify.services import subscriber_link, subscriber_start
from tickets import services as ts
from tickets.models import Ticket

from ..events.test_workers import stop, wait_for
from ..servers import test_database_url as database_url
from .fakes import TOKEN, FakeTelegram


def process(tmp_path, command: str, name: str, telegram: FakeTelegram) -> subprocess.Popen:
    log = open(tmp_path / f"{name}.log", "ab")
    return subprocess.Popen(
        [sys.executable, "manage.py", command],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "queue_system.settings",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BOT_USERNAME": "queue_test_bot",
            "TELEGRAM_API_URL": telegram.url,
            "NOTIFY_POLL_SECONDS": "0.05",
            "WEBHOOK_POLL_SECONDS": "0.05",
            "WEBHOOK_BATCH_SIZE": "2",
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_loops_and_two_workers_send_each_call_once(tmp_path, settings, office, services, counters, operator):
    telegram = FakeTelegram().start()
    settings.TELEGRAM_BOT_USERNAME = "queue_test_bot"
    tickets = [ts.ticket_issue(office=office, service=services["fl"]) for _ in range(8)]
    for n, ticket in enumerate(tickets):
        code = subscriber_start(ticket=ticket).rsplit("=", 1)[1]
        assert subscriber_link(code=code, chat_id=str(100 + n))[1] is not None
    running = [process(tmp_path, "notify", f"notify{n}", telegram) for n in range(2)]
    running += [process(tmp_path, "deliver_events", f"worker{n}", telegram) for n in range(2)]
    try:
        for _ in tickets:
            called = ts.ticket_call_next(counter=counters["1"], operator=operator)
            time.sleep(0.05)
            ts.ticket_finish(ticket=Ticket.objects.get(pk=called.pk), operator=operator)
        wait_for(lambda: sum("вызван к окну" in t for t in telegram.texts()) >= len(tickets), timeout=60)
        time.sleep(1)  # a second copy, if any, would come now
    finally:
        for p in running:
            stop(p)
        telegram.stop()
    sent = Tally((m["chat_id"], m["text"]) for m in telegram.sent if m["answered"] == 200)
    assert set(sent.values()) == {1}
    for n, ticket in enumerate(tickets):
        assert sent[(str(100 + n), f"Ваш талон {ticket.number} вызван к окну 1.")] == 1
