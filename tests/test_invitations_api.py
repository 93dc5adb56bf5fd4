"""POST /surveys/{id}/invitations: each recipient queued or refused with a reason."""

from datetime import UTC, datetime, timedelta

import pytest

from surveyhub.transaction import unit_of_work
from tests.helpers import survey_definition
from tests.test_surveys_api import error_fields


def test_queued_and_refused(api, make_survey, invite):
    survey = make_survey()
    body = invite(survey["id"],
                  {"external_id": "c1", "email": "Amy@Example.COM", "locale": "ms", "attributes": {"plan": "pro"}},
                  {"email": "not-an-address"}, {"email": "amy@example.com"}, {"external_id": "c2"},
                  {"email": "tz@example.com", "timezone": "Mars/Olympus"}, {"email": "lo@example.com", "locale": "???"})
    assert [q["recipient"]["email"] for q in body["queued"]] == ["amy@example.com"]
    queued = body["queued"][0]
    assert queued["channel"] == "email" and queued["status"] == "queued" and queued["id"] and queued["send_at"]
    assert queued["recipient"]["external_id"] == "c1"
    assert [r["reason"] for r in body["refused"]] == ["invalid_email", "duplicate", "missing_email",
                                                      "invalid_timezone", "invalid_locale"]
    assert body["refused"][0]["recipient"] == {"email": "not-an-address"}


def test_invitations_are_counted_as_invited_in_the_stats(api, make_survey, invite):
    survey = make_survey()
    invite(survey["id"], *({"external_id": f"c{i}", "email": f"c{i}@example.com",
                            "attributes": {"plan": "pro" if i % 2 else "free"}} for i in range(5)),
           {"email": "not-an-address"})
    stats = api.get(f"/api/v1/surveys/{survey['id']}/stats").get_json()
    assert stats["channels"]["email"]["invited"] == 5
    assert stats["channels"]["sms"]["invited"] == 0
    pro = api.get(f"/api/v1/surveys/{survey['id']}/stats?attr.plan=pro").get_json()  # an indexed attribute
    assert pro["channels"]["email"]["invited"] == 2


def test_recently_invited_within_cooldown(api, make_survey, invite, no_contact_cap):
    survey = make_survey()
    invite(survey["id"], {"email": "a@example.com"})
    again = invite(survey["id"], {"email": "A@example.com"}, {"email": "b@example.com"})
    assert [r["reason"] for r in again["refused"]] == ["recently_invited"]
    assert len(again["queued"]) == 1
    no_cooldown = make_survey(slug="no-cooldown", settings={"cooldown_days": 0})
    invite(no_cooldown["id"], {"email": "a@example.com"})
    assert len(invite(no_cooldown["id"], {"email": "a@example.com"})["queued"]) == 1


def test_unsubscribed_are_refused(db, api, make_survey, invite):
    from surveyhub.delivery.suppressions import suppress
    survey = make_survey()
    with unit_of_work():
        suppress(api.org_id, "email", "gone@example.com", "unsubscribed")
    body = invite(survey["id"], {"email": "Gone@Example.com"})
    assert body["refused"] == [{"recipient": {"email": "Gone@Example.com"}, "reason": "unsubscribed"}]


def test_another_orgs_unsubscribe_does_not_apply(db, api, other_api, make_survey, invite):
    from surveyhub.delivery.suppressions import suppress
    survey = make_survey()
    with unit_of_work():
        suppress(other_api.org_id, "email", "x@example.com", "unsubscribed")
    assert len(invite(survey["id"], {"email": "x@example.com"})["queued"]) == 1


def test_only_published_surveys(api, make_survey, row_counts):
    draft = make_survey(publish=False)
    before = row_counts()
    r = api.post(f"/api/v1/surveys/{draft['id']}/invitations",
                 json={"channel": "email", "recipients": [{"email": "a@example.com"}]})
    assert r.status_code == 409 and "survey" in error_fields(r)
    assert row_counts() == before


@pytest.mark.parametrize(("body", "field"), [
    ({"recipients": [{"email": "a@example.com"}]}, "channel"),
    ({"channel": "fax", "recipients": [{"email": "a@example.com"}]}, "channel"),
    ({"channel": "email"}, "recipients"),
    ({"channel": "email", "recipients": []}, "recipients"),
    ({"channel": "email", "recipients": "a@example.com"}, "recipients"),
    ({"channel": "email", "recipients": [{"email": 5}]}, "recipients.0.email"),
    ({"channel": "email", "recipients": [{"email": "a@example.com", "age": 3}]}, "recipients.0.age"),
    ({"channel": "email", "recipients": [{"email": "a@example.com", "attributes": {"x": {"y": 1}}}]},
     "recipients.0.attributes"),
    ({"channel": "email", "recipients": [{"email": "a@example.com"}], "send_at": "tomorrow"}, "send_at"),
    ({"channel": "email", "recipients": [{"email": f"u{i}@example.com"} for i in range(1001)]}, "recipients"),
])
def test_bad_requests(api, make_survey, row_counts, body, field):
    survey = make_survey()
    before = row_counts()
    r = api.post(f"/api/v1/surveys/{survey['id']}/invitations", json=body)
    assert r.status_code == 422, r.get_json()
    assert field in error_fields(r)
    assert row_counts() == before


def test_other_org_gets_404(other_api, make_survey):
    survey = make_survey()
    r = other_api.post(f"/api/v1/surveys/{survey['id']}/invitations",
                       json={"channel": "email", "recipients": [{"email": "a@example.com"}]})
    assert r.status_code == 404


def test_send_at_schedules(api, make_survey, invite, smtp, run_worker):
    survey = make_survey()
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    body = invite(survey["id"], {"email": "later@example.com"}, send_at=later)
    assert body["queued"][0]["send_at"].startswith(later[:16])
    invite(survey["id"], {"email": "now@example.com"})
    run_worker()
    assert [m["To"] for m in smtp.messages] == ["now@example.com"]


def test_invitations_update_respondents(db, api, make_survey, invite, no_contact_cap):
    from sqlalchemy import select

    from surveyhub.models import Respondent
    survey = make_survey()
    invite(survey["id"], {"external_id": "c1", "email": "a@example.com", "attributes": {"plan": "pro"}})
    other = make_survey(slug="second", **{"name": "Second"})
    invite(other["id"], {"external_id": "c1", "email": "new@example.com", "locale": "zh-CN",
                         "attributes": {"seats": 4}})
    person = db.execute(select(Respondent)).scalar_one()
    assert person.email == "new@example.com" and person.locale == "zh-CN"
    assert person.attributes == {"plan": "pro", "seats": 4}


def test_definition_settings_are_validated(api):
    r = api.post("/api/v1/surveys", json=survey_definition(settings={"cooldown_days": -1}))
    assert r.status_code == 422 and "settings.cooldown_days" in error_fields(r)
