"""The widget's public endpoints: the survey in the user's locale, the writes of a visit, auth, CORS, limits."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path

import pytest
import redis

from surveyhub.responses import widget as widget_service
from surveyhub.security import user_hash
from surveyhub.transaction import unit_of_work
from tests.helpers import VISIT, WidgetClient, events, make_app, widget_org_of, widget_responses
from tests.test_webhooks import Receiver, register

WRITES = ["display", "answers", "offer", "dismiss", "complete"]


@pytest.fixture
def survey(make_survey):
    return make_survey()


@pytest.fixture
def wc(app, client, api, survey) -> WidgetClient:
    return WidgetClient(client, widget_org_of(app, api.org_id))


def answer(wc: WidgetClient, question: str, value, **extra):
    r = wc.post("answers", question=question, value=value, **extra)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


# --- the survey, in the user's locale ----------------------------------------------------------------

def test_survey_in_the_users_locale(wc):
    r = wc.survey(locale="ms-MY")
    assert r.status_code == 200
    body = r.get_json()
    assert body["locale"] == "ms" and body["dir"] == "ltr" and body["version"] == 1
    assert body["intro"] == "Kami sedih anda pergi." and body["thanks"] == "Thank you for telling us."
    assert body["ui"]["next"] == "Seterusnya"
    reason = body["questions"][0]
    assert reason["choices"] == [{"id": "price", "label": "Too expensive"},
                                 {"id": "features", "label": "Missing features"}]
    assert body["questions"][4]["show_if"] == {"question": "come_back", "equals": False}
    assert body["offers"][0]["when"] == {"question": "reason", "in": ["price"]}
    assert body["offers"][0]["accept_label"] == "Take the offer"


@pytest.mark.parametrize(("wanted", "chosen"), [(None, "en"), ("fr", "en"), ("ms", "ms"), ("en-GB", "en")])
def test_survey_locale_falls_back_to_the_default(wc, wanted, chosen):
    body = wc.survey(**({"locale": wanted} if wanted else {})).get_json()
    assert body["locale"] == chosen
    assert body["ui"]["next"] == ("Seterusnya" if chosen == "ms" else "Next")


def test_survey_strings_of_every_kind_are_localized(app, client, api, make_survey):
    make_survey(slug="intl", default_locale="en", questions=[
        {"id": "q", "type": "multiple_choice", "text": {"en": "Why?", "zh": "为什么？"}, "allow_other": True,
         "other_label": {"en": "Else", "zh": "其他原因"}, "choices": [{"id": "a", "label": {"en": "A", "zh": "甲"}}]},
        {"id": "s", "type": "likert", "text": "Rate", "labels": {"min": {"en": "Bad", "zh": "差"}, "max": "Good"}},
    ], offers=[])
    wc = WidgetClient(client, widget_org_of(app, api.org_id), slug="intl")
    body = wc.survey(locale="zh-CN").get_json()
    assert body["locale"] == "zh"
    q, s = body["questions"]
    assert (q["text"], q["other_label"], q["choices"][0]["label"]) == ("为什么？", "其他原因", "甲")
    assert s["labels"] == {"min": "差", "max": "Good"} and body["ui"]["next"] == "下一步"


def test_survey_is_revalidated_by_etag(wc):
    first = wc.survey(locale="ms")
    assert first.headers["ETag"] and "no-cache" in first.headers["Cache-Control"]
    again = wc.client.get(wc.root, query_string={"locale": "ms"}, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("state", ["unknown", "draft", "archived"])
def test_only_published_surveys_are_served(wc, api, make_survey, state):
    if state == "draft":
        make_survey(publish=False, slug="draft-one")
        wc.slug = "draft-one"
    elif state == "archived":
        created = make_survey(slug="old-one")
        api.delete(f"/api/v1/surveys/{created['id']}")
        wc.slug = "old-one"
    else:
        wc.slug = "no-such-survey"
    r = wc.survey()
    assert r.status_code == 404 and r.get_json()["error"]["fields"] == {"slug": "no published survey has this slug"}


def test_unknown_widget_key_is_404(client):
    r = client.get("/widget/v1/pk_nope/surveys/cancel-flow")
    assert r.status_code == 404 and r.get_json()["error"]["fields"] == {"key": "is not a widget key"}


def test_bad_locale_is_refused_naming_it(wc):
    r = wc.survey(locale="not a locale")
    assert r.status_code == 422 and "locale" in r.get_json()["error"]["fields"]
    r = wc.survey(colour="blue")
    assert r.status_code == 422 and "colour" in r.get_json()["error"]["fields"]


# --- a visit: display, answers, offer, dismiss, complete ---------------------------------------------

def test_display_opens_the_response_and_updates_the_respondent(app, wc):
    r = wc.post("display", locale="ms")
    assert r.status_code == 200
    assert r.get_json()["status"] == "partial" and r.get_json()["response_id"]
    wc.user = {"id": "u_123", "attributes": {"seats": 4}}
    assert wc.post("display", locale="ms").get_json() == r.get_json()  # the same visit: the same response
    [response] = widget_responses(app)
    assert response["respondent"] == {"external_id": "u_123", "email": "a@b.test", "locale": "ms",
                                      "attributes": {"plan": "pro", "seats": 4}}
    assert response["meta"]["widget"] == {"visit": VISIT, "displayed": True}
    [displayed] = events(app, "displayed")
    assert displayed.response_id == response["id"] and displayed.survey_id is not None


def test_each_visit_is_its_own_response(app, wc):
    first = wc.post("display", visit="a" * 20).get_json()["response_id"]
    second = wc.post("display", visit="b" * 20).get_json()["response_id"]
    assert first != second and len(events(app, "displayed")) == 2


def test_answers_go_through_the_engine_and_count_once(app, wc):
    wc.post("display")
    for _ in range(3):  # a retried write
        answer(wc, "reason", "other", other_text="Company closed")
    answer(wc, "come_back", False)
    answer(wc, "why_not", "Too slow")
    [response] = widget_responses(app)
    assert response["answers"] == {"reason": "other", "come_back": False, "why_not": "Too slow"}
    assert response["answer_rows"] == 3 and len(events(app, "responded")) == 1


def test_an_answer_that_arrives_before_the_display_still_lands(app, wc):
    answer(wc, "nps", 9)
    wc.post("display")
    [response] = widget_responses(app)
    assert response["answers"] == {"nps": 9} and len(events(app, "displayed")) == 1


def test_complete_needs_the_required_answers(app, wc, row_counts):
    answer(wc, "reason", "features")
    before = row_counts()
    r = wc.post("complete")
    assert r.status_code == 422
    assert set(r.get_json()["error"]["fields"]) == {"satisfaction", "nps", "come_back"}
    assert row_counts() == before
    for question, value in [("satisfaction", 3), ("nps", 6), ("come_back", True)]:
        answer(wc, question, value)
    assert wc.post("complete").get_json()["status"] == "completed"
    assert wc.post("complete").status_code == 200
    assert len(events(app, "completed")) == 1
    # A completed response takes no more answers, and a late dismissal does not count.
    assert wc.post("answers", question="nps", value=7).status_code == 409
    assert wc.post("dismiss").status_code == 200 and events(app, "dismissed") == []


def test_dismissal_is_counted_once_and_keeps_the_answers(app, wc):
    wc.post("display")
    answer(wc, "reason", "price")
    assert wc.post("dismiss").status_code == 200
    assert wc.post("dismiss").status_code == 200
    [response] = widget_responses(app)
    assert response["status"] == "partial" and response["answers"] == {"reason": "price"}
    assert len(events(app, "dismissed")) == 1 and response["meta"]["widget"]["dismissed"] is True


def test_the_offer_is_shown_accepted_and_recorded_once(app, wc):
    wc.post("display")
    answer(wc, "reason", "price")
    [shown] = events(app, "offer_shown")
    assert shown.data == {"offer": "discount"}
    for _ in range(2):
        r = wc.post("offer", offer="discount", accepted=True)
        assert r.status_code == 200, r.get_json()
    [accepted] = events(app, "offer_accepted")
    assert accepted.data == {"offer": "discount"} and accepted.response_id == shown.response_id
    assert widget_responses(app)[0]["meta"]["offer"] == {"id": "discount", "accepted": True}
    r = wc.post("offer", offer="discount", accepted=False)
    assert r.status_code == 422 and "accepted" in r.get_json()["error"]["fields"]
    assert len(events(app, "offer_shown")) == 1 and events(app, "offer_declined") == []


@pytest.fixture
def hooks(app):
    """A local webhook receiver answering 200 (on loopback, so WEBHOOK_ALLOW_PRIVATE is on)."""
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    receiver = Receiver([])
    yield receiver
    receiver.stop()


def test_an_accepted_offer_finishes_the_response(api, wc, survey, hooks, run_worker):
    """CONTRACT §10: the widget's result and the API say the same — completed, with metadata.offer."""
    register(api, hooks.url, ["response.completed"])
    assert wc.post("display").status_code == 200
    answer(wc, "reason", "price")
    r = wc.post("offer", offer="discount", accepted=True)
    assert r.status_code == 200 and r.get_json()["status"] == "completed"
    for what, extra in [("offer", {"offer": "discount", "accepted": True}), ("complete", {}), ("dismiss", {})]:
        late = wc.post(what, **extra)  # a retried decision, a late complete or dismiss change nothing
        assert late.status_code == 200 and late.get_json()["status"] == "completed", late.get_json()
    [listed] = api.get(f"/api/v1/surveys/{survey['id']}/responses?status=completed").get_json()["data"]
    assert listed["status"] == "completed" and listed["completed_at"] is not None
    assert listed["metadata"]["offer"] == {"id": "discount", "accepted": True}
    stats = api.get(f"/api/v1/surveys/{survey['id']}/stats").get_json()
    widget_funnel = stats["channels"]["widget"]
    assert (widget_funnel["responded"], widget_funnel["completed"], widget_funnel["completion_rate"]) == (1, 1, 1.0)
    assert widget_funnel["dismissed"] == 0 and stats["totals"]["completed"] == 1
    assert stats["offers"]["discount"] == {"shown": 1, "accepted": 1, "save_rate": 1.0}
    run_worker()
    [(_, body)] = hooks.received
    sent = json.loads(body)
    assert sent["type"] == "response.completed" and sent["data"]["response"]["id"] == listed["id"]
    assert sent["data"]["response"]["status"] == "completed"
    assert sent["data"]["response"]["metadata"]["offer"] == {"id": "discount", "accepted": True}


