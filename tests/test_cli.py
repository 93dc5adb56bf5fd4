"""The `surveyhub` command line (CONTRACT §2)."""

import json

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from surveyhub.models import ApiKey, Org, Survey, User
from surveyhub.security import decrypt_secret


def test_org_create_json(app, db, runner, client):
    result = runner.invoke(args=["org", "create", "Acme Sdn Bhd", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert set(payload) == {"org_id", "api_key", "widget_key", "signing_secret"}
    assert payload["api_key"].startswith("sk_") and payload["widget_key"].startswith("pk_")
    org = db.get(Org, payload["org_id"])
    key = db.execute(select(ApiKey)).scalar_one()
    # Secrets at rest: the API key only as a hash, the signing secret encrypted.
    assert payload["api_key"] not in (key.key_hash, key.prefix)
    assert payload["signing_secret"] not in org.signing_secret_encrypted
    assert decrypt_secret(org.signing_secret_encrypted, app.config["SECRET_KEY"]) == payload["signing_secret"]
    r = client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {payload['api_key']}"})
    assert r.status_code == 200


def test_org_create_refuses_empty_name(runner):
    result = runner.invoke(args=["org", "create", "  "])
    assert result.exit_code != 0 and "NAME" in result.output


def test_user_create_with_password_stdin(db, runner):
    org_id = json.loads(runner.invoke(args=["org", "create", "Acme", "--json"]).output)["org_id"]
    result = runner.invoke(args=["user", "create", "Boss@Acme.test", "--org", str(org_id), "--password-stdin"],
                           input="correct horse battery\n")
    assert result.exit_code == 0, result.output
    user = db.execute(select(User)).scalar_one()
    assert user.email == "boss@acme.test" and user.org_id == org_id
    assert "correct horse" not in user.password_hash
    assert check_password_hash(user.password_hash, "correct horse battery")
    again = runner.invoke(args=["user", "create", "boss@acme.test", "--org", str(org_id), "--password-stdin"],
                          input="another password\n")
    assert again.exit_code != 0 and "exists" in again.output


def test_user_create_refusals(runner):
    org_id = json.loads(runner.invoke(args=["org", "create", "Acme", "--json"]).output)["org_id"]
    short = runner.invoke(args=["user", "create", "a@b.c", "--org", str(org_id), "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "8 characters" in short.output
    missing = runner.invoke(args=["user", "create", "a@b.c", "--org", "9999", "--password-stdin"],
                            input="long enough password\n")
    assert missing.exit_code != 0 and "org" in missing.output
    prompt = runner.invoke(args=["user", "create", "p@b.c", "--org", str(org_id)],
                           input="long enough password\nlong enough password\n")
    assert prompt.exit_code == 0, prompt.output


def test_demo_seeds_once_and_prints_where_to_look(db, runner, client):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "/api/v1/docs" in result.output and "API key:" in result.output
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and again.output == result.output
    assert db.execute(select(func.count()).select_from(Org)).scalar_one() == 1
    survey = db.execute(select(Survey)).scalar_one()
    assert survey.status == "published"
    intro = survey.definition["intro"]
    assert {"en", "ms"} <= set(intro)
    assert db.execute(select(User)).scalar_one().email
    key = next(line.split()[-1] for line in result.output.splitlines() if "API key:" in line)
    responses = client.get(f"/api/v1/surveys/{survey.id}/responses",
                           headers={"Authorization": f"Bearer {key}"}).get_json()["data"]
    assert responses and all(r["status"] == "completed" for r in responses)
    follow_ups = client.get(f"/api/v1/surveys/{survey.id}/follow-ups?limit=100",
                            headers={"Authorization": f"Bearer {key}"}).get_json()["data"]
    by_status = {f["status"] for f in follow_ups}
    assert by_status == {"open", "contacted", "resolved"}, follow_ups
    assert any(f["owner"] and f["due"] for f in follow_ups if f["status"] == "open")
    assert all(f["notes"] for f in follow_ups if f["status"] != "open")


def test_demo_shows_the_keys_as_they_are_after_a_rotation(db, runner, client):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output

    def shown(output: str, label: str) -> str:
        return next(line.split(":", 1)[1].strip() for line in output.splitlines() if line.strip().startswith(label))

    org_id = db.execute(select(Org.id)).scalar_one()
    old_key = shown(first.output, "API key")
    new_widget_key = runner.invoke(args=["org", "rotate", str(org_id), "--widget-key", "--json"])
    new_api_key = runner.invoke(args=["org", "rotate", str(org_id), "--api-key", "--json"])
    password = runner.invoke(args=["user", "password", shown(first.output, "Manager login").split(" / ")[0],
                                   "--password-stdin"], input="a brand new password\n")
    assert new_widget_key.exit_code == new_api_key.exit_code == password.exit_code == 0
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert shown(again.output, "Widget key") == json.loads(new_widget_key.output)["widget_key"]
    assert old_key not in again.output and "rotated since the demo was seeded" in shown(again.output, "API key")
    assert "changed since the demo was seeded" in shown(again.output, "Manager login")
    assert client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {old_key}"}).status_code == 401
