"""Every failure answers in the contract's envelope, with the right status, and writes nothing."""

import pytest

from tests.helpers import survey_definition
from tests.test_surveys_api import error_fields


def envelope(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["message"]
    if code:
        assert error["code"] == code
    return error


def test_malformed_json(api, row_counts):
    before = row_counts()
    r = api.client.post("/api/v1/surveys", data="{not json", content_type="application/json",
                        headers={"Authorization": f"Bearer {api.key}"})
    assert "body" in envelope(r, 400)["fields"]
    assert row_counts() == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_wrong_content_type(api, row_counts, content_type):
    before = row_counts()
    r = api.client.post("/api/v1/surveys", data='{"slug": "x"}', content_type=content_type,
                        headers={"Authorization": f"Bearer {api.key}"})
    envelope(r, 415, "unsupported_media_type")
    assert row_counts() == before


def test_oversize_body(api, row_counts):
    before = row_counts()
    definition = survey_definition(name="x" * (2 * 1024 * 1024))
    envelope(api.post("/api/v1/surveys", json=definition), 413, "request_entity_too_large")
    assert row_counts() == before


def test_json_that_is_not_an_object(api):
    for body in ([], "text", 5, None):
        r = api.post("/api/v1/surveys", json=body)
        assert r.status_code in (400, 422)
        envelope(r, r.status_code)


def test_missing_and_unknown_fields(api):
    r = api.post("/api/v1/surveys", json={"name": "No slug", "colour": "blue"})
    fields = envelope(r, 422)["fields"]
    assert {"slug", "questions", "colour"} <= set(fields)


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer sk_wrong", "Basic dXNlcjpwYXNz", "sk_no_scheme"])
def test_api_key_required(client, header):
    headers = {"Authorization": header} if header else {}
    r = client.get("/api/v1/surveys", headers=headers)
    envelope(r, 401, "unauthorized")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_key_refused(db, api):
    from sqlalchemy import select

    from surveyhub.models import ApiKey
    from surveyhub.models.types import utcnow
    for key in db.session.execute(select(ApiKey)).scalars():
        key.revoked_at = utcnow()
    db.session.commit()
    envelope(api.get("/api/v1/surveys"), 401)


def test_not_found_and_method_not_allowed(api, client):
    envelope(client.get("/no/such/page"), 404, "not_found")
    envelope(api.get("/api/v1/surveys/999999"), 404, "not_found")
    envelope(api.client.patch("/api/v1/surveys", headers={"Authorization": f"Bearer {api.key}"}), 405)
    envelope(api.get("/api/v1/surveys/not-a-number"), 404)


def test_unexpected_error_is_a_500_envelope_and_rolls_back(app, client, row_counts):
    from surveyhub.extensions import db
    from surveyhub.models import Org

    @app.get("/boom")
    def boom():
        db.session.add(Org(name="half-made", widget_key="pk_x", signing_secret_encrypted="x"))
        db.session.flush()
        raise RuntimeError("kaboom")

    before = row_counts()
    error = envelope(client.get("/boom"), 500, "internal_server_error")
    assert "kaboom" not in error["message"]
    assert row_counts() == before


def test_domain_error_fields_name_the_survey(api, make_survey):
    survey = make_survey(publish=False)
    r = api.post(f"/api/v1/surveys/{survey['id']}/responses", json={"answers": []})
    assert "survey" in error_fields(r)
