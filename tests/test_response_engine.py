"""The response engine the channels share: answer, replace, branch, complete."""

import pytest
from sqlalchemy import func, select

from surveyhub.accounts import surveys
from surveyhub.errors import Conflict, Invalid
from surveyhub.extensions import db
from surveyhub.models import Answer, Event
from surveyhub.responses import answers as responses
from tests.helpers import answer_at_once


@pytest.fixture
def live(db, api, make_survey):
    """The test's app context (the `db` fixture's) and the org's published survey model."""
    survey_id = make_survey()["id"]
    return surveys.get_survey(api.org_id, survey_id)


def count(model, *where):
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_walks_the_survey_with_branching(live):
    response = responses.start_response(live, "web")
    db.session.commit()
    assert responses.progress(response).next_question["id"] == "reason"
    steps = [("reason", "price"), ("satisfaction", 4), ("nps", 6), ("come_back", False)]
    for qid, value in steps:
        state = responses.answer_question(response, qid, value)
    assert state.next_question["id"] == "why_not" and state.can_complete
    state = responses.answer_question(response, "why_not", "Too slow")
    assert state.next_question is None
    responses.complete_response(response)
    assert response.status == "completed" and response.completed_at is not None
    types = [e.type for e in db.session.execute(select(Event).order_by(Event.id)).scalars()]
    assert types.count("responded") == 1 and types.count("completed") == 1


def test_answering_again_replaces(live):
    response = responses.start_response(live, "web")
    responses.answer_question(response, "nps", 3)
    responses.answer_question(response, "nps", 9)
    assert count(Answer) == 1
    assert response.answer_values() == {"nps": 9}


def test_answer_hidden_by_a_later_change_is_removed(live):
    response = responses.start_response(live, "web")
    responses.answer_question(response, "come_back", False)
    responses.answer_question(response, "why_not", "Too slow")
    responses.answer_question(response, "come_back", True)
    assert response.answer_values() == {"come_back": True}


def test_refusals_write_nothing(live):
    response = responses.start_response(live, "web")
    db.session.commit()
    with pytest.raises(Invalid) as err:
        responses.answer_question(response, "why_not", "hidden")
    assert "question" in err.value.fields
    db.session.rollback()
    with pytest.raises(Invalid):
        responses.complete_response(response)
    db.session.rollback()
    assert count(Answer) == 0 and response.status == "partial" and response.responded_at is None


def test_completed_response_takes_no_more_answers(live):
    response = responses.start_response(live, "web")
    for qid, value in [("reason", "features"), ("satisfaction", 4), ("nps", 9), ("come_back", True)]:
        responses.answer_question(response, qid, value)
    responses.complete_response(response)
    with pytest.raises(Conflict):
        responses.answer_question(response, "nps", 1)


def test_same_answer_from_two_threads_at_once(app, live):
    """A retried submission racing the original stores one answer and one "responded" event."""
    response_id = responses.start_response(live, "widget").id
    db.session.commit()  # end this thread's transaction, as a request does, before the others write
    failures = answer_at_once(app, response_id, "nps", [9] * 4)
    assert failures == []
    db.session.expire_all()
    assert count(Answer, Answer.response_id == response_id) == 1
    assert count(Event, Event.type == "responded", Event.response_id == response_id) == 1
