"""A fake CRM on 127.0.0.1: records every webhook request, refuses the first few, goes down and up on demand."""

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .servers import free_port


@dataclass
class Received:
    at: float  # time.monotonic()
    event_id: str
    signature: str
    body: bytes
    answered: int
    wall: float = 0.0  # time.time(), to compare with an event's occurred_at

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


def signature_valid(secret: str, signature: str, body: bytes, tolerance: float | None = None) -> bool:
    """The README's verification: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">."""
    parts = dict(part.split("=", 1) for part in signature.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    fresh = tolerance is None or abs(time.time() - int(parts["t"])) <= tolerance
    return fresh and hmac.compare_digest(expected, parts["v1"])


class FakeReceiver:
    def __init__(self, refuse_first: int = 0, refuse_status: int = 503, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.refuse_first = refuse_first
        self.refuse_status = refuse_status
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.delay = 0.0
        self.in_flight = self.most_in_flight = 0

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.in_flight += 1
                    receiver.most_in_flight = max(receiver.most_in_flight, receiver.in_flight)
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.in_flight -= 1
                    refuse = receiver.refuse_first > 0
                    if refuse:
                        receiver.refuse_first -= 1
                    status = receiver.refuse_status if refuse else 200
                    receiver.received.append(
                        Received(
                            time.monotonic(),
                            self.headers.get("X-Queue-Event-Id", ""),
                            self.headers.get("X-Queue-Signature", ""),
                            body,
                            status,
                            time.time(),
                        )
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler

    def start(self) -> "FakeReceiver":
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: the port refuses connections until start() again."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def accepted(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.answered == 200]
