"""The pure rules every channel answers through."""

import pytest

from surveyhub.rules import survey as logic
from tests.helpers import survey_definition


@pytest.fixture
def definition():
    return survey_definition()


def question(definition, qid):
    return logic.questions_by_id(definition)[qid]


@pytest.mark.parametrize(("qid", "value"), [
    ("nps", 0), ("nps", 10), ("satisfaction", 1), ("satisfaction", 7), ("come_back", True),
    ("come_back", False), ("reason", "price"), ("why_not", "Too slow"), ("why_not", "太贵了"),
])
def test_valid_answers(definition, qid, value):
    assert logic.validate_answer(question(definition, qid), value).value == value


@pytest.mark.parametrize(("qid", "value", "field"), [
    ("nps", 11, "value"), ("nps", -1, "value"), ("nps", 9.5, "value"), ("nps", "9", "value"),
    ("nps", True, "value"), ("nps", None, "value"),
    ("satisfaction", 0, "value"), ("satisfaction", 8, "value"), ("satisfaction", False, "value"),
    ("come_back", 1, "value"), ("come_back", "yes", "value"),
    ("reason", "nope", "value"), ("reason", ["price"], "value"), ("reason", 1, "value"),
    ("reason", "other", "other_text"),
    ("why_not", "", "value"), ("why_not", "   ", "value"), ("why_not", "x" * 2001, "value"), ("why_not", 5, "value"),
])
def test_invalid_answers_name_the_field(definition, qid, value, field):
    with pytest.raises(logic.AnswerError) as err:
        logic.validate_answer(question(definition, qid), value)
    assert err.value.field == field


def test_likert_five_point_refuses_six():
    q = {"id": "s", "type": "likert", "text": "t", "scale": 5}
    with pytest.raises(logic.AnswerError):
        logic.validate_answer(q, 6)
    assert logic.validate_answer(q, 5).value == 5


def test_other_needs_allow_other_and_text(definition):
    reason = question(definition, "reason")
    assert logic.validate_answer(reason, "other", "Company closed").other_text == "Company closed"
    with pytest.raises(logic.AnswerError, match="other"):
        logic.validate_answer(dict(reason, allow_other=False), "other", "x")
    with pytest.raises(logic.AnswerError) as err:
        logic.validate_answer(reason, "price", "stray text")
    assert err.value.field == "other_text"


def test_multiple_choice_lists():
    q = {"id": "m", "type": "multiple_choice", "text": "t", "multiple": True, "allow_other": True,
         "choices": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]}
    assert logic.validate_answer(q, ["a", "b"]).value == ["a", "b"]
    assert logic.validate_answer(q, ["a", "other"], "c").other_text == "c"
    for bad in ([], ["a", "a"], "a", ["z"], [1]):
        with pytest.raises(logic.AnswerError):
            logic.validate_answer(q, bad)


def test_show_if_branching(definition):
    assert logic.next_question(definition, {})["id"] == "reason"
    answers = {"reason": "price", "satisfaction": 3, "nps": 4, "come_back": True}
    assert logic.next_question(definition, answers) is None
    assert "why_not" not in [q["id"] for q in logic.visible_questions(definition, answers)]
    answers["come_back"] = False
    assert logic.next_question(definition, answers)["id"] == "why_not"
    # why_not is optional: the response may complete without it.
    assert logic.missing_required(definition, answers) == []


def test_answer_to_hidden_question_is_refused(definition):
    with pytest.raises(logic.AnswerError, match="hidden"):
        logic.check_answer(definition, {"come_back": True}, "why_not", "text")
    with pytest.raises(logic.AnswerError, match="hidden"):
        logic.check_answer(definition, {}, "why_not", "text")
    assert logic.check_answer(definition, {"come_back": False}, "why_not", "text").value == "text"


def test_unknown_question_is_refused(definition):
    with pytest.raises(logic.AnswerError) as err:
        logic.check_answer(definition, {}, "nope", 1)
    assert err.value.field == "question"


def test_hidden_answers_are_found(definition):
    answers = {"come_back": True, "why_not": "left over"}
    assert logic.hidden_answered(definition, answers) == ["why_not"]


@pytest.mark.parametrize(("condition", "answers", "expected"), [
    ({"question": "n", "gte": 9}, {"n": 9}, True),
    ({"question": "n", "gte": 9}, {"n": 8}, False),
    ({"question": "n", "lte": 6}, {"n": 6}, True),
    ({"question": "c", "in": ["a", "b"]}, {"c": "b"}, True),
    ({"question": "c", "not_in": ["a"]}, {"c": "b"}, True),
    ({"question": "c", "not_in": ["a"]}, {}, False),
    ({"question": "m", "equals": "a"}, {"m": ["a", "b"]}, True),
    ({"question": "m", "in": ["z", "b"]}, {"m": ["a", "b"]}, True),
    ({"question": "m", "not_in": ["b"]}, {"m": ["a", "b"]}, False),
    ({"all": [{"question": "n", "gte": 1}, {"question": "c", "equals": "a"}]}, {"n": 3, "c": "a"}, True),
    ({"all": [{"question": "n", "gte": 1}, {"question": "c", "equals": "a"}]}, {"n": 3, "c": "b"}, False),
    ({"any": [{"question": "n", "gte": 9}, {"question": "c", "equals": "a"}]}, {"n": 3, "c": "a"}, True),
])
def test_conditions(condition, answers, expected):
    assert logic.condition_holds(condition, answers) is expected


def test_matching_offer(definition):
    assert logic.matching_offer(definition, {"reason": "price"})["id"] == "discount"
    assert logic.matching_offer(definition, {"reason": "features"}) is None


def test_localize_falls_back():
    text = {"en": "Hello", "ms": "Helo", "zh-CN": "你好"}
    assert logic.localize(text, "ms-MY", "en") == "Helo"
    assert logic.localize(text, "zh-CN", "en") == "你好"
    assert logic.localize(text, "fr", "en") == "Hello"
    assert logic.localize("plain", "ms", "en") == "plain"
