"""Input no database can hold gets a 4xx naming the field and writes nothing — never a 5xx (CONTRACT §11)."""

from __future__ import annotations

import base64
import inspect
import json

import pytest
from marshmallow import Schema

import surveyhub.schemas.api
import surveyhub.schemas.hosted
import surveyhub.schemas.invitations
import surveyhub.schemas.sms
import surveyhub.schemas.survey
import surveyhub.schemas.widget
from surveyhub.schemas.fields import InputSchema
from surveyhub.transaction import unit_of_work
from tests.helpers import WidgetClient, survey_definition, widget_org_of
from tests.test_errors import envelope
from tests.test_hosted_page import Page, csrf

NUL = "\\u0000"  # as JSON escapes, so the raw body carries them exactly as a client would
SURROGATE = "\\ud800"
DEEP = "[" * 100_000 + "]" * 100_000


def raw_post(api, path: str, body: str, method: str = "POST"):
    return api.client.open(path, method=method, data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {api.key}"})


def survey_json(**overrides) -> str:
    """The contract's survey as JSON text, with `overrides` spliced in as raw JSON."""
    text = json.dumps(survey_definition())
    for key, raw in overrides.items():
        text = text.replace(json.dumps(survey_definition()[key]), raw, 1)
    return text


# --- one place: every schema --------------------------------------------------------------------------

def test_every_schema_refuses_bad_input_in_one_place():
    modules = [surveyhub.schemas.api, surveyhub.schemas.hosted, surveyhub.schemas.invitations,
               surveyhub.schemas.sms, surveyhub.schemas.survey, surveyhub.schemas.widget]
    schemas = [obj for module in modules for obj in vars(module).values()
               if inspect.isclass(obj) and issubclass(obj, Schema) and obj.__module__ == module.__name__]
    assert len(schemas) > 30
    assert [s.__name__ for s in schemas if not issubclass(s, InputSchema)] == []


# --- the REST API -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("overrides", "field"), [
    ({"name": f'"Exit{NUL}"'}, "name"),
    ({"name": f'"Exit {SURROGATE} survey"'}, "name"),
    ({"thanks": f'"Thanks{SURROGATE}"'}, "thanks"),
    ({"intro": f'{{"en": "Hi{NUL}", "ms": "Hai"}}'}, "intro.en"),
])
def test_bad_text_in_a_survey_definition(api, row_counts, overrides, field):
    before = row_counts()
    r = raw_post(api, "/api/v1/surveys", survey_json(**overrides))
    assert field in envelope(r, 422)["fields"]
    assert row_counts() == before


@pytest.mark.parametrize(("answer", "field"), [
    (f'{{"question": "why_not", "value": "too slow{NUL}"}}', "answers.0.value"),
    (f'{{"question": "why_not", "value": "too slow {SURROGATE}"}}', "answers.0.value"),
    (f'{{"question": "reason", "value": "other", "other_text": "x{NUL}"}}', "answers.0.other_text"),
    ('{"question": "nps", "value": NaN}', "answers.0.value"),
    ('{"question": "nps", "value": Infinity}', "answers.0.value"),
    ('{"question": "nps", "value": -Infinity}', "answers.0.value"),
    ('{"question": "nps", "value": 1e400}', "answers.0.value"),
    ('{"question": "nps", "value": 18446744073709551616}', "answers.0.value"),
    (f'{{"question{NUL}": "nps", "value": 9}}', "answers.0"),
])
def test_bad_values_in_a_staff_response(api, make_survey, row_counts, answer, field):
    survey = make_survey()
    before = row_counts()
    r = raw_post(api, f"/api/v1/surveys/{survey['id']}/responses", f'{{"answers": [{answer}]}}')
    assert field in envelope(r, 422)["fields"]
    assert row_counts() == before


@pytest.mark.parametrize(("metadata", "field"), [
    (f'{{"note": "a{NUL}b"}}', "metadata.note"),
    (f'{{"note{SURROGATE}": "x"}}', "metadata"),
    ('{"score": NaN}', "metadata.score"),
    ('{"big": 170141183460469231731687303715884105728}', "metadata.big"),
])
def test_bad_values_in_response_metadata(api, make_survey, row_counts, metadata, field):
    survey = make_survey()
    before = row_counts()
    body = f'{{"answers": [{{"question": "nps", "value": 9}}], "metadata": {metadata}}}'
    assert field in envelope(raw_post(api, f"/api/v1/surveys/{survey['id']}/responses", body), 422)["fields"]
    assert row_counts() == before


