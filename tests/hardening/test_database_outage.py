"""The database going away: 503 database_unavailable, nothing half-written, recovery without a restart."""

import logging
import time

import httpx
import pytest
from django.db import OperationalError, connection

from offices.models import Membership
from queue_system import errors
from tests.helpers import add_counter, add_services, make_office, make_user, token_client
from tests.servers import TcpProxy, free_port
from tickets.errors import DATABASE_UNAVAILABLE
from tickets.models import Ticket, TicketEvent


def refuse_every_query(execute, sql, params, many, context):
    raise OperationalError('connection to server at "10.0.0.7", port 5432 failed: Connection refused')


@pytest.fixture
def fresh_outage_log(monkeypatch):
    monkeypatch.setattr(errors, "_database_log", {"next": 0.0, "suppressed": 0})


@pytest.mark.django_db
def test_an_unreachable_database_answers_503_database_unavailable_and_logs_one_line(client, fresh_outage_log, caplog):
    office = make_office("gone")
    add_services(office)
    with connection.execute_wrapper(refuse_every_query), caplog.at_level(logging.INFO):
        answers = [
            client.post("/api/v1/offices/gone/tickets/", {"service": "fl"}, "application/json") for _ in range(3)
        ]
        page = client.get("/kiosk/gone/")
    for answer in answers:
        assert answer.status_code == 503
        assert answer.json() == {"error": {"code": "database_unavailable", "message": DATABASE_UNAVAILABLE}}
        assert answer["Retry-After"] == "5"
    assert page.status_code == 503 and "Сервис временно недоступен" in page.content.decode()
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in lines] == [
        'database unavailable: connection to server at "10.0.0.7", port 5432 failed: Connection refused'
    ]
    assert not any(r.exc_info for r in lines)  # no traceback
    # And the next request, with the database back, is served as if nothing happened.
    assert client.post("/api/v1/offices/gone/tickets/", {"service": "fl"}, "application/json").status_code == 201


def test_the_outage_line_repeats_once_a_minute_counting_what_it_left_out(fresh_outage_log, caplog, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(errors.time, "monotonic", lambda: now[0])
    with caplog.at_level(logging.ERROR):
        for _ in range(5):
            errors.log_database_unavailable(OperationalError("refused"))
        now[0] += errors.DATABASE_LOG_INTERVAL_SECONDS
        errors.log_database_unavailable(OperationalError("refused"))
    assert [r.getMessage() for r in caplog.records] == [
        "database unavailable: refused",
        "database unavailable: refused (4 more since the last line)",
    ]


@pytest.mark.postgres
def test_the_api_answers_503_while_the_database_is_away_and_recovers_by_itself(daphne, django_user_model):
    office = make_office("outage")
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]])
    operator = make_user(django_user_model, "outage-op", office=office, role=Membership.Role.OPERATOR)
    auth = {"Authorization": token_client(operator)._credentials["HTTP_AUTHORIZATION"]}
    db = connection.settings_dict
    proxy = TcpProxy(int(db["PORT"] or 5432)).start()
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    url = f"postgres://{db['USER']}{password}@127.0.0.1:{proxy.port}/{db['NAME']}"
    server = daphne(DATABASE_URL=url, DB_POOL_TIMEOUT="2", DB_POOL_MIN="1")
    api = httpx.Client(base_url=server.url, headers=auth, timeout=30)
    try:
        assert api.post("/api/v1/offices/outage/tickets/", json={"service": "fl"}).status_code == 201
        before = (Ticket.objects.count(), TicketEvent.objects.count())

        proxy.stop()
        for method, path, body in [
            ("post", "/api/v1/offices/outage/tickets/", {"service": "fl"}),
            ("post", f"/api/v1/counters/{counter.pk}/call-next/", None),
            ("get", "/api/v1/offices/outage/queue/", None),
        ]:
            response = getattr(api, method)(path, **({"json": body} if body else {}))
            assert response.status_code == 503, (path, response.status_code, response.text[:300])
            assert response.json()["error"] == {"code": "database_unavailable", "message": DATABASE_UNAVAILABLE}
            assert response.headers["Retry-After"] == "5"
        health = httpx.get(f"{server.url}/healthz", timeout=30)
        assert health.status_code == 503 and health.json()["database"] == "unavailable"
        page = httpx.get(f"{server.url}/kiosk/outage/", timeout=30)
        assert page.status_code == 503 and "Сервис временно недоступен" in page.text
        assert (Ticket.objects.count(), TicketEvent.objects.count()) == before  # nothing half-written

        proxy.start()
        # The pool reconnects in the background with a backoff: within seconds,
        # with nothing but clean 503s meanwhile.
        deadline = time.monotonic() + 30
        while True:
            issued = api.post("/api/v1/offices/outage/tickets/", json={"service": "fl"})
            if issued.status_code != 503 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert issued.status_code == 201 and issued.json()["number"] == "А002"
        assert api.post(f"/api/v1/counters/{counter.pk}/call-next/").json()["number"] == "А001"
        assert httpx.get(f"{server.url}/healthz", timeout=30).status_code == 200
        log = server.log_path.read_text()
        assert log.count("database unavailable") == 1 and "Traceback" not in log
    finally:
        proxy.stop()


@pytest.mark.postgres
def test_a_database_url_with_several_hosts_reaches_the_one_that_accepts_writes(daphne, django_user_model):
    # libpq's multi-host form: the first host is down, the second is the primary.
    add_services(make_office("multi"))
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    url = (
        f"postgres://{db['USER']}{password}@127.0.0.1:{free_port()},127.0.0.1:{db['PORT'] or 5432}/{db['NAME']}"
        "?target_session_attrs=read-write"
    )
    server = daphne(DATABASE_URL=url, DB_POOL_MIN="1")
    issued = httpx.post(f"{server.url}/api/v1/offices/multi/tickets/", json={"service": "fl"}, timeout=30)
    assert issued.status_code == 201, issued.text[:300]
