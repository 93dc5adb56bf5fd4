"""Rotating every secret (CONTRACT §10 keys): API key, widget key, signing secret, webhook secrets, passwords.

Rotations go through the command line (the runner, or a real `surveyhub` process) and the API; their
effect is read the way clients meet it: HTTP answers, deliveries a receiver verifies, the dashboard.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from surveyhub.accounts import grace
from surveyhub.models import Org
from surveyhub.models.types import utcnow
from surveyhub.security import user_hash
from tests.helpers import PASSWORD, WidgetClient, WidgetOrg, free_port
from tests.test_dashboard import _csrf
from tests.test_surveys_api import error_fields
from tests.test_webhooks import ANSWERS, Receiver, register

REPO = Path(__file__).resolve().parent.parent
SURVEYHUB = str(Path(sys.executable).parent / "surveyhub")
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def cli_json(runner, *args: str) -> dict:
    result = runner.invoke(args=[*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(autouse=True)
def allow_private(app):
    """Webhook URLs here are loopback receivers and names that resolve nowhere (hooks.example): this file
    is about secrets, not destinations (test_webhooks.py checks those)."""
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True


@pytest.fixture
def org(runner) -> dict:
    """An org made by `surveyhub org create --json`: its id and secrets."""
    return cli_json(runner, "org", "create", "Acme")


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def move_clock(monkeypatch):
    """Move the clock grace periods are judged by (only that one: signatures keep real timestamps)."""

    def move(by: timedelta) -> None:
        monkeypatch.setattr(grace, "clock", lambda: utcnow() + by)

    return move


# ---------------------------------------------------------------- API key

def test_rotated_api_key_is_refused_at_once(client, runner, org):
    old = org["api_key"]
    assert client.get("/api/v1/surveys", headers=bearer(old)).status_code == 200
    rotated = cli_json(runner, "org", "rotate", str(org["org_id"]), "--api-key")
    new = rotated["api_key"]
    assert set(rotated) == {"org_id", "api_key"} and new.startswith("sk_") and new != old
    r = client.get("/api/v1/surveys", headers=bearer(old))
    assert r.status_code == 401 and r.get_json()["error"]["code"]
    assert client.get("/api/v1/surveys", headers=bearer(new)).status_code == 200
    again = cli_json(runner, "org", "rotate", str(org["org_id"]), "--api-key")["api_key"]
    assert client.get("/api/v1/surveys", headers=bearer(new)).status_code == 401
    assert client.get("/api/v1/surveys", headers=bearer(again)).status_code == 200


def test_rotate_refusals(runner, org):
    org_id = str(org["org_id"])
    for args, says in [([], "Give one of"), (["--api-key", "--widget-key"], "Give one of"),
                       (["--api-key", "--grace-hours", "2"], "--grace-hours goes with --signing-secret"),
                       (["--signing-secret", "--grace-hours", "-1"], "grace-hours"),
                       (["--signing-secret", "--grace-hours", "721"], "grace-hours")]:
        result = runner.invoke(args=["org", "rotate", org_id, *args])
        assert result.exit_code != 0 and says in result.output, (args, result.output)
    missing = runner.invoke(args=["org", "rotate", "9999", "--api-key"])
    assert missing.exit_code != 0 and "No org 9999" in missing.output


def _status(url: str, key: str) -> int:
    request = urllib.request.Request(url, headers=bearer(key))
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - a local http URL
            return answer.status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.fixture
def server_env(test_database, tmp_path) -> dict:
    return {**os.environ, "SURVEYHUB_DATABASE_URL": test_database, "SURVEYHUB_SECRET_KEY": "test-secret",
            "SURVEYHUB_EMBEDDED_WORKER": "0", "SURVEYHUB_BASE_URL": "http://surveys.test"}


@pytest.fixture
def gunicorn(server_env, tmp_path):
    """`gunicorn -w 3 wsgi:app` on a free port: three processes answering the same API."""
    port = free_port()
    with (tmp_path / "gunicorn.log").open("w") as log:
        proc = subprocess.Popen([GUNICORN, "-w", "3", "-b", f"127.0.0.1:{port}", "--no-control-socket", "wsgi:app"],
                                cwd=REPO, env=server_env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # bounded: up to about 30 s for the processes to come up
            try:
                urllib.request.urlopen(url + "/api/v1/openapi.json", timeout=1).close()  # noqa: S310
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail((tmp_path / "gunicorn.log").read_text())
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not answer: " + (tmp_path / "gunicorn.log").read_text())
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_rotated_api_key_is_refused_by_every_server_process(gunicorn, server_env, tmp_path):
    """Processes that served the old key a moment ago refuse it from the rotation's commit on."""
    made = subprocess.run([SURVEYHUB, "org", "create", "Acme", "--json"], env=server_env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    created = json.loads(made.stdout)
    surveys = gunicorn + "/api/v1/surveys"
    # Each request on a new connection: the three processes share them out.
    assert [_status(surveys, created["api_key"]) for _ in range(15)] == [200] * 15
    rotated = subprocess.run([SURVEYHUB, "org", "rotate", str(created["org_id"]), "--api-key", "--json"],
                             env=server_env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert rotated.returncode == 0, rotated.stderr
    new = json.loads(rotated.stdout)["api_key"]
    assert [_status(surveys, created["api_key"]) for _ in range(30)] == [401] * 30
    assert [_status(surveys, new) for _ in range(15)] == [200] * 15


# ---------------------------------------------------------------- widget key and signing secret

@pytest.fixture
def widget(client, org, make_survey_for):
    """A published survey of `org`, and a widget client with the org's keys as its host knows them."""
    make_survey_for(org["api_key"])
    return WidgetClient(client, WidgetOrg(org["org_id"], org["widget_key"], org["signing_secret"]))


@pytest.fixture
def make_survey_for(client):
    from tests.helpers import survey_definition

    def make(key: str) -> dict:
        created = client.post("/api/v1/surveys", json=survey_definition(), headers=bearer(key))
        assert created.status_code == 201, created.get_json()
        assert client.post(f"/api/v1/surveys/{created.get_json()['id']}/publish",
                           headers=bearer(key)).status_code == 200
        return created.get_json()

    return make


def test_rotated_widget_key_stops_working(runner, widget, org):
    assert widget.survey().status_code == 200 and widget.post("display").status_code == 200
    new_key = cli_json(runner, "org", "rotate", str(org["org_id"]), "--widget-key")["widget_key"]
    assert new_key.startswith("pk_") and new_key != org["widget_key"]
    assert widget.survey().status_code == 404
    assert widget.post("display", visit="visit-after-rotation-01").status_code == 404
    widget.org = WidgetOrg(org["org_id"], new_key, org["signing_secret"])
    assert widget.survey().status_code == 200
    assert widget.post("display", visit="visit-after-rotation-01").status_code == 200


def _display(widget: WidgetClient, secret: str, visit: str):
    body = {"visit": visit, "user": widget.user, "userHash": user_hash(secret, widget.user["id"])}
    return widget.post("display", body)


def test_old_signing_secret_verifies_user_hash_for_the_grace_period(db, runner, widget, org, move_clock):
    old = org["signing_secret"]
    rotated = cli_json(runner, "org", "rotate", str(org["org_id"]), "--signing-secret")
    new = rotated["signing_secret"]
    assert new != old and rotated["old_secret_valid_until"].endswith("Z")
    stored = db.get(Org, org["org_id"])  # kept at rest only encrypted, like the current one
    assert stored.previous_signing_secret_encrypted and old not in stored.previous_signing_secret_encrypted
    assert new not in stored.signing_secret_encrypted
    assert _display(widget, old, "visit-grace-0000000001").status_code == 200
    assert _display(widget, new, "visit-grace-0000000002").status_code == 200
    move_clock(timedelta(hours=23, minutes=59))
    assert _display(widget, old, "visit-grace-0000000003").status_code == 200
    move_clock(timedelta(hours=24, minutes=1))
    refused = _display(widget, old, "visit-grace-0000000004")
    assert refused.status_code == 401 and "userHash" in error_fields(refused)
    assert _display(widget, new, "visit-grace-0000000005").status_code == 200


def test_signing_secret_grace_hours(runner, widget, org, move_clock):
    old = org["signing_secret"]
    rotated = cli_json(runner, "org", "rotate", str(org["org_id"]), "--signing-secret", "--grace-hours", "2")
    move_clock(timedelta(hours=1))
    assert _display(widget, old, "visit-hours-0000000001").status_code == 200
    move_clock(timedelta(hours=2, seconds=1))
    assert _display(widget, old, "visit-hours-0000000002").status_code == 401
    # Without grace the old secret stops at once; the one in grace before is dropped too.
    at_once = cli_json(runner, "org", "rotate", str(org["org_id"]), "--signing-secret", "--grace-hours", "0")
    assert at_once["old_secret_valid_until"] is None
    move_clock(timedelta(0))
    assert _display(widget, rotated["signing_secret"], "visit-hours-0000000003").status_code == 401
    assert _display(widget, at_once["signing_secret"], "visit-hours-0000000004").status_code == 200


def test_second_rotation_keeps_only_the_last_old_secret(runner, widget, org):
    first = cli_json(runner, "org", "rotate", str(org["org_id"]), "--signing-secret")["signing_secret"]
    cli_json(runner, "org", "rotate", str(org["org_id"]), "--signing-secret")
    assert _display(widget, first, "visit-twice-0000000001").status_code == 200
    assert _display(widget, org["signing_secret"], "visit-twice-0000000002").status_code == 401


# ---------------------------------------------------------------- webhook secrets

@pytest.fixture
def completed(api, make_survey):
    """Post one completed staff response (an event for response.completed webhooks)."""
    survey = make_survey()

    def post(external_id: str) -> None:
        r = api.post(f"/api/v1/surveys/{survey['id']}/responses",
                     json={"external_id": external_id, "answers": ANSWERS, "complete": True})
        assert r.status_code == 201, r.get_json()

    return post


@pytest.fixture
def hook():
    """A local webhook receiver answering 200, recording what it gets."""
    receiver = Receiver([])
    yield receiver
    receiver.stop()


def test_rotated_webhook_secret_signs_with_both_during_the_overlap(api, hook, completed, run_worker, move_clock):
    endpoint = register(api, hook.url)
    old = endpoint["secret"]
    r = api.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret")
    assert r.status_code == 200, r.get_json()
    rotated = r.get_json()
    new = rotated["secret"]
    assert new.startswith("whsec_") and new != old
    assert rotated["id"] == endpoint["id"] and rotated["url"] == hook.url and rotated["status"] == "active"
    assert rotated["previous_secret_expires_at"] is not None
    assert "secret" not in api.get("/api/v1/webhooks").get_json()["data"][0]

    completed("cust-during")
    run_worker()
    (headers, body), = hook.received
    assert len(headers["webhook-signature"].split(" ")) == 2
    # A receiver still on the old secret and one already on the new both accept it.
    assert Webhook(old).verify(body, headers)["data"]["response"]["external_id"] == "cust-during"
    assert Webhook(new).verify(body, headers)["data"]["response"]["external_id"] == "cust-during"

    move_clock(timedelta(hours=24, seconds=1))
    completed("cust-after")
    run_worker()
    headers, body = hook.received[1]
    assert len(headers["webhook-signature"].split(" ")) == 1
    assert Webhook(new).verify(body, headers)["data"]["response"]["external_id"] == "cust-after"
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, headers)


def test_webhook_secret_rotated_without_overlap(api, hook, completed, run_worker):
    endpoint = register(api, hook.url)
    r = api.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret?grace_hours=0")
    assert r.status_code == 200 and r.get_json()["previous_secret_expires_at"] is None
    completed("cust-1")
    run_worker()
    (headers, body), = hook.received
    Webhook(r.get_json()["secret"]).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(body, headers)


@pytest.mark.parametrize("query", ["grace_hours=-1", "grace_hours=721", "grace_hours=soon",
                                   "grace_hours=99999999999999999999999"])
def test_bad_rotate_secret_is_refused(api, row_counts, query):
    endpoint = register(api, "https://hooks.example/x")
    before = row_counts()
    r = api.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret?{query}")
    assert r.status_code == 422 and "grace_hours" in error_fields(r), r.get_json()
    assert row_counts() == before


def test_another_orgs_endpoint_is_not_rotated(api, other_api, row_counts):
    endpoint = register(api, "https://hooks.example/x")
    before = row_counts()
    assert other_api.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret").status_code == 404
    assert api.post("/api/v1/webhooks/424242/rotate-secret").status_code == 404
    assert row_counts() == before
    assert other_api.client.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret").status_code == 401


# ---------------------------------------------------------------- passwords

def _login(client, email: str, password: str) -> int:
    token = _csrf(client, "/dashboard/login")
    return client.post("/dashboard/login", data={"csrf_token": token, "email": email, "password": password}).status_code


def test_password_change_through_the_cli(app, runner, org):
    assert runner.invoke(args=["user", "create", "boss@acme.test", "--org", str(org["org_id"]), "--password-stdin"],
                         input=PASSWORD + "\n").exit_code == 0
    signed_in = app.test_client()
    assert _login(signed_in, "boss@acme.test", PASSWORD) == 302
    assert signed_in.get("/dashboard/").status_code == 200
    result = runner.invoke(args=["user", "password", "Boss@Acme.test", "--password-stdin"],
                           input="a brand new passphrase\n")
    assert result.exit_code == 0 and "boss@acme.test" in result.output, result.output
    assert signed_in.get("/dashboard/").status_code == 302  # the session from before the change is over
    assert _login(app.test_client(), "boss@acme.test", PASSWORD) == 401
    assert _login(app.test_client(), "boss@acme.test", "a brand new passphrase") == 302
    prompted = runner.invoke(args=["user", "password", "boss@acme.test"],
                             input="typed at a prompt\ntyped at a prompt\n")
    assert prompted.exit_code == 0, prompted.output
    assert _login(app.test_client(), "boss@acme.test", "typed at a prompt") == 302


def test_password_change_refusals(app, runner, org):
    runner.invoke(args=["user", "create", "boss@acme.test", "--org", str(org["org_id"]), "--password-stdin"],
                  input=PASSWORD + "\n")
    short = runner.invoke(args=["user", "password", "boss@acme.test", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "8 characters" in short.output
    nobody = runner.invoke(args=["user", "password", "nobody@acme.test", "--password-stdin"],
                           input="long enough password\n")
    assert nobody.exit_code != 0 and "No manager nobody@acme.test" in nobody.output
    assert _login(app.test_client(), "boss@acme.test", PASSWORD) == 302  # unchanged


# ---------------------------------------------------------------- the security log

def test_rotations_are_in_the_security_log_of_that_org_only(app, client, runner, org):
    other = cli_json(runner, "org", "create", "Globex")
    for email, org_id in (("boss@acme.test", org["org_id"]), ("boss@globex.test", other["org_id"])):
        assert runner.invoke(args=["user", "create", email, "--org", str(org_id), "--password-stdin"],
                             input=PASSWORD + "\n").exit_code == 0
    org_id = str(org["org_id"])
    api_key = cli_json(runner, "org", "rotate", org_id, "--api-key")["api_key"]
    widget_key = cli_json(runner, "org", "rotate", org_id, "--widget-key")["widget_key"]
    signing = cli_json(runner, "org", "rotate", org_id, "--signing-secret", "--grace-hours", "6")
    hook = client.post("/api/v1/webhooks", json={"url": "https://hooks.example/acme", "events": ["offer.accepted"]},
                       headers=bearer(api_key)).get_json()
    webhook_secret = client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret",
                                 headers=bearer(api_key)).get_json()["secret"]
    assert runner.invoke(args=["user", "password", "boss@acme.test", "--password-stdin"],
                         input="a brand new passphrase\n").exit_code == 0

    acme, globex = app.test_client(), app.test_client()
    assert acme.get("/dashboard/security").status_code == 302  # sign in first
    assert _login(acme, "boss@acme.test", "a brand new passphrase") == 302
    assert _login(globex, "boss@globex.test", PASSWORD) == 302
    page = acme.get("/dashboard/security")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    actions = [line.split('data-action="')[1].split('"')[0] for line in html.splitlines() if "data-action=" in line]
    assert actions == ["password.changed", "webhook_secret.rotated", "signing_secret.rotated",
                       "widget_key.rotated", "api_key.rotated"]  # newest first
    assert "boss@acme.test" in html and "https://hooks.example/acme" in html and widget_key in html
    assert f"API key {api_key[:12]}…" in html and "command line" in html
    assert signing["old_secret_valid_until"] in html
    for secret in (api_key, signing["signing_secret"], org["signing_secret"], webhook_secret, hook["secret"]):
        assert secret not in html
    assert "Security" in acme.get("/dashboard/").get_data(as_text=True)

    theirs = globex.get("/dashboard/security").get_data(as_text=True)
    assert "data-action=" not in theirs and "Nothing rotated yet" in theirs
    assert "boss@acme.test" not in theirs and "hooks.example" not in theirs


def test_security_log_pages_newest_first(app, runner, org):
    assert runner.invoke(args=["user", "create", "boss@acme.test", "--org", str(org["org_id"]), "--password-stdin"],
                         input=PASSWORD + "\n").exit_code == 0
    keys = [cli_json(runner, "org", "rotate", str(org["org_id"]), "--widget-key")["widget_key"] for _ in range(51)]
    manager = app.test_client()
    assert _login(manager, "boss@acme.test", PASSWORD) == 302
    first = manager.get("/dashboard/security").get_data(as_text=True)
    assert first.count('data-action="widget_key.rotated"') == 50 and keys[-1] in first and keys[0] not in first
    older = re.search(r'href="(/dashboard/security\?before=\d+)"', first).group(1)
    second = manager.get(older).get_data(as_text=True)
    assert second.count('data-action="widget_key.rotated"') == 1 and keys[0] in second
    assert 'href="/dashboard/security?before=' not in second  # no older page
