"""The survey builder in Chromium: build a survey from nothing, see an error at its field, publish."""

from __future__ import annotations

from playwright.sync_api import expect
from werkzeug.security import generate_password_hash

from surveyhub.extensions import db
from surveyhub.models import User
from tests.helpers import PASSWORD, survey_definition


def _sign_in(app, page, base: str, org_id: int) -> None:
    with app.app_context():
        db.session.add(User(org_id=org_id, email="boss@acme.test", password_hash=generate_password_hash(PASSWORD)))
        db.session.commit()
    page.goto(f"{base}/dashboard/login")
    page.fill("#email", "boss@acme.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/")


def field(path: str) -> str:
    return f'[data-path="{path}"]'


def _add_question(page, index: int, kind: str, qid: str, text: str) -> None:
    page.get_by_role("button", name="Add question").click()
    page.select_option(field(f"questions.{index}.type"), kind)
    page.fill(field(f"questions.{index}.id"), qid)
    page.fill(field(f"questions.{index}.text"), text)


def test_build_a_survey_from_nothing_then_publish(app, api, live_app, page):
    base = live_app.url
    _sign_in(app, page, base, api.org_id)
    page.goto(f"{base}/dashboard/surveys/build")
    page.fill(field("name"), "Built <b>here</b>")
    page.fill(field("slug"), "built-here")
    page.fill(field("questions.0.text"), "How likely are you to recommend us?")
    _add_question(page, 1, "multiple_choice", "reason", "Main reason?")
    page.fill(field("questions.1.choices.0.label"), "Price")
    page.get_by_role("button", name="Add choice").click()
    page.fill(field("questions.1.choices.1.id"), "support")
    page.fill(field("questions.1.choices.1.label"), "Support")
    page.check(field("questions.1.allow_other"))
    _add_question(page, 2, "likert", "sat", "How satisfied were you?")
    page.select_option(field("questions.2.scale"), "7")
    page.fill(field("questions.2.labels.min"), "Not at all")
    _add_question(page, 3, "yes_no", "again", "Would you use us again?")
    _add_question(page, 4, "open", "why", "If not, why not?")
    page.fill(field("questions.4.max_length"), "500")
    page.locator(field("questions.4.show_if")).get_by_role("button", name="Add condition").click()
    page.select_option(field("questions.4.show_if.rows.0.question"), "again")
    page.fill(field("questions.4.show_if.rows.0.value"), "false")
    page.get_by_role("button", name="Add offer").click()
    page.locator(field("offers.0.when")).get_by_role("button", name="Add condition").click()
    page.select_option(field("offers.0.when.rows.0.question"), "reason")
    page.select_option(field("offers.0.when.rows.0.op"), "in")
    page.fill(field("offers.0.when.rows.0.value"), "a")
    page.fill(field("offers.0.title"), "Half price for 3 months?")
    page.select_option(field("add_locale"), "ms")
    page.fill(field("questions.0.text@ms"), "Sejauh manakah anda akan mengesyorkan kami?")
    page.click("#save")
    page.wait_for_url("**/surveys/*/build")
    survey_id = int(page.url.rstrip("/").split("/")[-2])
    stored = api.get(f"/api/v1/surveys/{survey_id}").get_json()["definition"]
    assert [q["type"] for q in stored["questions"]] == ["nps", "multiple_choice", "likert", "yes_no", "open"]
    assert stored["questions"][4]["show_if"] == {"question": "again", "equals": False}
    assert stored["questions"][1]["allow_other"] is True and stored["questions"][2]["scale"] == 7
    assert stored["offers"][0]["when"] == {"question": "reason", "in": ["a"]}
    assert stored["questions"][0]["text"]["ms"].startswith("Sejauh")
    assert page.locator("h1").inner_text() == "Built <b>here</b>"

    # A duplicate id: shown at its field, nothing saved.
    page.fill(field("questions.2.id"), "reason")
    page.click("#save")
    error = page.locator('.field-error[data-error-for="questions.2.id"]')
    error.wait_for()
    assert "duplicate question id" in error.inner_text()
    box = page.locator(field("questions.2.id"))
    assert box.get_attribute("aria-invalid") == "true"
    assert error.get_attribute("id") in box.get_attribute("aria-describedby").split()
    assert page.locator("#publish").is_disabled()
    assert api.get(f"/api/v1/surveys/{survey_id}").get_json()["definition"] == stored

    page.fill(field("questions.2.id"), "sat")
    page.click("#save")
    # "Saved." may still be the first save's status: wait for this save to clear the error marks.
    expect(page.locator("[aria-invalid]")).to_have_count(0)
    page.get_by_role("status").filter(has_text="Saved.").wait_for()
    page.click("#publish")
    page.get_by_text("Published version 1.").wait_for()
    assert api.get(f"/api/v1/surveys/{survey_id}").get_json()["version"] == 1
    assert page.locator("#versions li").count() == 1


