"""The survey builder's server side: its page and its JSON endpoint, over the test client."""

from __future__ import annotations

import copy
import json
import re

import pytest
from werkzeug.security import generate_password_hash

from surveyhub.extensions import db
from surveyhub.models import User
from tests.helpers import PASSWORD, survey_definition

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _sign_in(app, client, org_id: int, email: str = "boss@acme.test") -> str:
    """Sign a new manager of the org in through the login form; return a CSRF token for JSON posts."""
    with app.app_context():
        db.session.add(User(org_id=org_id, email=email, password_hash=generate_password_hash(PASSWORD)))
        db.session.commit()
    token = _token(client.get("/dashboard/login").get_data(as_text=True))
    r = client.post("/dashboard/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert r.status_code == 302
    return _token(client.get("/dashboard/surveys/build").get_data(as_text=True))


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.fixture
def signed_in(app, client, api) -> dict:
    return {"X-CSRFToken": _sign_in(app, client, api.org_id)}


def _definition(api, survey_id: int) -> dict:
    return api.get(f"/api/v1/surveys/{survey_id}").get_json()["definition"]


def test_builder_creates_then_saves_a_survey(client, api, signed_in):
    r = client.post("/dashboard/surveys/build", json=survey_definition(slug="built"), headers=signed_in)
    assert r.status_code == 201, r.get_json()
    survey_id = r.get_json()["id"]
    assert r.get_json()["url"] == f"/dashboard/surveys/{survey_id}/build"
    changed = survey_definition(slug="built", name="Renamed")
    changed["questions"][2]["text"] = {"en": "Recommend us?", "ms": "Cadangkan kami?"}
    r = client.post(f"/dashboard/surveys/{survey_id}/build", json=changed, headers=signed_in)
    assert r.status_code == 200 and r.get_json()["has_unpublished_changes"] is True
    stored = _definition(api, survey_id)
    assert stored["name"] == "Renamed" and stored["questions"][2]["text"]["ms"] == "Cadangkan kami?"
    page = client.get(f"/dashboard/surveys/{survey_id}/build").get_data(as_text=True)
    assert "Renamed" in page and 'id="builder-definition"' in page and "builder.js" in page


def _bad(definition: dict, path: list, value) -> dict:
    bad = copy.deepcopy(definition)
    node = bad
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return bad


@pytest.mark.parametrize(("path", "value", "field"), [
    (["questions", 4, "show_if"], {"question": "nps", "equals": "maybe"}, "questions.4.show_if"),
    (["questions", 4, "show_if"], {"question": "why_not", "equals": "x"}, "questions.4.show_if"),
    (["offers", 0, "when"], {"question": "reason", "in": ["cost"]}, "offers.0.when"),
    (["questions", 3, "id"], "nps", "questions.3.id"),
    (["questions", 0, "choices", 1, "label"], {"ms": "Ciri"}, "questions.0.choices.1.label"),
])
def test_bad_definitions_are_refused_at_their_field_and_nothing_is_saved(client, api, signed_in, make_survey,
                                                                         path, value, field):
    survey = make_survey(publish=False)
    before = _definition(api, survey["id"])
    r = client.post(f"/dashboard/surveys/{survey['id']}/build", json=_bad(before, path, value), headers=signed_in)
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "invalid" and field in error["fields"], error
    assert _definition(api, survey["id"]) == before


def test_a_body_that_is_not_a_definition_is_refused(client, api, signed_in):
    r = client.post("/dashboard/surveys/build", data="[1]", content_type="application/json", headers=signed_in)
    assert r.status_code == 422 and "body" in r.get_json()["error"]["fields"]
    assert api.get("/api/v1/surveys").get_json()["data"] == []


def test_saving_needs_the_csrf_token(client, api, signed_in, make_survey):
    survey = make_survey(publish=False)
    r = client.post(f"/dashboard/surveys/{survey['id']}/build", json=survey_definition(name="Forged"))
    assert r.status_code == 400
    assert _definition(api, survey["id"])["name"] == survey_definition()["name"]


def test_publish_is_refused_while_the_default_locale_is_incomplete(client, api, signed_in, make_survey):
    survey = make_survey(publish=False)
    # A Malay-default definition with a text only in English: the schema refuses it, nothing is saved.
    incomplete = survey_definition(default_locale="ms", intro={"ms": "Selamat tinggal"})
    incomplete["questions"][0]["text"] = {"en": "Main reason?"}
    r = client.post(f"/dashboard/surveys/{survey['id']}/build", json=incomplete, headers=signed_in)
    assert r.status_code == 422 and "questions.0.text" in r.get_json()["error"]["fields"]
    page = client.get(f"/dashboard/surveys/{survey['id']}/build").get_data(as_text=True)
    assert "Publishing needs every text in the default locale." in page  # the script's reason, from the server
    r = client.post(f"/dashboard/surveys/{survey['id']}/build/publish", data={"csrf_token": signed_in["X-CSRFToken"]})
    assert r.status_code == 303
    published = api.get(f"/api/v1/surveys/{survey['id']}").get_json()
    # The refused definition never went live.
    assert published["version"] == 1 and published["definition"]["default_locale"] == "en"
    page = client.get(f"/dashboard/surveys/{survey['id']}/build").get_data(as_text=True)
    assert "Version 1" in page and "Published version 1." in page


def test_archive_from_the_builder(client, api, signed_in, make_survey):
    survey = make_survey()
    r = client.post(f"/dashboard/surveys/{survey['id']}/archive", data={"csrf_token": signed_in["X-CSRFToken"]})
    assert r.status_code == 303
    assert api.get(f"/api/v1/surveys/{survey['id']}").get_json()["status"] == "archived"
    r = client.post(f"/dashboard/surveys/{survey['id']}/build", json=survey_definition(), headers=signed_in)
    assert r.status_code == 409 and "survey" in r.get_json()["error"]["fields"]


def test_user_strings_are_stored_as_written_and_shown_escaped(client, api, signed_in):
    definition = survey_definition(slug="xss", name=XSS, intro=XSS)
    definition["questions"][0]["choices"][0]["label"] = XSS
    r = client.post("/dashboard/surveys/build", json=definition, headers=signed_in)
    assert r.status_code == 201
    survey_id = r.get_json()["id"]
    assert _definition(api, survey_id)["name"] == XSS
    page = client.get(f"/dashboard/surveys/{survey_id}/build").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert" in page  # the read-only view
    assert "\\u003cscript\\u003ealert" in page  # the JSON block the script reads


def test_another_orgs_survey_is_not_found(client, api, other_api, signed_in, make_survey):
    theirs = make_survey(api_client=other_api, publish=False)
    assert client.get(f"/dashboard/surveys/{theirs['id']}/build").status_code == 404
    r = client.post(f"/dashboard/surveys/{theirs['id']}/build", json=survey_definition(name="Mine"),
                    headers=signed_in)
    assert r.status_code == 404
    for action in ("build/publish", "archive"):
        r = client.post(f"/dashboard/surveys/{theirs['id']}/{action}", data={"csrf_token": signed_in["X-CSRFToken"]})
        assert r.status_code == 404
    assert _definition(other_api, theirs["id"])["name"] == survey_definition()["name"]
    assert other_api.get(f"/api/v1/surveys/{theirs['id']}").get_json()["status"] == "draft"


@pytest.mark.parametrize("key", ["saas-cancellation", "phone-exit-interview", "win-back-check-in"])
def test_each_template_validates_and_has_every_locale(key):
    from surveyhub.schemas.survey import SurveyDefinitionSchema, _localized_strings
    from surveyhub.starters import load_starter

    for locale in ("en", "ms", "id", "zh"):
        definition = SurveyDefinitionSchema().load(load_starter(key, locale))
        for path, text in _localized_strings(definition):
            assert set(text) == {"en", "ms", "id", "zh"}, path


def test_the_cancellation_template_asks_the_nine_exit_questions():
    from surveyhub.starters import load_starter

    questions = {q["id"]: q for q in load_starter("saas-cancellation")["questions"]}
    assert [questions[q]["type"] for q in ("reason", "satisfaction", "support_quality", "missing_features",
            "alternative", "do_differently", "use_again", "nps", "anything_else")] == [
        "multiple_choice", "likert", "likert", "open", "open", "open", "yes_no", "nps", "open"]
    assert questions["reason"]["allow_other"] is True
    assert questions["why_not"]["show_if"] == {"question": "use_again", "equals": False}


@pytest.mark.parametrize("locale", ["en", "ms", "id", "zh"])
def test_a_template_starts_a_survey_in_each_locale(client, api, signed_in, locale):
    page = client.get("/dashboard/surveys/start").get_data(as_text=True)
    assert 'name="starter" value="saas-cancellation"' in page and 'id="start-json"' in page
    page = client.get(f"/dashboard/surveys/build?starter=saas-cancellation&locale={locale}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    definition = json.loads(re.search(r'id="builder-definition">(.*?)</script>', html, re.S).group(1))
    assert definition["default_locale"] == locale
    assert api.get("/api/v1/surveys").get_json()["data"] == []  # nothing stored until saved
    r = client.post("/dashboard/surveys/build", json=definition, headers=signed_in)
    assert r.status_code == 201, r.get_json()
    stored = _definition(api, r.get_json()["id"])
    assert stored["default_locale"] == locale and stored["questions"][0]["text"][locale]


def test_an_unknown_template_is_not_found(client, signed_in):
    assert client.get("/dashboard/surveys/build?starter=nope").status_code == 404


@pytest.mark.parametrize(("locale", "question"), [("en", "How likely are you to recommend us?"),
                                                  ("ms", "Sejauh manakah anda akan mengesyorkan kami?")])
def test_a_blank_survey_starts_in_the_managers_language(client, signed_in, locale, question):
    html = client.get("/dashboard/surveys/build", headers={"Accept-Language": locale}).get_data(as_text=True)
    blank = json.loads(re.search(r'<script type="application/json" id="builder-definition">(.*?)</script>', html,
                                 re.S).group(1))
    assert blank["default_locale"] == locale and blank["questions"][0]["text"] == {locale: question}
