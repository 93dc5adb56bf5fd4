"""The widget's server side: the script customers embed (/widget.js) and the public endpoints it calls,
keyed by the org's widget key: /widget/v1/{key}/…

Called from customers' pages by widget.js. Writes are sent as simple CORS requests (a JSON text in a
text/plain body, no custom headers) so that no preflight is needed and they survive the page closing
(fetch keepalive); application/json is taken too. Every write carries the user and the host's userHash.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, current_app, g, jsonify, request
from flask_limiter.util import get_remote_address
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import UnsupportedMediaType

from ..api import RULES_BEYOND_SCHEMA
from ..errors import Forbidden, Invalid, flatten_messages
from ..extensions import limiter
from ..inputs import load_json
from ..responses import widget
from ..schemas.widget import AnswerSchema, DisplaySchema, OfferDecisionSchema, SurveyQuerySchema, WidgetWriteSchema
from ..transaction import unit_of_work

bp = Blueprint("widget_api", __name__, url_prefix="/widget/v1/<key>")
# /widget.js: outside the endpoints' prefix and their rate limits.
script_bp = Blueprint("widget_script", __name__)

# Limits per client IP and per widget key, shared by all the widget's endpoints. The key is public, so
# only writes that proved their user (a valid userHash) use up its budget: anyone else, with a bad hash,
# an unknown key or a mere read, is counted by address alone and can't lock the org's users out.
limiter.shared_limit(lambda: current_app.config["WIDGET_RATE_LIMIT_PER_IP"], scope="widget-ip",
                     key_func=get_remote_address)(bp)
limiter.shared_limit(lambda: current_app.config["WIDGET_RATE_LIMIT_PER_KEY"], scope="widget-key",
                     key_func=lambda: g.get("widget_key", ""),
                     deduct_when=lambda response: g.get("widget_user_verified", False))(bp)


@bp.url_value_preprocessor
def pull_key(endpoint, values) -> None:
    g.widget_key = values.pop("key")


@bp.before_request
def resolve_org() -> None:
    """Find the key's org and refuse origins it has not allowed; cap the body size."""
    request.max_content_length = current_app.config["WIDGET_MAX_BODY"]
    g.widget_org = widget.org_for_widget_key(g.widget_key)
    if not widget.origin_allowed(g.widget_org, request.headers.get("Origin")):
        raise Forbidden("This origin may not use the org's widget.", {"Origin": "is not an allowed origin"})


@bp.after_request
def cors(response):
    """Let the org's allowed origins (any, by default) read the answers; never with credentials."""
    org = g.get("widget_org")
    origins = widget.allowed_origins(org) if org is not None else []
    origin = request.headers.get("Origin")
    if not origins:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin and origin.lower() in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
    if origins:
        response.vary.add("Origin")
    response.headers["Access-Control-Expose-Headers"] = "Retry-After"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def load_body(schema: Schema) -> dict:
    """Parse the JSON body (sent as text/plain or application/json) with `schema`."""
    if request.mimetype not in ("text/plain", "application/json"):
        raise UnsupportedMediaType("Send the body as JSON, with Content-Type text/plain or application/json.")
    data = load_json(request.get_data(cache=False))
    if not isinstance(data, dict):
        raise Invalid("The body must be a JSON object.", {"body": "must be a JSON object"})
    return _load(schema, data)


def _load(schema: Schema, data) -> dict:
    try:
        return schema.load(data)
    except ValidationError as err:
        fields = flatten_messages(err.messages)
        raise Invalid("The request is not valid: " + "; ".join(f"{k}: {v}" for k, v in fields.items()),
                      fields) from None


def _authenticated(slug: str, schema: WidgetWriteSchema) -> tuple[widget.Visitor, dict]:
    body = load_body(schema)
    visitor = widget.authenticate(g.widget_org, slug, body)
    g.widget_user_verified = True
    return visitor, body


def _ack(response):
    return jsonify({"response_id": response.id, "status": response.status})


@bp.get("/surveys/<slug>")
def survey(slug: str):
    """The live version of a survey, in the user's locale."""
    query = _load(SurveyQuerySchema(), request.args.to_dict())
    response = jsonify(widget.published_survey(g.widget_org, slug, query.get("locale")))
    response.cache_control.no_cache = True
    response.add_etag()
    return response.make_conditional(request)


