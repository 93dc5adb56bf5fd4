"""Twilio's webhooks: inbound SMS and delivery status, each checked with twilio's RequestValidator.

The signature covers the URL Twilio called, which behind a TLS proxy is not the one this process
sees: it is rebuilt from SURVEYHUB_BASE_URL + path. Without a valid signature: 403, nothing written.
Both answer at once; replies are queued for the worker (no call to Twilio inside the request).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request
from marshmallow import ValidationError
from twilio.request_validator import RequestValidator

from ..delivery import sms as sms_delivery
from ..errors import Invalid, flatten_messages
from ..responses import sms as sms_conversations
from ..schemas.sms import InboundSmsSchema, SmsStatusSchema
from ..transaction import unit_of_work

bp = Blueprint("sms", __name__, url_prefix="/channels/sms")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@bp.before_request
def check_signature() -> None:
    """Refuse (403) a request without Twilio's valid X-Twilio-Signature for BASE_URL + path."""
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = request.headers.get("X-Twilio-Signature")
    if not token or not signature:
        abort(403)
    url = current_app.config["BASE_URL"] + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    if not RequestValidator(token).validate(url, request.form, signature):
        abort(403)


def _load(schema, form) -> dict:
    try:
        return schema.load(form.to_dict())
    except ValidationError as err:
        raise Invalid("The webhook's form is not Twilio's.", flatten_messages(err.messages)) from None


@bp.post("/inbound")
@unit_of_work()
def inbound():
    """Take an inbound SMS; replies go out through the delivery worker."""
    form = _load(InboundSmsSchema(), request.form)
    sms_conversations.receive(form["MessageSid"], form["From"], form["Body"], form["OptOutType"])
    return Response(EMPTY_TWIML, mimetype="text/xml")


@bp.post("/status")
@unit_of_work()
def status():
    """Take a delivery status callback for a message we sent."""
    form = _load(SmsStatusSchema(), request.form)
    sms_delivery.record_status(form["MessageSid"], form["MessageStatus"], form["ErrorCode"])
    return Response(EMPTY_TWIML, mimetype="text/xml")
