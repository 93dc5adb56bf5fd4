"""The theme counters: a listing counted from them equals one counted from the texts, whatever changed.

Every change goes through the API (answers, staff edits, erasure, theme edits); the texts' own count is
what `surveyhub stats rebuild` makes the next listing take (it marks the groupings uncounted).
"""

from __future__ import annotations

import pytest

from tests.test_themes import FEATURES, PRICE, themed_survey, themes

WHY_UNLESS_FEATURES = {"question": "reason", "not_in": ["features"]}


@pytest.fixture
def survey(make_survey) -> dict:
    definition = themed_survey()
    definition["questions"][1]["show_if"] = WHY_UNLESS_FEATURES
    return make_survey(**definition)


@pytest.fixture
def staff(api):
    """Enter a staff response over the API; return its id."""

    def post(survey_id: int, answers: list[dict], *, complete: bool = True, external_id: str | None = None) -> int:
        r = api.post(f"/api/v1/surveys/{survey_id}/responses",
                     json={"answers": answers, "complete": complete,
                           **({"external_id": external_id} if external_id else {})})
        assert r.status_code == 201, r.get_json()
        return r.get_json()["id"]

    return post


def both_questions(api, runner, survey_id: int) -> list[dict]:
    """Both questions' listings, checked against the texts' own count: the counters rebuilt by the CLI
    (which leaves both groupings counted afresh after the second reading)."""
    kept = [themes(api, survey_id, question) for question in ("why", "reason")]
    result = runner.invoke(args=["stats", "rebuild", "--survey", str(survey_id)])
    assert result.exit_code == 0, result.output
    assert kept == [themes(api, survey_id, question) for question in ("why", "reason")]
    return kept


def test_counted_listings_equal_the_texts_after_every_change(api, runner, survey, staff):
    sid = survey["id"]
    for i, text in enumerate(PRICE + FEATURES):
        staff(sid, [{"question": "reason", "value": "other", "other_text": text}, {"question": "why", "value": text}],
              external_id=f"p{i}")
    staff(sid, [{"question": "reason", "value": "price"}, {"question": "why", "value": "👍👍"}])  # no theme
    why, reason = both_questions(api, runner, sid)
    assert why["answered"] == 9 and why["unassigned"] >= 1 and reason["answered"] == 8

    # New answers placed as they arrive; a partial one whose texts are then changed, and then hidden.
    partial = staff(sid, [{"question": "reason", "value": "other", "other_text": PRICE[0]},
                          {"question": "why", "value": PRICE[1]}], complete=False)
    staff(sid, [{"question": "reason", "value": "price"}, {"question": "why", "value": FEATURES[2]}])
    after_new = both_questions(api, runner, sid)
    assert after_new[0]["answered"] == 11 and after_new[1]["answered"] == 9
    changed = api.patch(f"/api/v1/responses/{partial}", json={"answers": [
        {"question": "why", "value": FEATURES[0]},
        {"question": "reason", "value": "other", "other_text": FEATURES[1]}]})
    assert changed.status_code == 200, changed.get_json()
    after_change = both_questions(api, runner, sid)
    assert after_change[0]["answered"] == 11
    hidden = api.patch(f"/api/v1/responses/{partial}", json={"answers": [{"question": "reason", "value": "features"}]})
    assert hidden.status_code == 200, hidden.get_json()
    why, reason = both_questions(api, runner, sid)
    assert why["answered"] == 10 and reason["answered"] == 8  # the "why" text hidden, the "other" text gone

    # An erased person's texts leave; theme edits move answers between themes.
    assert api.delete("/api/v1/respondents/p0").status_code == 204
    why, _ = both_questions(api, runner, sid)
    assert why["answered"] == 9
    biggest, second = why["themes"][0], why["themes"][1]
    moved = api.post(f"/api/v1/themes/{second['id']}/answers",
                     json={"response_id": biggest["examples"][0]["response_id"]})
    assert moved.status_code == 200, moved.get_json()
    why, _ = both_questions(api, runner, sid)
    assert next(t for t in why["themes"] if t["id"] == second["id"])["count"] == second["count"] + 1
    merged = api.post(f"/api/v1/themes/{second['id']}/merge", json={"into": biggest["id"]})
    assert merged.status_code == 200, merged.get_json()
    why, _ = both_questions(api, runner, sid)
    assert why["themes"][0]["count"] == biggest["count"] + second["count"]
