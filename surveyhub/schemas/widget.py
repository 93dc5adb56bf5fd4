"""Query strings and bodies of the public widget endpoints (CONTRACT §6)."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from .api import ANSWER_VALUE, EXTERNAL_ID
from .fields import SCALAR, InputSchema, Locale, StrictBoolean

# A visit is one opening of a survey by the widget; the widget names it with a random id so that
# every write of the visit, retried or not, lands on the same response.
VISIT = validate.Regexp(r"^[A-Za-z0-9_-]{16,64}$", error="must be 16–64 letters, digits, '_' or '-'")
ATTRIBUTE_TEXT_MAX = 500


class AttributeValue(fields.Field):
    """A respondent attribute: a short string, a number, a boolean or null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(SCALAR)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> Any:
        if isinstance(value, str):
            if len(value) > ATTRIBUTE_TEXT_MAX:
                raise ValidationError(f"must be at most {ATTRIBUTE_TEXT_MAX} characters")
            return value
        if value is None or isinstance(value, bool | int | float):
            return value
        raise ValidationError("must be a string, a number, a boolean or null")


class WidgetUserSchema(InputSchema):
    id = fields.String(required=True, validate=EXTERNAL_ID)
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    # Read as the API reads a recipient's (E.164, or national in the org's region) once the org is known.
    phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    attributes = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=100)),
                             values=AttributeValue(allow_none=True), validate=validate.Length(max=50),
                             load_default=dict)


class SurveyQuerySchema(InputSchema):
    locale = Locale()


class WidgetWriteSchema(InputSchema):
    """What every write carries: the visit, the user and the host's HMAC of the user's id."""

    visit = fields.String(required=True, validate=VISIT)
    user = fields.Nested(WidgetUserSchema, required=True)
    user_hash = fields.String(required=True, data_key="userHash", validate=validate.Length(min=1, max=200))


class DisplaySchema(WidgetWriteSchema):
    locale = Locale(allow_none=True)


class AnswerSchema(WidgetWriteSchema):
    question = fields.String(required=True)
    value = fields.Raw(required=True, allow_none=False, metadata=ANSWER_VALUE)
    other_text = fields.String(allow_none=True)


class OfferDecisionSchema(WidgetWriteSchema):
    offer = fields.String(required=True, validate=validate.Length(min=1, max=64))
    accepted = StrictBoolean(required=True)