def test_bad_text_in_invitation_recipients(api, make_survey, row_counts):
    survey = make_survey()
    before = row_counts()
    body = (f'{{"channel": "email", "recipients": [{{"external_id": "c{NUL}1", "email": "a@example.com", '
            f'"attributes": {{"plan": "pro{SURROGATE}"}}}}]}}')
    fields = envelope(raw_post(api, f"/api/v1/surveys/{survey['id']}/invitations", body), 422)["fields"]
    assert {"recipients.0.external_id", "recipients.0.attributes.plan"} <= set(fields)
    assert row_counts() == before


def test_bad_text_in_a_query_string(api, make_survey):
    survey = make_survey()
    r = api.get(f"/api/v1/surveys/{survey['id']}/responses", query_string={"cursor": "a\x00b"})
    assert "cursor" in envelope(r, 422)["fields"]
    r = api.get(f"/api/v1/surveys/{survey['id']}/stats", query_string={"attr.plan": "pro\x00"})
    assert "attr.plan" in envelope(r, 422)["fields"]


def test_a_cursor_of_unicode_digits(api, make_survey):
    survey = make_survey()
    cursor = base64.urlsafe_b64encode("after:²".encode()).decode()
    r = api.get(f"/api/v1/surveys/{survey['id']}/responses", query_string={"cursor": cursor})
    assert "cursor" in envelope(r, 422)["fields"]


def test_a_cursor_past_the_largest_id_is_an_empty_page(api, make_survey):
    survey = make_survey()
    for path in ("/api/v1/surveys", f"/api/v1/surveys/{survey['id']}/responses"):
        cursor = base64.urlsafe_b64encode(f"after:{2**31 + 5}".encode()).decode().rstrip("=")
        r = api.get(path, query_string={"cursor": cursor})
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["data"] == []


