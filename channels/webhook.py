"""Webhook POSTs that never reach the server's own networks (SSRF), and the address rules behind it.

A host is checked in every form an address takes — dotted, decimal (2130706433), hex (0x7f000001),
octal (0177.0.0.1), short (127.1), IPv6 with an IPv4 inside (::ffff:127.0.0.1, ::127.0.0.1, 6to4) —
and a name by every address it resolves to. At delivery the name is resolved once, each address is
checked, and the connection goes to that checked address with the name in the Host header and in
TLS's SNI, so a DNS answer that changes between check and connect (rebinding) can't slip through.
Redirects are never followed. No Flask imports: the caller says whether private addresses are allowed.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import socket
import ssl
from urllib.parse import unquote, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

CGNAT = ipaddress.ip_network("100.64.0.0/10")
UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
MAX_ANSWER_BYTES = 64 * 1024


class Refused(Exception):
    """The destination is one the server may not call (a private, loopback, … address)."""


class Unreachable(Exception):
    """The destination could not be reached: DNS failure, connection refused or timed out."""


def url_problem(url: str) -> str | None:
    """Say what makes a URL unusable as a webhook endpoint, or None: http(s), a host, printable ASCII."""
    if any(not 0x21 <= ord(c) <= 0x7E for c in url):
        return "must be printable ASCII without spaces (percent-encode the rest, punycode the host)"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host"
    return None


def _ipv4_any_form(host: str) -> ipaddress.IPv4Address | None:
    """Read an IPv4 address the way inet_aton does (1–4 parts, decimal, 0x hex or 0 octal), or None."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        try:
            if part.lower().startswith("0x"):
                numbers.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                numbers.append(int(part, 8))
            elif part.isascii() and part.isdigit():
                numbers.append(int(part))
            else:
                return None
        except ValueError:
            return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = 0
    for n in head:
        value = value * 256 + n
    return ipaddress.IPv4Address(value * 256 ** (5 - len(numbers)) + last)


def literal_address(host: str) -> Address | None:
    """Return the address a host names literally (any IPv4 form, or IPv6), or None for a name."""
    try:
        return ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return _ipv4_any_form(host)


def refusal(address: Address) -> str | None:
    """Say why an address is not public (loopback, private, …), or None if a webhook may go there."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in UNIQUE_LOCAL:
            return "unique-local"
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and int(address) >> 32 == 0 and int(address) > 1:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)  # IPv4-compatible ::a.b.c.d
        if embedded is not None and (inner := refusal(embedded)):
            return inner
    if isinstance(address, ipaddress.IPv4Address) and address in CGNAT:
        return "shared (CGNAT)"
    for name, flag in (("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
                       ("link-local", address.is_link_local), ("multicast", address.is_multicast),
                       ("reserved", address.is_reserved), ("private", address.is_private)):
        if flag:
            return name
    return None if address.is_global else "not public"


def resolve(host: str, port: int) -> list[Address]:
    """Return every address a host stands for (a literal in any form is itself), or raise Unreachable."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise Unreachable(f"{host} does not resolve: {err}") from None
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))


def checked_addresses(url: str, allow_private: bool) -> list[Address]:
    """Resolve a URL's host and check each address; raise Refused or Unreachable."""
    parts = urlsplit(url)
    addresses = resolve(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
    if not allow_private:
        for address in addresses:
            reason = refusal(address)
            if reason:
                raise Refused(f"{parts.hostname} is (or resolves to) a {reason} address")
    return addresses


def redact(url: str) -> str:
    """Return a URL without the credentials it may carry, for logs and error texts."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a checked address, with the URL's host in the Host header."""

    def __init__(self, host: str, port: int, address: Address, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((str(self.address), self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address, verifying the certificate of the URL's host (SNI and Host too)."""

    def __init__(self, host: str, port: int, address: Address, timeout: float):
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((str(self.address), self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def post(url: str, headers: dict[str, str], body: bytes, timeout: float, allow_private: bool) -> int:
    """POST to a webhook URL; return the HTTP status (redirects are answers, not followed).

    Raises Refused for a destination that is not public (unless `allow_private`), Unreachable when
    no address could be reached; any other trouble (a garbled answer) raises as it is.
    """
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = dict(headers)
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    problems = []
    for address in checked_addresses(url, allow_private):
        connection = connection_class(parts.hostname or "", port, address, timeout)
        try:
            try:
                connection.connect()
            except OSError as err:
                problems.append(f"{address}: {type(err).__name__}: {err}")
                continue
            try:
                connection.request("POST", target, body=body, headers=headers)
                answer = connection.getresponse()
                answer.read(MAX_ANSWER_BYTES)
            except (TimeoutError, ConnectionError) as err:
                raise Unreachable(f"{type(err).__name__}: {err}") from None
            return answer.status
        finally:
            connection.close()
    raise Unreachable("; ".join(problems) or "no address")
