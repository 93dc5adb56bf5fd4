"""Cascades started by the widget (CONTRACT §9 `after_widget`): a visit dismissed, or abandoned for 30 minutes,
starts the survey's plan for the widget's user; completed visits, and plans without after_widget, never do.

Through the public path: the widget endpoints with a real userHash, the worker (`run_worker`, or `Worker`s
of our own for two at once) with the engine's clock moved by `delivery_clock`, the cascade's steps read from
GET /surveys/{id}/invitations, its mail from the SMTP sink and what became of a visit from the responses listing.
"""

from __future__ import annotations

import threading

import pytest

from surveyhub.delivery.engine import Worker
from tests.helpers import WidgetClient, widget_org_of
from tests.test_cascades import MIDDAY, PHONE, steps_of
from tests.test_hosted_page import Page, mail_links

EMAIL_PLAN = {"steps": [{"channel": "email", "wait_hours": 0}, {"channel": "email", "wait_hours": 72}],
              "stop_on": "responded", "after_widget": True}
OTHER_VISIT = "visit-0000000000000002"
EMAIL = "amy@example.com"


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    """SMS steps judge quiet hours by this clock: midday in Kuala Lumpur."""
    from surveyhub.delivery import sms as sms_delivery

    monkeypatch.setattr(sms_delivery, "clock", lambda: MIDDAY)


@pytest.fixture
def widget(app, client, api, make_survey):
    """Make the cancel-flow survey with a plan (EMAIL_PLAN unless given); return its id and a WidgetClient
    whose user (amy, unless given) has an email."""

    def make(plan: dict | None = None, **user) -> tuple[int, WidgetClient]:
        survey = make_survey(delivery=plan or EMAIL_PLAN)
        wc = WidgetClient(client, widget_org_of(app, api.org_id))
        wc.user = user or {"id": "u_123", "email": EMAIL, "attributes": {"plan": "pro"}}
        return survey["id"], wc

    return make


@pytest.fixture
def listing(api):
    """The survey's invitations as GET /surveys/{id}/invitations lists them."""

    def read(survey_id: int) -> list[dict]:
        r = api.get(f"/api/v1/surveys/{survey_id}/invitations", query_string={"limit": 100})
        assert r.status_code == 200, r.get_json()
        return r.get_json()["data"]

    return read


@pytest.fixture
def outcome(api):
    """What became of a visit's response, as the responses listing says in its metadata.widget.cascade."""

    def read(response_id: int) -> dict | None:
        rows = []
        for survey in api.get("/api/v1/surveys").get_json()["data"]:
            r = api.get(f"/api/v1/surveys/{survey['id']}/responses",
                        query_string={"channel": "widget", "include_empty": "true", "limit": 100})
            assert r.status_code == 200, r.get_json()
            rows += r.get_json()["data"]
        [response] = [row for row in rows if row["id"] == response_id]
        return response["metadata"]["widget"].get("cascade")

    return read


def write(wc: WidgetClient, what: str, **extra) -> dict:
    r = wc.post(what, **extra)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def finish_survey(wc: WidgetClient, **extra) -> dict:
    for question, value in (("reason", "features"), ("satisfaction", 4), ("nps", 8), ("come_back", True)):
        write(wc, "answers", question=question, value=value, **extra)
    return write(wc, "complete", **extra)


def test_dismissal_starts_the_cascade_and_its_mail_answers_it(client, widget, listing, outcome, smtp, run_worker,
                                                               delivery_clock):
    survey_id, wc = widget()
    response_id = write(wc, "display")["response_id"]
    assert listing(survey_id) == []
    write(wc, "dismiss")
    rows = listing(survey_id)
    assert steps_of(rows) == [(1, "email", "queued")]  # started in the dismissal's own unit of work
    assert rows[0]["recipient"] == {"external_id": "u_123", "email": EMAIL}
    assert outcome(response_id) == {"id": rows[0]["cascade_id"]}
    write(wc, "dismiss")  # a retried dismissal starts nothing more
    run_worker()
    [mail] = smtp.messages
    assert mail["To"] == EMAIL
    page = Page(client, mail_links(mail)[0])
    page.answer("reason", "price")
    rows = listing(survey_id)
    assert steps_of(rows) == [(1, "email", "sent"), (2, "email", "cancelled")]  # the link was the cascade's
    assert rows[0]["response_id"] is not None and len({row["cascade_id"] for row in rows}) == 1
    delivery_clock.advance(hours=100)
    run_worker()
    assert len(smtp.messages) == 1


