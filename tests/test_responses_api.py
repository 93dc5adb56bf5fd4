"""Staff-entered responses, the answer rules over HTTP, listing, CSV export and erasure."""

import csv
import io
import json

import pytest

from tests.helpers import WidgetClient, widget_org_of
from tests.test_surveys_api import error_fields
from tests.test_webhooks import Receiver


@pytest.fixture
def survey(make_survey):
    return make_survey()


@pytest.fixture
def post_response(api, survey):
    def post(body):
        return api.post(f"/api/v1/surveys/{survey['id']}/responses", json=body)
    return post


FULL = [{"question": "reason", "value": "other", "other_text": "Company closed"},
        {"question": "satisfaction", "value": 2}, {"question": "nps", "value": 3},
        {"question": "come_back", "value": False}, {"question": "why_not", "value": "Harga terlalu tinggi"}]


def test_staff_response_completed(post_response, survey):
    r = post_response({"external_id": "cust-1", "answers": FULL, "complete": True, "metadata": {"agent": "amy"}})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "completed" and body["channel"] == "interview" and body["version"] == 1
    assert body["external_id"] == "cust-1" and body["survey_id"] == survey["id"]
    assert body["answers"][0] == {"question": "reason", "value": "other", "other_text": "Company closed"}
    assert body["metadata"] == {"agent": "amy"} and body["completed_at"]


def test_staff_response_partial_by_default(post_response):
    body = post_response({"answers": [{"question": "nps", "value": 10}]}).get_json()
    assert body["status"] == "partial" and body["completed_at"] is None and body["external_id"] is None


def test_completion_needs_required_answers(post_response, row_counts):
    before = row_counts()
    r = post_response({"answers": [{"question": "nps", "value": 10}], "complete": True})
    assert r.status_code == 422
    assert {"answers.reason", "answers.satisfaction", "answers.come_back"} <= set(error_fields(r))
    assert row_counts() == before


def test_show_if_order_independent(post_response):
    answers = [FULL[4], *FULL[:4]]
    assert post_response({"answers": answers, "complete": True}).status_code == 201


BAD_ANSWERS = [
    ({"question": "nps", "value": 11}, "answers.0.value"),
    ({"question": "nps", "value": -1}, "answers.0.value"),
    ({"question": "nps", "value": "9"}, "answers.0.value"),
    ({"question": "nps", "value": 9.5}, "answers.0.value"),
    ({"question": "nps", "value": True}, "answers.0.value"),
    ({"question": "satisfaction", "value": 0}, "answers.0.value"),
    ({"question": "satisfaction", "value": 8}, "answers.0.value"),
    ({"question": "reason", "value": "cheaper-elsewhere"}, "answers.0.value"),
    ({"question": "reason", "value": "other"}, "answers.0.other_text"),
    ({"question": "reason", "value": "other", "other_text": ""}, "answers.0.other_text"),
    ({"question": "reason", "value": "price", "other_text": "x"}, "answers.0.other_text"),
    ({"question": "come_back", "value": "yes"}, "answers.0.value"),
    ({"question": "why_not", "value": "hidden unless come_back is false"}, "answers.0.question"),
    ({"question": "ghost", "value": 1}, "answers.0.question"),
    ({"question": "nps"}, "answers.0.value"),
    ({"question": "nps", "value": None}, "answers.0.value"),
    ({"value": 3}, "answers.0.question"),
    ({"question": 7, "value": 3}, "answers.0.question"),
    ({"question": "nps", "value": 3, "extra": 1}, "answers.0.extra"),
]


@pytest.mark.parametrize(("answer", "field"), BAD_ANSWERS, ids=[repr(a)[:50] for a, _ in BAD_ANSWERS])
def test_bad_answers_are_refused_naming_the_field(post_response, row_counts, answer, field):
    before = row_counts()
    r = post_response({"answers": [answer]})
    assert r.status_code == 422, r.get_json()
    assert field in error_fields(r), r.get_json()
    assert row_counts() == before


