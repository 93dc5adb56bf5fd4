"""Form bodies Twilio posts to the SMS webhooks (only the fields we use; Twilio sends many more)."""

from __future__ import annotations

from marshmallow import EXCLUDE, fields, validate

from .fields import InputSchema


class InboundSmsSchema(InputSchema):
    class Meta:
        unknown = EXCLUDE

    MessageSid = fields.String(required=True, validate=validate.Length(min=1, max=64))
    From = fields.String(required=True, validate=validate.Length(min=1, max=40))
    Body = fields.String(load_default="", validate=validate.Length(max=1600))
    OptOutType = fields.String(load_default=None, validate=validate.Length(max=32))


class SmsStatusSchema(InputSchema):
    class Meta:
        unknown = EXCLUDE

    MessageSid = fields.String(required=True, validate=validate.Length(min=1, max=64))
    MessageStatus = fields.String(required=True, validate=validate.Length(max=32))
    ErrorCode = fields.String(load_default=None, validate=validate.Length(max=9))