def test_a_visit_abandoned_for_30_minutes_starts_it_29_do_not(widget, listing, outcome, smtp, run_worker,
                                                              delivery_clock):
    survey_id, wc = widget()
    response_id = write(wc, "display")["response_id"]
    delivery_clock.advance(minutes=29)
    run_worker()
    assert listing(survey_id) == [] and smtp.messages == [] and outcome(response_id) is None
    delivery_clock.advance(minutes=1, seconds=5)
    run_worker()
    rows = listing(survey_id)
    assert steps_of(rows) == [(1, "email", "sent"), (2, "email", "queued")]
    assert outcome(response_id) == {"id": rows[0]["cascade_id"]}
    [mail] = smtp.messages
    assert mail["To"] == EMAIL
    delivery_clock.advance(minutes=60)
    run_worker()
    write(wc, "dismiss")  # a late dismissal of the swept visit: still one cascade, the same one
    assert len({row["cascade_id"] for row in listing(survey_id)}) == 1 and len(smtp.messages) == 1
    assert outcome(response_id) == {"id": rows[0]["cascade_id"]}


def test_a_completed_visit_never_starts_one(widget, listing, outcome, smtp, run_worker, delivery_clock):
    survey_id, wc = widget()
    write(wc, "display")
    response_id = finish_survey(wc)["response_id"]
    write(wc, "dismiss")  # closing the thank-you screen
    delivery_clock.advance(minutes=31)
    run_worker()
    assert listing(survey_id) == [] and smtp.messages == [] and outcome(response_id) is None


def test_an_accepted_offer_is_a_completed_visit(widget, listing, run_worker, delivery_clock):
    survey_id, wc = widget()
    write(wc, "display")
    write(wc, "answers", question="reason", value="price")
    assert write(wc, "offer", offer="discount", accepted=True)["status"] == "completed"
    delivery_clock.advance(minutes=31)
    run_worker()
    assert listing(survey_id) == []


def test_without_after_widget_nothing_starts(widget, listing, outcome, smtp, run_worker, delivery_clock):
    survey_id, wc = widget(plan={**EMAIL_PLAN, "after_widget": False})
    dismissed = write(wc, "display")["response_id"]
    write(wc, "dismiss")
    abandoned = write(wc, "display", visit=OTHER_VISIT)["response_id"]
    delivery_clock.advance(minutes=31)
    run_worker()
    assert listing(survey_id) == [] and smtp.messages == []
    assert outcome(dismissed) is None and outcome(abandoned) is None


def test_stop_on_responded_an_answered_visit_has_responded(widget, listing, outcome, run_worker, delivery_clock):
    survey_id, wc = widget()
    response_id = write(wc, "display")["response_id"]
    write(wc, "answers", question="reason", value="price")
    write(wc, "dismiss")
    assert listing(survey_id) == [] and outcome(response_id) == {"refused": "responded"}
    abandoned = write(wc, "display", visit=OTHER_VISIT)["response_id"]
    write(wc, "answers", question="reason", value="features", visit=OTHER_VISIT)
    delivery_clock.advance(minutes=31)
    run_worker()
    assert listing(survey_id) == [] and outcome(abandoned) == {"refused": "responded"}


def test_stop_on_completed_an_answered_visit_starts_it(widget, listing, outcome, smtp, run_worker):
    survey_id, wc = widget(plan={**EMAIL_PLAN, "stop_on": "completed"})
    response_id = write(wc, "display")["response_id"]
    write(wc, "answers", question="reason", value="price")
    write(wc, "dismiss")
    rows = listing(survey_id)
    assert steps_of(rows) == [(1, "email", "queued")] and outcome(response_id) == {"id": rows[0]["cascade_id"]}


