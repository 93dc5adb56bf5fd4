"""The builder's previews over the test client: the widget's shape of an unsaved definition and the hosted
page's steps, both storing nothing (the browser side is tests/browser/test_preview.py)."""

from __future__ import annotations

import json

import pytest

from tests.helpers import PASSWORD, csrf_token, sign_in, survey_definition

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def csrf(api, runner, client) -> str:
    """Sign a manager of the org in; return the CSRF token of the builder's forms."""
    email = "boss@acme.test"
    created = runner.invoke(args=["user", "create", email, "--org", str(api.org_id), "--password-stdin"],
                            input=PASSWORD + "\n")
    assert created.exit_code == 0, created.output
    sign_in(client, email)
    return csrf_token(client.get("/dashboard/surveys/build").get_data(as_text=True))


def _widget(client, csrf: str, definition, locale: str = "en"):
    return client.post(f"/dashboard/surveys/preview/widget?locale={locale}", json=definition,
                       headers={"X-CSRFToken": csrf})


def _hosted(client, csrf: str, definition: dict, state: str | None = None, **form):
    data = {"csrf_token": csrf, "definition": json.dumps(definition), "locale": form.pop("locale", "en"), **form}
    if state is not None:
        data["state"] = state
    return client.post("/dashboard/surveys/preview/hosted", data=data)


def _carried(html: str) -> str:
    """The state the hosted preview's form carries to its next step (its hidden `state` field)."""
    start = html.index('name="state" value="') + len('name="state" value="')
    return html[start:html.index('"', start)].replace("&#34;", '"').replace("&quot;", '"')


def test_widget_preview_is_the_widgets_shape_in_the_chosen_locale_and_stores_nothing(client, csrf, row_counts):
    before = row_counts()
    definition = survey_definition(questions=[{"id": "nps", "type": "nps",
                                               "text": {"en": "Recommend us?", "ms": "Cadangkan kami?"}}],
                                   offers=[])
    r = _widget(client, csrf, definition, "ms")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["locale"] == "ms" and body["version"] is None and body["slug"] == "cancel-flow"
    assert body["questions"][0]["text"] == "Cadangkan kami?" and body["intro"] == "Kami sedih anda pergi."
    assert body["ui"]["next"] != "Next"  # the widget's own words in Malay too
    assert row_counts() == before


def test_widget_preview_of_an_invalid_definition_names_its_fields(client, csrf, row_counts):
    before = row_counts()
    definition = survey_definition()
    definition["questions"][4]["show_if"] = {"question": "nowhere", "equals": True}
    r = _widget(client, csrf, definition)
    assert r.status_code == 422 and "questions.4.show_if" in r.get_json()["error"]["fields"]
    assert _widget(client, csrf, survey_definition(), "not a locale").status_code == 422
    assert row_counts() == before


def test_previews_need_a_signed_in_manager_and_a_csrf_token(app, client, csrf):
    assert _widget(client, "wrong", survey_definition()).status_code == 400
    assert _hosted(client, "wrong", survey_definition()).status_code == 400
    stranger = app.test_client()  # not signed in, with a valid token from the login page
    token = csrf_token(stranger.get("/dashboard/login").get_data(as_text=True))
    r = stranger.post("/dashboard/surveys/preview/widget", json=survey_definition(), headers={"X-CSRFToken": token})
    assert r.status_code == 302 and "/dashboard/login" in r.headers["Location"]
    r = stranger.post("/dashboard/surveys/preview/hosted", data={"csrf_token": token, "definition": "{}"})
    assert r.status_code == 302 and "/dashboard/login" in r.headers["Location"]


