"""Requests Daphne refuses before Django (issue 19): behind the shipped nginx, the product's 400.

Daphne alone answers them with a bare «HTTP/1.1 400 Bad Request» and no body
(README, "Running in production"); deploy/nginx.conf refuses them itself and
serves static/errors/400.html, or 400.json under /api/.
"""

import json
import socket

import pytest

from tests.servers import DaphneServer

pytestmark = [pytest.mark.nginx, pytest.mark.postgres, pytest.mark.redis]

HOSTILE = {
    "raw bytes in the path": b"GET {prefix}\xff\xfe HTTP/1.1\r\nHost: 127.0.0.1\r\n",
    "raw bytes in the query": b"GET {prefix}?q=\xd0\xb9 HTTP/1.1\r\nHost: 127.0.0.1\r\n",
    "a control character in the path": b"GET {prefix}\x01 HTTP/1.1\r\nHost: 127.0.0.1\r\n",
    "a NUL in a header": b"GET {prefix} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note: a\x00b\r\n",
    "multipart without a boundary": (
        b"POST {prefix} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data\r\nContent-Length: 3\r\n"
    ),
}


def send(sock, template: bytes, prefix: str) -> tuple[int, dict, bytes]:
    request = template.replace(b"{prefix}", prefix.encode()) + b"Connection: close\r\n\r\n"
    if b"Content-Length: 3" in request:
        request += b"abc"
    sock.sendall(request)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    if headers.get("transfer-encoding") == "chunked":
        body = _unchunk(body)
    return int(lines[0].split()[1]), headers, body


def _unchunk(body: bytes) -> bytes:
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        if int(size, 16) == 0:
            break
        out, body = out + rest[: int(size, 16)], rest[int(size, 16) + 2 :]
    return out


def test_daphne_alone_answers_them_bare(transactional_db):
    daphne = DaphneServer().start()
    try:
        for name, template in HOSTILE.items():
            with socket.create_connection(("127.0.0.1", daphne.port), timeout=10) as sock:
                status, _, body = send(sock, template, "/login/")
            assert (status, body) == (400, b""), name
    finally:
        daphne.stop()


@pytest.mark.parametrize("prefix", ["/login/", "/api/v1/auth/token/"])
def test_behind_nginx_they_get_the_product_s_russian_page_or_json(start_topology, prefix):
    topology = start_topology()
    context = topology.ssl_context()
    for name, template in HOSTILE.items():
        with socket.create_connection(("127.0.0.1", topology.nginx.https_port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
                status, headers, body = send(sock, template, prefix)
        assert status == 400, (name, body[:200])
        # A request line nginx cannot parse has no address to tell the API by: the page.
        if prefix.startswith("/api/") and name != "a control character in the path":
            assert headers["content-type"].startswith("application/json"), name
            assert json.loads(body) == {"error": {"code": "bad_request", "message": "Некорректный запрос."}}, name
        else:
            assert headers["content-type"].startswith("text/html"), name
            page = body.decode()
            assert '<html lang="ru">' in page and "Некорректный запрос" in page, name
    # The product's own 400s still pass through untouched.
    with topology.client(1) as client:
        response = client.get("/api/v1/offices/?office=%00")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "bad_request"
        assert client.get("/static/errors/400.html").status_code == 200
