"""Survey definitions (CONTRACT §3): structure, then the rules that span questions."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from ..rules.survey import (
    DEFAULT_OPEN_MAX_LENGTH,
    OTHER,
    QUESTION_TYPES,
    RESERVED_REASONS,
    AnswerError,
    validate_answer,
)
from .fields import InputSchema, Locale, LocalizedString, StrictBoolean, StrictInteger

ID = validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$", error="must be 1–64 letters, digits, '_' or '-'")
SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,99}$", error="must be lowercase letters, digits and '-'")
OPERATORS = ("equals", "in", "not_in", "gte", "lte")
# Which fields each question type takes beyond id, type, text, help, required and show_if.
TYPE_FIELDS = {
    "multiple_choice": {"choices", "multiple", "allow_other", "other_label"},
    "likert": {"scale", "labels"},
    "nps": {"labels"},
    "yes_no": {"labels"},
    "open": {"max_length", "placeholder"},
}


class Condition(fields.Field):
    """A show_if/when condition: {"question", OP: value} or {"all"|"any": [conditions]}.

    Only its shape is checked here; the survey schema checks what it refers to.
    """

    def __init__(self, *, attributes: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.attributes = attributes  # follow-up rules may also test {"attribute": KEY, OP: value}

    def _deserialize(self, value: Any, attr, data, **kwargs) -> dict:
        _check_condition_shape(value, attributes=self.attributes)
        return value


def _check_condition_shape(value: Any, depth: int = 0, *, attributes: bool = False) -> None:
    if depth > 10:
        raise ValidationError("nests too deep")
    if not isinstance(value, dict):
        raise ValidationError("must be an object")
    keys = set(value)
    if keys in ({"all"}, {"any"}):
        parts = next(iter(value.values()))
        if not isinstance(parts, list) or not parts:
            raise ValidationError(f"\"{next(iter(keys))}\" must be a non-empty list of conditions")
        for part in parts:
            _check_condition_shape(part, depth + 1, attributes=attributes)
        return
    ops = keys & set(OPERATORS)
    subject = "attribute" if attributes and "attribute" in keys else "question"
    if subject not in keys or len(ops) != 1 or keys - {subject} - ops:
        raise ValidationError(
            "must be {\"question\"" + ("|\"attribute\"" if attributes else "") + ": ID, and one of "
            + ", ".join(OPERATORS) + "} or {\"all\"|\"any\": [...]}"
        )
    if not isinstance(value[subject], str) or not value[subject]:
        raise ValidationError(f"\"{subject}\" must be a {subject} name" if subject == "attribute"
                              else "\"question\" must be a question id")
    op = ops.pop()
    if op in ("in", "not_in") and (not isinstance(value[op], list) or not value[op]):
        raise ValidationError(f"\"{op}\" must be a non-empty list")
    if op in ("gte", "lte") and (not isinstance(value[op], int) or isinstance(value[op], bool)):
        raise ValidationError(f"\"{op}\" must be an integer")


class ChoiceSchema(InputSchema):
    id = fields.String(required=True, validate=ID)
    label = LocalizedString(required=True)


class ScaleLabelsSchema(InputSchema):
    min = LocalizedString()
    max = LocalizedString()


class QuestionSchema(InputSchema):
    id = fields.String(required=True, validate=ID)
    type = fields.String(required=True, validate=validate.OneOf(QUESTION_TYPES))
    text = LocalizedString(required=True)
    help = LocalizedString()
    required = StrictBoolean()
    show_if = Condition()
    choices = fields.List(fields.Nested(ChoiceSchema), validate=validate.Length(min=1, max=100))
    multiple = StrictBoolean()
    allow_other = StrictBoolean()
    other_label = LocalizedString()
    scale = StrictInteger(validate=validate.OneOf([5, 7]))
    labels = fields.Nested(ScaleLabelsSchema)
    max_length = StrictInteger(validate=validate.Range(min=1, max=20000))
    placeholder = LocalizedString()

    @validates_schema
    def check_type_fields(self, data: dict, **kwargs) -> None:
        kind = data.get("type")
        if kind not in TYPE_FIELDS:
            return
        common = {"id", "type", "text", "help", "required", "show_if"}
        errors = {
            name: [f"is not a field of a {kind} question"]
            for name in data if name not in common | TYPE_FIELDS[kind]
        }
        if kind == "multiple_choice":
            choices = data.get("choices")
            if not choices:
                errors["choices"] = ["is required for a multiple_choice question"]
            else:
                ids = [c["id"] for c in choices]
                if OTHER in ids:
                    errors["choices"] = ["\"other\" is reserved: set allow_other instead"]
                elif len(set(ids)) != len(ids):
                    errors["choices"] = ["choice ids must be unique"]
        if errors:
            raise ValidationError(errors)

    @post_load
    def fill_defaults(self, data: dict, **kwargs) -> dict:
        data.setdefault("required", data["type"] != "open")
        if data["type"] == "multiple_choice":
            data.setdefault("multiple", False)
            data.setdefault("allow_other", False)
        elif data["type"] == "likert":
            data.setdefault("scale", 5)
        elif data["type"] == "open":
            data.setdefault("max_length", DEFAULT_OPEN_MAX_LENGTH)
        return data


class OfferSchema(InputSchema):
    id = fields.String(required=True, validate=ID)
    when = Condition(required=True)
    title = LocalizedString(required=True)
    body = LocalizedString()
    accept_label = LocalizedString()
    decline_label = LocalizedString()


class FollowUpRuleSchema(InputSchema):
    """A manager's rule: open a follow-up, with reason `id`, for a response on which `when` holds."""

    id = fields.String(required=True, validate=[ID, validate.NoneOf(RESERVED_REASONS, error="is reserved")])
    when = Condition(required=True, attributes=True)