def test_hosted_preview_walks_the_survey_with_the_live_rules_and_stores_nothing(client, csrf, row_counts):
    before = row_counts()
    definition = survey_definition()
    first = _hosted(client, csrf, definition)
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and "Main reason for cancelling?" in html and "Preview:" in html
    assert "frame-ancestors 'self'" in first.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in client.get("/dashboard/surveys/build").headers["Content-Security-Policy"]
    state = _carried(html)
    # A refused answer is shown as on the live page, state unchanged.
    refused = _hosted(client, csrf, definition, state, question="reason", value="nope")
    assert refused.status_code == 422 and "Choose from the answers shown" in refused.get_data(as_text=True)
    steps = [("reason", "price"), ("satisfaction", "6"), ("nps", "3"), ("come_back", "no")]
    for question, value in steps:
        page = _hosted(client, csrf, definition, state, question=question, value=value)
        assert page.status_code == 200, page.get_data(as_text=True)
        state = _carried(page.get_data(as_text=True))
    # come_back = no shows the follow-up (show_if), with its Skip button; skipping it ends the survey.
    assert "If not, why not?" in page.get_data(as_text=True)
    assert json.loads(state)["answers"] == {"reason": "price", "satisfaction": 6, "nps": 3, "come_back": False}
    done = _hosted(client, csrf, definition, state, question="why_not", action="skip")
    assert done.status_code == 200 and "Thank you for telling us." in done.get_data(as_text=True)
    assert row_counts() == before


def test_hosted_preview_goes_back_and_speaks_the_chosen_locale(client, csrf):
    definition = survey_definition(questions=[
        {"id": "a", "type": "yes_no", "text": {"en": "First?", "ms": "Pertama?"}},
        {"id": "b", "type": "yes_no", "text": {"en": "Second?", "ms": "Kedua?"}}], offers=[])
    page = _hosted(client, csrf, definition, locale="ms")
    html = page.get_data(as_text=True)
    assert "Pertama?" in html and 'lang="ms"' in html and ">Ya<" in html.replace(" ", "")
    second = _hosted(client, csrf, definition, _carried(html), question="a", value="yes", locale="ms")
    assert "Kedua?" in second.get_data(as_text=True)
    back = _hosted(client, csrf, definition, _carried(second.get_data(as_text=True)), question="b", action="back",
                   back="a", locale="ms")
    assert "Pertama?" in back.get_data(as_text=True)
    # A locale the survey lacks falls back to its default, page words included, as on the live page.
    fallback = _hosted(client, csrf, definition, locale="zh").get_data(as_text=True)
    assert "First?" in fallback and 'lang="en"' in fallback and "Next" in fallback


def test_hosted_preview_refuses_a_bad_definition_or_state_and_stores_nothing(client, csrf, row_counts):
    before = row_counts()
    bad = survey_definition()
    bad["questions"][0]["choices"] = []
    r = _hosted(client, csrf, bad)
    assert r.status_code == 422 and "questions.0.choices" in r.get_data(as_text=True)
    assert _hosted(client, csrf, survey_definition(), '{"answers": {"nps": 99}}').status_code == 422
    assert _hosted(client, csrf, survey_definition(), '{"answers": {"ghost": 1}}').status_code == 422
    assert _hosted(client, csrf, survey_definition(), "not json").status_code == 422
    assert row_counts() == before


def test_every_survey_string_stays_text_in_both_previews(client, csrf):
    definition = survey_definition(intro=XSS, thanks=XSS, questions=[
        {"id": "reason", "type": "multiple_choice", "text": XSS, "help": XSS, "allow_other": True, "other_label": XSS,
         "choices": [{"id": "price", "label": XSS}]},
        {"id": "why", "type": "open", "text": XSS, "placeholder": XSS}],
        offers=[{"id": "o", "when": {"question": "reason", "in": ["price"]}, "title": XSS, "body": XSS,
                 "accept_label": XSS, "decline_label": XSS}])
    assert _widget(client, csrf, definition).get_json()["questions"][0]["text"] == XSS  # drawn as textContent
    html = _hosted(client, csrf, definition).get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "&lt;script&gt;alert" in html
    after = _hosted(client, csrf, definition, _carried(html), question="reason", value="price").get_data(as_text=True)
    assert "<script>alert" not in after and "&lt;script&gt;alert" in after
