"""A real SMTP server for tests (aiosmtpd) that records what it receives and can refuse or go down."""

from __future__ import annotations

import asyncio
import email
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from tests.helpers import free_port


class RecordingHandler:
    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.connections: list[str] = []  # the EHLO name of each session, in order
        self.reply_to_rcpt: str | None = None  # e.g. "550 5.1.1 No such user" or "451 4.3.0 Try later"
        self.delay = 0.0
        self.open_sessions = 0  # client connections the server holds now

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802 - aiosmtpd API
        self.connections.append(hostname)
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd API
        if self.reply_to_rcpt:
            return self.reply_to_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        if self.delay:
            await asyncio.sleep(self.delay)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


class CountingSMTP(SMTP):
    """aiosmtpd's server, counting the connections it holds open in its handler's `open_sessions`."""

    def connection_made(self, transport):
        self.event_handler.open_sessions += 1
        super().connection_made(transport)

    def connection_lost(self, error):
        self.event_handler.open_sessions -= 1
        super().connection_lost(error)


class CountingController(Controller):
    def factory(self):
        return CountingSMTP(self.handler, **self.SMTP_kwargs)


class SmtpSink:
    """aiosmtpd on 127.0.0.1: `url` for SURVEYHUB_SMTP_URL, `messages` as they arrived.

    With `credentials` (user, password) the server requires AUTH (PLAIN or LOGIN, without TLS).
    """

    def __init__(self, credentials: tuple[str, str] | None = None):
        self.handler = RecordingHandler()
        self.port = free_port()
        self.credentials = credentials
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def start(self) -> None:
        auth = {}
        if self.credentials is not None:
            auth = {"authenticator": self._authenticate, "auth_required": True, "auth_require_tls": False}
        self.controller = CountingController(self.handler, hostname="127.0.0.1", port=self.port, **auth)
        self.controller.start()

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        given = None
        if isinstance(auth_data, LoginPassword):
            given = (auth_data.login.decode(), auth_data.password.decode())
        return AuthResult(success=given == self.credentials, handled=False)

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