class SettingsSchema(InputSchema):
    """Delivery settings; omitted ones take rules.survey.DEFAULT_SETTINGS."""

    cooldown_days = StrictInteger(validate=validate.Range(min=0, max=3650))
    link_ttl_days = StrictInteger(validate=validate.Range(min=1, max=365))
    sms_session_ttl_hours = StrictInteger(validate=validate.Range(min=1, max=24 * 30))


DELIVERY_CHANNELS = ("email", "sms")
MAX_WAIT_HOURS = 720


class DeliveryStepSchema(InputSchema):
    """One step of a cascade: a channel, and the whole hours to wait before it (from the previous send)."""

    channel = fields.String(required=True, validate=validate.OneOf(DELIVERY_CHANNELS))
    wait_hours = StrictInteger(required=True, validate=validate.Range(min=0, max=MAX_WAIT_HOURS))


class DeliveryPlanSchema(InputSchema):
    """A survey's default cascade (CONTRACT §9)."""

    steps = fields.List(fields.Nested(DeliveryStepSchema), required=True, validate=validate.Length(min=1, max=5))
    stop_on = fields.String(load_default="responded", validate=validate.OneOf(("responded", "completed")))
    after_widget = StrictBoolean(load_default=False)


class SurveyDefinitionSchema(InputSchema):
    """A whole survey definition, as POSTed, PUT and stored."""

    slug = fields.String(required=True, validate=SLUG)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    default_locale = Locale(load_default="en")
    intro = LocalizedString()
    thanks = LocalizedString()
    questions = fields.List(fields.Nested(QuestionSchema), required=True,
                            validate=validate.Length(min=1, max=200))
    offers = fields.List(fields.Nested(OfferSchema), load_default=list, validate=validate.Length(max=20))
    follow_ups = fields.List(fields.Nested(FollowUpRuleSchema), validate=validate.Length(max=20))
    settings = fields.Nested(SettingsSchema)
    delivery = fields.Nested(DeliveryPlanSchema)

    @validates_schema
    def check_references(self, data: dict, **kwargs) -> None:
        """Check ids are unique, conditions point at earlier questions, and locales are covered."""
        if "questions" not in data or "name" not in data:
            return  # field errors already reported
        if not data["name"].strip():
            raise ValidationError({"name": ["must not be empty"]})
        errors: dict[str, Any] = {}
        seen: dict[str, dict] = {}
        for i, question in enumerate(data["questions"]):
            if question["id"] in seen:
                _put(errors, ["questions", i, "id"], f"duplicate question id {question['id']!r}")
            if "show_if" in question:
                for message in _condition_problems(question["show_if"], seen):
                    _put(errors, ["questions", i, "show_if"], message)
            seen[question["id"]] = question
        # Offers and follow-up rules: unique ids, and a `when` on the survey's questions.
        for key, kind in (("offers", "offer"), ("follow_ups", "follow-up rule")):
            ids: set[str] = set()
            for i, item in enumerate(data.get(key, [])):
                if item["id"] in ids:
                    _put(errors, [key, i, "id"], f"duplicate {kind} id {item['id']!r}")
                ids.add(item["id"])
                for message in _condition_problems(item["when"], seen):
                    _put(errors, [key, i, "when"], message)
        locale = data.get("default_locale", "en")
        for path, value in _localized_strings(data):
            if isinstance(value, dict) and locale not in value:
                _put(errors, path, f"has no text for the default locale {locale!r}")
        if errors:
            raise ValidationError(errors)


def _put(errors: dict, path: list, message: str) -> None:
    node = errors
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node.setdefault(path[-1], []).append(message)


def _condition_problems(condition: dict, earlier: dict[str, dict]) -> list[str]:
    """Say what is wrong with a condition's references, given the questions before it."""
    if "all" in condition or "any" in condition:
        return [p for part in next(iter(condition.values())) for p in _condition_problems(part, earlier)]
    if "attribute" in condition:  # attributes are whatever the host sends: any value compares
        return []
    qid = condition["question"]
    if qid not in earlier:
        return [f"refers to {qid!r}, which is not an earlier question"]
    question = earlier[qid]
    op = next(k for k in condition if k != "question")
    operand = condition[op]
    if op in ("gte", "lte"):
        if question["type"] not in ("nps", "likert"):
            return [f"\"{op}\" compares numbers, but {qid!r} is a {question['type']} question"]
        return []
    values = operand if op in ("in", "not_in") else [operand]
    problems = []
    for value in values:
        try:
            _check_operand(question, value)
        except AnswerError as err:
            problems.append(f"{value!r} is not an answer {qid!r} takes: {err.message}")
    return problems


def _check_operand(question: dict, value: Any) -> None:
    """Check that `value` is one answer `question` could take (a single choice for lists)."""
    if question["type"] == "multiple_choice":
        single = dict(question, multiple=False)
        validate_answer(single, value, "x" if value == OTHER else None)
    else:
        validate_answer(question, value)


def _localized_strings(data: dict):
    """Yield (path, value) for every user-facing string in a loaded definition."""
    for key in ("intro", "thanks"):
        if key in data:
            yield [key], data[key]
    for i, q in enumerate(data["questions"]):
        for key in ("text", "help", "other_label", "placeholder"):
            if key in q:
                yield ["questions", i, key], q[key]
        for j, choice in enumerate(q.get("choices", [])):
            yield ["questions", i, "choices", j, "label"], choice["label"]
        for end, text in (q.get("labels") or {}).items():
            yield ["questions", i, "labels", end], text
    for i, offer in enumerate(data.get("offers", [])):
        for key in ("title", "body", "accept_label", "decline_label"):
            if key in offer:
                yield ["offers", i, key], offer[key]