def test_other_without_allow_other(api, make_survey, row_counts):
    from tests.helpers import survey_definition
    definition = survey_definition(slug="no-other")
    definition["questions"][0]["allow_other"] = False
    created = api.post("/api/v1/surveys", json=definition).get_json()
    api.post(f"/api/v1/surveys/{created['id']}/publish")
    before = row_counts()
    r = api.post(f"/api/v1/surveys/{created['id']}/responses",
                 json={"answers": [{"question": "reason", "value": "other", "other_text": "x"}]})
    assert r.status_code == 422 and "answers.0.value" in error_fields(r)
    assert row_counts() == before


def test_empty_and_very_long_open_text(api, post_response):
    base = [{"question": "come_back", "value": False}]
    for text in ("", " \n "):
        r = post_response({"answers": [*base, {"question": "why_not", "value": text}]})
        assert r.status_code == 422 and "answers.1.value" in error_fields(r)
    r = post_response({"answers": [*base, {"question": "why_not", "value": "x" * 2001}]})
    assert r.status_code == 422 and "answers.1.value" in error_fields(r)
    assert post_response({"answers": [*base, {"question": "why_not", "value": "x" * 2000}]}).status_code == 201


def test_repeated_question_is_refused(post_response, row_counts):
    before = row_counts()
    r = post_response({"answers": [{"question": "nps", "value": 1}, {"question": "nps", "value": 2}]})
    assert r.status_code == 422 and "answers.1.question" in error_fields(r)
    assert row_counts() == before


def test_unpublished_survey_takes_no_responses(api, make_survey):
    draft = make_survey(publish=False)
    r = api.post(f"/api/v1/surveys/{draft['id']}/responses", json={"answers": []})
    assert r.status_code == 409 and "survey" in error_fields(r)


@pytest.mark.parametrize("text", [
    "Harga terlalu tinggi untuk pasukan kami.",
    "太贵了，而且缺少中文界面。",
    "Robert'); DROP TABLE answers;--",
    "<img src=x onerror=alert(1)> & <b>bold</b>",
    "emoji 🙂 and combining é",
])
def test_text_round_trips_verbatim(api, post_response, survey, text):
    r = post_response({"answers": [{"question": "come_back", "value": False},
                                   {"question": "why_not", "value": text},
                                   {"question": "reason", "value": "other", "other_text": text}]})
    assert r.status_code == 201
    listed = api.get(f"/api/v1/surveys/{survey['id']}/responses").get_json()["data"][0]
    answers = {a["question"]: a for a in listed["answers"]}
    assert answers["why_not"]["value"] == text
    assert answers["reason"]["other_text"] == text


