"""Request and response bodies of the REST API (CONTRACT §5)."""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, fields, validate

from ..models import CHANNELS
from ..services.hosted import public_url
from .fields import StrictBoolean

EXTERNAL_ID = validate.Length(min=1, max=200)


class ErrorDetailSchema(Schema):
    code = fields.String()
    message = fields.String()
    fields = fields.Dict(keys=fields.String(), values=fields.String())


class ErrorSchema(Schema):
    """The envelope every error answers with."""

    error = fields.Nested(ErrorDetailSchema)


class PageQuerySchema(Schema):
    cursor = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class SurveyListQuerySchema(PageQuerySchema):
    include_archived = fields.Boolean(load_default=False)


class SurveySchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    status = fields.String(metadata={"enum": ["draft", "published", "archived"]})
    version = fields.Integer(attribute="latest_version", allow_none=True,
                             metadata={"description": "the live published version, null until published"})
    has_unpublished_changes = fields.Boolean()
    public_url = fields.Function(lambda s: public_url(s) if s.latest_version else None,
                                 metadata={"description": "anonymous link (channel web), once published"})
    definition = fields.Dict()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class SurveyPageSchema(Schema):
    data = fields.List(fields.Nested(SurveySchema))
    next_cursor = fields.String(allow_none=True)


class PublishedSchema(Schema):
    id = fields.Integer(attribute="survey_id")
    version = fields.Integer(attribute="number")
    status = fields.Constant("published")


class AnswerInSchema(Schema):
    question = fields.String(required=True)
    value = fields.Raw(required=True, allow_none=False)
    other_text = fields.String(allow_none=True)


class StaffResponseInSchema(Schema):
    external_id = fields.String(validate=EXTERNAL_ID, allow_none=True)
    answers = fields.List(fields.Nested(AnswerInSchema), required=True, validate=validate.Length(max=500))
    complete = StrictBoolean(load_default=False)
    metadata = fields.Dict(keys=fields.String(validate=validate.Length(max=100)), load_default=dict)


def answer_out(answer) -> dict:
    """Serialize one answer: other_text only where it was given."""
    out = {"question": answer.question_id, "value": answer.value}
    if answer.other_text is not None:
        out["other_text"] = answer.other_text
    return out


class ResponseSchema(Schema):
    id = fields.Integer()
    survey_id = fields.Integer()
    version = fields.Function(lambda r: r.version.number)
    channel = fields.String()
    status = fields.String(metadata={"enum": ["partial", "completed"]})
    external_id = fields.Function(lambda r: r.respondent.external_id if r.respondent else None)
    answers = fields.Function(lambda r: [answer_out(a) for a in r.answers])
    started_at = fields.AwareDateTime()
    completed_at = fields.AwareDateTime(allow_none=True)
    metadata = fields.Dict(attribute="meta")


class ResponsePageSchema(Schema):
    data = fields.List(fields.Nested(ResponseSchema))
    next_cursor = fields.String(allow_none=True)


class ResponseQuerySchema(PageQuerySchema):
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    status = fields.String(validate=validate.OneOf(["partial", "completed"]))
    since = fields.AwareDateTime(default_timezone=UTC, metadata={"description": "updated at or after"})
    format = fields.String(validate=validate.OneOf(["json", "csv"]))
