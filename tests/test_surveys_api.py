"""Survey definitions over the API: validation, drafts, publishing, archiving, tenancy."""

import copy

import pytest

from tests.helpers import survey_definition


def error_fields(response) -> dict:
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]["fields"]


def test_create_returns_normalized_draft(api):
    r = api.post("/api/v1/surveys", json=survey_definition())
    assert r.status_code == 201
    body = r.get_json()
    assert body["status"] == "draft" and body["version"] is None and body["has_unpublished_changes"]
    questions = {q["id"]: q for q in body["definition"]["questions"]}
    assert questions["nps"]["required"] is True
    assert questions["why_not"]["required"] is False
    assert api.get(f"/api/v1/surveys/{body['id']}").get_json()["definition"] == body["definition"]


def test_publish_freezes_numbered_versions(api, make_survey):
    survey = make_survey(publish=False)
    url = f"/api/v1/surveys/{survey['id']}"
    assert api.post(url + "/publish").get_json() == {"id": survey["id"], "version": 1, "status": "published"}
    # Publishing again without a change returns the same version.
    assert api.post(url + "/publish").get_json()["version"] == 1
    edited = survey_definition(name="Renamed")
    r = api.put(url, json=edited)
    assert r.status_code == 200
    assert r.get_json()["status"] == "published" and r.get_json()["has_unpublished_changes"]
    assert r.get_json()["version"] == 1
    assert api.post(url + "/publish").get_json()["version"] == 2
    assert api.get(url).get_json()["has_unpublished_changes"] is False


def test_responses_keep_their_version(api, make_survey):
    survey = make_survey()
    url = f"/api/v1/surveys/{survey['id']}"
    first = api.post(url + "/responses", json={"answers": [{"question": "nps", "value": 9}]}).get_json()
    changed = survey_definition()
    changed["questions"] = [q for q in changed["questions"] if q["id"] != "nps"]
    api.put(url, json=changed)
    api.post(url + "/publish")
    assert api.post(url + "/responses", json={"answers": [{"question": "nps", "value": 9}]}).status_code == 422
    listed = api.get(url + "/responses").get_json()["data"]
    assert [r["version"] for r in listed] == [1]
    assert listed[0]["id"] == first["id"]


def test_archive(api, make_survey):
    survey = make_survey()
    url = f"/api/v1/surveys/{survey['id']}"
    assert api.delete(url).status_code == 204
    assert api.get(url).get_json()["status"] == "archived"
    assert api.get("/api/v1/surveys").get_json()["data"] == []
    assert len(api.get("/api/v1/surveys?include_archived=true").get_json()["data"]) == 1
    r = api.post(url + "/responses", json={"answers": []})
    assert r.status_code == 409
    assert api.put(url, json=survey_definition()).status_code == 409


