"""The hosted survey page's answer form (/s/TOKEN, /p/TOKEN)."""

from __future__ import annotations

from marshmallow import EXCLUDE, fields, validate

from .fields import MAX_TEXT, InputSchema
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
