"""The dashboard's sign-in over HTTP: attempts limited per account and per address; sign-out is for good."""

from __future__ import annotations

import re

import pytest

from tests.helpers import PASSWORD


@pytest.fixture
def manager(api, runner) -> str:
    email = "boss@acme.test"
    created = runner.invoke(args=["user", "create", email, "--org", str(api.org_id), "--password-stdin"],
                            input=PASSWORD + "\n")
    assert created.exit_code == 0, created.output
    return email


def _csrf(client) -> str:
    html = client.get("/dashboard/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def sign_in(client, email: str, password: str = PASSWORD, address: str = "127.0.0.1"):
    client.environ_base["REMOTE_ADDR"] = address
    return client.post("/dashboard/login", data={"csrf_token": _csrf(client), "email": email, "password": password})


def replay(app, cookie: str):
    """A client of its own that sends only this session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/dashboard/")


def test_signing_out_ends_the_session_for_good(app, client, manager):
    assert sign_in(client, manager).status_code == 302
    cookie = client.get_cookie("session").value
    assert replay(app, cookie).status_code == 200  # a copy of the cookie works while the session lasts

    html = client.get("/dashboard/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    assert client.post("/dashboard/logout", data={"csrf_token": token}).status_code == 302

    stale = replay(app, cookie)
    assert stale.status_code == 302 and stale.headers["Location"].startswith("/dashboard/login")
    # Signing in again starts a new session, which works.
    assert sign_in(client, manager).status_code == 302
    assert client.get("/dashboard/").status_code == 200
    assert replay(app, cookie).status_code == 302


def test_a_cookie_naming_no_session_version_is_refused(app, client, manager):
    """Cookies from before session versions (the bare user id) sign no one in."""
    assert sign_in(client, manager).status_code == 302
    with client.session_transaction() as session:
        session["_user_id"] = session["_user_id"].split(".")[0]
    assert client.get("/dashboard/").status_code == 302


def test_attempts_per_account_are_limited(app, client, manager, api, runner):
    app.config.update(LOGIN_RATE_LIMIT_PER_ACCOUNT="3 per 15 minutes", LOGIN_RATE_LIMIT_PER_IP="100 per hour")
    codes = [sign_in(client, manager, "wrong-password", f"10.0.0.{i}").status_code for i in range(3)]
    assert codes == [401] * 3
    # From yet another address, even the right password waits: the account has used its tries.
    r = sign_in(client, " Boss@Acme.test ", PASSWORD, "10.0.0.9")
    assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 15 * 60
    assert re.search(r"Too many sign-in attempts\. Try again in \d+ minutes?\.", r.get_data(as_text=True))
    assert client.get("/dashboard/").status_code == 302  # and not signed in
    # Another account is not held up.
    runner.invoke(args=["user", "create", "ops@acme.test", "--org", str(api.org_id), "--password-stdin"],
                  input=PASSWORD + "\n")
    assert sign_in(client, "ops@acme.test", PASSWORD, "10.0.0.9").status_code == 302


def test_attempts_per_address_are_limited(app, client, manager):
    app.config.update(LOGIN_RATE_LIMIT_PER_ACCOUNT="100 per 15 minutes", LOGIN_RATE_LIMIT_PER_IP="5 per hour")
    codes = [sign_in(client, f"guess{i}@acme.test", "wrong-password", "10.0.1.1").status_code for i in range(5)]
    assert codes == [401] * 5
    r = sign_in(client, manager, PASSWORD, "10.0.1.1")
    assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 3600
    assert "Too many sign-in attempts" in r.get_data(as_text=True)
    assert sign_in(client, manager, PASSWORD, "10.0.1.2").status_code == 302