@pytest.mark.parametrize("since", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_a_date_time_with_no_utc_year(api, make_survey, since):
    survey = make_survey()
    r = api.get(f"/api/v1/surveys/{survey['id']}/responses", query_string={"since": since})
    assert "since" in envelope(r, 422)["fields"]


def test_a_send_time_with_no_utc_year(api, make_survey, row_counts):
    survey = make_survey()
    before = row_counts()
    r = api.post(f"/api/v1/surveys/{survey['id']}/invitations",
                 json={"channel": "email", "recipients": [{"email": "a@example.com"}],
                       "send_at": "9999-12-31T23:59:59-14:00"})
    assert "send_at" in envelope(r, 422)["fields"]
    assert row_counts() == before


@pytest.mark.parametrize("survey_id", [str(2**31), str(2**63), str(2**64), "9" * 5000])
def test_ids_beyond_the_databases_range(api, make_survey, survey_id):
    make_survey()
    for method, path in [("GET", f"/api/v1/surveys/{survey_id}"), ("PUT", f"/api/v1/surveys/{survey_id}"),
                         ("DELETE", f"/api/v1/surveys/{survey_id}"), ("POST", f"/api/v1/surveys/{survey_id}/publish"),
                         ("GET", f"/api/v1/surveys/{survey_id}/responses"),
                         ("GET", f"/api/v1/surveys/{survey_id}/stats"),
                         ("DELETE", f"/api/v1/webhooks/{survey_id}")]:
        r = api.client.open(path, method=method, json=survey_definition() if method == "PUT" else None,
                            headers={"Authorization": f"Bearer {api.key}"})
        envelope(r, 404, "not_found")


@pytest.mark.parametrize("external_id", ["%00", "a%00b"])
def test_bad_text_in_a_path(api, row_counts, external_id):
    before = row_counts()
    envelope(api.delete(f"/api/v1/respondents/{external_id}"), 404)
    assert row_counts() == before


@pytest.mark.parametrize("body", [DEEP, '{"a": ' * 100_000 + "1" + "}" * 100_000,
                                  json.dumps(survey_definition(name="x")).replace('"x"', "[" * 70 + "]" * 70)])
def test_json_nested_too_deep(api, row_counts, body):
    before = row_counts()
    assert "body" in envelope(raw_post(api, "/api/v1/surveys", body), 400)["fields"]
    assert row_counts() == before


def test_json_with_a_5000_digit_number(api, make_survey, row_counts):
    survey = make_survey()
    before = row_counts()
    body = '{"answers": [{"question": "nps", "value": ' + "9" * 5000 + "}]}"
    assert "body" in envelope(raw_post(api, f"/api/v1/surveys/{survey['id']}/responses", body), 400)["fields"]
    assert row_counts() == before


def test_an_api_key_with_a_nul_is_just_wrong(client):
    envelope(client.get("/api/v1/surveys", headers={"Authorization": "Bearer sk_abc\x00def"}), 401)


# --- the public widget endpoints ----------------------------------------------------------------------

@pytest.fixture
def wc(app, client, api, make_survey) -> WidgetClient:
    make_survey()
    return WidgetClient(client, widget_org_of(app, api.org_id))


def test_widget_json_nested_too_deep(wc, row_counts):
    before = row_counts()
    deep = "[" * 10_000 + "]" * 10_000  # within the widget's body limit
    for what in ("display", "answers", "offer", "dismiss", "complete"):
        assert "body" in envelope(wc.post(what, raw=deep), 400)["fields"]
        assert "body" in envelope(wc.post(what, raw=deep, content_type="application/json"), 400)["fields"]
        envelope(wc.post(what, raw=DEEP), 413)
    assert row_counts() == before


@pytest.mark.parametrize(("value", "field"), [
    (f'"too slow {SURROGATE}"', "value"), (f'"too slow{NUL}"', "value"), ("NaN", "value"),
])
def test_widget_bad_answer_text(wc, row_counts, value, field):
    assert wc.post("display").status_code == 200
    before = row_counts()
    body = json.dumps(wc.body(question="why_not", value="PLACEHOLDER")).replace('"PLACEHOLDER"', value)
    assert field in envelope(wc.post("answers", raw=body), 422)["fields"]
    assert row_counts() == before


def test_widget_bad_user_attributes(wc, row_counts):
    before = row_counts()
    body = json.dumps(wc.body()).replace('"pro"', f'"pro{NUL}"')
    assert "user.attributes.plan" in envelope(wc.post("display", raw=body), 422)["fields"]
    body = json.dumps(wc.body()).replace('"pro"', "1e999")
    assert "user.attributes.plan" in envelope(wc.post("display", raw=body), 422)["fields"]
    assert row_counts() == before


def test_widget_bad_text_in_the_path(client, wc):
    envelope(client.get(f"/widget/v1/{wc.org.key}%00/surveys/cancel-flow"), 404)
    envelope(client.get(f"/widget/v1/{wc.org.key}/surveys/cancel%00flow"), 404)
    envelope(client.get(f"/widget/v1/{wc.org.key}/surveys/cancel-flow", query_string={"locale": "e\x00n"}), 422)


# --- the hosted page ----------------------------------------------------------------------------------

@pytest.fixture
def public_page(api, client, make_survey):
    survey = make_survey()
    path = api.get(f"/api/v1/surveys/{survey['id']}").get_json()["public_url"].replace("http://surveys.test", "")
    return Page(client, path)


@pytest.mark.parametrize("value", ["²", "٣", "9" * 5000, "1e1", "-1", " "])
def test_hosted_numbers_that_are_not_scale_points(public_page, row_counts, value):
    public_page.answer("reason", "price")
    public_page.answer("satisfaction", "5")
    before = row_counts()
    r = public_page.answer("nps", value)
    assert r.status_code == 422
    assert "How likely are you to recommend us?" in public_page.html
    assert row_counts() == before


@pytest.mark.parametrize(("data", "field"), [
    ({"question": "reason", "value": "other", "other_text": "x\x00y"}, "other_text"),
    ({"question": "reason", "value": "pr\x00ice"}, "value.0"),
    ({"question": "re\x00ason", "value": "price"}, "question"),
    ({"question": "reason", "action": "back", "back": "reason\r\nSet-Cookie: a=b"}, "back"),
    ({"question": "reason", "action": "back", "back": "x" * 65}, "back"),
    ({"question": "reason", "action": "explode"}, "action"),
])
def test_hosted_form_values_no_database_holds(public_page, client, row_counts, data, field):
    before = row_counts()
    r = client.post(public_page.path, data={"csrf_token": csrf(public_page.html), **data})
    assert field in envelope(r, 422)["fields"]
    assert row_counts() == before


def test_hosted_back_goes_to_the_question_named(public_page, client):
    public_page.answer("reason", "price")
    r = client.post(public_page.path, data={"csrf_token": csrf(public_page.html), "question": "satisfaction",
                                            "action": "back", "back": "reason"})
    assert r.status_code == 303 and r.headers["Location"].endswith("?q=reason")


def test_hosted_one_click_value_in_unicode_digits_is_ignored(api, client, make_survey):
    survey = make_survey(questions=[{"id": "nps", "type": "nps", "text": "Recommend us?"}], offers=[])
    path = api.get(f"/api/v1/surveys/{survey['id']}").get_json()["public_url"].replace("http://surveys.test", "")
    for value in ("²", "9" * 5000):
        assert client.get(path, query_string={"v": value}).status_code == 200


# --- the dashboard -------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["/dashboard/\r\nSet-Cookie: a=b", "/dashboard/\nx", "/dashboard/\tx",
                                    "/dashboard\\..\\api"])