def test_missing_default_text_blocks_publishing_and_phone_width_fits(app, api, live_app, page, make_survey):
    survey = make_survey(publish=False)
    _sign_in(app, page, live_app.url, api.org_id)
    page.goto(f"{live_app.url}/dashboard/surveys/{survey['id']}/build")
    assert page.locator("#publish").is_enabled()
    page.fill(field("questions.0.text"), "")
    assert page.locator("#publish").is_disabled()
    assert "default locale" in page.locator("#publish-reason").inner_text()
    page.set_viewport_size({"width": 390, "height": 800})
    page.check(field("translating"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_opening_and_saving_keeps_the_definition_and_marks_missing_translations(app, api, live_app, page,
                                                                              make_survey):
    nested = {"all": [{"any": [{"question": "come_back", "equals": False}]}, {"question": "nps", "lte": 6}]}
    survey = make_survey(publish=False)
    before = api.get(f"/api/v1/surveys/{survey['id']}").get_json()["definition"]
    before["questions"][4]["show_if"] = nested
    assert api.put(f"/api/v1/surveys/{survey['id']}", json=before).status_code == 200
    before = api.get(f"/api/v1/surveys/{survey['id']}").get_json()["definition"]
    _sign_in(app, page, live_app.url, api.org_id)
    page.goto(f"{live_app.url}/dashboard/surveys/{survey['id']}/build")
    page.check(field("translating"))
    # The intro has Malay, so Malay is a column; the questions' texts have none yet.
    ms_text = page.locator(field("questions.0.text@ms"))
    assert ms_text.get_attribute("class") == "missing"
    assert page.locator(field("questions.0.text@ms") + " + .missing-mark").inner_text() == "missing"
    page.fill(field("name"), before["name"] + " (kept)")
    page.click("#save")
    page.get_by_role("status").filter(has_text="Saved.").wait_for()
    after = api.get(f"/api/v1/surveys/{survey['id']}").get_json()["definition"]
    expected = dict(before, name=before["name"] + " (kept)")
    assert {k: v for k, v in after.items() if v != expected.get(k)} == {}, (after, expected)


XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


def _every_string_hostile(definition: dict) -> dict:
    """The definition with XSS in every text a manager writes (both locales), ids and codes left alone."""
    def hostile(value, key=None):
        if isinstance(value, dict) and set(value) <= {"en", "ms"} and value:
            return {locale: f"{XSS} {locale}" for locale in value}
        if isinstance(value, dict):
            return {k: hostile(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [hostile(v, key) for v in value]
        if isinstance(value, str) and key in {"name", "text", "label", "title", "body", "accept_label",
                                              "decline_label", "thanks", "intro", "min", "max"}:
            return f"{XSS} {key}"
        return value
    return hostile(definition)


def test_hostile_strings_in_every_field_stay_text_in_the_builder(app, api, live_app, page, make_survey):
    definition = _every_string_hostile({k: v for k, v in survey_definition().items() if k != "slug"})
    survey = make_survey(publish=False, **definition)
    _sign_in(app, page, live_app.url, api.org_id)
    page.goto(f"{live_app.url}/dashboard/surveys/{survey['id']}/build")
    page.check(field("translating"))
    assert page.input_value(field("name")).startswith(XSS)
    assert page.input_value(field("questions.0.text")).startswith(XSS)
    assert page.input_value(field("questions.0.choices.0.label")).startswith(XSS)
    assert page.input_value(field("offers.0.title")).startswith(XSS)
    assert page.input_value(field("intro@ms")) == f"{XSS} ms"
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src=x]").count() == 0
    page.click("#save")
    page.get_by_role("status").filter(has_text="Saved.").wait_for()
    assert api.get(f"/api/v1/surveys/{survey['id']}").get_json()["definition"]["name"] == definition["name"]
    assert page.evaluate("window.__xss") is None
