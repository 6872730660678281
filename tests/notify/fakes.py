"""A fake Telegram Bot API on 127.0.0.1: getUpdates hands out what a test queued, sendMessage is recorded."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ..servers import free_port

TOKEN = "123456:test-token"


class FakeTelegram:
    def __init__(self, refuse_first: int = 0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.refuse_first = refuse_first
        self.updates: list[dict] = []
        self.sent: list[dict] = []  # every sendMessage, refused or not, with "answered"
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    def send_start(self, chat_id: int, text: str) -> None:
        with self.lock:
            update_id = len(self.updates) + 1
            self.updates.append(
                {"update_id": update_id, "message": {"message_id": update_id, "chat": {"id": chat_id}, "text": text}}
            )

    def texts(self, chat_id: int | None = None) -> list[str]:
        with self.lock:
            return [
                m["text"]
                for m in self.sent
                if m["answered"] == 200 and (chat_id is None or str(m["chat_id"]) == str(chat_id))
            ]

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                token, _, method = self.path.removeprefix("/bot").partition("/")
                if token != TOKEN:
                    return self.answer(401, {"ok": False, "description": "Unauthorized"})
                if method == "getUpdates":
                    with fake.lock:
                        result = [u for u in fake.updates if u["update_id"] >= body.get("offset", 0)]
                    return self.answer(200, {"ok": True, "result": result})
                if method == "sendMessage":
                    with fake.lock:
                        refuse = fake.refuse_first > 0
                        fake.refuse_first -= refuse
                        status = 502 if refuse else 200
                        fake.sent.append({**body, "answered": status})
                    return self.answer(status, {"ok": not refuse, "result": {}})
                return self.answer(404, {"ok": False})

            def answer(self, status: int, payload: dict):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler

    def start(self) -> "FakeTelegram":
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
