"""Request and response bodies of the REST API (CONTRACT §5)."""

from __future__ import annotations

import re
from zoneinfo import available_timezones

import phonenumbers
from marshmallow import ValidationError, fields, post_load, pre_load, validate, validates, validates_schema

from channels.webhook import url_problem

from ..links import public_url
from ..models import CHANNELS, WEBHOOK_EVENTS
from ..models.org import MAX_CONTACT_CAP_DAYS, MAX_WIDGET_RESPONSES_PER_DAY
from ..security import DEFAULT_GRACE_HOURS, MAX_GRACE_HOURS
from .fields import SCALAR, TEXT, InputSchema, StrictBoolean, StrictInteger, UtcDateTime, scalar_values

EXTERNAL_ID = validate.Length(min=1, max=200)
ATTRIBUTE_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
# A cursor is pagination.py's base64url of "after:ID" (ID: 1–18 ASCII digits), written as the
# characters that encoding can produce, so that the spec says which strings are cursors.
_DIGIT_PAIR = "(?:[MN][DTjz]|O[DT])"
_DIGITS = f"{_DIGIT_PAIR}[AEIMQUYcgk][w-z0-5]"
CURSOR = validate.Regexp(
    f"^YWZ0ZXI6(?:{_DIGITS}){{0,5}}(?:{_DIGITS}|{_DIGIT_PAIR}[AEIMQUYcgk]|[MN][AQgw]|O[AQ])$",
    error="is not a cursor this API gave")
ANSWER_VALUE = {"oneOf": [TEXT, {"type": "integer", "minimum": 0, "maximum": 10}, {"type": "boolean"},
                          {"type": "array", "items": TEXT}],
                "description": "a choice id (or a list of them), 1..scale, 0..10, a boolean or a text"}
TIMEZONES = sorted(available_timezones())
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


class ErrorDetailSchema(InputSchema):
    code = fields.String()
    message = fields.String()
    # The envelope's key "fields" (an attribute of that name would hide marshmallow's Schema.fields).
    field_problems = fields.Dict(keys=fields.String(), values=fields.String(), data_key="fields")


class ErrorSchema(InputSchema):
    """The envelope every error answers with."""

    error = fields.Nested(ErrorDetailSchema)


class PageQuerySchema(InputSchema):
    cursor = fields.String(validate=CURSOR)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class SurveyListQuerySchema(PageQuerySchema):
    include_archived = fields.Boolean(load_default=False)


