"""PostgreSQL going away: 503 with the standard body, nothing half-written, recovery without a restart."""

import time

import httpx
import pytest
from django.db import connection

from offices.models import Membership
from tests.helpers import add_counter, add_services, make_office, make_user, token_client
from tests.servers import TcpProxy
from tickets.models import Ticket, TicketEvent


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
            assert response.json()["error"]["code"] == "service_unavailable"
            assert "Сервис временно недоступен" in response.json()["error"]["message"]
            assert response.headers["Retry-After"] == "30"
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
    finally:
        proxy.stop()