def test_a_declined_offer_lets_the_survey_go_on(app, wc):
    answer(wc, "reason", "price")
    assert wc.post("offer", offer="discount", accepted=False).status_code == 200
    for question, value in [("satisfaction", 3), ("nps", 6), ("come_back", True)]:
        answer(wc, question, value)
    assert wc.post("complete").get_json()["status"] == "completed"
    assert len(events(app, "offer_declined")) == 1 and events(app, "offer_accepted") == []


@pytest.mark.parametrize("offer", ["discount", "unknown"])
def test_an_offer_the_answers_do_not_bring_up_cannot_be_taken(app, wc, row_counts, offer):
    answer(wc, "reason", "features")
    assert events(app, "offer_shown") == []
    before = row_counts()
    r = wc.post("offer", offer=offer, accepted=True)
    assert r.status_code == 422 and r.get_json()["error"]["fields"] == {"offer": "is not on offer for these answers"}
    assert row_counts() == before


def test_concurrent_first_writes_of_a_visit_open_one_response(app, wc):
    """Retries racing each other (the outbox after a page closes) for a person not seen before."""
    errors = []

    def send(what, extra):
        client = app.test_client()
        r = WidgetClient(client, wc.org).post(what, **extra)
        if r.status_code != 200:
            errors.append(r.get_json())

    threads = [threading.Thread(target=send, args=w) for w in
               [("display", {})] * 3 + [("answers", {"question": "nps", "value": 8})] * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    [response] = widget_responses(app)
    assert response["answers"] == {"nps": 8} and response["answer_rows"] == 1
    assert len(events(app, "displayed")) == 1 and len(events(app, "responded")) == 1


def test_widget_responses_show_in_the_api(api, wc, survey):
    wc.post("display")
    answer(wc, "reason", "price")
    [listed] = api.get(f"/api/v1/surveys/{survey['id']}/responses?channel=widget").get_json()["data"]
    assert listed["external_id"] == "u_123" and listed["channel"] == "widget"
    assert listed["metadata"]["offer"] == {"id": "discount"} and "offer" not in listed["metadata"]["widget"]


# --- who may write: the userHash ---------------------------------------------------------------------

def write_body(wc: WidgetClient, what: str, **overrides) -> dict:
    extra = {"answers": {"question": "nps", "value": 9}, "offer": {"offer": "discount", "accepted": True},
             "display": {"locale": "en"}}.get(what, {})
    return {**wc.body(**extra), **overrides}


@pytest.mark.parametrize("what", WRITES)
@pytest.mark.parametrize("user_hash", ["0" * 64, "not-hex", "é" * 10, "HASH_OF_OTHER_USER", "HASH_OTHER_ORG"])
def test_a_wrong_user_hash_is_401_and_stores_nothing(app, client, wc, other_api, row_counts, what, user_hash):
    if user_hash == "HASH_OF_OTHER_USER":
        user_hash = wc.org.hash("u_999")
    elif user_hash == "HASH_OTHER_ORG":
        user_hash = widget_org_of(app, other_api.org_id).hash("u_123")
    before = row_counts()
    r = wc.post(what, write_body(wc, what, userHash=user_hash))
    assert r.status_code == 401
    assert r.get_json()["error"] == {
        "code": "unauthorized", "fields": {"userHash": "does not match user.id"},
        "message": "userHash is not the HMAC-SHA256 of user.id with the org's signing secret."}
    assert r.headers["Access-Control-Allow-Origin"] == "*"  # the widget can read why
    assert row_counts() == before


def test_the_user_hash_is_hex_in_either_case(app, wc):
    r = wc.post("display", write_body(wc, "display", userHash=wc.org.hash("u_123").upper()))
    assert r.status_code == 200


def test_another_orgs_key_does_not_reach_this_orgs_surveys(app, client, wc, other_api, row_counts):
    other = widget_org_of(app, other_api.org_id)
    before = row_counts()
    r = WidgetClient(client, other).post("display")
    assert r.status_code == 404 and r.get_json()["error"]["fields"] == {"slug": "no survey has this slug"}
    assert WidgetClient(client, other).survey().status_code == 404
    assert row_counts() == before


# --- bad input: a clear 4xx naming the field, nothing written ----------------------------------------

DROP = object()  # a key to leave out of the body

BAD_BODIES = [
    ("display", {"visit": "short"}, "visit"),
    ("display", {"visit": None}, "visit"),
    ("display", {"visit": DROP}, "visit"),
    ("display", {"user": DROP}, "user"),
    ("display", {"userHash": DROP}, "userHash"),
    ("display", {"user": {"email": "a@b.test"}}, "user.id"),
    ("display", {"user": {"id": ""}}, "user.id"),
    ("display", {"user": {"id": 123}}, "user.id"),
    ("display", {"user": {"id": "u_123", "email": "not-an-email"}}, "user.email"),
    ("display", {"user": {"id": "u_123", "attributes": {"plan": {"nested": 1}}}}, "user.attributes.plan.value"),
    ("display", {"user": {"id": "u_123", "attributes": {f"k{i}": i for i in range(51)}}}, "user.attributes"),
    ("display", {"user": {"id": "u_123", "attributes": {"plan": "x" * 501}}}, "user.attributes.plan.value"),
    ("display", {"locale": "English please"}, "locale"),
    ("display", {"userHash": None}, "userHash"),
    ("display", {"surprise": 1}, "surprise"),
    ("answers", {"question": "nps", "value": 11}, "value"),
    ("answers", {"question": "nps", "value": "9"}, "value"),
    ("answers", {"question": "nps", "value": None}, "value"),
    ("answers", {"question": "ghost", "value": 1}, "question"),
    ("answers", {"question": "why_not", "value": "hidden"}, "question"),
    ("answers", {"question": "reason", "value": "other"}, "other_text"),
    ("answers", {"question": "reason", "value": "price", "other_text": "x"}, "other_text"),
    ("answers", {"question": "come_back", "value": "yes"}, "value"),
    ("answers", {"question": DROP}, "question"),
    ("answers", {"value": DROP}, "value"),
    ("offer", {"offer": "discount", "accepted": "yes"}, "accepted"),
    ("offer", {"accepted": True}, "offer"),
]


@pytest.mark.parametrize(("what", "changes", "field"), BAD_BODIES, ids=[f"{w}-{f}-{i}" for i, (w, _, f) in
                                                                       enumerate(BAD_BODIES)])
def test_bad_bodies_are_refused_naming_the_field(wc, row_counts, what, changes, field):
    before = row_counts()
    body = {k: v for k, v in {**write_body(wc, what), **changes}.items() if v is not DROP}
    r = wc.post(what, body)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["fields"], r.get_json()
    assert row_counts() == before


@pytest.mark.parametrize(("raw", "content_type", "status"), [
    ("{not json", "text/plain", 400),
    (b"\xff\xfe\x00", "text/plain", 400),
    ("", "text/plain", 400),
    ("[1, 2]", "text/plain", 422),
    ("visit=x", "application/x-www-form-urlencoded", 415),
])
def test_malformed_bodies_are_refused(wc, row_counts, raw, content_type, status):
    before = row_counts()
    r = wc.post("display", raw=raw, content_type=content_type)
    assert r.status_code == status and r.get_json()["error"]["code"]
    assert row_counts() == before


def test_application_json_is_taken_too(wc):
    assert wc.post("display", wc.body(), content_type="application/json").status_code == 200


def test_bodies_over_the_widget_limit_are_413(app, wc, row_counts):
    before = row_counts()
    big = wc.body(question="why_not", value="x" * (app.config["WIDGET_MAX_BODY"] + 1))
    r = wc.post("answers", big)
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "request_entity_too_large"
    assert row_counts() == before


def test_the_longest_open_answer_fits_the_body_limit(app, client, api, make_survey):
    make_survey(slug="essay", questions=[{"id": "essay", "type": "open", "text": "Tell us", "max_length": 20000}],
                offers=[])
    wc = WidgetClient(client, widget_org_of(app, api.org_id), slug="essay")
    r = wc.post("answers", question="essay", value="界" * 20000)
    assert r.status_code == 200, r.get_json()


# --- CORS and allowed origins ------------------------------------------------------------------------

def test_any_origin_by_default_without_credentials(wc):
    r = wc.client.options(f"{wc.root}/answers", headers={"Origin": "https://app.example.com",
                                                         "Access-Control-Request-Method": "POST"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in r.headers
    get = wc.client.get(wc.root, headers={"Origin": "https://app.example.com"})
    assert get.headers["Access-Control-Allow-Origin"] == "*"


def test_allowed_origins_limit_who_may_use_the_widget(db, wc, row_counts):
    with unit_of_work():
        widget_service.set_allowed_origins(wc.org.org_id, ["https://App.Example.com", "http://127.0.0.1:8000/"])
    ok = wc.post("display", headers={"Origin": "https://app.example.com"})
    assert ok.status_code == 200
    assert ok.headers["Access-Control-Allow-Origin"] == "https://app.example.com" and "Origin" in ok.headers["Vary"]
    assert wc.post("display", headers={"Origin": "http://127.0.0.1:8000"}).status_code == 200
    before = row_counts()
    for method in ("get", "post", "options"):
        if method == "post":
            r = wc.post("answers", question="nps", value=3, headers={"Origin": "https://evil.example"})
        else:
            r = getattr(wc.client, method)(wc.root, headers={"Origin": "https://evil.example"})
        assert r.status_code == 403 and r.get_json()["error"]["fields"] == {"Origin": "is not an allowed origin"}
        assert "Access-Control-Allow-Origin" not in r.headers
    assert row_counts() == before
    # No Origin header: not a browser on another site (the userHash still guards writes).
    assert wc.post("answers", question="nps", value=3).status_code == 200


@pytest.mark.parametrize("origin", ["app.example.com", "ftp://x.example", "https://x.example/path", "https://"])
def test_origins_must_be_origins(db, wc, origin):
    with pytest.raises(widget_service.Invalid) as err:
        widget_service.set_allowed_origins(wc.org.org_id, ["https://ok.example", origin])
    assert err.value.fields == {"origins.1": "must be scheme://host[:port]"}


def test_the_origins_command(app, runner, wc):
    r = runner.invoke(args=["org", "origins", str(wc.org.org_id), "https://app.example.com"])
    assert r.exit_code == 0 and "https://app.example.com" in r.output
    assert wc.post("display", headers={"Origin": "https://other.example"}).status_code == 403
    assert runner.invoke(args=["org", "origins", str(wc.org.org_id), "nope"]).exit_code != 0
    assert runner.invoke(args=["org", "origins", str(wc.org.org_id)]).exit_code != 0
    r = runner.invoke(args=["org", "origins", str(wc.org.org_id), "--any"])
    assert r.exit_code == 0 and "any origin" in r.output
    assert wc.post("display", headers={"Origin": "https://other.example"}).status_code == 200


# --- one user can't stuff the stats -------------------------------------------------------------------

def test_one_user_starts_at_most_the_orgs_cap_of_responses_a_day(api, wc, survey, make_survey, row_counts):
    visits = [f"visit-{i:016d}" for i in range(6)]
    for visit in visits[:5]:
        assert wc.post("display", visit=visit).status_code == 200
        answer(wc, "reason", "price", visit=visit)
    before = row_counts()
    for what in ("display", "answers", "complete"):
        extra = {"question": "reason", "value": "price"} if what == "answers" else {}
        r = wc.post(what, visit=visits[5], **extra)
        assert r.status_code == 429, r.get_json()
        assert r.get_json()["error"]["code"] == "too_many_responses" and "user.id" in r.get_json()["error"]["fields"]
        assert 23 * 3600 < int(r.headers["Retry-After"]) <= 24 * 3600
    assert row_counts() == before
    # The user's open visits go on; another user, and another survey, have caps of their own.
    answer(wc, "satisfaction", 2, visit=visits[0])
    other_user = WidgetClient(wc.client, wc.org, user={"id": "u_456"})
    assert other_user.post("display", visit=visits[5]).status_code == 200
    make_survey(slug="second-flow")
    assert WidgetClient(wc.client, wc.org, slug="second-flow").post("display", visit=visits[5]).status_code == 200
    stats = api.get(f"/api/v1/surveys/{survey['id']}/stats").get_json()["channels"]["widget"]
    assert stats["displayed"] == 6 and stats["responded"] == 5


def test_the_cap_is_the_orgs_setting(api, wc, runner):
    headers = {"Authorization": f"Bearer {api.key}"}
    r = api.client.patch("/api/v1/org", json={"widget_responses_per_day": 2}, headers=headers)
    assert r.status_code == 200 and r.get_json()["widget_responses_per_day"] == 2
    codes = [wc.post("display", visit=f"visit-{i:016d}").status_code for i in range(3)]
    assert codes == [200, 200, 429]
    shown = runner.invoke(args=["org", "settings", str(api.org_id), "--widget-responses-per-day", "3"])
    assert shown.exit_code == 0 and "widget_responses_per_day: 3" in shown.output
    assert wc.post("display", visit=f"visit-{3:016d}").status_code == 200
    assert wc.post("display", visit=f"visit-{4:016d}").status_code == 429
    bad = runner.invoke(args=["org", "settings", str(api.org_id), "--widget-responses-per-day", "-1"])
    assert bad.exit_code != 0 and "widget_responses_per_day must be a whole number" in bad.output
    # 0 takes the cap off.
    assert api.client.patch("/api/v1/org", json={"widget_responses_per_day": 0}, headers=headers).status_code == 200
    assert [wc.post("display", visit=f"visit-{i:016d}").status_code for i in range(5, 10)] == [200] * 5


# --- rate limits -------------------------------------------------------------------------------------

def limited_app(test_database, tmp_path, **settings):
    return make_app(test_database, tmp_path / "limited", **settings)


def test_requests_per_ip_are_limited(app, test_database, tmp_path, api, survey):
    limited = limited_app(test_database, tmp_path, WIDGET_RATE_LIMIT_PER_IP="3 per hour")
    wc = WidgetClient(limited.test_client(), widget_org_of(app, api.org_id))
    assert [wc.survey().status_code for _ in range(3)] == [200] * 3
    r = wc.post("display")
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "too_many_requests"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    # Another IP has its own budget.
    assert wc.client.get(wc.root, environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 200


def test_requests_per_widget_key_are_limited(app, test_database, tmp_path, api, other_api, survey, make_survey):
    """Writes that prove their user use up the key's budget, whatever address they come from."""
    make_survey(api_client=other_api)
    limited = limited_app(test_database, tmp_path, WIDGET_RATE_LIMIT_PER_KEY="4 per hour")
    client = limited.test_client()
    mine = WidgetClient(client, widget_org_of(app, api.org_id))
    theirs = WidgetClient(client, widget_org_of(app, other_api.org_id))

    def display_from(i: int, wc: WidgetClient = mine):
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{i}"
        return wc.post("display", visit=f"visit-{i:016d}")

    codes = [display_from(i).status_code for i in range(5)]
    assert codes == [200] * 4 + [429]
    assert display_from(9, theirs).status_code == 200


def test_failed_authentication_does_not_use_up_the_keys_budget(app, test_database, tmp_path, api, survey):
    """The widget key is public: wrong userHashes, unknown keys and reads are counted per address only."""
    limited = limited_app(test_database, tmp_path, WIDGET_RATE_LIMIT_PER_KEY="3 per hour",
                          WIDGET_RATE_LIMIT_PER_IP="100 per hour")
    client = limited.test_client()
    wc = WidgetClient(client, widget_org_of(app, api.org_id))
    for i in range(10):
        client.environ_base["REMOTE_ADDR"] = f"10.1.0.{i}"
        assert wc.post("display", userHash="0" * 64).status_code == 401
        assert wc.survey().status_code == 200
        assert client.get("/widget/v1/pk_not_a_key/surveys/cancel-flow").status_code == 404
    client.environ_base["REMOTE_ADDR"] = "10.2.0.1"
    assert [wc.post("display", visit=f"visit-{i:016d}").status_code for i in range(4)] == [200] * 3 + [429]


def test_every_429_says_when_to_retry(app, test_database, tmp_path, api, survey):
    # Per minute: the Retry-After is checked against the window. (The other limits here are per hour, so that
    # a run of requests never straddles a window boundary, where the sliding window lets one more through.)
    limited = limited_app(test_database, tmp_path, WIDGET_RATE_LIMIT_PER_IP="2 per minute")
    wc = WidgetClient(limited.test_client(), widget_org_of(app, api.org_id))
    codes = [wc.survey().status_code, wc.post("display").status_code]
    r = wc.post("display", userHash="0" * 64)
    assert codes == [200, 200] and r.status_code == 429
    assert 0 < int(r.headers["Retry-After"]) <= 60 and r.get_json()["error"]["code"] == "too_many_requests"


@pytest.mark.parametrize("proxies", [0, 1])
def test_the_client_address_comes_from_the_proxy_only_when_told(app, test_database, tmp_path, api, survey, proxies):
    """SURVEYHUB_PROXY_FIX=N trusts N proxies' X-Forwarded-For; without it the header can't dodge a limit."""
    limited = limited_app(test_database, tmp_path, WIDGET_RATE_LIMIT_PER_IP="2 per hour", PROXY_FIX=proxies)
    wc = WidgetClient(limited.test_client(), widget_org_of(app, api.org_id))
    codes = [wc.client.get(wc.root, headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(4)]
    assert codes == ([200] * 4 if proxies else [200, 200, 429, 429])


def test_limits_are_kept_in_redis_when_configured(app, test_database, tmp_path, api, survey):
    limited = limited_app(test_database, tmp_path, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
                          WIDGET_RATE_LIMIT_PER_IP="2 per hour")
    client = limited.test_client()
    # An address of this test's own, so that other runs sharing the Redis server don't count against it.
    ip = "10." + ".".join(str(b) for b in uuid.uuid4().bytes[:3])
    wc = WidgetClient(client, widget_org_of(app, api.org_id))
    key = wc.org.key
    client.environ_base["REMOTE_ADDR"] = ip
    server = redis.Redis(host="127.0.0.1", port=6379, db=0)
    try:
        codes = [wc.post("display").status_code, wc.survey().status_code, wc.survey().status_code]
        assert codes == [200, 200, 429]
        assert server.keys(f"*/{ip}/widget-ip/*") and server.keys(f"*/{key}/widget-key/*")
    finally:
        for pattern in (f"*/{ip}/*", f"*/{key}/*"):
            for name in server.scan_iter(pattern):
                server.delete(name)
        server.close()


# --- the script and the demo page --------------------------------------------------------------------

def test_widget_js_is_served_with_caching_headers_and_an_etag(client):
    r = client.get("/widget.js")
    assert r.status_code == 200 and r.mimetype == "text/javascript"
    assert r.data.startswith(b"/* SurveyHub widget")
    assert r.headers["ETag"] and "max-age=300" in r.headers["Cache-Control"]
    assert "public" in r.headers["Cache-Control"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get("/widget.js", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_demo_page_without_the_demo_says_how_to_seed_it(client):
    r = client.get("/demo")
    assert r.status_code == 404 and b"surveyhub demo" in r.data


def test_demo_page_runs_the_widget_against_the_demo_org(app, client, runner):
    output = runner.invoke(args=["demo"]).output
    assert "http://surveys.test/demo" in output
    r = client.get("/demo?locale=ms")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    credentials = json.loads((Path(app.instance_path) / "demo-credentials.json").read_text())
    assert credentials["widget_key"] in html and 'src="/widget.js"' in html
    with client.session_transaction() as session:
        visitor = session["demo_visitor"]
    assert user_hash(credentials["signing_secret"], visitor) in html
    assert '"ms"' in html and 'SurveyHub.open("cancel-flow")' in html
