"""A local stand-in for Twilio's Messages API: records each request and answers as told."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Sent:
    path: str
    form: dict[str, str]
    auth: str | None

    @property
    def to(self) -> str:
        return self.form["To"]

    @property
    def body(self) -> str:
        return self.form["Body"]


@dataclass
class TwilioStandIn:
    """POST /2010-04-01/Accounts/{sid}/Messages.json on 127.0.0.1; `script` holds the next answers.

    Each entry of `script` is (status, twilio error code or None) and is used once; with it empty,
    messages are accepted (201). Only accepted messages land in `messages`; every request in `requests`.
    The next `garble` requests are answered 201 with a body that is not JSON (a broken proxy, say).
    `port` 0 picks a free one; a stopped stand-in can be started again on the port it had.
    """

    requests: list[Sent] = field(default_factory=list)
    messages: list[Sent] = field(default_factory=list)
    script: list[tuple[int, int | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    garble: int = 0
    port: int = 0
    on_request: Callable[[], None] | None = None  # called as each request arrives, before it is answered

    def start(self) -> TwilioStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                sent = Sent(self.path, form, self.headers.get("Authorization"))
                if standin.on_request is not None:
                    standin.on_request()
                with standin.lock:
                    standin.requests.append(sent)
                    garbled = standin.garble > 0
                    standin.garble -= garbled
                    status, code = standin.script.pop(0) if standin.script and not garbled else (201, None)
                    if status == 201 and not garbled:
                        standin.messages.append(sent)
                if garbled:
                    payload = "<html>Bad gateway</html>"
                elif status == 201:
                    payload = {"sid": "SM" + uuid.uuid4().hex, "status": "queued", "to": form.get("To"),
                               "body": form.get("Body"), "num_segments": "1"}
                else:
                    payload = {"code": code, "message": f"stand-in error {code}", "status": status,
                               "more_info": f"https://www.twilio.com/docs/errors/{code}"}
                data = payload.encode() if garbled else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def bodies_to(self, phone: str) -> list[str]:
        with self.lock:
            return [m.body for m in self.messages if m.to == phone]
