"""Domain errors and the one error envelope: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

log = logging.getLogger(__name__)


class DomainError(Exception):
    """An error a service raises for a request it cannot carry out; the handler makes it a 4xx."""

    status = 422
    code = "invalid"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Invalid(DomainError):
    status = 422
    code = "validation_error"


class TooManyRequests(DomainError):
    """A request over a cap the service keeps; the client may try again after `retry_after` seconds."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int, fields: dict[str, str] | None = None):
        super().__init__(message, fields)
        self.retry_after = max(1, retry_after)


class TooManyResponses(TooManyRequests):
    """Over a cap of responses (one widget user's per survey and day): retrying soon won't help."""

    code = "too_many_responses"


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, str]:
    """Turn marshmallow's nested messages into {"questions.0.text": "message; message"}.

    Messages about the whole body or object (marshmallow's "_schema") are named after it.
    """
    if isinstance(messages, dict):
        out: dict[str, str] = {}
        for key, value in messages.items():
            name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            out.update(flatten_messages(value, name))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "body": "; ".join(messages)}
    if isinstance(messages, list):
        out = {}
        for i, value in enumerate(messages):
            out.update(flatten_messages(value, f"{prefix}.{i}" if prefix else str(i)))
        return out
    return {prefix or "body": str(messages)}


def envelope(status: int, code: str, message: str, fields: dict[str, str] | None = None):
    """Build the error response every failure uses."""
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    return response


def _http_code(exc: HTTPException) -> str:
    return (exc.name or "error").lower().replace(" ", "_").replace("'", "")


def handle_http_exception(exc: HTTPException):
    """Render any HTTP error (including webargs' 422s) in the envelope."""
    fields: dict[str, str] = {}
    message = exc.description or exc.name
    data = getattr(exc, "data", None) or {}
    if "messages" in data:  # raised by webargs/flask-smorest when a schema refuses the input
        per_location = data["messages"]
        for location, messages in per_location.items():
            named_plainly = location in ("json", "form", "query", "view_args")
            fields.update(flatten_messages(messages, "" if named_plainly else location))
        message = "The request is not valid: " + "; ".join(f"{k}: {v}" for k, v in fields.items())
    elif data.get("message"):
        message = data["message"]
    if exc.code and exc.code >= 500:
        db.session.rollback()
    response = envelope(exc.code or 500, data.get("code") or _http_code(exc), message, fields)
    for header, value in exc.get_headers():
        if header.lower() not in ("content-type", "content-length"):
            response.headers[header] = value
    return response


def handle_domain_error(exc: DomainError):
    db.session.rollback()
    response = envelope(exc.status, exc.code, exc.message, exc.fields)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def handle_unexpected(exc: Exception):
    log.exception("unhandled error")
    db.session.rollback()
    return handle_http_exception(InternalServerError())


def register(app: Flask) -> None:
    """Send every error through the envelope."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(Exception, handle_unexpected)
