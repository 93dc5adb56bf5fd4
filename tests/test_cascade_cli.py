"""`surveyhub invite SURVEY --channel cascade --csv FILE`: one cascade per row, on the survey's plan.

Read back through the invitations listing, the stats and the refused file; mail goes to a real SMTP
server, SMS to the Twilio stand-in; time moves with the clocks, never by sleeping.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import pytest

from surveyhub.delivery import sms as sms_delivery
from tests.helpers import survey_definition
from tests.test_cascades import MIDDAY, PHONE, PLAN, steps_of

HEADER = ("external_id", "email", "phone", "locale", "plan")
OPTED_OUT = "+60123456780"


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    """SMS judge quiet hours by this clock: midday in Kuala Lumpur."""
    monkeypatch.setattr(sms_delivery, "clock", lambda: MIDDAY)


@pytest.fixture
def invite_csv(runner, tmp_path):
    """Write rows to a CSV and run `surveyhub invite SURVEY --channel cascade --csv` on it."""

    def run(survey_id: int, rows: list[tuple], *extra: str, name: str = "leavers"):
        path = tmp_path / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(HEADER)
            writer.writerows(rows)
        return runner.invoke(args=["invite", str(survey_id), "--channel", "cascade", "--csv", str(path), *extra])

    return run


def refused_rows(tmp_path, name: str = "leavers") -> list[tuple[str, str, str]]:
    with (tmp_path / f"{name}.refused.csv").open(encoding="utf-8") as f:
        return [(r["external_id"], r["email"], r["reason"]) for r in csv.DictReader(f)]


def opt_out_by_sms(api, twilio, twilio_post, run_worker, phone: str) -> None:
    """Text the phone another survey, then have it answer STOP."""
    other = api.post("/api/v1/surveys", json=survey_definition(slug="texted")).get_json()
    assert api.post(f"/api/v1/surveys/{other['id']}/publish").status_code == 200
    r = api.post(f"/api/v1/surveys/{other['id']}/invitations",
                 json={"channel": "sms", "recipients": [{"phone": phone}]})
    assert r.status_code == 202 and r.get_json()["queued"], r.get_json()
    run_worker()
    assert twilio.bodies_to(phone)
    r = twilio_post("/channels/sms/inbound", {"MessageSid": "SMstopcli", "From": phone, "To": "+15005550006",
                                              "Body": "STOP"})
    assert r.status_code == 200


def test_cascades_from_a_csv_are_listed_and_refused_rows_say_why(api, make_survey, invite_csv, listing, smtp, twilio,
                                                                 twilio_post, run_worker, tmp_path):
    opt_out_by_sms(api, twilio, twilio_post, run_worker, OPTED_OUT)
    tired = make_survey(slug="tired")
    assert api.post(f"/api/v1/surveys/{tired['id']}/invitations",
                    json={"channel": "email", "recipients": [{"external_id": "t1", "email": "t1@example.com"}]}
                    ).status_code == 202
    survey = make_survey(delivery=PLAN)
    rows = [(f"c{i}", f"user{i}@example.com", PHONE if i == 0 else "", "ms" if i % 2 else "", "pro")
            for i in range(3)]
    rows += [("none", "", "", "", ""),  # no address for any step
             ("c1", "again@example.com", "", "", ""),  # the same person twice in the file
             ("dup-mail", "user2@example.com", "", "", ""),
             ("t1", "t1.new@example.com", "", "", ""),  # sent another survey within the window
             ("stopped", "", OPTED_OUT, "", "")]  # their only address opted out
    result = invite_csv(survey["id"], rows)
    assert result.exit_code == 0, result.output
    assert "Queued 3 cascades; refused 5." in result.output
    assert ("Refused rows (duplicate: 2, fatigue_cap: 1, missing_address: 1, opted_out: 1) are in "
            f"{tmp_path / 'leavers.refused.csv'}.") in result.output
    assert refused_rows(tmp_path) == [("none", "", "missing_address"), ("c1", "again@example.com", "duplicate"),
                                      ("dup-mail", "user2@example.com", "duplicate"),
                                      ("t1", "t1.new@example.com", "fatigue_cap"), ("stopped", "", "opted_out")]
    listed = listing(survey["id"], limit=500)
    assert steps_of(listed) == [(1, "email", "queued")] * 3
    assert [row["recipient"] for row in listed] == [{"external_id": f"c{i}", "email": f"user{i}@example.com"}
                                                    for i in range(3)]
    assert len({row["cascade_id"] for row in listed}) == 3
    assert api.get(f"/api/v1/surveys/{survey['id']}/stats").get_json()["channels"]["email"]["invited"] == 3

    run_worker()  # step 1 goes out; step 2 waits its 72 hours
    assert sorted(m["To"] for m in smtp.messages) == ["t1@example.com", *(f"user{i}@example.com" for i in range(3))]
    assert steps_of(listing(survey["id"], limit=500)) == [(1, "email", "sent")] * 3 + [(2, "email", "queued")] * 3


def test_a_step_the_person_cannot_get_is_skipped_at_the_start(api, make_survey, invite_csv, listing, smtp, twilio,
                                                              twilio_post, run_worker, delivery_clock):
    opt_out_by_sms(api, twilio, twilio_post, run_worker, OPTED_OUT)
    steps = [{"channel": "sms", "wait_hours": 0}, {"channel": "sms", "wait_hours": 0},
             {"channel": "email", "wait_hours": 24}]
    survey = make_survey(delivery={"steps": steps})
    result = invite_csv(survey["id"], [("a", "a@example.com", "", "", ""), ("b", "b@example.com", OPTED_OUT, "", ""),
                                       ("c", "c@example.com", PHONE, "", "")])
    assert result.exit_code == 0 and "Queued 3 cascades; refused 0." in result.output, result.output
    by_person = {}
    for row in listing(survey["id"], limit=500):
        by_person.setdefault(row["cascade_id"], []).append((row["step"], row["channel"], row["status"]))
    assert list(by_person.values()) == [
        [(1, "sms", "skipped"), (2, "sms", "skipped"), (3, "email", "queued")],  # no phone
        [(1, "sms", "skipped"), (2, "sms", "skipped"), (3, "email", "queued")],  # opted out
        [(1, "sms", "queued")]]
    run_worker()
    assert len(twilio.bodies_to(PHONE)) == 1
    assert len(twilio.bodies_to(OPTED_OUT)) == 2  # the other survey and STOP's confirmation only
    assert smtp.messages == []  # the email step's 24 hours count from the start
    delivery_clock.advance(hours=24, minutes=1)
    run_worker()
    assert sorted(m["To"] for m in smtp.messages) == ["a@example.com", "b@example.com"]


def test_many_rows_in_batches_with_a_send_time(api, make_survey, invite_csv, listing, run_worker, tmp_path):
    survey = make_survey(delivery=PLAN)
    rows = [(f"c{i}", f"user{i}@example.com", "", "", "pro" if i < 700 else "free") for i in range(1203)]
    rows.append(("c5", "user5.again@example.com", "", "", ""))  # the same person, a batch later: the cap
    result = invite_csv(survey["id"], rows, "--send-at", "2031-03-01T09:00:00+0800")
    assert result.exit_code == 0, result.output
    assert "Queued 1203 cascades; refused 1." in result.output
    assert refused_rows(tmp_path) == [("c5", "user5.again@example.com", "fatigue_cap")]
    listed = listing(survey["id"], limit=500)
    assert len(listed) == 1203 and len({row["cascade_id"] for row in listed}) == 1203
    assert {(row["step"], row["status"]) for row in listed} == {(1, "queued")}
    assert {datetime.fromisoformat(row["send_at"]) for row in listed} == {datetime(2031, 3, 1, 1, tzinfo=UTC)}
    pro = api.get(f"/api/v1/surveys/{survey['id']}/stats?attr.plan=pro").get_json()
    assert pro["channels"]["email"]["invited"] == 700
    assert run_worker() == 0  # not due before the time asked for


def test_a_survey_without_a_plan_is_refused_and_nothing_is_written(make_survey, invite_csv, row_counts, tmp_path):
    survey = make_survey()
    before = row_counts()
    result = invite_csv(survey["id"], [("c1", "a@example.com", "", "", "")])
    assert result.exit_code == 1
    assert "no delivery plan" in result.output and '"delivery"' in result.output
    assert row_counts() == before
    assert not (tmp_path / "leavers.refused.csv").exists()


def test_an_unpublished_or_archived_survey_is_refused_as_for_other_channels(api, make_survey, invite_csv, runner,
                                                                              row_counts, tmp_path):
    draft = make_survey(publish=False, delivery=PLAN)
    archived = make_survey(slug="archived", delivery=PLAN)
    assert api.delete(f"/api/v1/surveys/{archived['id']}").status_code == 204
    before = row_counts()
    for survey, words in ((draft, "not published"), (archived, "archived")):
        result = invite_csv(survey["id"], [("c1", "a@example.com", "", "", "")])
        by_email = runner.invoke(args=["invite", str(survey["id"]), "--channel", "email", "--csv",
                                       str(tmp_path / "leavers.csv")])
        assert result.exit_code == by_email.exit_code == 1
        assert words in result.output and result.output == by_email.output
    assert row_counts() == before
    assert "no survey 999" in invite_csv(999, []).output
