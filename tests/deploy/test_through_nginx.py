"""The product as deployed: deploy/nginx.conf with TLS in front of two Daphne processes set up as
docker-compose.yml sets them up, on PostgreSQL and Redis (tests/topology.py)."""

import json
import re
import signal

import httpx
import pytest

from offices.models import Membership
from tests.helpers import add_counter, add_services, make_office, make_user, next_of_type

pytestmark = [pytest.mark.nginx, pytest.mark.postgres, pytest.mark.redis]

PASSWORD = "pass-12345"  # tests.helpers.make_user


def sign_in(client, username: str, password: str = PASSWORD):
    """The sign-in form, CSRF token and all, as a browser submits it."""
    page = client.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    return client.post(
        "/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": str(page.url)},
    )


@pytest.fixture
def hall(django_user_model):
    office = make_office("hall")
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]])
    operator = make_user(django_user_model, "operator-hall", office=office, role=Membership.Role.OPERATOR)
    manager = make_user(django_user_model, "manager-hall", office=office, role=Membership.Role.MANAGER)
    admin = django_user_model.objects.create_superuser(username="admin", password=PASSWORD)
    return {"office": office, "counter": counter, "operator": operator, "manager": manager, "admin": admin}


def test_every_page_is_served_over_https_without_a_redirect_loop(start_topology, hall):
    topology = start_topology()
    with topology.client(1, follow_redirects=True) as client:
        issued = client.post("/api/v1/offices/hall/tickets/", json={"service": "fl"})
        assert issued.status_code == 201, issued.text
        pages = [
            "/healthz", "/login/", "/display/hall/", "/kiosk/hall/", f"/t/{issued.json()['token']}/", "/api/docs/",
            "/api/schema/",
        ]  # fmt: skip
        for path in pages:
            response = client.get(path)
            assert response.status_code == 200, path
            assert str(response.url).startswith(topology.url), path
        # A page that needs a session sends the visitor to sign in, over https.
        response = client.get("/operator/")
        assert response.status_code == 200 and str(response.url).startswith(f"{topology.url}/login/")
        assert [r.status_code for r in response.history] == [302]

    with topology.client(1, follow_redirects=True) as client:
        signed_in = sign_in(client, "admin")
        assert signed_in.status_code == 200 and str(signed_in.url) == f"{topology.url}/", signed_in.text[:300]
        for path in ["/operator/", f"/operator/{hall['counter'].pk}/", "/monitor/", "/reports/", "/admin/"]:
            response = client.get(path)
            assert response.status_code == 200, path
            assert len(response.history) <= 1, [str(r.url) for r in response.history]
            assert response.headers["strict-transport-security"].startswith("max-age=")


def test_plain_http_is_redirected_to_https(start_topology, hall):
    topology = start_topology()
    for path in ["/", "/display/hall/?voice=0", "/api/v1/offices/hall/"]:
        response = httpx.get(topology.http_url + path, headers={"Host": "queue.example.ru"})
        assert response.status_code == 301
        assert response.headers["location"] == f"https://queue.example.ru{path}"


def test_the_three_sockets_work_over_wss(start_topology, hall):
    topology = start_topology()
    with topology.client(2, follow_redirects=True) as operator:
        assert sign_in(operator, "operator-hall").status_code == 200
        session = f"sessionid={operator.cookies['sessionid']}"
        with topology.client(2) as api:
            token = api.post("/api/v1/auth/token/", json={"username": "operator-hall", "password": PASSWORD})
        assert token.status_code == 200, token.text
        operator.headers["Authorization"] = f"Token {token.json()['token']}"
        issued = operator.post("/api/v1/offices/hall/tickets/", json={"service": "fl"}).json()
        with (
            topology.websocket("/ws/offices/hall/display/", 3) as display,
            topology.websocket("/ws/offices/hall/operators/", 2, headers={"Cookie": session}) as operators,
            topology.websocket(f"/ws/tickets/{issued['token']}/", 4) as phone,
        ):
            for socket in (display, operators, phone):
                assert json.loads(socket.recv(timeout=5))["type"] in ("snapshot", "ticket")
            called = operator.post(f"/api/v1/counters/{hall['counter'].pk}/call-next/")
            assert called.status_code == 200, called.text
            assert next_of_type(display, "ticket.called")["ticket"] == issued["number"]
            assert json.loads(operators.recv(timeout=5))["type"]
            assert "called" in phone.recv(timeout=5)


def token_status(client, username: str, password: str) -> int:
    return client.post("/api/v1/auth/token/", json={"username": username, "password": password}).status_code


def test_an_attackers_failures_never_lock_the_user_out_from_another_address(start_topology, hall):
    topology = start_topology()
    with topology.client(5) as attacker, topology.client(6, follow_redirects=True) as colleague:
        statuses = [token_status(attacker, "operator-hall", "guess") for _ in range(5)]
        assert statuses == [401, 401, 401, 401, 429]
        assert token_status(attacker, "operator-hall", PASSWORD) == 429
        # The operator at another address signs in on the page and through the API.
        assert token_status(colleague, "operator-hall", PASSWORD) == 200
        signed_in = sign_in(colleague, "operator-hall")
        assert str(signed_in.url) == f"{topology.url}/" and "sessionid" in colleague.cookies


