"""Hostile or broken input gets a clear 4xx, never a 5xx, and changes nothing."""

import pytest
from django.test import Client

from tests.helpers import token_client
from tickets.models import Ticket

URL = "/api/v1/offices/main/tickets/"


def error(response) -> str:
    assert response.status_code < 500, response.content[:200]
    return response.json()["error"]["code"]


@pytest.fixture
def client(services):
    return Client()


def test_an_oversized_body_is_refused(client):
    body = '{"service": "fl", "pad": "' + "x" * 3_000_000 + '"}'
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 413 and error(response) == "payload_too_large"
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x"])
def test_a_wrong_content_type_is_refused(client, content_type):
    response = client.post(URL, '{"service": "fl"}', content_type=content_type)
    assert response.status_code == 415 and error(response) == "unsupported_media_type"
    assert not Ticket.objects.exists()


def test_non_utf8_bytes_are_refused(client):
    response = client.post(URL, b'{"service": "\xff\xfe\xfa"}', content_type="application/json")
    assert response.status_code == 400 and error(response) == "parse_error"
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("service", "code"),
    [
        ("f" * 10_000, "invalid"),  # very long
        ("fӏ", "unknown_service"),  # Cyrillic palochka looks like a Latin l
        ("ＦＬ", "unknown_service"),  # full-width letters
        ("fl\u200b", "unknown_service"),  # zero-width space
        ("", "invalid"),
        (["fl"], "invalid"),
        (None, "invalid"),
    ],
)
def test_odd_service_codes_are_refused(client, service, code):
    response = client.post(URL, {"service": service}, content_type="application/json")
    assert response.status_code == 400 and error(response) == code
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("body", ["[]", "null", '"fl"', "123", "{", '{"service": "fl",}'])
def test_a_malformed_or_empty_body_is_refused(client, body):
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 400 and error(response) in ("parse_error", "invalid")
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "header", ["Token", "Token ", "Token abc", "Token " + "z" * 500, "Bearer xyz", "Token a b", "Token \xe9\xe8\xff"]
)
def test_a_malformed_token_is_refused(counters, header):
    response = Client().post(f"/api/v1/counters/{counters['1'].pk}/call-next/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401, header
    assert error(response) in ("authentication_failed", "not_authenticated")


@pytest.mark.parametrize("year", ["-1", "0", "1e9", "2024.5", "٢٠٢٤", "20240", "99999999999999999999999"])
def test_a_negative_huge_or_odd_year_is_refused(manager, year):
    response = token_client(manager).get(f"/api/v1/reports/channels/?year={year}")
    assert response.status_code == 400 and error(response) == "invalid_year"


def test_unknown_paths_and_methods_answer_in_the_error_format(op_client, counters):
    response = op_client.get(f"/api/v1/counters/{counters['1'].pk}/call-next/")
    assert response.status_code == 405 and error(response) == "method_not_allowed"
    response = op_client.put("/api/v1/offices/main/tickets/", {}, format="json")
    assert response.status_code == 405


def test_a_huge_ticket_id_or_token_is_not_found(op_client):
    assert op_client.post("/api/v1/tickets/99999999999999999999/finish/").status_code == 404
    assert Client().get("/api/v1/tickets/" + "x" * 5000 + "/").status_code == 404


# A NUL character (PostgreSQL text cannot hold one) is refused at the edge.


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tickets/%00/",
        "/api/v1/reports/channels/?office=%00",
        "/api/v1/offices/main/queue/?x=%00",
    ],
)
def test_a_nul_in_an_api_path_or_query_is_a_json_400(manager, services, path):
    response = token_client(manager).get(path)
    assert response.status_code == 400 and error(response) == "bad_request"


@pytest.mark.parametrize("path", ["/t/%00/", "/t/%00/qr.svg", "/kiosk/pair/%00/", "/reports/?office=%00"])
def test_a_nul_in_a_page_address_is_the_russian_400_page(manager, path):
    client = Client()
    client.force_login(manager)
    response = client.get(path)
    assert response.status_code == 400
    assert "Некорректный запрос" in response.content.decode()


def test_a_nul_in_the_session_cookie_is_a_400(services):
    response = Client().get("/operator/", HTTP_COOKIE="sessionid=abcdefgh\x00ijklmnop")
    assert response.status_code == 400


# Bodies nested deeper than the interpreter's recursion limit.


@pytest.mark.parametrize("body", ['{"a":' * 5000 + "1" + "}" * 5000, "[" * 100_000])
@pytest.mark.parametrize("url", [URL, "/api/v1/auth/token/"])
def test_a_deeply_nested_json_body_is_a_parse_error(services, url, body):
    response = Client().post(url, body, content_type="application/json")
    assert response.status_code == 400 and error(response) == "parse_error"
    assert not Ticket.objects.exists()


# An unexpected error under /api/ still answers with the JSON error body.


def test_an_unexpected_api_error_is_a_json_500(services, monkeypatch):
    from tickets import selectors

    ticket = Client().post(URL, {"service": "fl"}, content_type="application/json").json()

    def broken(ticket):
        raise RuntimeError("a bug")

    monkeypatch.setattr(selectors, "tracking_status", broken)
    response = Client(raise_request_exception=False).get(f"/api/v1/tickets/{ticket['token']}/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "server_error"