def test_login_next_with_control_characters_goes_home(client, api, target):
    from tests.helpers import PASSWORD
    from tests.test_dashboard import _csrf, _manager

    email = _manager(client.application, api.org_id, "boss@acme.test")
    r = client.post("/dashboard/login", query_string={"next": target},
                    data={"csrf_token": _csrf(client, "/dashboard/login"), "email": email, "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/dashboard/"


# --- Twilio's webhooks --------------------------------------------------------------------------------

def test_twilio_inbound_body_with_a_nul(twilio, twilio_post, row_counts):
    before = row_counts()
    r = twilio_post("/channels/sms/inbound", {"MessageSid": "SM1", "From": "+60123456789", "Body": "9\x00"})
    assert "Body" in envelope(r, 422)["fields"]
    assert row_counts() == before


def test_twilio_status_with_a_unicode_digit_error_code(twilio, twilio_post):
    r = twilio_post("/channels/sms/status", {"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "²"})
    assert r.status_code == 200


def test_an_sms_reply_in_unicode_digits_is_asked_again(app, api, make_survey, twilio, twilio_post, run_worker,
                                                        monkeypatch):
    from surveyhub.delivery import sms as sms_delivery
    from tests.test_sms import AMY, MIDDAY, localized_survey

    monkeypatch.setattr(sms_delivery, "clock", lambda: MIDDAY)  # inside quiet hours' daytime

    survey = make_survey(**localized_survey())
    assert api.post(f"/api/v1/surveys/{survey['id']}/invitations",
                    json={"channel": "sms", "recipients": [{"phone": AMY}]}).status_code == 202
    run_worker()
    asked = len(twilio.bodies_to(AMY))
    r = twilio_post("/channels/sms/inbound", {"MessageSid": "SMin-digits", "From": AMY, "Body": "²"})
    assert r.status_code == 200
    run_worker()
    assert len(twilio.bodies_to(AMY)) == asked + 1  # the question again, not a 500


# --- rows stored before these checks ------------------------------------------------------------------

def test_migration_repairs_text_sqlite_stored(tmp_path):
    """SQLite kept NUL bytes and lone surrogates (PostgreSQL never could): 0009 repairs them in place.

    The bad rows are written with SQL because no request can store them any more; the test runs on its
    own SQLite database whichever backend the suite uses, as the repair concerns SQLite alone.
    """
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from surveyhub.accounts import orgs
    from surveyhub.extensions import db
    from tests.helpers import ApiClient, make_app

    app = make_app(f"sqlite:///{tmp_path / 'legacy.db'}", tmp_path / "instance")
    with app.app_context():
        upgrade()
        with unit_of_work():
            key = orgs.create_org("Acme").api_key
    api = ApiClient(app.test_client(), key, 0)
    survey = api.post("/api/v1/surveys", json=survey_definition()).get_json()
    api.post(f"/api/v1/surveys/{survey['id']}/publish")
    created = api.post(f"/api/v1/surveys/{survey['id']}/responses", json={
        "external_id": "c1", "metadata": {"note": "x"},
        "answers": [{"question": "reason", "value": "other", "other_text": "x"},
                    {"question": "come_back", "value": False}, {"question": "why_not", "value": "x"}]})
    assert created.status_code == 201, created.get_json()
    with app.app_context():
        downgrade(revision="0006_sms_session_version")
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE answers SET value = :v WHERE question_id = 'why_not'"),
                         {"v": '"too slow\\u0000 \\ud800!"'})
            conn.execute(sa.text("UPDATE answers SET other_text = :v WHERE question_id = 'reason'"),
                         {"v": "cheaper\x00 elsewhere"})
            conn.execute(sa.text("UPDATE responses SET metadata = :v"), {"v": '{"note\\udc00": "a\\u0000b"}'})
            conn.execute(sa.text("UPDATE respondents SET attributes = :v"), {"v": '{"plan": "pro\\ud83d"}'})
        upgrade()
        db.engine.dispose()
    listed = api.get(f"/api/v1/surveys/{survey['id']}/responses").get_json()["data"][0]
    answers = {a["question"]: a for a in listed["answers"]}
    assert answers["why_not"]["value"] == "too slow \ufffd!"
    assert answers["reason"]["other_text"] == "cheaper elsewhere"
    assert listed["metadata"] == {"note\ufffd": "ab"}
    csv = api.get(f"/api/v1/surveys/{survey['id']}/responses", query_string={"format": "csv"})
    assert csv.status_code == 200 and "too slow \ufffd!" in csv.get_data(as_text=True)
