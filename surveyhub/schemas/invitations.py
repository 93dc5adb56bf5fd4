"""Bodies of POST /surveys/{id}/invitations (CONTRACT §5)."""

from __future__ import annotations

from marshmallow import fields, post_dump, validate

from ..models.invitation import INVITATION_CHANNELS
from .api import EXTERNAL_ID
from .fields import SCALAR, InputSchema, UtcDateTime, scalar_values

MAX_RECIPIENTS = 1000


class RecipientSchema(InputSchema):
    external_id = fields.String(validate=EXTERNAL_ID, allow_none=True)
    email = fields.String(validate=validate.Length(max=320), allow_none=True)
    phone = fields.String(validate=validate.Length(max=40), allow_none=True)
    locale = fields.String(validate=validate.Length(max=35), allow_none=True)
    timezone = fields.String(validate=validate.Length(max=64), allow_none=True)
    attributes = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=100)),
                             validate=[validate.Length(max=50), scalar_values],
                             metadata={"additionalProperties": SCALAR, "maxProperties": 50})


class InvitationRequestSchema(InputSchema):
    channel = fields.String(required=True, validate=validate.OneOf(INVITATION_CHANNELS))
    recipients = fields.List(fields.Nested(RecipientSchema), required=True,
                             validate=validate.Length(min=1, max=MAX_RECIPIENTS))
    send_at = UtcDateTime()


class QueuedInvitationSchema(InputSchema):
    id = fields.Integer()
    channel = fields.String()
    recipient = fields.Dict()
    send_at = fields.AwareDateTime()
    status = fields.String()
    sms = fields.Dict(metadata={"description": "SMS only: the estimated encoding (GSM-7 or UCS-2), "
                                              "first_message_segments, survey_segments and non_gsm_characters"})

    @post_dump
    def _only_sms_has_segments(self, data: dict, **kwargs) -> dict:
        if data.get("sms") is None:
            data.pop("sms", None)
        return data


class RefusedRecipientSchema(InputSchema):
    recipient = fields.Dict()
    reason = fields.String(metadata={"enum": ["invalid_email", "missing_email", "invalid_phone", "missing_phone",
                                              "opted_out", "invalid_locale", "invalid_timezone",
                                              "duplicate", "unsubscribed", "recently_invited"]})


class InvitationResultSchema(InputSchema):
    queued = fields.List(fields.Nested(QueuedInvitationSchema))
    refused = fields.List(fields.Nested(RefusedRecipientSchema))
