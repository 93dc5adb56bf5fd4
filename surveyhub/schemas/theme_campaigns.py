"""Bodies of the theme campaign API: address a theme, read its campaign (docs/api.md#theme-campaigns)."""

from __future__ import annotations

from marshmallow import fields, validate

from .fields import InputSchema, Locale


class AddressSchema(InputSchema):
    """POST /themes/{id}/address: the message in one or more locales, its default locale, an optional link."""

    message = fields.Dict(keys=Locale(), values=fields.String(validate=validate.Length(min=1, max=1000)),
                          required=True, validate=validate.Length(min=1, max=50),
                          metadata={"description": "locale → text; must hold default_locale"})
    default_locale = Locale(metadata={"description": "the text for people whose locale the message lacks; "
                                                     "default: the survey's default locale"})
    link = fields.Url(schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2000),
                      metadata={"description": "an http(s) page the notice links to (clicks are counted)"})


class QueuedSchema(InputSchema):
    id = fields.Integer()
    theme_id = fields.Integer()
    queued = fields.Integer(metadata={"description": "notices waiting to go out"})
    skipped = fields.Dict(keys=fields.String(), values=fields.Integer(),
                          metadata={"description": "reason (no_address, unsubscribed, opted_out, fatigue_cap) → n"})


class CampaignSchema(QueuedSchema):
    message = fields.Dict(keys=fields.String(), values=fields.String())
    default_locale = fields.String()
    link = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent = fields.Integer()
    failed = fields.Integer()
    opened = fields.Integer(metadata={"description": "notices whose page was viewed"})
    clicked = fields.Integer(metadata={"description": "notices whose link was followed"})