@bp.post("/surveys/<slug>/display")
@unit_of_work()
def display(slug: str):
    """The survey was shown to the user: count it, open the visit's response, update the respondent."""
    visitor, body = _authenticated(slug, DisplaySchema())
    return _ack(widget.display(visitor, body.get("locale")))


@bp.post("/surveys/<slug>/answers")
@unit_of_work()
def answer(slug: str):
    """One answer, given or changed."""
    visitor, body = _authenticated(slug, AnswerSchema())
    return _ack(widget.answer(visitor, body["question"], body["value"], body.get("other_text")))


@bp.post("/surveys/<slug>/offer")
@unit_of_work()
def offer(slug: str):
    """The user accepted or declined the save offer."""
    visitor, body = _authenticated(slug, OfferDecisionSchema())
    return _ack(widget.decide_offer(visitor, body["offer"], body["accepted"]))


@bp.post("/surveys/<slug>/dismiss")
@unit_of_work()
def dismiss(slug: str):
    """The user closed the survey before the end."""
    visitor, _ = _authenticated(slug, WidgetWriteSchema())
    return _ack(widget.dismiss(visitor))


@bp.post("/surveys/<slug>/complete")
@unit_of_work()
def complete(slug: str):
    """The user reached the end: finish the response."""
    visitor, _ = _authenticated(slug, WidgetWriteSchema())
    return _ack(widget.complete(visitor))


# The writes, by view function name.
WRITES = {"display": (DisplaySchema, "The survey was shown to the user"), "answer": (AnswerSchema, "One answer"),
          "offer": (OfferDecisionSchema, "The user accepted or declined the save offer"),
          "dismiss": (WidgetWriteSchema, "The user closed the survey before the end"),
          "complete": (WidgetWriteSchema, "The user reached the end")}
WIDGET_ERRORS = {"400": "not JSON, or nested too deep", "401": "userHash does not match user.id",
                 "403": "an origin the org does not allow", "404": "no such widget key or published survey",
                 "409": "the response is closed", "413": "body over the widget's limit",
                 "415": "not text/plain or application/json", "422": "a field is not valid",
                 "429": "rate limited"}


def document(spec, app) -> None:
    """Add the public widget endpoints to the API's OpenAPI spec (no API key: the widget key is in the path)."""
    error = {"content": {"application/json": {"schema": "Error"}}}
    errors = {status: {"description": text, **error} for status, text in WIDGET_ERRORS.items()}
    ack = {"description": "the visit's response", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"response_id": {"type": "integer"},
                                         "status": {"type": "string", "enum": ["partial", "completed"]}}}}}}
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith(bp.name + ".")}
    spec.path(rule=rules[f"{bp.name}.survey"], operations={"get": {
        "tags": ["Widget"], "summary": "The live version of a survey, in the user's locale", "security": [],
        "parameters": [{"in": "query", "schema": SurveyQuerySchema}],
        "responses": {"200": {"description": "the survey as the widget shows it",
                              "content": {"application/json": {"schema": {"type": "object"}}}},
                      "304": {"description": "not modified (ETag)"},
                      **{s: errors[s] for s in ("403", "404", "422", "429")}}}})
    for endpoint, (schema, summary) in WRITES.items():
        body = {"schema": schema}
        spec.path(rule=rules[f"{bp.name}.{endpoint}"], operations={"post": {
            "tags": ["Widget"], "summary": summary, "security": [], **RULES_BEYOND_SCHEMA,
            "requestBody": {"required": True, "content": {"application/json": body, "text/plain": body}},
            "responses": {"200": ack, **errors}}})


WIDGET_JS = Path(__file__).parent.parent / "static" / "widget.js"


@lru_cache(maxsize=4)
def _asset(path: Path, mtime_ns: int) -> tuple[bytes, str]:
    """Read a built asset once per version of the file, with a strong ETag of its content."""
    body = path.read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:32]


@script_bp.get("/widget.js")
def widget_js():
    """Serve the built widget: cached briefly, then revalidated by its ETag."""
    body, etag = _asset(WIDGET_JS, WIDGET_JS.stat().st_mtime_ns)
    response = current_app.response_class(body, mimetype="text/javascript")
    response.set_etag(etag)
    # The URL is not versioned: keep copies short-lived but let browsers use a stale one while they check.
    response.cache_control.public = True
    response.cache_control.max_age = 300
    response.cache_control.stale_while_revalidate = 86400
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)
