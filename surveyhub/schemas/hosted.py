"""The hosted survey page's answer form (/s/TOKEN, /p/TOKEN) and its preview's in the builder."""

from __future__ import annotations

import json
from typing import Any

from marshmallow import EXCLUDE, ValidationError, fields, validate

from ..inputs import MAX_JSON_DEPTH, json_too_deep
from .fields import MAX_TEXT, InputSchema, Locale
from .survey import ID

ACTIONS = ("next", "back", "skip", "finish")


class AnswerFormSchema(InputSchema):
    """One page's POST: which button, which question, the value(s) and an "other" text."""

    class Meta:
        unknown = EXCLUDE  # csrf_token, read by Flask-WTF

    action = fields.String(load_default="next", validate=validate.OneOf(ACTIONS))
    question = fields.String(load_default="", validate=validate.Length(max=64))
    back = fields.String(load_default="", validate=validate.Regexp(r"^([A-Za-z0-9_-]{1,64})?$",
                                                                     error=ID.error))
    value = fields.List(fields.String(validate=validate.Length(max=20000)), load_default=list,
                        validate=validate.Length(max=100))
    other_text = fields.String(load_default=None, validate=validate.Length(max=MAX_TEXT))

    def load_form(self, form) -> dict:
        """Load a request's form, keeping every `value` (a multiple choice sends several)."""
        data = {name: form.get(name) for name in form if name != "value"}
        if "value" in form:
            data["value"] = form.getlist("value")
        return self.load(data)


class JsonText(fields.Field):
    """A form field holding a JSON text (the hosted preview carries its definition and state this way)."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> Any:
        if not isinstance(value, str):
            raise ValidationError("must be a JSON text")
        raw = value.encode()
        if json_too_deep(raw):
            raise ValidationError(f"nests deeper than {MAX_JSON_DEPTH} levels")
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise ValidationError("is not valid JSON") from None


class PreviewStateSchema(InputSchema):
    """What the hosted preview has been told so far: answers by question, their "other" texts, skips."""

    answers = fields.Dict(keys=fields.String(validate=validate.Length(max=64)), values=fields.Raw(allow_none=False),
                          load_default=dict)
    others = fields.Dict(keys=fields.String(validate=validate.Length(max=64)),
                         values=fields.String(validate=validate.Length(max=MAX_TEXT)), load_default=dict)
    skipped = fields.List(fields.String(validate=validate.Length(max=64)), load_default=list,
                          validate=validate.Length(max=1000))


class HostedPreviewFormSchema(AnswerFormSchema):
    """One POST of the builder's hosted-page preview: the page's answer form, plus the (unsaved) definition,
    the locale to show and the state so far. The definition is checked by SurveyDefinitionSchema."""

    definition = JsonText(required=True)
    locale = Locale(load_default=None)
    state = JsonText(load_default=None)
