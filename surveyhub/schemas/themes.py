"""Request and response bodies of the themes API (CONTRACT §10, docs/api.md#themes)."""

from __future__ import annotations

from marshmallow import fields, validate, validates_schema
from marshmallow.exceptions import ValidationError

from .fields import Id, InputSchema, Locale

QUESTION_ID = validate.Length(min=1, max=100)


class ThemesQuerySchema(InputSchema):
    """GET /surveys/{id}/themes: one question, a range of UTC days, the labels' locale."""

    question = fields.String(required=True, validate=QUESTION_ID,
                             metadata={"description": "an open question, or a choice question with allow_other"})
    date_from = fields.Date(data_key="from", metadata={"description": "first UTC day, YYYY-MM-DD"})
    date_to = fields.Date(data_key="to", metadata={"description": "last UTC day, YYYY-MM-DD (included)"})
    locale = Locale(metadata={"description": "labels taken from the survey's choices in this locale; "
                                             "default: the Accept-Language header, else the survey's default"})

    @validates_schema
    def check_range(self, data: dict, **kwargs) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ValidationError({"to": ["must not be before from"]})


class RegroupSchema(InputSchema):
    question = fields.String(required=True, validate=QUESTION_ID)
    locale = Locale()


class LocaleQuerySchema(InputSchema):
    locale = Locale(metadata={"description": "the locale labels are shown in (as for GET …/themes)"})


class RenameSchema(InputSchema):
    label = fields.String(required=True, allow_none=True, validate=validate.Length(max=200),
                          metadata={"description": "the manager's label; null gives back the automatic one"})


class MergeSchema(InputSchema):
    into = Id(required=True, metadata={"description": "the theme that takes this one's answers"})


class MoveSchema(InputSchema):
    response_id = Id(required=True, metadata={
        "description": "the response whose answer to the theme's question moves into this theme"})


class ExampleSchema(InputSchema):
    response_id = fields.Integer()
    text = fields.String()


class ThemeSchema(InputSchema):
    id = fields.Integer()
    label = fields.String(metadata={"description": "the manager's label, else the matching choice's in the "
                                                   "reader's locale, else the theme's most telling words"})
    count = fields.Integer()
    share = fields.Float(metadata={"description": "count / answered, 0..1"})
    examples = fields.List(fields.Nested(ExampleSchema), metadata={"description": "up to 3, newest first"})
    languages = fields.Dict(keys=fields.String(), values=fields.Integer(),
                            metadata={"description": "language code (en, ms, id, zh, …) → answers"})


class ThemeListSchema(InputSchema):
    themes = fields.List(fields.Nested(ThemeSchema), metadata={"description": "biggest first"})
    answered = fields.Integer(metadata={"description": "texts in the range"})
    unassigned = fields.Integer(metadata={"description": "texts in the range in no theme"})


class SplitSchema(InputSchema):
    themes = fields.List(fields.Nested(ThemeSchema), metadata={
        "description": "the theme (keeping the bigger part) and the new one"})
