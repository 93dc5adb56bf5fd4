"""Follow-ups (CONTRACT §10): opened by the answers on every channel, listed and changed by API and dashboard."""

from __future__ import annotations

import json
import re

import pytest
from standardwebhooks.webhooks import Webhook

from surveyhub.models import FollowUp
from tests.helpers import PASSWORD, WidgetClient, count, survey_definition, widget_org_of
from tests.test_dashboard import _manager
from tests.test_hosted_page import Page, mailed  # noqa: F401 - fixture
from tests.test_sms import AMY, converse, daytime, published, reply, sms_invite  # noqa: F401 - fixtures
from tests.test_surveys_api import error_fields
from tests.test_webhooks import allow_private, receiver, register  # noqa: F401 - fixtures

DETRACTOR = [{"question": "reason", "value": "features"}, {"question": "satisfaction", "value": 2},
             {"question": "nps", "value": 3}, {"question": "come_back", "value": True}]
PROMOTER = [{"question": "reason", "value": "features"}, {"question": "satisfaction", "value": 6},
            {"question": "nps", "value": 10}, {"question": "come_back", "value": True}]
PRO_PRICE = {"id": "pro_price", "when": {"all": [{"question": "reason", "in": ["price"]},
                                                 {"attribute": "plan", "equals": "pro"}]}}


