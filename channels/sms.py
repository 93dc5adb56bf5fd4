"""SMS through Twilio's official client, with errors sorted for retrying, and segment counting.

`SURVEYHUB_TWILIO_API_URL` points the client at a Twilio-compatible API: the client has no base-URL
option, so `BaseUrlHttpClient` (its `http_client` hook) rewrites the scheme and host of each request.
With no credentials, messages go to the log instead.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

log = logging.getLogger(__name__)

# Twilio's code for "the recipient replied STOP": sending is refused until they reply START.
OPTED_OUT_CODE = 21610

# GSM 03.38: the basic character set (one septet each) and its extension table (two: escape + char).
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")


class SmsError(Exception):
    """A message could not be sent.

    `transient`: trying again later may work (429, 5xx, network). `opted_out`: the recipient has
    opted out at the carrier (Twilio 21610). `code`: Twilio's error code when it gave one.
    `connection`: the API could not be reached, so the rest of a batch would fail the same way.
    """

    def __init__(self, reason: str, transient: bool, *, code: int | None = None, opted_out: bool = False,
                 connection: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.code = code
        self.opted_out = opted_out
        self.connection = connection


@dataclass(frozen=True)
class Segments:
    """How an SMS text is encoded and how many messages it is billed as."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    non_gsm: str  # the characters that forced UCS-2, each once, in order of appearance


def count_segments(text: str) -> Segments:
    """Tell whether `text` fits GSM-7 or needs UCS-2, and its segment count (160/153, 70/67)."""
    non_gsm = "".join(dict.fromkeys(c for c in text if c not in GSM_BASIC and c not in GSM_EXTENDED))
    if not non_gsm:
        units = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else math.ceil(units / multi)
    return Segments(encoding, units, segments, non_gsm)


@dataclass(frozen=True)
class SmsSettings:
    account_sid: str | None = None
    auth_token: str | None = None
    from_number: str | None = None
    messaging_service_sid: str | None = None
    api_url: str | None = None
    timeout: float = 10.0

    @property
    def configured(self) -> bool:
        return bool(self.account_sid and self.auth_token)


class BaseUrlHttpClient(TwilioHttpClient):
    """Twilio's HTTP client, sending every request to another base URL (scheme, host and port)."""

    def __init__(self, base_url: str | None, timeout: float):
        super().__init__(timeout=timeout)
        self.base = urlsplit(base_url.rstrip("/")) if base_url else None

    def request(self, method: str, url: str, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects: bool = False) -> Response:
        if self.base is not None:
            parts = urlsplit(url)
            url = urlunsplit((self.base.scheme, self.base.netloc, self.base.path + parts.path, parts.query, ""))
        return super().request(method, url, params=params, data=data, headers=headers, auth=auth,
                               timeout=timeout, allow_redirects=allow_redirects)


def classify(exc: Exception) -> SmsError:
    """Sort a Twilio failure: 429 and 5xx transient, 21610 opted out, other 4xx permanent (code kept)."""
    if isinstance(exc, TwilioRestException):
        code = int(exc.code) if exc.code else None
        reason = f"{exc.status} {code or ''} {exc.msg}".replace("  ", " ")
        if code == OPTED_OUT_CODE:
            return SmsError(reason, transient=False, code=code, opted_out=True)
        return SmsError(reason, transient=exc.status == 429 or exc.status >= 500, code=code)
    return SmsError(f"{type(exc).__name__}: {exc}", transient=True, connection=True)


class TwilioSender:
    """Sends messages with the official Twilio client; each call bounded by the settings' timeout."""

    def __init__(self, settings: SmsSettings):
        self.settings = settings
        self.http = BaseUrlHttpClient(settings.api_url, settings.timeout)
        self.client = Client(settings.account_sid, settings.auth_token, http_client=self.http)

    def send(self, to: str, body: str, status_callback: str | None = None) -> str | None:
        """Send one message; return Twilio's message SID (None if its answer had none), or raise SmsError."""
        sender = ({"messaging_service_sid": self.settings.messaging_service_sid}
                  if self.settings.messaging_service_sid else {"from_": self.settings.from_number})
        extra = {"status_callback": status_callback} if status_callback else {}
        try:
            message = self.client.messages.create(to=to, body=body, **sender, **extra)
        except (TwilioException, requests.RequestException) as exc:
            raise classify(exc) from exc
        return message.sid

    def close(self) -> None:
        """Let go of the HTTP connections kept open for a batch."""
        if self.http.session is not None:
            self.http.session.close()


class LogSender:
    """Stands in for Twilio when no credentials are set: writes each message to the log."""

    def send(self, to: str, body: str, status_callback: str | None = None) -> str:
        """Log the message and return a made-up SID."""
        log.info("SMS (no Twilio configured) to %s:\n%s", to, body)
        return f"LOG{uuid.uuid4().hex}"

    def close(self) -> None:
        return None


def sender_for(settings: SmsSettings) -> TwilioSender | LogSender:
    """Return the Twilio sender for the settings, or the log sender without credentials."""
    return TwilioSender(settings) if settings.configured else LogSender()