def test_list_paginates(api):
    for i in range(5):
        assert api.post("/api/v1/surveys", json=survey_definition(slug=f"s{i}")).status_code == 201
    seen, cursor = [], None
    while True:
        page = api.get("/api/v1/surveys?limit=2" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += [s["slug"] for s in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"s{i}" for i in range(5)]


def test_bad_cursor_is_named(api):
    r = api.get("/api/v1/surveys?cursor=%%%")
    assert r.status_code == 422 and "cursor" in error_fields(r)


def test_duplicate_slug_conflicts(api, row_counts):
    api.post("/api/v1/surveys", json=survey_definition())
    before = row_counts()
    r = api.post("/api/v1/surveys", json=survey_definition())
    assert r.status_code == 409 and "slug" in error_fields(r)
    assert row_counts() == before


def test_another_orgs_survey_is_404(api, other_api, make_survey):
    survey = make_survey()
    url = f"/api/v1/surveys/{survey['id']}"
    for call in (other_api.get(url), other_api.put(url, json=survey_definition()), other_api.delete(url),
                 other_api.post(url + "/publish"), other_api.get(url + "/responses"),
                 other_api.post(url + "/responses", json={"answers": []})):
        assert call.status_code == 404, call.get_json()
        assert call.get_json()["error"]["code"] == "not_found"
    assert other_api.get("/api/v1/surveys").get_json()["data"] == []
    assert api.get(url).status_code == 200


def _mutate(path, value):
    definition = survey_definition()
    node = definition
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return definition


BAD_DEFINITIONS = [
    # (path to change, new value or KeyError to delete, field the error must name)
    (["slug"], KeyError, "slug"),
    (["slug"], "Not A Slug", "slug"),
    (["name"], "", "name"),
    (["name"], 42, "name"),
    (["questions"], [], "questions"),
    (["questions"], "nope", "questions"),
    (["unknown_field"], 1, "unknown_field"),
    (["default_locale"], "english!", "default_locale"),
    (["intro"], {"ms": "Kami sedih anda pergi."}, "intro"),
    (["intro"], "", "intro"),
    (["intro"], {"en": 5}, "intro"),
    (["questions", 0, "type"], "slider", "questions.0.type"),
    (["questions", 0, "id"], KeyError, "questions.0.id"),
    (["questions", 1, "id"], "reason", "questions.1.id"),
    (["questions", 0, "choices"], [], "questions.0.choices"),
    (["questions", 0, "choices"], [{"id": "a", "label": "A"}, {"id": "a", "label": "B"}], "questions.0.choices"),
    (["questions", 0, "choices"], [{"id": "other", "label": "Other"}], "questions.0.choices"),
    (["questions", 0, "choices", 0, "label"], {"ms": "Terlalu mahal"}, "questions.0.choices.0.label"),
    (["questions", 0, "scale"], 5, "questions.0.scale"),
    (["questions", 1, "scale"], 10, "questions.1.scale"),
    (["questions", 1, "scale"], "7", "questions.1.scale"),
    (["questions", 2, "required"], "yes", "questions.2.required"),
    (["questions", 2, "mystery"], True, "questions.2.mystery"),
    (["questions", 4, "max_length"], 0, "questions.4.max_length"),
    (["questions", 4, "show_if"], {"question": "nope", "equals": False}, "questions.4.show_if"),
    (["questions", 0, "show_if"], {"question": "come_back", "equals": True}, "questions.0.show_if"),
    (["questions", 4, "show_if"], {"question": "come_back", "equals": "maybe"}, "questions.4.show_if"),
    (["questions", 4, "show_if"], {"question": "come_back"}, "questions.4.show_if"),
    (["questions", 4, "show_if"], {"question": "reason", "gte": 3}, "questions.4.show_if"),
    (["questions", 4, "show_if"], {"all": []}, "questions.4.show_if"),
    (["offers", 0, "when"], {"question": "ghost", "in": ["price"]}, "offers.0.when"),
    (["offers", 0, "when"], {"question": "reason", "in": ["free"]}, "offers.0.when"),
    (["offers", 0, "title"], KeyError, "offers.0.title"),
]


@pytest.mark.parametrize(("path", "value", "field"), BAD_DEFINITIONS,
                         ids=[".".join(map(str, p)) + f"={v!r}"[:30] for p, v, _ in BAD_DEFINITIONS])
def test_bad_definitions_are_refused_naming_the_field(api, row_counts, path, value, field):
    before = row_counts()
    r = api.post("/api/v1/surveys", json=_mutate(path, value))
    assert r.status_code == 422, r.get_json()
    assert field in error_fields(r), r.get_json()
    assert row_counts() == before


def test_bad_put_changes_nothing(api, make_survey):
    survey = make_survey()
    url = f"/api/v1/surveys/{survey['id']}"
    before = api.get(url).get_json()
    r = api.put(url, json=_mutate(["questions", 2, "type"], "stars"))
    assert r.status_code == 422
    assert api.get(url).get_json() == before


def test_multilingual_strings_round_trip_exactly(api):
    definition = survey_definition(
        intro={"en": "Sorry to see you go.", "ms": "Kami sedih anda pergi.", "id": "Sayang sekali.",
               "zh-CN": "很遗憾您要离开。"},
        name="'; DROP TABLE surveys; -- <script>alert(1)</script>",
    )
    body = api.post("/api/v1/surveys", json=copy.deepcopy(definition)).get_json()
    stored = api.get(f"/api/v1/surveys/{body['id']}").get_json()
    assert stored["definition"]["intro"] == definition["intro"]
    assert stored["name"] == definition["name"]


def test_openapi_spec_and_docs(client):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    paths = spec.get_json()["paths"]
    for path in ("/api/v1/surveys", "/api/v1/surveys/{survey_id}", "/api/v1/surveys/{survey_id}/publish",
                 "/api/v1/surveys/{survey_id}/responses", "/api/v1/respondents/{external_id}"):
        assert path in paths
    assert "bearerAuth" in spec.get_json()["components"]["securitySchemes"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"openapi.json" in docs.data
