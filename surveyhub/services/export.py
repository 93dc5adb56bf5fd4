"""CSV export of responses: one row per response, one column per question, labels resolved."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import select

from .. import survey_logic as logic
from ..extensions import db
from ..models import Response, Survey, SurveyVersion

FIXED_COLUMNS = ["response_id", "external_id", "channel", "status", "version", "started_at", "completed_at"]
# Spreadsheets run cells that start with these as formulas; a leading quote keeps them text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


def _label(question: dict, value: Any, definition: dict) -> str:
    if value is None:
        return ""
    if question["type"] == "multiple_choice":
        labels = {c["id"]: c["label"] for c in question["choices"]}
        chosen = value if isinstance(value, list) else [value]
        return "; ".join(
            "other" if c == logic.OTHER else logic.localize(labels.get(c, c), None, definition["default_locale"])
            for c in chosen
        )
    if question["type"] == "yes_no":
        return "yes" if value else "no"
    return str(value)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_rows(survey: Survey, responses: Iterable[Response]) -> Iterator[list[str]]:
    """Yield the header and then one row per response."""
    questions = all_questions(survey)
    header = list(FIXED_COLUMNS)
    for question in questions:
        header.append(question["id"])
        if question.get("allow_other"):
            header.append(f"{question['id']}_other")
    yield header
    for response in responses:
        definition = response.version.definition
        version_questions = logic.questions_by_id(definition)
        answers = {a.question_id: a for a in response.answers}
        row = [
            response.id, response.respondent.external_id if response.respondent else "", response.channel,
            response.status, response.version.number, response.started_at.isoformat(),
            response.completed_at.isoformat() if response.completed_at else "",
        ]
        for question in questions:
            answer = answers.get(question["id"])
            asked = version_questions.get(question["id"], question)
            row.append(_label(asked, answer.value, definition) if answer else "")
            if question.get("allow_other"):
                row.append(answer.other_text if answer and answer.other_text else "")
        yield [_cell(v) for v in row]


def csv_chunks(rows: Iterable[list[str]]) -> Iterator[str]:
    """Encode rows as CSV text, a row at a time, for a streamed HTTP response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
