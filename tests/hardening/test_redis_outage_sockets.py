"""Redis unreachable: every WebSocket path answers cleanly, the office keeps working over HTTP,
and the log gets a line a minute, not a traceback per socket."""

import json

import httpx
import pytest
from django.test import Client
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from offices.models import Membership
from tests.helpers import add_counter, add_services, make_office, make_user, token_client

pytestmark = pytest.mark.usefixtures("allow_orm_in_browser_tests")

# What a screen is told when the channel layer is down: come back later.
CLOSE_TRY_AGAIN_LATER = 4503


def _socket_answer(url: str, headers: dict) -> tuple[str, int]:
    """("refused", HTTP status) for a refused handshake, or ("closed", close code) for an accepted socket."""
    try:
        with connect(url, additional_headers=headers, open_timeout=15, close_timeout=5) as socket:
            try:
                while True:
                    socket.recv(timeout=15)
            except ConnectionClosed as closed:
                return "closed", closed.rcvd.code if closed.rcvd else 1006
    except InvalidStatus as refused:
        return "refused", refused.response.status_code


def test_with_redis_down_every_socket_path_is_answered_without_a_5xx_and_issue_and_call_still_work(
    daphne, private_redis, django_user_model
):
    office = make_office("outage")
    services = add_services(office)
    counter = add_counter(office, "2", [services["fl"]])
    operator = make_user(django_user_model, "outage-op", office=office, role=Membership.Role.OPERATOR)
    manager = make_user(django_user_model, "outage-mgr", office=office, role=Membership.Role.MANAGER)
    auth = {"Authorization": token_client(operator)._credentials["HTTP_AUTHORIZATION"]}
    server = daphne(REDIS_URL=private_redis.url)
    ws = server.url.replace("http://", "ws://")
    api = httpx.Client(base_url=server.url, headers=auth, timeout=30)
    tracked = api.post("/api/v1/offices/outage/tickets/", json={"service": "fl"}).json()
    cookies = {}
    for user in (operator, manager):
        browser = Client()
        browser.force_login(user)
        cookies[user.pk] = f"sessionid={browser.cookies['sessionid'].value}"
    origin = {"Origin": "http://127.0.0.1"}
    # A display already connected when Redis goes away.
    display = connect(f"{ws}/ws/offices/outage/display/", additional_headers=origin, open_timeout=15)
    assert json.loads(display.recv(timeout=15))["type"] == "snapshot"

    private_redis.stop()
    # Its next heartbeat finds the layer down: the socket is closed with the same code.
    display.send(json.dumps({"type": "ping"}))
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            display.recv(timeout=15)
    assert closed.value.rcvd.code == CLOSE_TRY_AGAIN_LATER
    paths = {
        "display": (f"{ws}/ws/offices/outage/display/", origin),
        "operators": (f"{ws}/ws/offices/outage/operators/", {**origin, "Cookie": cookies[operator.pk]}),
        "monitor": (f"{ws}/ws/offices/outage/monitor/", {**origin, "Cookie": cookies[manager.pk]}),
        "ticket": (f"{ws}/ws/tickets/{tracked['token']}/", origin),
        "unknown": (f"{ws}/ws/nowhere/", origin),
    }
    answers = {name: _socket_answer(url, headers) for name, (url, headers) in paths.items()}
    # Twice more each, as screens reconnecting would.
    for _ in range(2):
        for name, (url, headers) in paths.items():
            assert _socket_answer(url, headers) == answers[name], name
    for name in ("display", "operators", "monitor", "ticket"):
        assert answers[name] == ("closed", CLOSE_TRY_AGAIN_LATER), (name, answers[name])
    assert answers["unknown"] == ("refused", 403)

    # Issue and call still work over HTTP.
    issued = api.post("/api/v1/offices/outage/tickets/", json={"service": "fl"})
    assert issued.status_code == 201, issued.text
    called = api.post(f"/api/v1/counters/{counter.pk}/call-next/")
    assert called.status_code == 200 and called.json()["number"] == tracked["number"], called.text

    log = server.log_path.read_text()
    assert "Traceback" not in log, log[-3000:]
    assert " 500 " not in log and "HTTP 500" not in log, log[-3000:]
    # One line for the sockets for the minute, whatever their number.
    assert log.count("channel layer unreachable") == 1, log[-3000:]
    api.close()


@pytest.mark.browser
def test_a_display_backs_off_while_redis_is_down_instead_of_retrying_every_second(daphne, page, private_redis):
    make_office("backoff")
    server = daphne(REDIS_URL=private_redis.url)
    private_redis.stop()
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.clock.install()
    page.goto(f"{server.url}/display/backoff/?voice=0&chime=0")
    # A minute of the page's time, a second at a time, with real time for each socket to open and close.
    for _ in range(60):
        page.clock.run_for(1000)
        page.wait_for_timeout(60)
    # Doubling from one second (with jitter): at most 1 + 6 attempts in a minute. A page that
    # restarted its backoff at every open retried every 0.5-1 s (about 80).
    assert 3 <= len(sockets) <= 8, sockets
    assert page.locator("#display").get_attribute("data-connected") == "0"
