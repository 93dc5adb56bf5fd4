"""The hosted page's preview (the builder's): one step of a survey that is not stored, answered with
the live page's rules, writing nothing.

The state — the answers and skipped questions so far — travels with the page (its form), not in the
database; it is checked again on every step, like the definition it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import Invalid
from ..rules import survey as logic
from .hosted import parse_form_answer


@dataclass
class PreviewState:
    """Where a preview stands: its answers (with their "other" texts), the questions passed over, the next
    question (None: none left)."""

    answers: dict[str, Any]
    others: dict[str, str]
    skipped: list[str]
    next_question: dict | None
    can_complete: bool

    @property
    def done(self) -> bool:
        """Tell whether the live page would thank the person now."""
        return self.next_question is None and self.can_complete


def preview_state(definition: dict, answers: dict[str, Any], others: dict[str, str],
                  skipped: list[str]) -> PreviewState:
    """Check a carried state against the definition (every answer valid, none hidden) and say where it stands."""
    questions = logic.questions_by_id(definition)
    for question_id, value in answers.items():
        if question_id not in questions:
            raise Invalid(f"{question_id!r} is not a question of the survey.", {"answers": "names no question"})
        try:
            logic.validate_answer(questions[question_id], value, others.get(question_id))
        except logic.AnswerError as err:
            raise Invalid(f"The answer to {question_id!r} {err}.", {"answers": "holds an invalid answer"}) from None
    shown = {k: v for k, v in answers.items() if k not in logic.hidden_answered(definition, answers)}
    passed = [q for q in skipped if q in questions and q not in shown]
    kept = {k: v for k, v in others.items() if k in shown}
    return PreviewState(shown, kept, passed, logic.next_question(definition, shown, passed),
                        not logic.missing_required(definition, shown))


@dataclass
class PreviewStep:
    """What one POST of the preview leads to: the state after it, the question to show (None: none), the
    answer refused, if it was (the question shown again with it), and whether the survey was just finished
    (the page thanks the person)."""

    state: PreviewState
    question: dict | None
    refused: logic.AnswerError | None = None
    finished: bool = False


def preview_step(definition: dict, state: PreviewState, action: str, question_id: str | None,
                 back_id: str | None, values: list[str], other_text: str | None) -> PreviewStep:
    """Carry out one POST of the preview's page: "back" to `back_id`, else the answer, skip or finish of
    `question_id` (take_preview_answer); with no question named, the next one."""
    questions = logic.questions_by_id(definition)
    if action == "back":
        return PreviewStep(state, questions.get(back_id or "") or state.next_question)
    question = questions.get(question_id or "")
    if question is None and action != "finish":
        return PreviewStep(state, state.next_question)
    try:
        state = take_preview_answer(definition, state, action, question, values, other_text)
    except logic.AnswerError as err:
        return PreviewStep(state, question, err)
    return PreviewStep(state, state.next_question, finished=state.done)


def take_preview_answer(definition: dict, state: PreviewState, action: str, question: dict | None,
                        values: list[str], other_text: str | None) -> PreviewState:
    """Carry out one POST of the page — "next" (answer), "skip" or "finish" — as the live page does
    (responses.hosted.take_answer), on `state` instead of a response; raise logic.AnswerError as it does."""
    answers, others, skipped = dict(state.answers), dict(state.others), list(state.skipped)
    if action == "next" and question is not None:
        value, other_text = parse_form_answer(question, values, other_text)
        clean = logic.check_answer(definition, answers, question["id"], value, other_text)
        answers[clean.question] = clean.value
        others.pop(clean.question, None)
        if clean.other_text is not None:
            others[clean.question] = clean.other_text
    elif action == "skip" and question is not None:
        if logic.is_required(question):
            raise logic.AnswerError("value", "is required", "required")
        if question["id"] not in {q["id"] for q in logic.visible_questions(definition, answers)}:
            raise logic.AnswerError("question", "is not shown", "not_shown")
        skipped.append(question["id"])
    return preview_state(definition, answers, others, skipped)
