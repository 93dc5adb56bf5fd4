"""Follow-ups in the API (CONTRACT §10): the listing's query, a follow-up, and a change to one."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from ..models import FOLLOW_UP_STATUSES
from .api import PageQuerySchema
from .fields import InputSchema

EMAIL = validate.Length(min=1, max=320)


class FollowUpQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(FOLLOW_UP_STATUSES))
    owner = fields.String(validate=EMAIL, metadata={"description": "the owner's email (a user of the org)"})


class NoteSchema(InputSchema):
    text = fields.String()
    author = fields.String()
    at = fields.String()


class FollowUpSchema(InputSchema):
    id = fields.Integer()
    survey_id = fields.Integer()
    response_id = fields.Integer()
    reason = fields.String(metadata={
        "description": "\"detractor\", \"manual\" (opened by a manager), or the id of a survey's follow_ups rule"})
    status = fields.String(metadata={"enum": list(FOLLOW_UP_STATUSES)})
    owner = fields.String(allow_none=True, metadata={"description": "the owner's email"})
    due = fields.String(allow_none=True, metadata={"description": "YYYY-MM-DD"})
    notes = fields.List(fields.Nested(NoteSchema))
    created_at = fields.String()
    updated_at = fields.String()


class FollowUpPageSchema(InputSchema):
    data = fields.List(fields.Nested(FollowUpSchema))
    next_cursor = fields.String(allow_none=True)


class FollowUpPatchSchema(InputSchema):
    status = fields.String(validate=validate.OneOf(FOLLOW_UP_STATUSES))
    owner = fields.String(allow_none=True, validate=EMAIL, metadata={"description": "a user's email; null: nobody"})
    note = fields.String(validate=validate.Length(min=1, max=5000))
    due = fields.Date(allow_none=True, metadata={"description": "YYYY-MM-DD; null: none"})

    @validates_schema
    def check_something(self, data: dict, **kwargs) -> None:
        """Refuse an empty change."""
        if not data:
            raise ValidationError("give at least one of status, owner, note, due", "status")
