"""Round three (issue 19): inputs that were 5xx or showed Django's face, one test per fix.

Lone UTF-16 surrogates are refused once, at parsing; over-long user names are
wrong sign-ins; the CSRF page, the schema's and docs' errors and the lockout
answer are the product's own.
"""

import json
import logging
from urllib.parse import quote

import pytest
from axes.models import AccessFailureLog
from django.test import Client

from offices.models import Membership
from queue_system.logfilters import OneLinePerMinute
from tests.helpers import add_counter, add_services, make_office, make_user, token_client
from tickets import services as svc

FORM = "application/x-www-form-urlencoded"


def form_body(fields: dict[str, str]) -> str:
    # What a client sends for a lone surrogate: its UTF-8 bytes (ED B0 80), percent-encoded.
    return "&".join(f"{key}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}" for key, value in fields.items())


@pytest.fixture
def world(django_user_model):
    office = make_office("main")
    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]])
    second = add_counter(office, "2", [services["fl"]])
    operator = make_user(django_user_model, "op", office=office, role=Membership.Role.OPERATOR)
    manager = make_user(django_user_model, "mgr", office=office, role=Membership.Role.MANAGER)
    ticket = svc.ticket_issue(office=office, service=services["fl"])
    svc.ticket_call_chosen(counter=second, ticket=ticket, operator=operator)
    return {"counter": counter, "ticket": ticket, "operator": token_client(operator), "manager": token_client(manager)}


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["\udc00", "\ud800", "open\udc00", "\ud83d"])
def test_a_lone_surrogate_in_a_json_body_is_a_russian_parse_error_and_not_a_500(world, value):
    counter, ticket = world["counter"].pk, world["ticket"].pk
    for who, path, body in (
        ("operator", f"/api/v1/counters/{counter}/state/", {"state": value}),
        ("manager", f"/api/v1/counters/{counter}/remote/", {"state": value}),
        ("operator", f"/api/v1/tickets/{ticket}/transfer/", {"position": value}),
        ("operator", f"/api/v1/tickets/{ticket}/transfer/", {"service": "cash", "note": value}),
        ("operator", f"/api/v1/tickets/{ticket}/transfer/", {value: "cash"}),
        ("operator", "/api/v1/auth/token/", {"username": [{"deep": [value]}], "password": "x"}),
    ):
        # json.dumps writes the surrogate as the escape \udc00, as a hostile client would.
        response = world[who].post(path, json.dumps(body), content_type="application/json")
        assert response.status_code == 400, (path, body, response.content[:200])
        assert response.json()["error"] == {
            "code": "parse_error",
            "message": "Тело запроса содержит недопустимый символ (одиночный суррогат UTF-16).",
        }


@pytest.mark.django_db
def test_a_surrogate_pair_written_as_escapes_is_an_ordinary_character(world):
    response = world["operator"].post(
        f"/api/v1/tickets/{world['ticket'].pk}/transfer/",
        '{"service": "cash", "note": "\\ud83d\\ude00 ok"}',
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    world["ticket"].refresh_from_db()
    assert world["ticket"].note == "😀 ok"


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["\udc00", "admin\ud800"])
def test_a_lone_surrogate_in_a_form_or_a_query_is_the_russian_400_page(world, value):
    client = Client()
    for response in (
        client.post("/login/", form_body({"username": value, "password": "x"}), content_type=FORM),
        client.post("/admin/login/", form_body({"username": value, "password": "x"}), content_type=FORM),
        client.get(f"/login/?{form_body({'next': value})}"),
        client.get(f"/api/v1/offices/?{form_body({'office': value})}"),
    ):
        assert response.status_code == 400
        if response["Content-Type"].startswith("application/json"):
            assert response.json()["error"]["code"] == "bad_request"
        else:
            assert "Некорректный запрос" in response.content.decode()
    assert not AccessFailureLog.objects.exists()  # refused before any sign-in was tried