class SurveySchema(InputSchema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    status = fields.String(metadata={"enum": ["draft", "published", "archived"]})
    version = fields.Integer(attribute="latest_version", allow_none=True,
                             metadata={"description": "the live published version, null until published"})
    has_unpublished_changes = fields.Boolean()
    public_url = fields.Function(lambda s: public_url(s.id) if s.latest_version else None,
                                 metadata={"description": "anonymous link (channel web), once published"})
    definition = fields.Dict()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class SurveyPageSchema(InputSchema):
    data = fields.List(fields.Nested(SurveySchema))
    next_cursor = fields.String(allow_none=True)


class PublishedSchema(InputSchema):
    id = fields.Integer(attribute="survey_id")
    version = fields.Integer(attribute="number")
    status = fields.Constant("published")


class AnswerInSchema(InputSchema):
    question = fields.String(required=True)
    value = fields.Raw(required=True, allow_none=False, metadata=ANSWER_VALUE)
    other_text = fields.String(allow_none=True)


class StaffResponseInSchema(InputSchema):
    external_id = fields.String(validate=EXTERNAL_ID, allow_none=True)
    answers = fields.List(fields.Nested(AnswerInSchema), required=True, validate=validate.Length(max=500))
    complete = StrictBoolean(load_default=False)
    metadata = fields.Dict(keys=fields.String(validate=validate.Length(max=100)), load_default=dict,
                           validate=[validate.Length(max=50), scalar_values],
                           metadata={"additionalProperties": SCALAR, "maxProperties": 50})


class StaffResponsePatchSchema(InputSchema):
    answers = fields.List(fields.Nested(AnswerInSchema), load_default=list, validate=validate.Length(max=500))
    complete = StrictBoolean(load_default=False)


def answer_out(answer) -> dict:
    """Serialize one answer: other_text only where it was given."""
    out = {"question": answer.question_id, "value": answer.value}
    if answer.other_text is not None:
        out["other_text"] = answer.other_text
    return out


class ResponseSchema(InputSchema):
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


class ResponsePageSchema(InputSchema):
    data = fields.List(fields.Nested(ResponseSchema))
    next_cursor = fields.String(allow_none=True)


class ResponseQuerySchema(PageQuerySchema):
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    status = fields.String(validate=validate.OneOf(["partial", "completed"]))
    since = UtcDateTime(metadata={"description": "updated at or after"})
    format = fields.String(validate=validate.OneOf(["json", "csv"]))
    include_empty = fields.Boolean(load_default=False, metadata={
        "description": "CSV: also export responses with no answer (a widget opened and closed); "
                       "the JSON listing always lists them"})
    bom = fields.Boolean(load_default=False, metadata={
        "description": "CSV: start with a UTF-8 byte order mark (bom=1), so that Excel reads the text as UTF-8"})


class ExportQuerySchema(InputSchema):
    """Options of the dashboard's exports."""

    include_empty = fields.Boolean(load_default=False)


class StatsQuerySchema(InputSchema):
    """Filters of GET /surveys/{id}/stats; `attr.KEY=VALUE` parameters become `attributes`."""

    date_from = fields.Date(data_key="from", metadata={"description": "first UTC day, YYYY-MM-DD"})
    date_to = fields.Date(data_key="to", metadata={"description": "last UTC day, YYYY-MM-DD (included)"})
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    interval = fields.String(validate=validate.OneOf(["day", "week"]),
                             metadata={"description": "add a time series per channel by day or week"})
    attributes = fields.Raw(data_key="attr.*", metadata={
        "description": "respondent attribute filters, sent as attr.KEY=VALUE (e.g. attr.plan=pro), one per key"})

    @pre_load
    def gather_attributes(self, data, **kwargs) -> dict:
        """Collect the attr.KEY parameters (checked with the others in check_filters)."""
        out, attributes = {}, {}
        for name in data:
            if name.startswith("attr."):
                attributes[name[len("attr."):]] = data.getlist(name) if hasattr(data, "getlist") else [data[name]]
            else:
                out[name] = data[name]
        if attributes:
            out["attr.*"] = attributes
        return out

    @validates_schema(skip_on_field_errors=False)
    def check_filters(self, data: dict, **kwargs) -> None:
        errors = {}
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            errors["to"] = ["must not be before from"]
        for key, values in (data.get("attributes") or {}).items():
            if not ATTRIBUTE_KEY.match(key):
                errors[f"attr.{key}"] = ["the attribute name must be 1–64 letters, digits, '_', '.' or '-'"]
            elif len(values) != 1:
                errors[f"attr.{key}"] = ["give one value per attribute"]
            elif not 1 <= len(values[0]) <= 200:
                errors[f"attr.{key}"] = ["must be 1–200 characters"]
        if errors:
            raise ValidationError(errors)

    @post_load
    def one_value_each(self, data: dict, **kwargs) -> dict:
        data["attributes"] = {key: values[0] for key, values in data.get("attributes", {}).items()}
        return data


class CascadeStepStatsSchema(InputSchema):
    """One step of the survey's cascades (CONTRACT §9, docs/stats.md#cascades)."""

    step = fields.Integer(metadata={"description": "the step's place in the plan, from 1"})
    channel = fields.String(metadata={"enum": ["email", "sms"]})
    sent = fields.Integer(metadata={"description": "cascades whose step was sent before their person answered"})
    responded = fields.Integer(metadata={"description": "answers whose last step sent before them is this one"})
    response_rate = fields.Float(allow_none=True, metadata={"description": "responded / sent; null when 0 sent"})
    cumulative_response_rate = fields.Float(metadata={
        "description": "people who answered by this step / cascades started"})
    exhausted = fields.Integer(metadata={"description": "unanswered cascades that ran out of steps after this one"})
    cancelled = fields.Integer(metadata={"description": "unanswered cascades cancelled after this step"})


class CascadeStatsSchema(InputSchema):
    """The survey's cascades: how they stand, and what each step won."""

    started = fields.Integer()
    responded = fields.Integer()
    running = fields.Integer()
    exhausted = fields.Integer()
    cancelled = fields.Integer()
    steps = fields.List(fields.Nested(CascadeStepStatsSchema))


class StatsSchema(InputSchema):
    """CONTRACT §5's stats, §9's `cascade`, and `series` when an interval was asked for."""

    channels = fields.Dict()
    totals = fields.Dict()
    questions = fields.Dict()
    offers = fields.Dict()
    series = fields.Dict()
    cascade = fields.Nested(CascadeStatsSchema)


class WebhookInSchema(InputSchema):
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                     validate=validate.Length(max=2000), metadata={"pattern": "^https?://"})
    events = fields.List(fields.String(validate=validate.OneOf(WEBHOOK_EVENTS)), required=True,
                         validate=validate.Length(min=1, max=len(WEBHOOK_EVENTS)))

    @validates("url")
    def check_url(self, value: str, **kwargs) -> None:
        """Refuse what can't be sent as it is (control characters, spaces, a bad port)."""
        problem = url_problem(value)
        if problem:
            raise ValidationError(problem)

    @validates_schema
    def check_events(self, data: dict, **kwargs) -> None:
        if len(set(data.get("events", []))) != len(data.get("events", [])):
            raise ValidationError({"events": ["lists an event twice"]})


