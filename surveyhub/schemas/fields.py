"""Fields shared by the schemas."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields

LOCALE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAX_TEXT = 5000


class LocalizedString(fields.Field):
    """A user-facing string: plain text, or an object of locale → text (CONTRACT §3).

    Whether the object covers the survey's default locale is checked by the survey schema, which
    knows that locale.
    """

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