def test_password_spraying_from_one_address_is_stopped(start_topology, hall, django_user_model):
    topology = start_topology()
    names = [f"op-{n}" for n in range(10)]
    for name in names:
        make_user(django_user_model, name, office=hall["office"], role=Membership.Role.OPERATOR)
    with topology.client(7) as sprayer, topology.client(8) as office_pc:
        statuses = []
        for name in names:
            statuses += [token_status(sprayer, name, "guess") for _ in range(4)]
            statuses.append(token_status(sprayer, name, PASSWORD))
        # 30 failures from one address across user names, then nothing more from it.
        assert statuses.count(401) == 29
        assert set(statuses[statuses.index(429) :]) == {429}
        refused = sprayer.post("/api/v1/auth/token/", json={"username": "op-9", "password": PASSWORD})
        assert refused.json()["error"]["code"] == "too_many_attempts"
        assert int(refused.headers["retry-after"]) == 15 * 60
        # The same users sign in from another address.
        assert [token_status(office_pc, name, PASSWORD) for name in names] == [200] * len(names)


def test_the_remote_ticket_limit_counts_per_real_client(start_topology, hall):
    hall["office"].remote_tickets = True
    hall["office"].save()
    topology = start_topology(REMOTE_TICKETS_PER_CLIENT="3/hour")
    with topology.client(9) as first, topology.client(10) as second:
        issue = {"json": {"service": "fl"}}
        statuses = [first.post("/api/v1/offices/hall/tickets/", **issue).status_code for _ in range(4)]
        assert statuses == [201, 201, 201, 429]
        # Another phone in the same hall, behind the same nginx, is its own client.
        assert second.post("/api/v1/offices/hall/tickets/", **issue).status_code == 201


def test_static_files_and_the_api_docs_load(start_topology, hall):
    topology = start_topology()
    with topology.client(11) as client:
        docs = client.get("/api/docs/")
        assert docs.status_code == 200
        assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', docs.text)
        assert any("swagger-ui" in asset for asset in assets), assets
        for path in [*assets, "/static/js/live.js", "/static/admin/css/base.css"]:
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.headers.get("expires"), f"{path} was not served by nginx from the static volume"
        schema = client.get("/api/schema/", headers={"Accept": "application/json"})
        assert schema.status_code == 200 and "/api/v1/auth/token/" in schema.text


def test_with_one_daphne_killed_the_other_carries_on_and_the_displays_move_over(start_topology, hall):
    # Nothing a node keeps is needed by another: sessions (database), the seq
    # counters and the remote-ticket limits (Redis) carry over to the survivor.
    topology = start_topology(REMOTE_TICKETS_PER_CLIENT="3/hour")
    hall["office"].remote_tickets = True
    hall["office"].save()
    with topology.client(12) as api, topology.client(11, follow_redirects=True) as browser:
        token = api.post("/api/v1/auth/token/", json={"username": "operator-hall", "password": PASSWORD}).json()
        api.headers["Authorization"] = f"Token {token['token']}"
        assert sign_in(browser, "operator-hall").status_code == 200
        with topology.client(21) as phone:
            for _ in range(2):
                assert phone.post("/api/v1/offices/hall/tickets/", json={"service": "fl"}).status_code == 201
        # nginx hands connections to web1 and web2 in turn: four displays land on both.
        displays = [topology.websocket("/ws/offices/hall/display/", 13 + n).__enter__() for n in range(4)]
        try:
            seq = {json.loads(display.recv(timeout=5))["seq"] for display in displays}
            assert len(seq) == 1, seq
            topology.daphnes[0].process.send_signal(signal.SIGKILL)
            topology.daphnes[0].process.wait(timeout=10)
            survivors, moved = [], 0
            for n, display in enumerate(displays):
                try:
                    display.ping().wait(timeout=2)
                    survivors.append(display)
                except Exception:  # the socket died with its process: reconnect, as the page does
                    display.close()
                    reconnected = topology.websocket("/ws/offices/hall/display/", 13 + n).__enter__()
                    snapshot = json.loads(reconnected.recv(timeout=5))
                    # The same numbering, not a fresh one of the survivor's: no reset on the screen.
                    assert snapshot["type"] == "snapshot" and {snapshot["seq"]} == seq
                    survivors.append(reconnected)
                    moved += 1
            displays = survivors
            assert moved >= 1, "no display was on the killed process"
            # The operator is still signed in, and the phone's limit still counts its two tickets.
            assert str(browser.get("/operator/").url) == f"{topology.url}/operator/"
            with topology.client(21) as phone:
                assert phone.post("/api/v1/offices/hall/tickets/", json={"service": "fl"}).status_code == 201
                assert phone.post("/api/v1/offices/hall/tickets/", json={"service": "fl"}).status_code == 429
            # Every request still succeeds: nginx passes over the dead upstream.
            numbers = []
            for _ in range(6):
                issued = api.post("/api/v1/offices/hall/tickets/", json={"service": "fl"})
                assert issued.status_code == 201, issued.text
                numbers.append(issued.json()["number"])
            called = api.post(f"/api/v1/counters/{hall['counter'].pk}/call-next/")
            assert called.status_code == 200, called.text
            for display in displays:
                assert next_of_type(display, "ticket.called")["ticket"] == "А001"
        finally:
            for display in displays:
                display.close()


def test_a_ticket_issued_through_nginx_reaches_a_webhook_receiver_through_the_worker(start_topology, hall):
    import time

    from events.models import Subscription
    from tests.receiver import FakeReceiver, signature_valid

    receiver = FakeReceiver().start()
    try:
        Subscription.objects.create(url=receiver.url, secret="topology-secret", events=["ticket.issued"])
        topology = start_topology()
        with topology.client(1) as client:
            issued = client.post("/api/v1/offices/hall/tickets/", json={"service": "fl"})
            assert issued.status_code == 201, issued.text
        deadline = time.monotonic() + 20
        while not receiver.accepted():
            assert time.monotonic() < deadline, "the worker sent nothing"
            time.sleep(0.1)
        (received,) = receiver.accepted()
        assert received.payload["type"] == "ticket.issued"
        assert received.payload["data"]["number"] == issued.json()["number"]
        assert signature_valid("topology-secret", received.signature, received.body)
    finally:
        receiver.stop()
