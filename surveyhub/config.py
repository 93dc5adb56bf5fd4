"""Settings: defaults, then the environment (CONTRACT §1), read when the app is created."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any

from .rate_limit_storage import storage_uri_for

ENV_PREFIX = "SURVEYHUB_"

DEFAULTS: dict[str, Any] = {
    "BASE_URL": "http://127.0.0.1:5000",
    "SMTP_URL": None,
    "MAIL_FROM": "surveys@localhost",
    "TWILIO_ACCOUNT_SID": None,
    "TWILIO_AUTH_TOKEN": None,
    "TWILIO_FROM": None,
    "TWILIO_MESSAGING_SERVICE_SID": None,
    "TWILIO_API_URL": None,
    # Request bodies above this are refused with 413 before they are parsed.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "API_PAGE_SIZE": 50,
    # Delivery retries: exponential from the base, capped, with jitter.
    "DELIVERY_RETRY_BASE_SECONDS": 30.0,
    "DELIVERY_RETRY_MAX_SECONDS": 3600.0,
    # A row that can't be delivered (its server unreachable, or answering "try later") gives up this
    # long after it was queued; an unreachable channel is probed with backoff capped at this.
    "DELIVERY_GIVE_UP_HOURS": 72.0,
    "DELIVERY_PROBE_MAX_SECONDS": 300.0,
    "SMTP_TIMEOUT_SECONDS": 30.0,
    # Each call to Twilio's API is bounded by this (the worker makes them, never a web request).
    "SMS_TIMEOUT_SECONDS": 10.0,
    # Browser pages: a CSRF token lasts as long as the session (people leave a survey open for hours).
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    "API_MAX_PAGE_SIZE": 500,
    # flask-smorest: the spec lives under the API prefix.
    "API_TITLE": "SurveyHub API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    # The docs page is the app's own (api/docs.py: ReDoc vendored in static/vendor/, no CDN).
    "OPENAPI_REDOC_PATH": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    # Stats: respondent attributes that get counters (comma-separated; docs/stats.md), and the most
    # respondents a filter on any other attribute may scan before it is refused.
    "STATS_ATTRIBUTES": "plan",
    "STATS_SCAN_LIMIT": 50000,
    # Outgoing webhooks: how long to wait for an answer, and after how many deliveries in a row that
    # failed for good (every retry spent) an endpoint is disabled.
    "WEBHOOK_TIMEOUT_SECONDS": 10.0,
    "WEBHOOK_DISABLE_AFTER": 5,
    # Webhook URLs may point at loopback, private, link-local … addresses only when this is on.
    "WEBHOOK_ALLOW_PRIVATE": False,
    # Dashboard sessions end after a working day.
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    # Flask-Limiter: counters that every process shares. Unset: in the app's database (PostgreSQL) or in
    # a SQLite file beside the app's (rate_limit_storage.storage_uri_for); redis://… to keep them in Redis.
    "RATELIMIT_STORAGE_URI": None,
    "RATELIMIT_STRATEGY": "sliding-window-counter",
    "RATELIMIT_HEADERS_ENABLED": True,
    # The dashboard's sign-in form: attempts per account (the email given) and per client address.
    "LOGIN_RATE_LIMIT_PER_ACCOUNT": "10 per 15 minutes",
    "LOGIN_RATE_LIMIT_PER_IP": "50 per hour",
    # Behind N reverse proxies, take the client's address, scheme and host from their X-Forwarded-*
    # headers (werkzeug's ProxyFix). 0: the server is reached directly, and those headers are ignored.
    "PROXY_FIX": 0,
    # The public widget endpoints: limits per widget key and per client IP, and the largest body.
    "WIDGET_RATE_LIMIT_PER_KEY": "6000 per minute",
    "WIDGET_RATE_LIMIT_PER_IP": "300 per minute",
    # Room for the longest open answer a survey may allow (20,000 characters of up to 4 bytes), and no more.
    "WIDGET_MAX_BODY": 128 * 1024,
}


def _secret_key(instance_path: Path) -> str:
    """Return the secret key kept in the instance folder, generating it on first use."""
    path = instance_path / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the app's settings from the defaults, the environment and explicit overrides."""
    overrides = overrides or {}
    instance = Path(instance_path)
    settings = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        if ENV_PREFIX + key in os.environ:
            value = os.environ[ENV_PREFIX + key]
            if isinstance(default, bool):
                settings[key] = _bool(value)
            elif isinstance(default, int | float):
                settings[key] = type(default)(value)
            else:
                settings[key] = value

    database_url = os.environ.get(ENV_PREFIX + "DATABASE_URL") or f"sqlite:///{instance / 'surveyhub.db'}"
    settings["SQLALCHEMY_DATABASE_URI"] = database_url
    settings.update(overrides)

    uri = settings["SQLALCHEMY_DATABASE_URI"]
    if not settings["RATELIMIT_STORAGE_URI"]:
        settings["RATELIMIT_STORAGE_URI"] = storage_uri_for(uri)
    if "EMBEDDED_WORKER" not in overrides:
        embedded = os.environ.get(ENV_PREFIX + "EMBEDDED_WORKER")
        settings["EMBEDDED_WORKER"] = _bool(embedded) if embedded is not None else uri.startswith("sqlite")
    if "SECRET_KEY" not in settings:
        settings["SECRET_KEY"] = os.environ.get(ENV_PREFIX + "SECRET_KEY") or _secret_key(instance)
    # Without SURVEYHUB_BASE_URL, `surveyhub run` points BASE_URL at the address it binds (follow_bind).
    settings["BASE_URL_GIVEN"] = ENV_PREFIX + "BASE_URL" in os.environ or "BASE_URL" in overrides
    settings["BASE_URL"] = settings["BASE_URL"].rstrip("/")
    if "SESSION_COOKIE_SECURE" not in overrides:
        settings["SESSION_COOKIE_SECURE"] = settings["BASE_URL"].startswith("https://")
    if isinstance(settings["STATS_ATTRIBUTES"], str):
        settings["STATS_ATTRIBUTES"] = tuple(k.strip() for k in settings["STATS_ATTRIBUTES"].split(",") if k.strip())
    return settings


def follow_bind(settings: dict[str, Any], host: str, port: int, tls: bool) -> None:
    """Point BASE_URL at the host and port a development server binds, unless SURVEYHUB_BASE_URL was set.

    A wildcard host (0.0.0.0, ::) is reached as 127.0.0.1 from this machine; for anyone else, and behind
    a proxy, the public URL cannot be guessed: SURVEYHUB_BASE_URL must say it.
    """
    if settings["BASE_URL_GIVEN"]:
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a name, such as localhost
        address = None
    if address is not None and address.is_unspecified:
        host = "127.0.0.1"
    elif address is not None and address.version == 6:
        host = f"[{host}]"
    settings["BASE_URL"] = f"{'https' if tls else 'http'}://{host}:{port}"
    settings["SESSION_COOKIE_SECURE"] = tls