def test_two_workers_sweeping_at_once_start_one_cascade_per_visit(app, client, widget, listing, smtp,
                                                                  delivery_clock, run_worker):
    survey_id, wc = widget()
    users = [{"id": f"u_{n}", "email": f"u{n}@example.com"} for n in range(6)]
    for user in users:
        write(WidgetClient(client, wc.org, user=user), "display")
    delivery_clock.advance(minutes=31)
    barrier = threading.Barrier(2)
    swept: list[int] = []
    failures: list[BaseException] = []

    def sweep() -> None:
        try:
            worker = Worker(app)
            with app.app_context():
                barrier.wait(timeout=10)
                swept.append(worker.sweep())
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            failures.append(err)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == [] and sorted(swept)[-1] >= 1 and sum(swept) == len(users)
    run_worker()
    run_worker()  # a later sweep finds nothing more
    rows = listing(survey_id)
    assert sorted(row["recipient"]["email"] for row in rows if row["step"] == 1) == sorted(u["email"] for u in users)
    assert len({row["cascade_id"] for row in rows}) == len(users)
    assert sorted(m["To"] for m in smtp.messages) == sorted(u["email"] for u in users)


def test_a_user_without_an_address_gets_nothing_and_the_response_says_why(widget, listing, outcome, run_worker,
                                                                          delivery_clock):
    survey_id, wc = widget(id="u_9")
    response_id = write(wc, "display")["response_id"]
    r = wc.post("dismiss")
    assert r.status_code == 200 and r.get_json()["status"] == "partial"  # the widget is told nothing
    assert listing(survey_id) == [] and outcome(response_id) == {"refused": "missing_address"}
    abandoned = write(wc, "display", visit=OTHER_VISIT)["response_id"]
    delivery_clock.advance(minutes=31)
    run_worker()
    assert listing(survey_id) == [] and outcome(abandoned) == {"refused": "missing_address"}


def test_the_users_phone_takes_the_sms_steps(widget, listing, twilio, run_worker):
    plan = {"steps": [{"channel": "sms", "wait_hours": 0}, {"channel": "email", "wait_hours": 24}],
            "after_widget": True}
    survey_id, wc = widget(plan=plan, id="u_7", phone="+60 12-345 6789")
    write(wc, "display")
    write(wc, "dismiss")
    run_worker()
    rows = listing(survey_id)
    assert rows[0]["recipient"] == {"external_id": "u_7", "phone": PHONE}
    assert steps_of(rows) == [(1, "sms", "sent"), (2, "email", "skipped")]  # no email given: skipped
    assert len(twilio.bodies_to(PHONE)) == 1


def test_a_phone_that_is_no_number_is_refused_naming_it(widget, row_counts):
    _, wc = widget(id="u_7", phone="call me maybe")
    before = row_counts()
    for what in ("display", "dismiss"):
        r = wc.post(what)
        assert r.status_code == 422 and r.get_json()["error"]["fields"] == {"user.phone": "is not a valid phone number"}
    wc.user = {"id": "u_7", "phone": "+6" * 30}
    r = wc.post("display")
    assert r.status_code == 422 and "user.phone" in r.get_json()["error"]["fields"]
    assert row_counts() == before


def test_the_fatigue_cap_applies_to_the_cascade_it_starts(widget, make_survey, invite, listing, outcome):
    survey_id, wc = widget()
    other = make_survey(slug="other")
    assert invite(other["id"], {"external_id": "u_123", "email": EMAIL})["queued"]
    response_id = write(wc, "display")["response_id"]
    write(wc, "dismiss")
    assert listing(survey_id) == [] and outcome(response_id) == {"refused": "fatigue_cap"}


def test_one_cascade_at_a_time_per_person_and_survey(api, widget, listing, outcome):
    api.patch("/api/v1/org", json={"contact_cap_days": 0})
    survey_id, wc = widget()
    first = write(wc, "display")["response_id"]
    write(wc, "dismiss")
    second = write(wc, "display", visit=OTHER_VISIT)["response_id"]
    write(wc, "dismiss", visit=OTHER_VISIT)
    assert len(listing(survey_id)) == 1
    assert "id" in outcome(first) and outcome(second) == {"refused": "cascade_running"}