def test_listing_filters_and_paginates(api, post_response, survey):
    for i in range(7):
        body = {"answers": FULL, "complete": True} if i % 2 else {"answers": [{"question": "nps", "value": i}]}
        assert post_response(body).status_code == 201
    url = f"/api/v1/surveys/{survey['id']}/responses"
    ids, cursor = [], None
    while True:
        page = api.get(url + "?limit=3" + (f"&cursor={cursor}" if cursor else "")).get_json()
        ids += [r["id"] for r in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(ids) == 7 and ids == sorted(ids)
    assert len(api.get(url + "?status=completed").get_json()["data"]) == 3
    assert len(api.get(url + "?status=partial&channel=interview").get_json()["data"]) == 4
    assert api.get(url + "?channel=sms").get_json()["data"] == []
    assert len(api.get(url + "?since=2000-01-01T00:00:00Z").get_json()["data"]) == 7
    assert api.get(url + "?since=2999-01-01T00:00:00").get_json()["data"] == []


@pytest.mark.parametrize(("query", "field"), [
    ("channel=fax", "channel"), ("status=done", "status"), ("since=yesterday", "since"),
    ("limit=0", "limit"), ("limit=100000", "limit"), ("cursor=bm90LWEtY3Vyc29y", "cursor"), ("bogus=1", "bogus"),
])
def test_bad_listing_queries(api, survey, query, field):
    r = api.get(f"/api/v1/surveys/{survey['id']}/responses?{query}")
    assert r.status_code == 422, r.get_json()
    assert field in error_fields(r)


def test_csv_export(api, post_response, survey):
    post_response({"external_id": "c1", "answers": FULL, "complete": True})
    post_response({"answers": [{"question": "reason", "value": "price"}, {"question": "nps", "value": 9},
                               {"question": "come_back", "value": True}]})
    post_response({"answers": [{"question": "reason", "value": "other", "other_text": "=HYPERLINK(\"x\")"}]})
    url = f"/api/v1/surveys/{survey['id']}/responses"
    for query, headers in (("?format=csv", {}), ("", {"Accept": "text/csv"})):
        r = api.get(url + query, headers=headers)
        assert r.status_code == 200 and r.mimetype == "text/csv"
        rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
        assert len(rows) == 3
        assert rows[0]["external_id"] == "c1" and rows[0]["reason"] == "Other: Company closed"
        assert rows[0]["reason_other"] == "Company closed" and rows[0]["why_not"] == "Harga terlalu tinggi"
        assert rows[0]["come_back"] == "no" and rows[0]["status"] == "completed"
        assert rows[1]["reason"] == "Too expensive" and rows[1]["nps"] == "9" and rows[1]["come_back"] == "yes"
        # Formula-looking text is kept as text for spreadsheets.
        assert rows[2]["reason_other"] == "'=HYPERLINK(\"x\")"
        assert rows[2]["reason"] == "Other: =HYPERLINK(\"x\")"  # starts with the label: text already


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_csv_export_opens_cleanly_in_a_spreadsheet(app, client, api, invite, post_response, survey):
    invite(survey["id"], {"external_id": "c1", "email": "c1@example.com", "locale": "zh-CN",
                          "attributes": {"plan": "pro", "company": "示例公司", "seats": 12}},
           {"external_id": "c2", "email": "c2@example.com", "attributes": {"plan": "=HYPERLINK(\"x\")"}})
    assert post_response({"external_id": "c1", "answers": [
        {"question": "reason", "value": "other", "other_text": "更便宜的工具"},
        {"question": "come_back", "value": False}, {"question": "why_not", "value": "价格太贵了"}]}).status_code == 201
    assert post_response({"external_id": "c2", "answers": [
        {"question": "reason", "value": "other", "other_text": "=1+1"},
        {"question": "come_back", "value": False}, {"question": "why_not", "value": "+SUM(A1:A9)"}]}).status_code == 201
    # A widget opened and closed: a response with no answer.
    widget = WidgetClient(client, widget_org_of(app, api.org_id), user={"id": "w1", "attributes": {"tier": "gold"}})
    assert widget.post("display").status_code == 200 and widget.post("dismiss").status_code == 200
    url = f"/api/v1/surveys/{survey['id']}/responses?format=csv"

    plain = api.get(url)
    assert plain.status_code == 200 and not plain.get_data().startswith(b"\xef\xbb\xbf")
    with_bom = api.get(url + "&bom=1")
    assert with_bom.get_data().startswith(b"\xef\xbb\xbf") and with_bom.get_data()[3:] == plain.get_data()
    rows = _csv(with_bom)
    assert [r["external_id"] for r in rows] == ["c1", "c2"]  # the empty widget response is left out
    header = list(rows[0])
    assert header[:8] == ["response_id", "external_id", "channel", "status", "version", "started_at",
                          "completed_at", "locale"]
    assert header[8:11] == ["attr.company", "attr.plan", "attr.seats"] and "attr.tier" not in header
    first, second = rows
    assert (first["locale"], first["attr.company"], first["attr.plan"], first["attr.seats"]) == \
        ("zh-CN", "示例公司", "pro", "12")
    assert first["reason"] == "Other: 更便宜的工具" and first["reason_other"] == "更便宜的工具"
    assert first["why_not"] == "价格太贵了"
    # Formula-looking values stay text.
    assert second["attr.plan"] == "'=HYPERLINK(\"x\")" and second["locale"] == "" and second["attr.company"] == ""
    assert second["reason"] == "Other: =1+1" and second["reason_other"] == "'=1+1"
    assert second["why_not"] == "'+SUM(A1:A9)"

    everything = _csv(api.get(url + "&include_empty=true"))
    assert [r["external_id"] for r in everything] == ["c1", "c2", "w1"]
    assert everything[2]["attr.tier"] == "gold" and everything[2]["reason"] == ""
    # The JSON listing still lists every response.
    assert len(api.get(f"/api/v1/surveys/{survey['id']}/responses").get_json()["data"]) == 3


@pytest.mark.parametrize("query, field", [("bom=maybe", "bom"), ("include_empty=perhaps", "include_empty")])
def test_bad_export_options_are_refused_naming_them(api, survey, query, field):
    r = api.get(f"/api/v1/surveys/{survey['id']}/responses?format=csv&{query}")
    assert r.status_code == 422 and field in error_fields(r)


def test_export_options_are_in_the_openapi_spec(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    [operation] = [op["get"] for path, op in spec["paths"].items() if path.endswith("/surveys/{survey_id}/responses")]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["bom"]["schema"]["type"] == "boolean" and "byte order mark" in parameters["bom"]["description"]
    assert parameters["include_empty"]["schema"]["type"] == "boolean"


def test_csv_export_streams_many_rows(db, api, survey):
    from surveyhub.accounts import surveys
    from surveyhub.responses import answers as responses
    s = surveys.get_survey(api.org_id, survey["id"])
    for i in range(1203):
        response = responses.start_response(s, "web")
        responses._apply_answers(response, [("nps", i % 11, None)])
    db.session.commit()
    r = api.get(f"/api/v1/surveys/{survey['id']}/responses?format=csv")
    assert r.is_streamed
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert len(rows) == 1204
    assert [row[0] for row in rows[1:]] == [str(i) for i in range(1, 1204)]


def test_erase_respondent(api, other_api, post_response, survey, row_counts):
    post_response({"external_id": "gone", "answers": FULL, "complete": True})
    post_response({"external_id": "stays", "answers": FULL, "complete": True})
    assert other_api.delete("/api/v1/respondents/gone").status_code == 404
    assert api.delete("/api/v1/respondents/gone").status_code == 204
    listed = api.get(f"/api/v1/surveys/{survey['id']}/responses").get_json()["data"]
    assert [r["external_id"] for r in listed] == ["stays"]
    counts = row_counts()
    assert counts["respondents"] == 1 and counts["answers"] == len(FULL)
    assert api.delete("/api/v1/respondents/gone").status_code == 404


def test_erasure_removes_the_address_from_invitations(db, api, make_survey, invite):
    from sqlalchemy import select

    from surveyhub.models import Invitation
    survey = make_survey()
    invite(survey["id"], {"external_id": "gone", "email": "gone@example.com"})
    assert api.delete("/api/v1/respondents/gone").status_code == 204
    kept = db.execute(select(Invitation)).scalar_one()
    assert kept.address is None and kept.respondent_id is None


# ---------------------------------------------------------------- GET and PATCH /responses/{id}

def test_get_one_response_and_another_orgs_is_404(api, other_api, post_response):
    posted = post_response({"external_id": "one", "answers": FULL, "complete": True}).get_json()
    got = api.get(f"/api/v1/responses/{posted['id']}")
    assert got.status_code == 200 and got.get_json() == posted
    assert other_api.get(f"/api/v1/responses/{posted['id']}").status_code == 404
    assert api.get(f"/api/v1/responses/{posted['id'] + 1000}").status_code == 404


def test_patch_adds_and_replaces_answers_then_finishes(api, post_response, survey):
    partial = post_response({"external_id": "ph-1", "answers": [{"question": "nps", "value": 3}]}).get_json()
    url = f"/api/v1/responses/{partial['id']}"
    r = api.patch(url, json={"answers": [{"question": "nps", "value": 9},
                                         {"question": "reason", "value": "price"}]})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "partial" and body["completed_at"] is None
    assert {a["question"]: a["value"] for a in body["answers"]} == {"nps": 9, "reason": "price"}
    r = api.patch(url, json={"answers": [{"question": "satisfaction", "value": 4},
                                         {"question": "come_back", "value": True}], "complete": True})
    assert r.status_code == 200, r.get_json()
    done = r.get_json()
    assert done["status"] == "completed" and done["completed_at"] and done["external_id"] == "ph-1"
    assert api.get(url).get_json() == done
    stats = api.get(f"/api/v1/surveys/{survey['id']}/stats").get_json()["channels"]["interview"]
    assert (stats["responded"], stats["completed"]) == (1, 1)
    nps = api.get(f"/api/v1/surveys/{survey['id']}/stats").get_json()["questions"]["nps"]
    assert nps["distribution"]["9"] == 1 and nps["distribution"]["3"] == 0


def test_patch_completion_needs_required_answers(api, post_response, row_counts):
    partial = post_response({"answers": [{"question": "nps", "value": 3}]}).get_json()
    before = row_counts()
    r = api.patch(f"/api/v1/responses/{partial['id']}", json={"complete": True})
    assert r.status_code == 422 and "answers.reason" in error_fields(r), r.get_json()
    assert row_counts() == before
    assert api.get(f"/api/v1/responses/{partial['id']}").get_json()["status"] == "partial"


@pytest.mark.parametrize(("answers", "field"), [
    ([{"question": "nps", "value": 11}], "answers.0.value"),
    ([{"question": "reason", "value": "price"}, {"question": "nope", "value": 1}], "answers.1.question"),
    ([{"question": "nps", "value": 5}, {"question": "nps", "value": 6}], "answers.1.question"),
    ([{"question": "reason", "value": "other"}], "answers.0.other_text"),
])
def test_patch_bad_answers_are_refused_naming_the_field(api, post_response, row_counts, answers, field):
    partial = post_response({"answers": [{"question": "nps", "value": 3}]}).get_json()
    before = row_counts()
    r = api.patch(f"/api/v1/responses/{partial['id']}", json={"answers": answers})
    assert r.status_code == 422 and field in error_fields(r), r.get_json()
    assert row_counts() == before
    assert api.get(f"/api/v1/responses/{partial['id']}").get_json()["answers"] == partial["answers"]


def test_patch_refuses_completed_other_channels_and_other_orgs(app, client, api, other_api, post_response, survey,
                                                               row_counts):
    done = post_response({"answers": FULL, "complete": True}).get_json()
    widget = WidgetClient(client, widget_org_of(app, api.org_id), user={"id": "w9"})
    assert widget.post("display").status_code == 200
    widget_response = api.get(f"/api/v1/surveys/{survey['id']}/responses?channel=widget").get_json()["data"][0]
    partial = post_response({"answers": [{"question": "nps", "value": 3}]}).get_json()
    before = row_counts()
    change = {"answers": [{"question": "nps", "value": 10}]}
    completed = api.patch(f"/api/v1/responses/{done['id']}", json=change)
    assert completed.status_code == 409 and completed.get_json()["error"]["fields"] == {"response": "is completed"}
    assert api.patch(f"/api/v1/responses/{widget_response['id']}", json=change).status_code == 409
    assert other_api.patch(f"/api/v1/responses/{partial['id']}", json=change).status_code == 404
    assert row_counts() == before


def test_patch_finishing_fires_the_completed_webhook(app, api, post_response, run_worker):

    hook = Receiver([])
    try:
        app.config["WEBHOOK_ALLOW_PRIVATE"] = True
        assert api.post("/api/v1/webhooks", json={"url": hook.url, "events": ["response.completed"]}).status_code == 201
        partial = post_response({"external_id": "ph-2", "answers": FULL}).get_json()
        run_worker()
        assert hook.received == []
        done = api.patch(f"/api/v1/responses/{partial['id']}", json={"complete": True}).get_json()
        run_worker()
        (_, body), = hook.received
        assert json.loads(body)["data"]["response"] == done
    finally:
        hook.stop()
