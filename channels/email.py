"""Email over SMTP with the standard library: one connection per batch, errors sorted for retrying.

`SURVEYHUB_SMTP_URL` forms: smtp://host:25 (plain), smtp+starttls://user:pass@host:587 (STARTTLS),
smtps://user:pass@host:465 (TLS from the start). With no URL, mail goes to the log instead.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import TracebackType
from typing import Protocol
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

SCHEMES = {"smtp": (False, False), "smtp+starttls": (True, False), "smtps": (False, True)}
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class DeliveryError(Exception):
    """A message could not be sent.

    `transient`: trying again later may work. `connection`: the server could not be reached or the
    connection broke, so the rest of a batch would fail the same way.
    """

    def __init__(self, reason: str, transient: bool, connection: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.connection = connection


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    starttls: bool = False
    tls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str, timeout: float = 30.0) -> SmtpSettings:
        """Parse a SURVEYHUB_SMTP_URL."""
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ValueError(f"not an SMTP URL (smtp://, smtp+starttls://, smtps://): {url!r}")
        starttls, tls = SCHEMES[parts.scheme]
        return cls(host=parts.hostname, port=parts.port or DEFAULT_PORTS[parts.scheme], starttls=starttls,
                   tls=tls, username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None, timeout=timeout)


def _classify(exc: Exception) -> DeliveryError:
    """Sort an SMTP failure: 4xx replies and network trouble are transient, 5xx replies permanent."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(exc.recipients.values()))
        return DeliveryError(f"{code} {message.decode(errors='replace')}", transient=400 <= code < 500)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return DeliveryError(f"{exc.smtp_code} {text}", transient=400 <= exc.smtp_code < 500)
    if isinstance(exc, smtplib.SMTPAuthenticationError | smtplib.SMTPNotSupportedError):
        return DeliveryError(str(exc), transient=False)
    return DeliveryError(f"{type(exc).__name__}: {exc}", transient=True, connection=True)


class Mailer(Protocol):
    """What sends a batch of mail: SmtpMailer, or LogMailer when no SMTP server is configured."""

    @property
    def takes_8bit(self) -> bool:
        """Tell whether raw mails with 8-bit bodies can be sent as they are (send_raw)."""
        ...

    def open(self) -> None:
        """Connect now if not connected."""
        ...

    def send(self, message: EmailMessage) -> None:
        """Send one message, or raise DeliveryError."""
        ...

    def send_raw(self, sender: str, recipient: str, data: bytes) -> None:
        """Send an already serialized mail, or raise DeliveryError."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...


class SmtpMailer:
    """An open SMTP connection that sends messages until closed; reconnects once if dropped."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpMailer:
        self._connect()
        return self

    def open(self) -> None:
        """Connect now if not connected (raises DeliveryError with `connection` set when that fails)."""
        if self._smtp is None:
            self._connect()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp: smtplib.SMTP | None = None
        try:
            if s.tls:
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.username:
                smtp.login(s.username, s.password or "")
        except (smtplib.SMTPException, OSError) as exc:
            if smtp is not None:  # connected, but STARTTLS or the login failed: don't leave the socket open
                smtp.close()
            error = _classify(exc)  # whatever the reply, a server we can't get a session from is out of use
            raise DeliveryError(error.reason, transient=True, connection=True) from exc
        self._smtp = smtp
        return smtp

    @property
    def takes_8bit(self) -> bool:
        """Tell whether the server accepts 8-bit bodies (8BITMIME), so raw mails can be sent as they are."""
        return self._smtp is not None and self._smtp.has_extn("8bitmime")

    def send(self, message: EmailMessage) -> None:
        """Send one message over the open connection, or raise DeliveryError."""
        self._send(lambda smtp: smtp.send_message(message))

    def send_raw(self, sender: str, recipient: str, data: bytes) -> None:
        """Send an already serialized mail with an 8-bit body (see takes_8bit), or raise DeliveryError."""
        self._send(lambda smtp: smtp.sendmail(sender, [recipient], data, mail_options=["BODY=8BITMIME"]))

    def _send(self, transmit: Callable[[smtplib.SMTP], object]) -> None:
        for attempt in (1, 2):
            smtp = self._smtp or self._connect()
            try:
                transmit(smtp)
                return
            except smtplib.SMTPServerDisconnected as exc:
                self._smtp = None
                if attempt == 2:
                    raise _classify(exc) from exc
            except (TimeoutError, smtplib.SMTPException, OSError) as exc:
                if isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException):
                    self._smtp = None
                raise _classify(exc) from exc

    def close(self) -> None:
        """Say QUIT and close; errors on the way out don't matter."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None


class LogMailer:
    """Stands in for SMTP when none is configured: writes each message to the log."""

    takes_8bit = False

    def __enter__(self) -> LogMailer:
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def open(self) -> None:
        return None

    def send(self, message: EmailMessage) -> None:
        """Log the message's headers and plain-text body."""
        body = message.get_body(("plain",))
        log.info("mail (no SMTP configured) to %s: %s\n%s", message["To"], message["Subject"],
                 body.get_content() if body else "")

    def send_raw(self, sender: str, recipient: str, data: bytes) -> None:
        """Log an already serialized mail as `send` logs a message."""
        self.send(message_from_bytes(data, policy=policy.default))

    def close(self) -> None:
        return None


def mailer_for(smtp_url: str | None, timeout: float = 30.0) -> Mailer:
    """Return the mailer for a SURVEYHUB_SMTP_URL, or the log mailer when there is none."""
    return SmtpMailer(SmtpSettings.from_url(smtp_url, timeout)) if smtp_url else LogMailer()