@pytest.mark.postgres  # SQLite does not enforce the length of axes' 255-character columns
@pytest.mark.django_db
@pytest.mark.parametrize("length", [256, 1000])
def test_an_over_long_user_name_is_a_wrong_sign_in_that_counts_toward_the_address_limit(settings, length):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    client = Client()
    name = "и" * length
    for path in ("/login/", "/admin/login/"):
        response = client.post(path, {"username": name, "password": "x"})
        assert response.status_code == 200, response.content[:300]
        assert "Неверное имя пользователя или пароль" in response.content.decode()
    assert AccessFailureLog.objects.count() == 2
    assert len(AccessFailureLog.objects.first().username) == 255
    response = client.post("/login/", {"username": name, "password": "x"})
    assert response.status_code == 429  # the third failure from this address locks it out
    token = Client().post("/api/v1/auth/token/", {"username": "x" * length, "password": "x"}, "application/json")
    assert token.status_code == 400  # the API's serializer caps the name at 150


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/admin/login/", "/logout/"])
@pytest.mark.parametrize("referer", ["", "http://testserver/login/?next=/operator/", "https://evil.example/"])
def test_a_missing_csrf_token_gets_the_russian_page_with_a_way_back(path, referer):
    client = Client(enforce_csrf_checks=True)
    headers = {"HTTP_REFERER": referer} if referer else {}
    response = client.post(path, {"username": "op", "password": "x"}, **headers)
    assert response.status_code == 403
    page = response.content.decode()
    assert '<html lang="ru">' in page
    assert "Страница устарела" in page
    assert "<style" not in page and "style=" not in page  # the CSP blocks inline styles
    if referer.startswith("http://testserver/"):
        expected = "http://testserver/login/?next=/operator/".replace("&", "&amp;")
    else:
        expected = "/admin/login/" if path.startswith("/admin/") else "/login/"
    assert f'href="{expected}"' in page
    # The way back works: it opens a form with a fresh token.
    assert client.get(expected).status_code == 200


@pytest.mark.django_db
def test_a_signed_in_page_calling_the_api_without_its_csrf_token_gets_the_russian_json(world, django_user_model):
    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.get(username="op"))
    response = client.post(f"/api/v1/counters/{world['counter'].pk}/state/", {"state": "open"}, "application/json")
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "csrf_failed",
        "message": "Страница устарела: откройте её заново и повторите действие.",
    }


@pytest.mark.django_db
def test_the_schema_and_the_docs_answer_their_errors_in_the_api_json():
    client = Client()
    for response, status, code in (
        (client.post("/api/schema/"), 405, "method_not_allowed"),
        (client.get("/api/schema/", HTTP_AUTHORIZATION="Token nope"), 401, "authentication_failed"),
        (client.get("/api/docs/", HTTP_AUTHORIZATION="Token nope"), 401, "authentication_failed"),
        (client.delete("/api/docs/"), 405, "method_not_allowed"),
    ):
        assert response.status_code == status
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"]["code"] == code
        assert any("а" <= char <= "я" for char in response.json()["error"]["message"])
    # Their success answers are unchanged.
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/")["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_the_lockout_json_is_utf8_like_every_other_error(settings, django_user_model):
    settings.AXES_FAILURE_LIMIT = 1
    client = Client()
    response = client.post("/api/v1/auth/token/", {"username": "someone", "password": "x"}, "application/json")
    response = client.post("/api/v1/auth/token/", {"username": "someone", "password": "x"}, "application/json")
    assert response.status_code == 429
    assert "Слишком много неудачных попыток входа".encode() in response.content
    assert response.json()["error"] == {
        "code": "too_many_attempts",
        "message": "Слишком много неудачных попыток входа. Повторите попытку позже.",
    }


@pytest.mark.django_db
def test_the_ticket_qr_code_is_cached_only_by_the_browser(world):
    response = Client().get(f"/t/{world['ticket'].token}/qr.svg")
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


@pytest.mark.django_db
def test_a_wrong_host_header_logs_one_line_a_minute_without_a_traceback(caplog):
    # Each dictConfig of the settings (some tests re-run it) adds one more filter: reset them all.
    rate_limits = [
        f for f in logging.getLogger("django.security.DisallowedHost").filters if isinstance(f, OneLinePerMinute)
    ]
    assert rate_limits
    for rate_limit in rate_limits:
        rate_limit.last, rate_limit.skipped = float("-inf"), 0
    client = Client()
    with caplog.at_level(logging.ERROR, logger="django.security.DisallowedHost"):
        statuses = {client.get("/", HTTP_HOST=f"evil-{n}.example").status_code for n in range(5)}
    assert statuses == {400}
    records = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert len(records) == 1
    assert records[0].exc_info is None
    assert "evil-0.example" in records[0].getMessage()
    for rate_limit in rate_limits:
        rate_limit.last -= rate_limit.interval  # a minute later
    with caplog.at_level(logging.ERROR, logger="django.security.DisallowedHost"):
        client.get("/", HTTP_HOST="evil-5.example")
    records = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert "(and 4 more in the last minute, not logged)" in records[-1].getMessage()
