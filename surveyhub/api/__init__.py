"""The REST API under /api/v1: Bearer API keys, JSON in, JSON (or CSV) out."""

from __future__ import annotations

from apispec import BasePlugin
from flask import g, request
from flask_smorest import Api
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized, UnsupportedMediaType

from .. import errors
from ..accounts.orgs import org_for_api_key
from ..inputs import BadBody, text_problem
from ..schemas.api import ErrorSchema
from ..security import api_key_prefix

PREFIX = "/api/v1"
# Marks an operation whose input has rules OpenAPI 3.0 cannot state (ids unique within a list, references
# to earlier questions, the names of an object's keys, a URL's host, an email address's deliverable
# form, `to` not before `from`): a schema-valid request may still get a 422 naming the field.
RULES_BEYOND_SCHEMA = {"x-rules-beyond-schema": True}


class WildcardParameters(BasePlugin):
    """Leave out of the spec query parameters named by a pattern (stats' `attr.*`): OpenAPI 3.0 can only
    name parameters one by one, so they are described in the operation's text instead."""

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for operation in (operations or {}).values():
            if "parameters" in operation:
                operation["parameters"] = [p for p in operation["parameters"]
                                           if not (isinstance(p, dict) and "*" in p.get("name", ""))]


class SurveyHubApi(Api):
    """flask-smorest's Api with the project's error envelope, in the spec and on the wire."""

    # flask-smorest's types take its own ErrorSchema for the only schema this may be; any Schema will do.
    ERROR_SCHEMA = ErrorSchema  # type: ignore[assignment]

    def handle_http_exception(self, error):
        return errors.handle_http_exception(error)


def authenticate() -> None:
    """Resolve `Authorization: Bearer sk_…` to the caller's org in `g.org` (and `g.actor`, for the
    security log: the key's public prefix), or answer 401."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    org = org_for_api_key(key) if scheme.lower() == "bearer" and key and not text_problem(key) else None
    if org is None:
        raise Unauthorized(
            "A valid API key is required: send 'Authorization: Bearer sk_…'.",
            www_authenticate=WWWAuthenticate("bearer"),
        )
    g.org = org
    g.actor = f"API key {api_key_prefix(key.strip())}…"


def require_json_body() -> None:
    """Refuse a body that is not JSON with 415, and a PUT or PATCH without one with 400."""
    has_body = request.content_length or request.headers.get("Transfer-Encoding")
    if request.method in ("POST", "PUT", "PATCH") and has_body and not request.is_json:
        raise UnsupportedMediaType("Send the body as JSON with 'Content-Type: application/json'.")
    if request.method in ("PUT", "PATCH") and not has_body:
        raise BadBody("A JSON body is required.", "is required")