def staff(api, survey_id: int, answers, external_id: str | None = None) -> dict:
    r = api.post(f"/api/v1/surveys/{survey_id}/responses",
                 json={"answers": answers, "complete": True, **({"external_id": external_id} if external_id else {})})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def listed(api, survey_id: int, query: str = "") -> dict:
    r = api.get(f"/api/v1/surveys/{survey_id}/follow-ups{query}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_a_detractor_interview_opens_one_follow_up_and_a_promoter_none(api, make_survey):
    survey = make_survey()
    detractor = staff(api, survey["id"], DETRACTOR)
    staff(api, survey["id"], PROMOTER)
    page = listed(api, survey["id"])
    assert page["next_cursor"] is None
    [follow_up] = page["data"]
    assert follow_up["response_id"] == detractor["id"] and follow_up["reason"] == "detractor"
    assert (follow_up["status"], follow_up["owner"], follow_up["due"], follow_up["notes"]) == ("open", None, None, [])


def test_a_detractor_on_the_widget_opens_one_follow_up_even_when_answered_again(app, db, client, api, make_survey):
    survey = make_survey()
    wc = WidgetClient(client, widget_org_of(app, api.org_id))
    for value in (2, 4):  # answering again replaces the answer: still one follow-up
        assert wc.post("answers", question="reason", value="features").status_code == 200
        r = wc.post("answers", question="nps", value=value)
        assert r.status_code == 200, r.get_json()
    [follow_up] = listed(api, survey["id"])["data"]
    assert follow_up["reason"] == "detractor"
    assert count(app, FollowUp) == 1


def test_a_detractor_on_the_hosted_page_opens_one(api, client, mailed):  # noqa: F811
    survey, links = mailed()
    page = Page(client, links[0])
    page.answer("reason", "price")
    page.answer("satisfaction", "6")
    page.answer("nps", "1")
    [follow_up] = listed(api, survey["id"])["data"]
    assert follow_up["reason"] == "detractor"


def test_a_detractor_by_sms_opens_one(app, api, make_survey, sms_invite, run_worker, converse):  # noqa: F811
    survey = published(make_survey)
    sms_invite(survey["id"], {"phone": AMY, "external_id": "c1"})
    run_worker()
    converse(AMY, "2")
    converse(AMY, "6")
    assert listed(api, survey["id"])["data"] == []
    converse(AMY, "0")
    [follow_up] = listed(api, survey["id"])["data"]
    assert follow_up["reason"] == "detractor"


def test_a_rule_on_an_answer_and_an_attribute_opens_one(app, client, api, make_survey):
    survey = make_survey(follow_ups=[PRO_PRICE])
    wc = WidgetClient(client, widget_org_of(app, api.org_id))  # the widget user's plan is "pro"
    assert wc.post("display").status_code == 200  # as widget.js does: it gives the person's attributes
    assert wc.post("answers", question="reason", value="price").status_code == 200
    [follow_up] = listed(api, survey["id"])["data"]
    assert follow_up["reason"] == "pro_price"
    free = WidgetClient(client, widget_org_of(app, api.org_id),
                        user={"id": "u_free", "attributes": {"plan": "free"}})
    assert free.post("display", visit="visit-free-0123456789").status_code == 200
    assert free.post("answers", visit="visit-free-0123456789", question="reason", value="price").status_code == 200
    assert len(listed(api, survey["id"])["data"]) == 1


@pytest.mark.parametrize(("rules", "field"), [
    ([{"id": "x", "when": {"question": "nope", "equals": 1}}], "follow_ups.0.when"),
    ([{"id": "x", "when": {"attribute": "", "equals": 1}}], "follow_ups.0.when"),
    ([{"id": "x", "when": {"question": "reason", "in": ["gold"]}}], "follow_ups.0.when"),
    ([{"id": "detractor", "when": {"question": "nps", "lte": 6}}], "follow_ups.0.id"),
    ([{"id": "manual", "when": {"question": "nps", "lte": 6}}], "follow_ups.0.id"),
    ([PRO_PRICE, PRO_PRICE], "follow_ups.1.id"),
])
def test_bad_rules_are_refused(api, row_counts, rules, field):
    before = row_counts()
    r = api.post("/api/v1/surveys", json=survey_definition(follow_ups=rules))
    assert r.status_code == 422 and field in error_fields(r), r.get_json()
    assert row_counts() == before


def test_follow_up_opened_webhook_is_delivered_signed(api, make_survey, receiver, run_worker):  # noqa: F811
    hook = receiver()
    secret = register(api, hook.url, ["follow_up.opened"])["secret"]
    survey = make_survey()
    response = staff(api, survey["id"], DETRACTOR)
    run_worker()
    [(headers, body)] = hook.received
    payload = Webhook(secret).verify(body, headers)
    assert payload["type"] == "follow_up.opened"
    assert payload["data"]["response_id"] == response["id"]
    assert payload["data"]["follow_up"] == listed(api, survey["id"])["data"][0]


def test_list_filters_pages_and_patches(app, api, make_survey):
    survey = make_survey()
    ids = [staff(api, survey["id"], DETRACTOR)["id"] for _ in range(3)]
    owner = _manager(app, api.org_id, "owner@acme.test")
    first = listed(api, survey["id"], "?limit=2")
    assert [f["response_id"] for f in first["data"]] == ids[:2] and first["next_cursor"]
    second = listed(api, survey["id"], f"?limit=2&cursor={first['next_cursor']}")
    assert [f["response_id"] for f in second["data"]] == ids[2:] and second["next_cursor"] is None
    target = first["data"][0]["id"]
    r = api.patch(f"/api/v1/follow-ups/{target}",
                  json={"status": "contacted", "owner": owner, "note": "Called, <b>left</b> a message",
                        "due": "2027-01-05"})
    assert r.status_code == 200, r.get_json()
    changed = r.get_json()
    assert (changed["status"], changed["owner"], changed["due"]) == ("contacted", owner, "2027-01-05")
    assert changed["notes"][0]["text"] == "Called, <b>left</b> a message" and changed["notes"][0]["author"] == "api"
    assert [f["id"] for f in listed(api, survey["id"], "?status=contacted")["data"]] == [target]
    assert len(listed(api, survey["id"], "?status=open")["data"]) == 2
    assert [f["id"] for f in listed(api, survey["id"], f"?owner={owner}")["data"]] == [target]
    r = api.patch(f"/api/v1/follow-ups/{target}", json={"status": "resolved", "owner": None})
    assert (r.get_json()["status"], r.get_json()["owner"], len(r.get_json()["notes"])) == ("resolved", None, 1)


@pytest.mark.parametrize(("body", "field"), [
    ({"status": "closed"}, "status"),
    ({"owner": "stranger@else.test"}, "owner"),
    ({"due": "soon"}, "due"),
    ({}, "status"),
    ({"note": ""}, "note"),
])
def test_bad_patches_are_refused(api, make_survey, row_counts, body, field):
    survey = make_survey()
    staff(api, survey["id"], DETRACTOR)
    [follow_up] = listed(api, survey["id"])["data"]
    before = row_counts()
    r = api.patch(f"/api/v1/follow-ups/{follow_up['id']}", json=body)
    assert r.status_code == 422 and field in error_fields(r), r.get_json()
    assert row_counts() == before
    assert listed(api, survey["id"])["data"] == [follow_up]


def test_another_orgs_follow_ups_are_not_found(app, api, other_api, make_survey):
    survey = make_survey()
    staff(api, survey["id"], DETRACTOR)
    [follow_up] = listed(api, survey["id"])["data"]
    assert other_api.get(f"/api/v1/surveys/{survey['id']}/follow-ups").status_code == 404
    assert other_api.patch(f"/api/v1/follow-ups/{follow_up['id']}", json={"status": "resolved"}).status_code == 404
    stranger = _manager(app, other_api.org_id, "else@other.test")
    r = api.patch(f"/api/v1/follow-ups/{follow_up['id']}", json={"owner": stranger})
    assert r.status_code == 422 and "owner" in error_fields(r)
    assert api.get(f"/api/v1/surveys/{survey['id']}/follow-ups?status=nope").status_code == 422


def _signed_in(app, client, email: str):
    html = client.get("/dashboard/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    assert client.post("/dashboard/login", data={"csrf_token": token, "email": email,
                                                 "password": PASSWORD}).status_code == 302


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_dashboard_lists_changes_and_shows_mine(app, client, api, other_api, make_survey):
    survey = make_survey()
    response = staff(api, survey["id"], DETRACTOR, external_id="cust-<script>")
    boss = _manager(app, api.org_id, "boss@acme.test")
    _signed_in(app, client, boss)
    url = f"/dashboard/surveys/{survey['id']}/follow-ups"
    html = client.get(url).get_data(as_text=True)
    assert f'href="/dashboard/responses/{response["id"]}"' in html and "Detractor (NPS 0–6)" in html
    [follow_up] = listed(api, survey["id"])["data"]
    assert "Nobody to follow up" in client.get("/dashboard/follow-ups/mine").get_data(as_text=True)
    r = client.post(f"/dashboard/follow-ups/{follow_up['id']}", data={
        "csrf_token": _token(html), "status": "contacted", "owner": boss, "due": "2027-02-01",
        "note": "<script>alert(1)</script>", "back": url})
    assert r.status_code == 302 and r.headers["Location"].endswith(url)
    mine = client.get("/dashboard/follow-ups/mine?status=contacted").get_data(as_text=True)
    assert "Follow-up saved." in mine and "2027-02-01" in mine
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in mine and "<script>alert(1)" not in mine
    assert "Nobody to follow up" in client.get(url).get_data(as_text=True)  # open only, by default
    # Without its CSRF token nothing changes; a stranger's owner is refused; another org's is 404.
    assert client.post(f"/dashboard/follow-ups/{follow_up['id']}", data={"status": "resolved"}).status_code == 400
    r = client.post(f"/dashboard/follow-ups/{follow_up['id']}", data={
        "csrf_token": _token(html), "status": "resolved", "owner": "nobody@else.test"}, follow_redirects=True)
    assert "Not saved" in r.get_data(as_text=True)
    assert listed(api, survey["id"])["data"][0]["status"] == "contacted"
    other = other_api.post("/api/v1/surveys", json=survey_definition()).get_json()
    assert client.get(f"/dashboard/surveys/{other['id']}/follow-ups").status_code == 404


