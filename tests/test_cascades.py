"""Cascades (CONTRACT §9): plans, starting them by the API, their steps on the worker, and what stops them.

Mail goes to a real SMTP server (tests/smtp.py), SMS to the Twilio stand-in; time moves with the
delivery engine's clock (`delivery_clock`) and the quiet hours' clock, never by sleeping.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from surveyhub.delivery import sms as sms_delivery
from tests.helpers import survey_definition
from tests.test_hosted_page import Page, mail_links

PHONE = "+60123456789"
# 12:00 in Kuala Lumpur: SMS may go out.
MIDDAY = datetime(2026, 1, 15, 4, 0, tzinfo=UTC)
PLAN = {"steps": [{"channel": "email", "wait_hours": 0}, {"channel": "email", "wait_hours": 72},
                  {"channel": "sms", "wait_hours": 48}], "stop_on": "responded", "after_widget": False}


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    """SMS steps judge quiet hours by this clock: midday in Kuala Lumpur unless a test moves it."""
    now = {"value": MIDDAY}
    monkeypatch.setattr(sms_delivery, "clock", lambda: now["value"])
    return now


def error_fields(response) -> dict:
    return response.get_json()["error"]["fields"]


@pytest.fixture
def cascade(api):
    """Start cascades through the API; return the 202 body (or assert the status given)."""

    def start(survey_id: int, *recipients: dict, expect: int = 202, **extra):
        r = api.post(f"/api/v1/surveys/{survey_id}/invitations",
                     json={"channel": "cascade", "recipients": list(recipients), **extra})
        assert r.status_code == expect, r.get_json()
        return r.get_json()

    return start


def steps_of(rows: list[dict]) -> list[tuple[int, str, str]]:
    return [(row["step"], row["channel"], row["status"]) for row in rows]


# --- plans ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("plan", "field"), [
    ({"steps": []}, "delivery.steps"),
    ({"steps": [{"channel": "email", "wait_hours": 0}] * 6}, "delivery.steps"),
    ({"steps": [{"channel": "fax", "wait_hours": 0}]}, "delivery.steps.0.channel"),
    ({"steps": [{"channel": "email", "wait_hours": 0}, {"channel": "sms", "wait_hours": -1}]},
     "delivery.steps.1.wait_hours"),
    ({"steps": [{"channel": "email", "wait_hours": 721}]}, "delivery.steps.0.wait_hours"),
    ({"steps": [{"channel": "email", "wait_hours": 1.5}]}, "delivery.steps.0.wait_hours"),
    ({"steps": [{"channel": "email", "wait_hours": 0}], "stop_on": "maybe"}, "delivery.stop_on"),
    ({"steps": [{"channel": "email"}]}, "delivery.steps.0.wait_hours"),
])
def test_a_bad_plan_is_refused_naming_the_field(api, plan, field):
    r = api.post("/api/v1/surveys", json=survey_definition(delivery=plan))
    assert r.status_code == 422, r.get_json()
    assert field in error_fields(r), error_fields(r)


def test_a_plan_at_its_limits_is_taken(api, make_survey):
    plan = {"steps": [{"channel": "sms", "wait_hours": 720}] + [{"channel": "email", "wait_hours": 0}] * 4,
            "stop_on": "completed", "after_widget": True}
    survey = make_survey(delivery=plan)
    assert api.get(f"/api/v1/surveys/{survey['id']}").get_json()["definition"]["delivery"] == plan


def test_cascades_take_the_published_plan_not_the_draft(api, make_survey, cascade):
    survey = make_survey(delivery=PLAN)
    draft = survey_definition(delivery={"steps": [{"channel": "sms", "wait_hours": 1}]})
    assert api.put(f"/api/v1/surveys/{survey['id']}", json=draft).status_code == 200
    started = cascade(survey["id"], {"email": "amy@example.com"})
    assert started["queued"][0]["steps"] == PLAN["steps"]


def test_steps_in_the_request_are_checked_like_a_plan(make_survey, cascade, api):
    survey = make_survey()
    r = api.post(f"/api/v1/surveys/{survey['id']}/invitations",
                 json={"channel": "cascade", "recipients": [{"email": "a@example.com"}],
                       "steps": [{"channel": "email", "wait_hours": 1.5}]})
    assert r.status_code == 422 and "steps.0.wait_hours" in error_fields(r)
    r = api.post(f"/api/v1/surveys/{survey['id']}/invitations",
                 json={"channel": "email", "recipients": [{"email": "a@example.com"}],
                       "steps": [{"channel": "email", "wait_hours": 1}]})
    assert r.status_code == 422 and "steps" in error_fields(r)


# --- starting -------------------------------------------------------------------------------------

def test_the_202_lists_each_cascade_and_refuses_with_a_reason(make_survey, cascade):
    survey = make_survey(delivery=PLAN)
    body = cascade(survey["id"], {"external_id": "c1", "email": "Amy@Example.com", "phone": PHONE},
                   {"external_id": "c2", "phone": "+60 12-345 6780"},
                   {"external_id": "c3"},
                   {"external_id": "c4", "email": "not an address"},
                   {"external_id": "c1", "email": "other@example.com"},
                   {"email": "amy@example.com"})
    assert [(q["channel"], q["recipient"]["external_id"], q["status"]) for q in body["queued"]] == [
        ("cascade", "c1", "queued"), ("cascade", "c2", "queued")]
    assert body["queued"][0]["recipient"]["email"] == "amy@example.com"
    assert all(q["steps"] == PLAN["steps"] for q in body["queued"])
    assert [(r["recipient"].get("external_id"), r["reason"]) for r in body["refused"]] == [
        ("c3", "missing_address"), ("c4", "invalid_email"), ("c1", "duplicate"), (None, "duplicate")]


def test_steps_given_in_the_request_replace_the_plan(make_survey, cascade):
    survey = make_survey()  # no plan of its own
    cascade(survey["id"], {"email": "amy@example.com"}, expect=422)
    steps = [{"channel": "sms", "wait_hours": 0}]
    body = cascade(survey["id"], {"email": "amy@example.com"}, {"phone": PHONE}, steps=steps)
    assert [q["recipient"].get("phone") for q in body["queued"]] == [PHONE]
    assert body["refused"][0]["reason"] == "missing_address"


def test_no_cascade_on_an_unpublished_or_archived_survey(api, make_survey, cascade):
    draft = make_survey(publish=False, delivery=PLAN)
    cascade(draft["id"], {"email": "amy@example.com"}, expect=409)
    archived = make_survey(delivery=PLAN, slug="archived")
    assert api.delete(f"/api/v1/surveys/{archived['id']}").status_code == 204
    cascade(archived["id"], {"email": "amy@example.com"}, expect=409)


# --- steps on the worker --------------------------------------------------------------------------

def test_each_step_follows_the_previous_send(make_survey, cascade, listing, smtp, twilio, run_worker,
                                             delivery_clock):
    survey = make_survey(delivery=PLAN)
    cascade(survey["id"], {"external_id": "c1", "email": "amy@example.com", "phone": PHONE, "locale": "ms"})
    run_worker()
    assert len(smtp.messages) == 1
    first = smtp.messages[0]
    assert steps_of(listing(survey["id"])) == [(1, "email", "sent"), (2, "email", "queued")]
    delivery_clock.advance(hours=71)
    run_worker()
    assert len(smtp.messages) == 1  # not yet: 72 hours from the first send
    delivery_clock.advance(hours=1, minutes=1)
    run_worker()
    assert len(smtp.messages) == 2
    reminder = smtp.messages[1]
    assert reminder["Subject"] != first["Subject"] and "Acme" in reminder["Subject"]
    assert mail_links(reminder)[0].split("?")[0] != mail_links(first)[0].split("?")[0]  # its own invitation's link
    assert twilio.bodies_to(PHONE) == []
    delivery_clock.advance(hours=48, minutes=1)
    run_worker()
    assert len(twilio.bodies_to(PHONE)) == 1
    rows = listing(survey["id"])
    assert steps_of(rows) == [(1, "email", "sent"), (2, "email", "sent"), (3, "sms", "sent")]
    assert len({row["cascade_id"] for row in rows}) == 1 and all(row["sent_at"] for row in rows)
    assert steps_of(listing(survey["id"], channel="sms")) == [(3, "sms", "sent")]
    assert listing(survey["id"], status="queued") == []


def test_a_reminder_has_its_own_words_in_each_locale(make_survey, cascade, smtp, run_worker):
    steps = [{"channel": "email", "wait_hours": 0}, {"channel": "email", "wait_hours": 0}]
    survey = make_survey(delivery={"steps": steps})
    cascade(survey["id"], {"email": "amy@example.com", "locale": "ms"})
    run_worker()
    first, reminder = smtp.messages
    assert reminder["Subject"] != first["Subject"]
    text = reminder.get_body(("plain",)).get_content()
    assert "Kami sedih anda pergi." in text  # the survey's own Malay intro, as in the first mail
    assert "Kami telah bertanya soalan ini" in text  # the reminder's opening line, in Malay


def test_a_step_without_a_usable_address_is_skipped_at_once(make_survey, cascade, listing, smtp, twilio,
                                                             run_worker, delivery_clock):
    steps = [{"channel": "sms", "wait_hours": 0}, {"channel": "email", "wait_hours": 24}]
    survey = make_survey(delivery={"steps": steps})
    cascade(survey["id"], {"email": "amy@example.com"})
    run_worker()  # the SMS step has no phone: skipped, and the email is due 24 h from the start
    assert steps_of(listing(survey["id"])) == [(1, "sms", "skipped"), (2, "email", "queued")]
    delivery_clock.advance(hours=24, minutes=1)
    run_worker()
    assert len(smtp.messages) == 1 and twilio.messages == []


def test_an_unsubscribed_person_skips_the_email_steps(client, make_survey, cascade, listing, smtp, twilio,
                                                      run_worker, delivery_clock):
    steps = [{"channel": "email", "wait_hours": 0}, {"channel": "email", "wait_hours": 24},
             {"channel": "sms", "wait_hours": 1}]
    survey = make_survey(delivery={"steps": steps})
    cascade(survey["id"], {"email": "amy@example.com", "phone": PHONE})
    run_worker()
    unsubscribe = [link for link in mail_links(smtp.messages[0]) if link.startswith("/u/")][0]
    assert client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    delivery_clock.advance(hours=24, minutes=1)
    run_worker()
    assert len(smtp.messages) == 1
    assert steps_of(listing(survey["id"])) == [(1, "email", "sent"), (2, "email", "skipped"), (3, "sms", "sent")]


def test_smtp_down_for_the_whole_first_step_waits_it_is_not_skipped(make_survey, cascade, listing, smtp, twilio,
                                                                    run_worker, delivery_clock):
    steps = [{"channel": "email", "wait_hours": 0}, {"channel": "sms", "wait_hours": 1}]
    survey = make_survey(delivery={"steps": steps})
    cascade(survey["id"], {"email": "amy@example.com", "phone": PHONE})
    smtp.stop()
    for _ in range(6):
        run_worker(max_rounds=3)
        delivery_clock.advance(hours=1)
    assert steps_of(listing(survey["id"])) == [(1, "email", "queued")]
    assert twilio.messages == []
    smtp.start()
    delivery_clock.advance(minutes=10)
    run_worker()
    assert len(smtp.messages) == 1
    assert steps_of(listing(survey["id"])) == [(1, "email", "sent"), (2, "sms", "queued")]


def test_sms_steps_keep_quiet_hours(make_survey, cascade, listing, twilio, run_worker, daytime):
    survey = make_survey(delivery={"steps": [{"channel": "sms", "wait_hours": 0}]})
    daytime["value"] = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)  # 23:00 in Kuala Lumpur
    cascade(survey["id"], {"phone": PHONE})
    run_worker(max_rounds=3)
    assert twilio.messages == [] and steps_of(listing(survey["id"])) == [(1, "sms", "queued")]
    daytime["value"] = datetime(2026, 1, 16, 1, 0, tzinfo=UTC)  # 09:00 the next morning
    run_worker()
    assert len(twilio.bodies_to(PHONE)) == 1


# --- stopping -------------------------------------------------------------------------------------

def test_the_first_answer_cancels_every_step_not_yet_sent(client, make_survey, cascade, listing, smtp, twilio,
                                                          run_worker, delivery_clock):
    survey = make_survey(delivery=PLAN)
    cascade(survey["id"], {"external_id": "c1", "email": "amy@example.com", "phone": PHONE})
    run_worker()
    page = Page(client, mail_links(smtp.messages[0])[0])
    page.answer("reason", "price")
    rows = listing(survey["id"])
    assert steps_of(rows) == [(1, "email", "sent"), (2, "email", "cancelled")]
    assert rows[0]["response_id"] is not None
    delivery_clock.advance(hours=200)
    run_worker()
    assert len(smtp.messages) == 1 and twilio.messages == []


def test_an_sms_answer_stops_the_email_steps(make_survey, cascade, listing, smtp, twilio, twilio_post, run_worker,
                                             delivery_clock):
    steps = [{"channel": "sms", "wait_hours": 0}, {"channel": "email", "wait_hours": 24}]
    survey = make_survey(delivery={"steps": steps})
    cascade(survey["id"], {"email": "amy@example.com", "phone": PHONE})
    run_worker()
    assert steps_of(listing(survey["id"])) == [(1, "sms", "sent"), (2, "email", "queued")]
    r = twilio_post("/channels/sms/inbound", {"MessageSid": "SManswer1", "From": PHONE, "To": "+15005550006",
                                              "Body": "1"})
    assert r.status_code == 200
    rows = listing(survey["id"])
    assert steps_of(rows) == [(1, "sms", "sent"), (2, "email", "cancelled")] and rows[0]["response_id"]
    delivery_clock.advance(hours=25)
    run_worker()
    assert smtp.messages == []


def test_a_recipient_whose_every_address_opted_out_is_refused(client, make_survey, cascade, invite, smtp,
                                                              run_worker, api):
    api.patch("/api/v1/org", json={"contact_cap_days": 0})
    other = make_survey(slug="other")
    invite(other["id"], {"email": "amy@example.com"})
    run_worker()
    unsubscribe = [link for link in mail_links(smtp.messages[0]) if link.startswith("/u/")][0]
    assert client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    survey = make_survey(delivery=PLAN)
    body = cascade(survey["id"], {"email": "amy@example.com"}, {"email": "amy@example.com", "phone": PHONE})
    assert [r["reason"] for r in body["refused"]] == ["unsubscribed"]
    assert body["queued"][0]["recipient"]["phone"] == PHONE  # the email steps will be skipped, the SMS one sent


def test_stop_on_completed_waits_for_the_last_answer(client, make_survey, cascade, listing, smtp, run_worker,
                                                     delivery_clock):
    steps = [{"channel": "email", "wait_hours": 0}, {"channel": "email", "wait_hours": 1},
             {"channel": "email", "wait_hours": 1}]
    survey = make_survey(delivery={"steps": steps, "stop_on": "completed"})
    cascade(survey["id"], {"email": "amy@example.com"})
    run_worker()
    page = Page(client, mail_links(smtp.messages[0])[0])
    page.answer("reason", "price")  # answered, not completed: the cascade goes on
    delivery_clock.advance(hours=1, minutes=1)
    run_worker()
    assert len(smtp.messages) == 2
    page.answer("satisfaction", "6")
    page.answer("nps", "9")
    page.answer("come_back", "yes")
    assert "Thank you for telling us." in page.html
    assert steps_of(listing(survey["id"])) == [(1, "email", "sent"), (2, "email", "sent"), (3, "email", "cancelled")]


def test_an_answer_landing_between_the_claim_and_the_send_stops_the_step(app, client, make_survey, cascade,
                                                                         listing, smtp, run_worker, delivery_clock,
                                                                         monkeypatch):
    steps = [{"channel": "email", "wait_hours": 0}, {"channel": "email", "wait_hours": 1}]
    survey = make_survey(delivery={"steps": steps})
    cascade(survey["id"], {"email": "amy@example.com"})
    run_worker()
    link = mail_links(smtp.messages[0])[0]
    kinds = app.extensions["surveyhub.job_kinds"]
    kind = kinds["cascade_step"]

    def answer_first(step, claim):
        # The worker claimed step 2 and committed; the person answers the first mail now.
        Page(client, link).answer("reason", "price")
        return kind.prepare(step, claim)

    monkeypatch.setitem(kinds, "cascade_step", dataclasses.replace(kind, prepare=answer_first))
    delivery_clock.advance(hours=1, minutes=1)
    assert run_worker() == 1
    assert len(smtp.messages) == 1
    assert steps_of(listing(survey["id"])) == [(1, "email", "sent"), (2, "email", "cancelled")]


def test_archiving_the_survey_cancels_the_rest(api, make_survey, cascade, listing, smtp, run_worker,
                                               delivery_clock):
    survey = make_survey(delivery=PLAN)
    cascade(survey["id"], {"email": "amy@example.com"})
    run_worker()
    assert api.delete(f"/api/v1/surveys/{survey['id']}").status_code == 204
    assert steps_of(listing(survey["id"])) == [(1, "email", "sent"), (2, "email", "cancelled")]
    delivery_clock.advance(hours=200)
    run_worker()
    assert len(smtp.messages) == 1


def test_erasing_the_person_cancels_the_rest(api, make_survey, cascade, listing, smtp, run_worker, delivery_clock):
    survey = make_survey(delivery=PLAN)
    cascade(survey["id"], {"external_id": "c1", "email": "amy@example.com", "phone": PHONE})
    run_worker()
    assert api.delete("/api/v1/respondents/c1").status_code == 204
    rows = listing(survey["id"])
    assert steps_of(rows) == [(1, "email", "sent"), (2, "email", "cancelled")]
    assert all(row["recipient"] == {"external_id": None, "email": None} for row in rows)
    delivery_clock.advance(hours=200)
    run_worker()
    assert len(smtp.messages) == 1


def test_the_listing_refuses_bad_filters(api, make_survey):
    survey = make_survey()
    for query in ({"channel": "fax"}, {"status": "lost"}, {"cursor": "nope"}):
        r = api.get(f"/api/v1/surveys/{survey['id']}/invitations", query_string=query)
        assert r.status_code == 422 and set(query) <= set(error_fields(r)), r.get_json()


def test_stop_on_sms_cancels_the_sms_steps_and_the_cascade_goes_on(make_survey, cascade, listing, smtp, twilio,
                                                                   twilio_post, run_worker, delivery_clock):
    steps = [{"channel": "sms", "wait_hours": 0}, {"channel": "sms", "wait_hours": 24},
             {"channel": "email", "wait_hours": 24}]
    survey = make_survey(delivery={"steps": steps})
    cascade(survey["id"], {"email": "amy@example.com", "phone": PHONE})
    run_worker()
    assert len(twilio.bodies_to(PHONE)) == 1
    first = twilio.bodies_to(PHONE)[0]
    r = twilio_post("/channels/sms/inbound", {"MessageSid": "SMstop1", "From": PHONE, "To": "+15005550006",
                                              "Body": "STOP"})
    assert r.status_code == 200
    assert steps_of(listing(survey["id"])) == [(1, "sms", "sent"), (2, "sms", "cancelled"), (3, "email", "queued")]
    delivery_clock.advance(hours=24, minutes=1)
    run_worker()
    assert len(smtp.messages) == 1
    # The first step and the opt-out's confirmation; no second step.
    texts = twilio.bodies_to(PHONE)
    assert len(texts) == 2 and texts[0] == first and "START" in texts[1]


# --- the fatigue cap ------------------------------------------------------------------------------

def test_one_new_invitation_or_cascade_per_person_per_window_across_surveys(api, make_survey, cascade, invite,
                                                                              run_worker, smtp, delivery_clock):
    first = make_survey(delivery=PLAN)
    second = make_survey(slug="second")
    cascade(first["id"], {"external_id": "c1", "email": "amy@example.com"}, {"email": "bob@example.com"},
            {"phone": PHONE})
    run_worker()  # the cascades' later steps don't count against the cap
    body = invite(second["id"], {"external_id": "c1", "email": "amy.new@example.com"}, {"email": "bob@example.com"},
                  {"external_id": "c9", "email": "cy@example.com"})
    assert [r["reason"] for r in body["refused"]] == ["fatigue_cap", "fatigue_cap"]
    assert [q["recipient"]["email"] for q in body["queued"]] == ["cy@example.com"]
    body = cascade(second["id"], {"phone": PHONE}, {"external_id": "c9", "email": "cy@example.com"},
                   steps=[{"channel": "sms", "wait_hours": 0}, {"channel": "email", "wait_hours": 0}])
    assert [r["reason"] for r in body["refused"]] == ["fatigue_cap", "fatigue_cap"] and body["queued"] == []
    delivery_clock.advance(days=30, minutes=1)
    body = invite(second["id"], {"external_id": "c1", "email": "amy@example.com"})
    assert body["refused"] == [] and len(body["queued"]) == 1


def test_the_cap_is_an_org_setting(api, runner, make_survey, invite):
    assert api.get("/api/v1/org").get_json()["contact_cap_days"] == 30
    for bad in (-1, 3651, 1.5, True, "7"):
        r = api.patch("/api/v1/org", json={"contact_cap_days": bad})
        assert r.status_code == 422 and "contact_cap_days" in error_fields(r), bad
    r = api.patch("/api/v1/org", json={"contact_cap_days": 0})
    assert r.status_code == 200 and r.get_json()["contact_cap_days"] == 0
    first, second = make_survey(), make_survey(slug="second")
    invite(first["id"], {"email": "amy@example.com"})
    assert invite(second["id"], {"email": "amy@example.com"})["refused"] == []  # 0: no cap
    result = runner.invoke(args=["org", "settings", str(api.org_id), "--contact-cap-days", "7"])
    assert result.exit_code == 0 and "contact_cap_days: 7" in result.output
    third = make_survey(slug="third")
    assert [r["reason"] for r in invite(third["id"], {"email": "amy@example.com"})["refused"]] == ["fatigue_cap"]


# --- webhooks -------------------------------------------------------------------------------------

@pytest.fixture
def hooks(app, api):
    """A local webhook receiver registered for the cascade events; returns the events it got, in order."""
    from tests.test_webhooks import Receiver

    app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # the receiver listens on loopback
    receiver = Receiver([])
    r = api.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["invitation.failed", "cascade.finished"]})
    assert r.status_code == 201, r.get_json()

    def received() -> list[dict]:
        return [{"type": event["type"], **event["data"]} for event in (json.loads(b) for _, b in receiver.received)]

    yield received
    receiver.stop()


def test_a_step_failed_for_good_is_a_webhook_and_the_cascade_goes_on(make_survey, cascade, listing, smtp, twilio,
                                                                     run_worker, hooks):
    steps = [{"channel": "email", "wait_hours": 0}, {"channel": "sms", "wait_hours": 0}]
    survey = make_survey(delivery={"steps": steps})
    smtp.handler.reply_to_rcpt = "550 5.1.1 No such user"
    started = cascade(survey["id"], {"email": "amy@example.com", "phone": PHONE})
    cascade_id = started["queued"][0]["id"]
    run_worker()
    run_worker()  # the webhooks queued by the last round
    rows = listing(survey["id"])
    assert steps_of(rows) == [(1, "email", "failed"), (2, "sms", "sent")]
    assert len(twilio.bodies_to(PHONE)) == 1
    events = hooks()
    assert {"type": "invitation.failed", "invitation_id": rows[0]["id"], "survey_id": survey["id"],
            "channel": "email", "cascade_id": cascade_id, "step": 1} == {k: v for k, v in events[0].items()
                                                                         if k != "reason"}
    assert "550" in events[0]["reason"]
    assert events[1:] == [{"type": "cascade.finished", "cascade_id": cascade_id, "survey_id": survey["id"],
                           "how": "exhausted"}]


def test_cascade_finished_says_how(api, make_survey, cascade, smtp, run_worker, hooks):
    survey = make_survey(delivery=PLAN)
    answered, archived = (cascade(survey["id"], {"external_id": who, "email": f"{who}@example.com"})["queued"][0]["id"]
                          for who in ("c1", "c2"))
    run_worker()
    # An answer on another channel (a staff interview) stops the cascade too.
    r = api.post(f"/api/v1/surveys/{survey['id']}/responses",
                 json={"external_id": "c1", "answers": [{"question": "reason", "value": "price"}]})
    assert r.status_code == 201, r.get_json()
    assert api.delete(f"/api/v1/surveys/{survey['id']}").status_code == 204
    run_worker()
    assert [(e["cascade_id"], e["how"]) for e in hooks()] == [(answered, "responded"), (archived, "cancelled")]
