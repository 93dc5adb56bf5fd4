"""Pure rules of a survey definition: visibility, answer validation, branching, completion.

Every channel answers through these, so a value means the same on the widget, by SMS and by email.
Nothing here touches the database or Flask; definitions are the validated dicts of CONTRACT §3.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, overload

QUESTION_TYPES = ("multiple_choice", "likert", "nps", "yes_no", "open")
OTHER = "other"
DEFAULT_OPEN_MAX_LENGTH = 2000
OTHER_TEXT_MAX_LENGTH = 2000
# A survey's delivery settings when its definition does not set them.
DEFAULT_SETTINGS = {"cooldown_days": 90, "link_ttl_days": 30, "sms_session_ttl_hours": 72}


class AnswerError(ValueError):
    """An answer that its question does not take; `field` names the part that is wrong.

    `message` is for API clients (English, naming the field's rule); `reason` and `params` say the
    same for people: i18n's "answer_<reason>" words it in the respondent's language.
    """

    def __init__(self, field: str, message: str, reason: str, **params: object):
        super().__init__(message)
        self.field = field
        self.message = message
        self.reason = reason
        self.params = params


@dataclass(frozen=True)
class CleanAnswer:
    question: str
    value: Any
    other_text: str | None = None


@overload
def localize(text: str | dict[str, str], locale: str | None, default_locale: str) -> str: ...
@overload
def localize(text: str | dict[str, str] | None, locale: str | None, default_locale: str) -> str | None: ...
def localize(text: str | dict[str, str] | None, locale: str | None, default_locale: str) -> str | None:
    """Pick the string for `locale`, then its language alone ("ms" for "ms-MY"), then the default."""
    if text is None or isinstance(text, str):
        return text
    if locale:
        if locale in text:
            return text[locale]
        language = locale.split("-")[0]
        if language in text:
            return text[language]
    return text[default_locale]


def setting(definition: dict, name: str) -> int:
    """Return one of the survey's delivery settings, or its default."""
    return definition.get("settings", {}).get(name, DEFAULT_SETTINGS[name])


def survey_locales(definition: dict) -> list[str]:
    """Return the locales a survey speaks: its default first, then those its intro or questions are written in."""
    locales = [definition["default_locale"]]
    for text in [definition.get("intro"), *(q["text"] for q in definition["questions"])]:
        if isinstance(text, dict):
            locales += [loc for loc in text if loc not in locales]
    return locales


def questions_by_id(definition: dict) -> dict[str, dict]:
    """Map question ids to their questions, in survey order."""
    return {q["id"]: q for q in definition["questions"]}


def _is_int(value: Any) -> bool:
    # bool is an int in Python but never a valid number answer.
    return isinstance(value, int) and not isinstance(value, bool)


def condition_holds(condition: dict, answers: dict[str, Any], attributes: dict[str, Any] | None = None) -> bool:
    """Evaluate a show_if/when condition against the answers given so far.

    A condition on a question with no answer is false, whatever its operator. For a multiple
    selection, `equals` means "includes", `in` means "includes any", `not_in` "includes none".
    `{"attribute": KEY, OP: value}` (follow-up rules only) reads the respondent's `attributes`.
    """
    if "all" in condition:
        return all(condition_holds(c, answers, attributes) for c in condition["all"])
    if "any" in condition:
        return any(condition_holds(c, answers, attributes) for c in condition["any"])
    if "attribute" in condition:  # a follow-up rule's operand: the respondent's attribute
        condition = {**condition, "question": condition["attribute"]}
        answers = attributes or {}
    if condition["question"] not in answers:
        return False
    answer = answers[condition["question"]]
    selected = answer if isinstance(answer, list) else [answer]
    if "equals" in condition:
        return condition["equals"] in selected if isinstance(answer, list) else answer == condition["equals"]
    if "in" in condition:
        return any(v in condition["in"] for v in selected)
    if "not_in" in condition:
        return all(v not in condition["not_in"] for v in selected)
    if "gte" in condition:
        return _is_int(answer) and answer >= condition["gte"]
    if "lte" in condition:
        return _is_int(answer) and answer <= condition["lte"]
    raise ValueError(f"unknown condition {condition!r}")


DETRACTOR_SCORES = range(0, 7)
DETRACTOR = "detractor"
BY_HAND = "manual"  # a follow-up a manager opened on a response
RESERVED_REASONS = (DETRACTOR, BY_HAND)  # no survey rule may be called so


def follow_up_reasons(definition: dict, answers: dict[str, Any], attributes: dict[str, Any]) -> list[str]:
    """Return why a response needs a follow-up: "detractor" (an NPS answer 0–6) and each rule that holds."""
    nps_ids = [q["id"] for q in definition["questions"] if q["type"] == "nps"]
    reasons = [DETRACTOR] if any(_is_int(answers.get(qid)) and answers[qid] in DETRACTOR_SCORES
                                 for qid in nps_ids) else []
    return reasons + [rule["id"] for rule in definition.get("follow_ups", [])
                      if condition_holds(rule["when"], answers, attributes)]


def visible_questions(definition: dict, answers: dict[str, Any]) -> list[dict]:
    """Return the questions shown given `answers`, in order.

    A question is visible when its show_if holds on the answers to visible earlier questions; an
    answer left behind on a question that has since become hidden does not count.
    """
    visible: list[dict] = []
    effective: dict[str, Any] = {}
    for question in definition["questions"]:
        show_if = question.get("show_if")
        if show_if is None or condition_holds(show_if, effective):
            visible.append(question)
            if question["id"] in answers:
                effective[question["id"]] = answers[question["id"]]
    return visible


def is_required(question: dict) -> bool:
    """Tell whether a (visible) question must be answered; `open` is optional unless marked."""
    return question.get("required", question["type"] != "open")


def validate_answer(question: dict, value: Any, other_text: Any = None) -> CleanAnswer:
    """Check one answer against its question and return it normalised, or raise AnswerError."""
    kind = question["type"]
    qid = question["id"]
    if other_text is not None and not (kind == "multiple_choice" and mentions_other(value)):
        raise AnswerError("other_text", "other_text is only taken with the choice \"other\"", "other_not_chosen")
    if kind == "nps":
        if not _is_int(value) or not 0 <= value <= 10:
            raise AnswerError("value", "must be an integer from 0 to 10", "out_of_range", low=0, high=10)
        return CleanAnswer(qid, value)
    if kind == "likert":
        scale = question.get("scale", 5)
        if not _is_int(value) or not 1 <= value <= scale:
            raise AnswerError("value", f"must be an integer from 1 to {scale}", "out_of_range", low=1, high=scale)
        return CleanAnswer(qid, value)
    if kind == "yes_no":
        if not isinstance(value, bool):
            raise AnswerError("value", "must be true or false", "yes_or_no")
        return CleanAnswer(qid, value)
    if kind == "open":
        if not isinstance(value, str):
            raise AnswerError("value", "must be a string", "empty")
        if not value.strip():
            raise AnswerError("value", "must not be empty", "empty")
        limit = question.get("max_length", DEFAULT_OPEN_MAX_LENGTH)
        if len(value) > limit:
            raise AnswerError("value", f"must be at most {limit} characters", "too_long", limit=limit)
        return CleanAnswer(qid, value)
    return _validate_choice(question, value, other_text)


def mentions_other(value: Any) -> bool:
    """Whether a choice answer includes "other" (which comes with its text)."""
    return value == OTHER or (isinstance(value, list) and OTHER in value)


def _validate_choice(question: dict, value: Any, other_text: Any) -> CleanAnswer:
    choice_ids = {c["id"] for c in question["choices"]}
    allow_other = question.get("allow_other", False)
    if question.get("multiple", False):
        if not isinstance(value, list) or not value:
            raise AnswerError("value", "must be a non-empty list of choice ids", "choose")
        selected = value
        if len(set(map(repr, selected))) != len(selected):
            raise AnswerError("value", "lists a choice twice", "not_a_choice")
    else:
        if isinstance(value, list):
            raise AnswerError("value", "takes one choice id, not a list", "one_choice")
        selected = [value]
    for choice in selected:
        if choice == OTHER:
            if not allow_other:
                raise AnswerError("value", "this question has no \"other\" choice", "not_a_choice")
        elif not isinstance(choice, str) or choice not in choice_ids:
            raise AnswerError("value", f"{choice!r} is not one of the choices", "not_a_choice")
    if OTHER in selected:
        if not isinstance(other_text, str) or not other_text.strip():
            raise AnswerError("other_text", "is required with the choice \"other\"", "other_text_required")
        if len(other_text) > OTHER_TEXT_MAX_LENGTH:
            raise AnswerError("other_text", f"must be at most {OTHER_TEXT_MAX_LENGTH} characters", "too_long",
                              limit=OTHER_TEXT_MAX_LENGTH)
    return CleanAnswer(question["id"], value, other_text if OTHER in selected else None)


def check_answer(definition: dict, answers: dict[str, Any], question_id: Any, value: Any,
                 other_text: Any = None) -> CleanAnswer:
    """Validate an answer to `question_id` given the other answers so far (visibility included)."""
    questions = questions_by_id(definition)
    if not isinstance(question_id, str) or question_id not in questions:
        raise AnswerError("question", f"{question_id!r} is not a question of this survey", "not_shown")
    others = {k: v for k, v in answers.items() if k != question_id}
    visible_ids = {q["id"] for q in visible_questions(definition, others)}
    if question_id not in visible_ids:
        raise AnswerError("question", f"{question_id!r} is hidden by its show_if and takes no answer", "not_shown")
    return validate_answer(questions[question_id], value, other_text)


def hidden_answered(definition: dict, answers: dict[str, Any]) -> list[str]:
    """Return ids of questions that have an answer but are hidden given the other answers."""
    visible_ids = {q["id"] for q in visible_questions(definition, answers)}
    return [qid for qid in answers if qid not in visible_ids]


def next_question(definition: dict, answers: dict[str, Any], skipped: Iterable[str] = ()) -> dict | None:
    """Return the first visible question neither answered nor skipped, or None when none is left."""
    done = set(answers) | set(skipped)
    for question in visible_questions(definition, answers):
        if question["id"] not in done:
            return question
    return None


def first_question(definition: dict) -> dict:
    """Return the survey's first question: there is one at least, and it shows always (no earlier one to depend on)."""
    return definition["questions"][0]


def missing_required(definition: dict, answers: dict[str, Any]) -> list[str]:
    """Return ids of visible required questions still without an answer."""
    return [q["id"] for q in visible_questions(definition, answers) if is_required(q) and q["id"] not in answers]


def matching_offer(definition: dict, answers: dict[str, Any]) -> dict | None:
    """Return the first offer whose `when` holds for these answers, if any."""
    visible = {q["id"] for q in visible_questions(definition, answers)}
    effective = {k: v for k, v in answers.items() if k in visible}
    for offer in definition.get("offers", []):
        if condition_holds(offer["when"], effective):
            return offer
    return None
