"""The dashboard's responses list, response page, erasure and interview form, over the test client."""

from __future__ import annotations

import re

import pytest

from tests.helpers import PASSWORD, WidgetClient, survey_definition, widget_org_of
from tests.test_dashboard import FULL, _manager

XSS = "<script>alert(1)</script> & <b>bold</b>"


def _csrf(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.fixture
def signed_in(app, client, api):
    """The test client signed in as a manager of the `api` org."""
    email = _manager(app, api.org_id, "boss@acme.test")
    token = _csrf(client, "/dashboard/login")
    assert client.post("/dashboard/login", data={"csrf_token": token, "email": email,
                                                  "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def survey(api, make_survey):
    """A published survey with a Malay translation of its first question and choices."""
    definition = survey_definition()
    definition["questions"][0]["text"] = {"en": "Main reason for cancelling?", "ms": "Sebab utama membatalkan?"}
    definition["questions"][0]["choices"][0]["label"] = {"en": "Too expensive", "ms": "Terlalu mahal"}
    return make_survey(**{k: v for k, v in definition.items() if k != "slug"})


@pytest.fixture
def post(api, survey):
    def send(body: dict) -> dict:
        r = api.post(f"/api/v1/surveys/{survey['id']}/responses", json=body)
        assert r.status_code == 201, r.get_json()
        return r.get_json()
    return send


def _listed(client, survey_id: int, query: str = "") -> list[int]:
    r = client.get(f"/dashboard/surveys/{survey_id}/responses{query}")
    assert r.status_code == 200, r.get_data(as_text=True)
    return [int(i) for i in re.findall(r'data-response-id="(\d+)"', r.get_data(as_text=True))]


def test_filters_each_do_what_they_say(app, signed_in, api, survey, post):
    detractor = post({"external_id": "cust-1", "answers": FULL, "complete": True})["id"]
    promoter = post({"external_id": "cust-2", "answers": [{"question": "nps", "value": 10},
                     {"question": "reason", "value": "other", "other_text": "Company closed"}]})["id"]
    passive = post({"answers": [{"question": "nps", "value": 8}]})["id"]
    widget = WidgetClient(signed_in, widget_org_of(app, api.org_id), user={"id": "w1", "attributes": {"plan": "pro"}})
    widget.post("display")
    assert widget.post("answers", question="nps", value=2).status_code == 200
    from_widget = api.get(f"/api/v1/surveys/{survey['id']}/responses?channel=widget").get_json()["data"][0]["id"]
    sid = survey["id"]
    assert _listed(signed_in, sid) == [from_widget, passive, promoter, detractor]
    assert _listed(signed_in, sid, "?channel=widget") == [from_widget]
    assert _listed(signed_in, sid, "?status=completed") == [detractor]
    assert _listed(signed_in, sid, "?status=partial") == [from_widget, passive, promoter]
    assert _listed(signed_in, sid, "?nps=promoter") == [promoter]
    assert _listed(signed_in, sid, "?nps=passive") == [passive]
    assert _listed(signed_in, sid, "?nps=detractor") == [from_widget, detractor]
    assert _listed(signed_in, sid, "?attr_key=plan&attr_value=pro") == [from_widget]
    assert _listed(signed_in, sid, "?q=company+CLOSED") == [promoter]  # an "other" text
    assert _listed(signed_in, sid, "?q=us%3C%2Fb") == [detractor]  # an open answer, with markup as text
    assert _listed(signed_in, sid, "?days=7") == [from_widget, passive, promoter, detractor]
    assert _listed(signed_in, sid, "?from=2099-01-01") == []
    assert _listed(signed_in, sid, "?to=2000-01-01") == []
    # Detractors get a follow-up on their answer; resolving one leaves it under "any" only.
    assert _listed(signed_in, sid, "?follow_up=any") == [from_widget, detractor]
    assert _listed(signed_in, sid, "?follow_up=none") == [passive, promoter]
    follow_ups = api.get(f"/api/v1/surveys/{sid}/follow-ups").get_json()["data"]
    mine = next(f for f in follow_ups if f["response_id"] == detractor)
    assert api.patch(f"/api/v1/follow-ups/{mine['id']}", json={"status": "resolved"}).status_code == 200
    assert _listed(signed_in, sid, "?follow_up=unresolved") == [from_widget]
    assert _listed(signed_in, sid, "?follow_up=any&channel=widget") == [from_widget]
    r = signed_in.get(f"/dashboard/surveys/{sid}/responses?status=lost&nps=fans&days=12&follow_up=maybe")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and all(f"<code>{name}</code>" in html
                                        for name in ("status", "nps", "days", "follow_up"))


def test_the_list_pages_by_cursor_in_bounded_queries(app, signed_in, survey, post):
    ids = [post({"answers": [{"question": "nps", "value": n % 11}]})["id"] for n in range(27)]
    first = signed_in.get(f"/dashboard/surveys/{survey['id']}/responses").get_data(as_text=True)
    shown = [int(i) for i in re.findall(r'data-response-id="(\d+)"', first)]
    assert shown == ids[::-1][:25]
    older = re.search(r'id="older" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert _listed(signed_in, survey["id"], older[older.index("?"):]) == ids[1::-1]
    from sqlalchemy import event

    from surveyhub.extensions import db
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        signed_in.get(f"/dashboard/surveys/{survey['id']}/responses")
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    answer_reads = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "FROM answers" in s]
    assert len(answer_reads) <= 2, answer_reads  # one IN query for the page's answers, not one per row


def test_response_page_shows_answers_journey_and_keeps_text_as_text(signed_in, api, survey, post, invite):
    assert invite(survey["id"], {"external_id": "cust-9", "email": "nine@acme.com"})["queued"]
    answers = [a if a["question"] != "why_not" else {**a, "value": XSS} for a in FULL]
    posted = post({"external_id": "cust-9", "answers": answers, "complete": True})
    html = signed_in.get(f"/dashboard/responses/{posted['id']}").get_data(as_text=True)
    assert "Main reason for cancelling?" in html and "Too expensive" in html and "No" in html
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert 'data-invitation-id="' in html and "nine@acme.com" not in html.split('id="journey"')[1]
    for kind in ("opened", "responded", "completed", "answer"):
        assert f'data-event="{kind}"' in html, kind
    malay = signed_in.get(f"/dashboard/responses/{posted['id']}", headers={"Accept-Language": "ms"})
    malay_html = malay.get_data(as_text=True)
    assert "Sebab utama membatalkan?" in malay_html and "Terlalu mahal" in malay_html


def test_another_orgs_response_is_404(app, client, api, other_api, make_survey, signed_in):
    theirs = make_survey(api_client=other_api)
    r = other_api.post(f"/api/v1/surveys/{theirs['id']}/responses", json={"external_id": "x", "answers": FULL})
    rid = r.get_json()["id"]
    assert signed_in.get(f"/dashboard/responses/{rid}").status_code == 404
    assert signed_in.get(f"/dashboard/responses/{rid}/interview").status_code == 404
    assert signed_in.get(f"/dashboard/surveys/{theirs['id']}/responses").status_code == 404
    token = _csrf(signed_in, "/dashboard/")
    erase = signed_in.post(f"/dashboard/responses/{rid}/erase", data={"csrf_token": token, "confirm": "y"})
    assert erase.status_code == 404
    assert other_api.get(f"/api/v1/responses/{rid}").status_code == 200


def test_erase_needs_a_confirmation_then_erases_the_person(signed_in, api, survey, post, row_counts):
    gone = post({"external_id": "cust-gone", "answers": FULL, "complete": True})["id"]
    stays = post({"external_id": "cust-stays", "answers": FULL, "complete": True})["id"]
    page = f"/dashboard/responses/{gone}"
    before = row_counts()
    r = signed_in.post(f"{page}/erase", data={"csrf_token": _csrf(signed_in, page)})
    assert r.status_code == 422 and 'id="confirm-error"' in r.get_data(as_text=True)
    assert row_counts() == before
    assert signed_in.post(f"{page}/erase", data={"confirm": "y"}).status_code == 400  # no CSRF token
    r = signed_in.post(f"{page}/erase", data={"csrf_token": _csrf(signed_in, page), "confirm": "y"})
    assert r.status_code == 302
    assert signed_in.get(page).status_code == 404 and api.get(f"/api/v1/responses/{gone}").status_code == 404
    assert _listed(signed_in, survey["id"]) == [stays]


def test_interview_form_creates_then_finishes(signed_in, api, survey):
    new = f"/dashboard/surveys/{survey['id']}/interview"
    r = signed_in.post(new, data={"csrf_token": _csrf(signed_in, new), "external_id": "phone-1",
                                  "answer-nps": "4", "answer-reason": "other", "other-reason": XSS})
    assert r.status_code == 302, r.get_data(as_text=True)
    rid = int(r.headers["Location"].rsplit("/", 1)[1])
    partial = api.get(f"/api/v1/responses/{rid}").get_json()
    assert partial["status"] == "partial" and partial["channel"] == "interview" and partial["external_id"] == "phone-1"
    assert {a["question"]: a["value"] for a in partial["answers"]} == {"nps": 4, "reason": "other"}
    page = signed_in.get(f"/dashboard/responses/{rid}").get_data(as_text=True)
    assert 'id="finish-interview"' in page and XSS not in page
    finish = f"/dashboard/responses/{rid}/interview"
    r = signed_in.post(finish, data={"csrf_token": _csrf(signed_in, finish), "answer-nps": "9",
                                     "answer-reason": "price", "answer-satisfaction": "5",
                                     "answer-come_back": "yes", "complete": "y"})
    assert r.status_code == 302, r.get_data(as_text=True)
    done = api.get(f"/api/v1/responses/{rid}").get_json()
    assert done["status"] == "completed"
    assert {a["question"]: a["value"] for a in done["answers"]} == {"nps": 9, "reason": "price", "satisfaction": 5,
                                                                   "come_back": True}
    assert signed_in.get(finish).status_code == 409  # a completed interview takes no more answers


@pytest.mark.parametrize(("fields", "at"), [
    ({"answer-nps": "11"}, "nps"),
    ({"answer-satisfaction": "9"}, "satisfaction"),
    ({"answer-reason": "other", "other-reason": ""}, "reason"),
    ({"answer-come_back": "yes", "answer-why_not": "hidden"}, "why_not"),
    ({"answer-nps": "3", "complete": "y"}, "reason"),
])
def test_bad_interview_input_is_shown_at_its_field_and_nothing_saved(signed_in, survey, row_counts, fields, at):
    new = f"/dashboard/surveys/{survey['id']}/interview"
    token = _csrf(signed_in, new)
    before = row_counts()
    r = signed_in.post(new, data={"csrf_token": token, **fields})
    assert r.status_code == 422 and f'id="error-{at}"' in r.get_data(as_text=True), r.get_data(as_text=True)
    assert row_counts() == before


def test_other_channels_responses_have_no_interview_form(app, signed_in, api, survey):
    widget = WidgetClient(signed_in, widget_org_of(app, api.org_id), user={"id": "w2"})
    widget.post("display")
    rid = api.get(f"/api/v1/surveys/{survey['id']}/responses").get_json()["data"][0]["id"]
    assert 'id="finish-interview"' not in signed_in.get(f"/dashboard/responses/{rid}").get_data(as_text=True)
    assert signed_in.get(f"/dashboard/responses/{rid}/interview").status_code == 409


def test_the_survey_page_links_to_its_responses(signed_in, survey):
    html = signed_in.get(f"/dashboard/surveys/{survey['id']}").get_data(as_text=True)
    assert f'href="/dashboard/surveys/{survey["id"]}/responses"' in html


def test_interview_form_errors_are_in_the_managers_language(signed_in, survey, row_counts):
    new = f"/dashboard/surveys/{survey['id']}/interview"
    token = _csrf(signed_in, new)
    assert signed_in.post("/dashboard/language", data={"csrf_token": token, "locale": "ms"}).status_code == 302
    before = row_counts()
    r = signed_in.post(new, data={"csrf_token": token, "external_id": "x" * 201, "answer-nps": "3"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Paling banyak 200 aksara." in html, html
    assert "characters" not in html and row_counts() == before
