"""CSV export of responses: one row per response, one column per question, labels resolved.

Made to open cleanly in a spreadsheet: an optional UTF-8 byte order mark (Excel on Windows reads
UTF-8 without one as the local code page), "other" answers shown as their label and text, the
respondent's external id, locale and attributes as columns, and formula-looking cells kept as text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select

from .. import i18n
from ..extensions import db
from ..models import Respondent, Response, Survey, SurveyVersion
from ..responses.answers import iter_responses, matching_responses
from ..rules import survey as logic

FIXED_COLUMNS = ["response_id", "external_id", "channel", "status", "version", "started_at", "completed_at",
                 "locale"]
ATTRIBUTE_PREFIX = "attr."
# Spreadsheets run cells that start with these as formulas; a leading quote keeps them text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def all_questions(survey: Survey) -> list[dict]:
    """Every question the survey has had: the working definition's, then ones later removed."""
    seen: dict[str, dict] = {}
    versions = db.session.execute(
        select(SurveyVersion.definition).where(SurveyVersion.survey_id == survey.id)
        .order_by(SurveyVersion.number.desc())
    ).scalars()
    for definition in [survey.definition, *versions]:
        for question in definition["questions"]:
            seen.setdefault(question["id"], question)
    return list(seen.values())


def other_label(question: dict, definition: dict) -> str:
    """The label of a question's "other" choice in the survey's default locale: its own, else ours."""
    default = definition["default_locale"]
    if question.get("other_label"):
        return logic.localize(question["other_label"], None, default)
    return i18n.translations(default).gettext("Other")


def _label(question: dict, value: Any, other_text: str | None, definition: dict) -> str:
    if value is None:
        return ""
    if question["type"] == "multiple_choice":
        labels: dict[str, str | dict[str, str]] = {c["id"]: c["label"] for c in question["choices"]}
        chosen: list[str] = value if isinstance(value, list) else [value]
        return "; ".join(
            f"{other_label(question, definition)}: {other_text or ''}".rstrip() if c == logic.OTHER
            else logic.localize(labels.get(c, c), None, definition["default_locale"])
            for c in chosen
        )
    if question["type"] == "yes_no":
        return "yes" if value else "no"
    return str(value)


def _attribute_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def attribute_keys(responses_query) -> list[str]:
    """Return every attribute key the people of the selected responses have, sorted (read as a stream)."""
    people = responses_query.order_by(None).with_only_columns(Response.respondent_id)
    keys: set[str] = set()
    rows = db.session.execute(select(Respondent.attributes).where(Respondent.id.in_(people))
                              .execution_options(yield_per=1000)).scalars()
    for attributes in rows:
        keys.update(attributes or {})
    return sorted(keys)


def csv_rows(survey: Survey, responses: Iterable[Response], attributes: list[str]) -> Iterator[list[str]]:
    """Yield the header and then one row per response; `attributes` are the attr.KEY columns."""
    questions = all_questions(survey)
    header = [*FIXED_COLUMNS, *(ATTRIBUTE_PREFIX + key for key in attributes)]
    for question in questions:
        header.append(question["id"])
        if question.get("allow_other"):
            header.append(f"{question['id']}_other")
    yield header
    for response in responses:
        definition = response.version.definition
        version_questions = logic.questions_by_id(definition)
        answers = {a.question_id: a for a in response.answers}
        person = response.respondent
        row = [
            response.id, person.external_id if person else "", response.channel,
            response.status, response.version.number, response.started_at.isoformat(),
            response.completed_at.isoformat() if response.completed_at else "", person.locale if person else "",
        ]
        row += [_attribute_text((person.attributes or {}).get(key)) if person else "" for key in attributes]
        for question in questions:
            answer = answers.get(question["id"])
            asked = version_questions.get(question["id"], question)
            row.append(_label(asked, answer.value, answer.other_text, definition) if answer else "")
            if question.get("allow_other"):
                row.append(answer.other_text if answer and answer.other_text else "")
        yield [_cell(v) for v in row]


def csv_chunks(rows: Iterable[list[str]], *, bom: bool = False) -> Iterator[str]:
    """Encode rows as CSV text, a row at a time, for a streamed HTTP response; `bom` starts it with U+FEFF."""
    if bom:
        yield BOM
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def export_csv(survey: Survey, *, channel: str | None = None, status: str | None = None,
               since: datetime | None = None, include_empty: bool = False, bom: bool = False) -> Iterator[str]:
    """Stream the CSV export of a survey's matching responses; those with no answer only with `include_empty`."""
    filters: dict[str, Any] = {"channel": channel, "status": status, "since": since, "include_empty": include_empty}
    keys = attribute_keys(matching_responses(survey, **filters))
    return csv_chunks(csv_rows(survey, iter_responses(survey, **filters), keys), bom=bom)