class WebhookSchema(InputSchema):
    id = fields.Integer()
    url = fields.String()
    events = fields.List(fields.String())
    status = fields.String(metadata={"enum": ["active", "disabled"]})
    disabled_reason = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(metadata={"description": "whsec_…, shown only in this answer"})


class RotateSecretQuerySchema(InputSchema):
    grace_hours = fields.Integer(
        load_default=DEFAULT_GRACE_HOURS, validate=validate.Range(min=0, max=MAX_GRACE_HOURS),
        metadata={"description": "hours deliveries stay signed with the old secret too "
                                 f"(default {DEFAULT_GRACE_HOURS}; 0: the old one stops at once)"})


class WebhookRotatedSchema(WebhookCreatedSchema):
    previous_secret_expires_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "until when deliveries also carry the old secret's signature; null: they no longer do"})


class WebhookPageSchema(InputSchema):
    data = fields.List(fields.Nested(WebhookSchema))
    next_cursor = fields.String(allow_none=True)


class OrgSchema(InputSchema):
    id = fields.Integer()
    name = fields.String()
    timezone = fields.String(metadata={"description": "IANA timezone: quiet hours of people without one"})
    default_region = fields.String(allow_none=True, metadata={
        "description": "ISO 3166 region code national phone numbers are read in (e.g. MY), or null"})
    widget_responses_per_day = fields.Integer(metadata={
        "description": "widget responses one user may start per survey in 24 hours (0: no cap)"})
    contact_cap_days = fields.Integer(metadata={
        "description": "a person is sent at most one new invitation or cascade in this many days (0: no cap)"})


class OrgSettingsInSchema(InputSchema):
    """The org settings a PATCH may change; the service checks the values."""

    timezone = fields.String(validate=validate.Length(min=1, max=64), metadata={"enum": TIMEZONES})
    default_region = fields.String(allow_none=True, validate=validate.Length(min=2, max=3),
                                   metadata={"enum": [*REGIONS, None]})
    widget_responses_per_day = StrictInteger(validate=validate.Range(min=0, max=MAX_WIDGET_RESPONSES_PER_DAY))
    contact_cap_days = StrictInteger(validate=validate.Range(min=0, max=MAX_CONTACT_CAP_DAYS))