def test_a_manager_opens_one_by_hand_on_the_response_page_and_works_it_there(app, client, api, other_api,
                                                                            make_survey, receiver,  # noqa: F811
                                                                            run_worker):
    hook = receiver()
    register(api, hook.url, ["follow_up.opened"])
    survey = make_survey()
    promoter = staff(api, survey["id"], PROMOTER)
    detractor = staff(api, survey["id"], DETRACTOR)
    boss = _manager(app, api.org_id, "boss@acme.test")
    _signed_in(app, client, boss)
    page = client.get(f"/dashboard/responses/{detractor['id']}").get_data(as_text=True)
    assert "Detractor (NPS 0–6)" in page and 'class="follow-up-form"' in page  # the detractor's, with its form
    page = client.get(f"/dashboard/responses/{promoter['id']}").get_data(as_text=True)
    assert 'id="follow-ups-empty"' in page and 'id="open-follow-up"' in page
    opened = f"/dashboard/responses/{promoter['id']}/follow-up"
    assert client.post(opened, data={"note": "no token"}).status_code == 400
    r = client.post(opened, data={"csrf_token": _token(page), "note": "Ask about <b>pricing</b>"},
                    follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "Follow-up opened." in html and "Opened by hand" in html and 'id="open-follow-up"' not in html
    assert "Ask about &lt;b&gt;pricing&lt;/b&gt;" in html
    [by_hand] = [f for f in listed(api, survey["id"])["data"] if f["response_id"] == promoter["id"]]
    assert (by_hand["reason"], by_hand["status"], by_hand["owner"]) == ("manual", "open", boss)
    assert [n["text"] for n in by_hand["notes"]] == ["Ask about <b>pricing</b>"]
    # A second is refused, naming none twice; the card's form on the response page resolves it.
    r = client.post(opened, data={"csrf_token": _token(page)}, follow_redirects=True)
    assert "already has a follow-up opened by hand" in r.get_data(as_text=True)
    assert len([f for f in listed(api, survey["id"])["data"] if f["response_id"] == promoter["id"]]) == 1
    back = f"/dashboard/responses/{promoter['id']}"
    r = client.post(f"/dashboard/follow-ups/{by_hand['id']}", data={
        "csrf_token": _token(page), "status": "resolved", "owner": boss, "note": "Done", "back": back})
    assert r.status_code == 302 and r.headers["Location"].endswith(back)
    assert listed(api, survey["id"], "?status=resolved")["data"][0]["id"] == by_hand["id"]
    other = other_api.post("/api/v1/surveys", json=survey_definition()).get_json()
    theirs = other_api.post(f"/api/v1/surveys/{other['id']}/publish")
    assert theirs.status_code == 200
    r = other_api.post(f"/api/v1/surveys/{other['id']}/responses", json={"answers": PROMOTER})
    assert client.post(f"/dashboard/responses/{r.get_json()['id']}/follow-up",
                       data={"csrf_token": _token(page)}).status_code == 404
    run_worker()
    reasons = sorted(json.loads(body)["data"]["follow_up"]["reason"] for _, body in hook.received)
    assert reasons == ["detractor", "manual"]  # follow_up.opened for both, the one by hand too


def test_erasing_the_person_removes_their_follow_ups(api, make_survey):
    survey = make_survey()
    staff(api, survey["id"], DETRACTOR, external_id="cust-9")
    assert len(listed(api, survey["id"])["data"]) == 1
    assert api.delete("/api/v1/respondents/cust-9").status_code in (200, 202, 204)
    assert listed(api, survey["id"])["data"] == []
