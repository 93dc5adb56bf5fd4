"""Fields shared by the schemas."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from ..inputs import INT64, MAX_ID, unstorable

# How the spec describes what InputSchema takes (OpenAPI 3.0 has no "not NUL" or 64-bit type of its own).
NO_NUL = "^[^\\u0000]*$"
TEXT = {"type": "string", "pattern": NO_NUL}
SCALAR = {"anyOf": [TEXT, {"type": "number", "minimum": -INT64, "maximum": INT64 - 1}, {"type": "boolean"}],
          "nullable": True}

LOCALE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAX_TEXT = 5000


class InputSchema(Schema):
    """The base of every schema: refuses, wherever it is in the input, what no database can hold.

    NUL bytes and lone surrogates in any string (values and names), NaN/Infinity, and integers beyond
    64 bits, each reported at its own path — for every body, query string and form the app reads.
    """

    @pre_load
    def _refuse_unstorable(self, data: Any, **kwargs) -> Any:  # "_": marshmallow runs hooks by name
        messages = unstorable(data)
        if messages:
            raise ValidationError(messages if isinstance(messages, dict) else {"_schema": messages})
        return data


class Id(fields.Integer):
    """An id in a body or query: a JSON integer from 1 to MAX_ID (PostgreSQL's `integer`)."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class UtcDateTime(fields.AwareDateTime):
    """An ISO 8601 date-time, read as UTC when it names no offset, from 0001-01-02 to 9999-12-30.

    The first and last days of the calendar are refused whatever the time: at some offsets they have no
    UTC equivalent (9999-12-31T23:59:59-14:00), and a rule by day is one the spec can state.
    """

    EDGE_DAYS = "^(?!0001-01-01|9999-12-31)"

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {})["pattern"] = self.EDGE_DAYS
        super().__init__(format="iso", default_timezone=UTC, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.date() in (datetime.min.date(), datetime.max.date()):
            raise ValidationError("must be a date-time from 0001-01-02 to 9999-12-30")
        return moment.astimezone(UTC)


class LocalizedString(fields.Field):
    """A user-facing string: plain text, or an object of locale → text (CONTRACT §3).

    Whether the object covers the survey's default locale is checked by the survey schema, which
    knows that locale.
    """

    def __init__(self, **kwargs):
        text = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT, "pattern": "\\S"}
        kwargs.setdefault("metadata", {}).update(oneOf=[text, {
            "type": "object", "minProperties": 1, "additionalProperties": text,
            "description": "locale code (en, zh-CN) → text; must cover the survey's default_locale"}])
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str | dict[str, str]:
        if isinstance(value, str):
            return _text(value)
        if isinstance(value, dict) and value:
            out = {}
            for locale, text in value.items():
                if not LOCALE_RE.match(locale):
                    raise ValidationError(f"{locale!r} is not a locale code such as \"en\" or \"zh-CN\"")
                if not isinstance(text, str):
                    raise ValidationError(f"the {locale!r} text must be a string")
                out[locale] = _text(text)
            return out
        raise ValidationError("must be a string or an object of locale → string")


def _text(value: str) -> str:
    if not value.strip():
        raise ValidationError("must not be empty")
    if len(value) > MAX_TEXT:
        raise ValidationError(f"must be at most {MAX_TEXT} characters")
    return value


class Locale(fields.String):
    """A BCP 47-style locale code such as "en", "ms" or "zh-CN"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {})["pattern"] = LOCALE_RE.pattern
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        value = super()._deserialize(value, attr, data, **kwargs)
        if not LOCALE_RE.match(value):
            raise ValidationError("must be a locale code such as \"en\" or \"zh-CN\"")
        return value


class StrictInteger(fields.Integer):
    """An integer that refuses booleans, floats and numeric strings."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class StrictBoolean(fields.Boolean):
    """A JSON boolean: true or false, not "yes", 1 or "true"."""

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def scalar_values(value: dict) -> None:
    """Validate a Dict of attributes or metadata: each value a string, number, boolean or null."""
    for key, item in value.items():
        if item is not None and not isinstance(item, str | int | float | bool):
            raise ValidationError(f"{key!r} must be a string, number, boolean or null")


def describe_limits(self, field: fields.Field, ret: dict, **kwargs) -> dict:
    """apispec attribute function: put in the spec what InputSchema refuses of every field.

    Free text may not hold NUL (lone surrogates cannot be written in JSON the spec's clients produce
    anyway), and an integer without a range of its own fits in 64 bits.
    """
    extra: dict = {}
    if (isinstance(field, fields.String) and "pattern" not in ret and "enum" not in ret
            and not isinstance(field, fields.DateTime | fields.Date)):
        extra["pattern"] = NO_NUL
    if isinstance(field, fields.Integer) and "minimum" not in ret and "maximum" not in ret:
        extra.update(minimum=-INT64, maximum=INT64 - 1)
    return extra
