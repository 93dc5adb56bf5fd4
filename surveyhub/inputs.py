"""Input no database can hold, refused at the edge for the whole app (CONTRACT §11).

Text with a NUL byte or a lone UTF-16 surrogate, numbers that are not finite or do not fit in 64 bits,
ids beyond PostgreSQL's `integer`, JSON nested deeper than any real body: each is a 4xx here, before a
view, a schema or the database sees it. The schemas refuse bad values inside bodies and query strings
(schemas.fields.InputSchema); this module holds the checks they share, the request-wide JSON check and
the URL converters that bound path parameters.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, UnicodeConverter, ValidationError

MAX_ID = 2**31 - 1  # PostgreSQL's `integer`, the narrowest id column of the supported databases
INT64 = 2**63
MAX_JSON_DEPTH = 64  # a survey definition with conditions nested as deep as they may be stays under 30
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def text_problem(value: str) -> str | None:
    """Say why `value` cannot be stored (a NUL byte, a lone surrogate), or None when it can."""
    bad = _BAD_TEXT.search(value)
    if bad is None:
        return None
    if bad.group() == "\x00":
        return "must not contain NUL characters"
    return "must not contain lone UTF-16 surrogates"


def scalar_problem(value: Any) -> str | None:
    """Say why a string or number cannot be stored, or None."""
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, float) and not (math.isfinite(value) and -INT64 <= value < INT64):
        return "must be a finite number that fits in 64 bits"
    if isinstance(value, int) and not isinstance(value, bool) and not -INT64 <= value < INT64:
        return "must fit in 64 bits"
    return None


def unstorable(data: Any) -> Any:
    """Return marshmallow-style messages for every unstorable value in `data`, nested like it; {} if none.

    A key that cannot be stored is reported on the object that holds it.
    """
    if isinstance(data, str | int | float):
        problem = scalar_problem(data)
        return [problem] if problem else {}
    if isinstance(data, list | tuple):
        return {i: found for i, item in enumerate(data) if (found := unstorable(item))}
    if hasattr(data, "keys"):
        messages: dict = {}
        getlist = getattr(data, "getlist", None)  # a query string or form: every value of each name
        for key in data.keys():  # noqa: SIM118 - Mappings and MultiDicts alike
            if isinstance(key, str) and (problem := text_problem(key)):
                messages["_schema"] = [f"a name in it {problem}"]
                continue
            found = [m for value in (getlist(key) if getlist else [data[key]]) if (m := unstorable(value))]
            if found:
                messages[key] = found[0]
        return messages
    return {}


def json_too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Tell whether a JSON text nests arrays and objects deeper than `limit`, without parsing it."""
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            return True
    return False


def load_json(raw: bytes) -> Any:
    """Parse a request's JSON body; a 400 naming `body` if it is not JSON or nests too deep."""
    if json_too_deep(raw):
        raise _bad_body(f"nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(raw)
    except RecursionError:
        raise _bad_body(f"nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as err:  # invalid JSON, bad UTF-8, or an integer of thousands of digits
        raise _bad_body(f"is not valid JSON: {err}") from None


class BadBody(BadRequest):
    """A 400 about the body as a whole, its `data` shaped as webargs' so the envelope names the field `body`."""

    def __init__(self, description: str, problem: str):
        super().__init__(description)
        self.data = {"messages": {"json": {"body": [problem]}}}


def _bad_body(problem: str) -> BadBody:
    return BadBody(f"The body {problem}.", problem)


def check_json_body() -> None:
    """Refuse a JSON body that could not be parsed safely, before anything else reads it."""
    if request.is_json and (request.content_length or request.headers.get("Transfer-Encoding")):
        load_json(request.get_data(cache=True))


class IdConverter(IntegerConverter):
    """`<int:…>` path ids: 1 to MAX_ID; anything else matches no route (404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int = 1, max: int = MAX_ID, signed: bool = False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(self.max)):  # before int(): thousands of digits would raise
            raise ValidationError()
        return super().to_python(value)


class TextConverter(UnicodeConverter):
    """String path parameters: text that could not be stored matches no route (404)."""

    def to_python(self, value: str) -> str:
        if text_problem(value):
            raise ValidationError()
        return value


def register(app: Flask) -> None:
    """Bound every path parameter and check every JSON body, for all blueprints registered after this."""
    app.url_map.converters.update(int=IdConverter, default=TextConverter, string=TextConverter)
    app.before_request(check_json_body)
