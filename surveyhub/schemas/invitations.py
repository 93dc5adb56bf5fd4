"""Bodies of POST /surveys/{id}/invitations (CONTRACT §5)."""

from __future__ import annotations

from marshmallow import ValidationError, fields, post_dump, validate, validates_schema

from ..models.invitation import INVITATION_CHANNELS
from .api import EXTERNAL_ID, PageQuerySchema
from .fields import SCALAR, InputSchema, UtcDateTime, scalar_values
from .survey import DeliveryStepSchema

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
    channel = fields.String(required=True, validate=validate.OneOf((*INVITATION_CHANNELS, "cascade")))
    recipients = fields.List(fields.Nested(RecipientSchema), required=True,
                             validate=validate.Length(min=1, max=MAX_RECIPIENTS))
    send_at = UtcDateTime()
    steps = fields.List(fields.Nested(DeliveryStepSchema), validate=validate.Length(min=1, max=5),
                        metadata={"description": "cascade only: the steps instead of the survey's plan"})

    @validates_schema
    def _steps_only_for_cascades(self, data: dict, **kwargs) -> None:
        if "steps" in data and data.get("channel") != "cascade":
            raise ValidationError({"steps": ["is only for the cascade channel"]})


class QueuedInvitationSchema(InputSchema):
    id = fields.Integer()
    channel = fields.String()
    recipient = fields.Dict()
    send_at = fields.AwareDateTime()
    status = fields.String()
    sms = fields.Dict(metadata={"description": "SMS only: the estimated encoding (GSM-7 or UCS-2), "
                                              "first_message_segments, survey_segments and non_gsm_characters"})
    steps = fields.List(fields.Nested(DeliveryStepSchema),
                        metadata={"description": "cascade only (its id is the cascade's): the steps it will take"})

    @post_dump
    def _only_sms_has_segments(self, data: dict, **kwargs) -> dict:
        for name in ("sms", "steps"):
            if data.get(name) is None:
                data.pop(name, None)
        return data


class RefusedRecipientSchema(InputSchema):
    recipient = fields.Dict()
    reason = fields.String(metadata={"enum": ["invalid_email", "missing_email", "invalid_phone", "missing_phone",
                                              "opted_out", "invalid_locale", "invalid_timezone",
                                              "duplicate", "unsubscribed", "recently_invited", "missing_address",
                                              "fatigue_cap"]})


class InvitationResultSchema(InputSchema):
    queued = fields.List(fields.Nested(QueuedInvitationSchema))
    refused = fields.List(fields.Nested(RefusedRecipientSchema))


# The statuses an invitation (or a cascade's step) goes through (CONTRACT §9).
INVITATION_STATUSES = ("queued", "sending", "sent", "delivered", "failed", "cancelled", "skipped")


class InvitationListQuerySchema(PageQuerySchema):
    channel = fields.String(validate=validate.OneOf(INVITATION_CHANNELS))
    status = fields.String(validate=validate.OneOf(INVITATION_STATUSES))


class ListedInvitationSchema(InputSchema):
    id = fields.Integer()
    channel = fields.String(metadata={"enum": list(INVITATION_CHANNELS)})
    recipient = fields.Dict()
    status = fields.String(metadata={"enum": list(INVITATION_STATUSES)})
    send_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    opened_at = fields.AwareDateTime(allow_none=True)
    response_id = fields.Integer(allow_none=True)
    cascade_id = fields.Integer(allow_none=True, metadata={"description": "a cascade's step: its cascade"})
    step = fields.Integer(allow_none=True, metadata={"description": "a cascade's step: its place, from 1"})


class InvitationPageSchema(InputSchema):
    data = fields.List(fields.Nested(ListedInvitationSchema))
    next_cursor = fields.String(allow_none=True)
