"""The Install & settings page: the snippet and userHash examples that work, origins, keys, org settings."""

from __future__ import annotations

import html as html_lib
import json
import re
import subprocess

import pytest

from tests.helpers import PASSWORD, WidgetClient, WidgetOrg, add_manager, csrf_token, sign_in, widget_org_of

PAGE = "/dashboard/settings"


@pytest.fixture
def manager(app, api, client) -> str:
    """The `api` org's manager, signed in on `client`."""
    email = add_manager(app, api.org_id, "boss@acme.test")
    sign_in(client, email)
    return email


def _page(client) -> str:
    r = client.get(PAGE)
    assert r.status_code == 200
    return r.get_data(as_text=True)


def _post(client, path: str, **data):
    return client.post(path, data={"csrf_token": csrf_token(_page(client)), **data})


def _text_of(html: str, element_id: str) -> str:
    """The text of the element with this id (a <code> or <pre>), unescaped as a browser shows it."""
    found = re.search(rf'id="{element_id}"[^>]*>(?:<code>)?(.*?)</', html, re.S)
    assert found, f"no #{element_id} on the page"
    return html_lib.unescape(found.group(1))


def _error(html: str, field: str) -> str | None:
    found = re.search(rf'<p class="error" id="error-{field}">(.*?)</p>', html, re.S)
    return html_lib.unescape(found.group(1)) if found else None


def _widget_key(html: str) -> str:
    return _text_of(html, "widget-key")


def test_the_page_needs_a_sign_in(client):
    r = client.get(PAGE)
    assert r.status_code == 302 and "/dashboard/login" in r.headers["Location"]


def test_the_page_shows_the_snippet_with_the_widget_key_and_the_api_key_masked(app, client, api, manager):
    html = _page(client)
    real = widget_org_of(app, api.org_id)
    assert 'href="/dashboard/settings"' in html  # in the top bar
    snippet = _text_of(html, "snippet")
    assert f'key: "{real.key}"' in snippet
    assert '<script src="http://surveys.test/widget.js" async></script>' in snippet
    assert 'window.SurveyHub = window.SurveyHub || (function (q) {' in snippet  # the contract's loader stub
    assert "&lt;script" in html and "<script>\n  // the loader stub" not in html  # shown as text, not run
    assert f"<code>{api.key[:12]}…</code>" in html
    assert api.key not in html and api.key[:13] not in html
    assert real.secret not in html  # the signing secret is never shown again
    assert 'href="/dashboard/webhooks"' in html and "delivery log and replay" in html


@pytest.mark.parametrize("language, command, call", [
    ("python", ["python3", "-c"], "\nimport sys\nprint(surveyhub_user_hash(sys.argv[1]))\n"),
    ("node", ["node", "-e"], "\nconsole.log(surveyhubUserHash(process.argv[1]));\n"),
    ("php", ["php", "-r"], "\necho surveyhub_user_hash($argv[1]), \"\\n\";\n"),
    ("ruby", ["ruby", "-e"], "\nputs surveyhub_user_hash(ARGV[0])\n"),
])
def test_each_user_hash_example_makes_a_hash_the_widget_accepts(app, client, api, manager, make_survey,
                                                                language, command, call):
    """The example is run as shown on the page, with the signing secret the page gave on rotation."""
    make_survey()
    old = widget_org_of(app, api.org_id)
    r = _post(client, "/dashboard/settings/signing-secret/rotate", grace_hours="0")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    secret = _text_of(html, "new-secret-value")
    assert secret and secret != old.secret
    code = _text_of(html, f"hash-{language}")
    if language == "php":
        code = code.removeprefix("<?php\n")  # php -r takes the code without its opening tag
    user_id = "üser-42"  # not ASCII: the examples must hash the id's UTF-8 bytes, as the server does
    program = [*command, code + call]
    if language == "node":
        program.append("--")
    ran = subprocess.run([*program, user_id], capture_output=True, text=True, timeout=60, check=False,
                         env={"PATH": "/usr/local/bin:/usr/bin:/bin", "SURVEYHUB_SIGNING_SECRET": secret})
    assert ran.returncode == 0, ran.stderr
    made = ran.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", made)

    wc = WidgetClient(client, WidgetOrg(api.org_id, _widget_key(html), secret), user={"id": user_id})
    assert wc.post("display", {"visit": "v" * 20, "user": {"id": user_id}, "userHash": made}).status_code == 200
    # The old secret was given no grace: a hash made with it is refused.
    stale = WidgetOrg(api.org_id, old.key, old.secret).hash(user_id)
    assert wc.post("display", {"visit": "w" * 20, "user": {"id": user_id}, "userHash": stale}).status_code == 401


def test_a_rotated_signing_secret_keeps_the_old_one_for_its_grace(app, client, api, manager):
    old = widget_org_of(app, api.org_id)
    refused = _post(client, "/dashboard/settings/signing-secret/rotate", grace_hours="721")
    assert refused.status_code == 422 and "0 to 720" in _error(refused.get_data(as_text=True), "grace_hours")
    assert _post(client, "/dashboard/settings/signing-secret/rotate", grace_hours="soon").status_code == 422
    assert widget_org_of(app, api.org_id).secret == old.secret  # nothing changed
    r = _post(client, "/dashboard/settings/signing-secret/rotate", grace_hours="24")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "The old secret still verifies userHash until" in html
    new = _text_of(html, "new-secret-value")
    assert new == widget_org_of(app, api.org_id).secret
    after = _page(client)
    assert new not in after and old.secret not in after and 'id="previous-secret"' in after


def test_rotating_the_api_key_shows_the_new_one_once_and_refuses_the_old(app, client, api, manager):
    unconfirmed = _post(client, "/dashboard/settings/api-key/rotate")
    assert unconfirmed.status_code == 422
    assert _error(unconfirmed.get_data(as_text=True), "api-key-confirm") == "Tick the box to confirm."
    assert api.get("/api/v1/surveys").status_code == 200  # not rotated

    r = _post(client, "/dashboard/settings/api-key/rotate", confirm="y")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    html = r.get_data(as_text=True)
    new_key = _text_of(html, "new-secret-value")
    assert new_key.startswith("sk_") and new_key != api.key and "it is not shown again" in html
    assert api.get("/api/v1/surveys").status_code == 401
    assert client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {new_key}"}).status_code == 200

    after = _page(client)
    assert new_key not in after and f"<code>{new_key[:12]}…</code>" in after
    log = client.get("/dashboard/security").get_data(as_text=True)
    entry = re.search(r'<tr data-entry-id="\d+" data-action="api_key.rotated">(.*?)</tr>', log, re.S).group(1)
    assert f"{new_key[:12]}…" in entry and manager in entry
    assert client.post("/dashboard/settings/api-key/rotate", data={"confirm": "y"}).status_code == 400  # no CSRF


def test_rotating_the_widget_key(app, client, api, manager, make_survey):
    make_survey()
    old_key = widget_org_of(app, api.org_id).key
    assert _post(client, "/dashboard/settings/widget-key/rotate").status_code == 422
    assert client.get(f"/widget/v1/{old_key}/surveys/cancel-flow").status_code == 200
    html = _post(client, "/dashboard/settings/widget-key/rotate", confirm="y").get_data(as_text=True)
    new_key = _text_of(html, "new-secret-value")
    assert new_key.startswith("pk_") and new_key != old_key and _widget_key(html) == new_key
    assert f'key: "{new_key}"' in _text_of(html, "snippet")
    assert client.get(f"/widget/v1/{old_key}/surveys/cancel-flow").status_code == 404
    assert client.get(f"/widget/v1/{new_key}/surveys/cancel-flow").status_code == 200
    log = client.get("/dashboard/security").get_data(as_text=True)
    assert re.search(r'data-action="widget_key.rotated">.*?' + re.escape(manager), log, re.S)


def test_allowed_origins_are_saved_and_used_by_the_widget_api(app, client, api, manager, make_survey):
    make_survey()
    wc = WidgetClient(client, widget_org_of(app, api.org_id))
    assert "Any site may use your widget key" in _page(client)
    r = _post(client, "/dashboard/settings/origins",
              origins="https://App.Example.com\n\n  http://127.0.0.1:8000/ \nhttps://app.example.com\n")
    assert r.status_code == 302
    html = _page(client)
    assert re.findall(r"<li><code>(.*?)</code></li>", html) == ["https://app.example.com", "http://127.0.0.1:8000"]
    assert "The widget may be used from: https://app.example.com, http://127.0.0.1:8000" in html
    ok = wc.post("display", headers={"Origin": "https://app.example.com"})
    assert ok.status_code == 200 and ok.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    refused = wc.post("display", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers

    # Any site again.
    assert _post(client, "/dashboard/settings/origins", origins="").status_code == 302
    assert wc.post("display", headers={"Origin": "https://evil.example"}).status_code == 200


@pytest.mark.parametrize("bad, line", [("app.example.com", 2), ("ftp://x.example", 2), ("https://x.example/path", 2),
                                       ("https://", 2), ('https://x.example/"><script>alert(1)</script>', 2)])
def test_a_bad_origin_is_shown_at_the_field_and_nothing_saved(app, client, api, manager, bad, line):
    assert _post(client, "/dashboard/settings/origins", origins="https://kept.example").status_code == 302
    r = _post(client, "/dashboard/settings/origins", origins=f"https://ok.example\n{bad}")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert _error(html, "origins").startswith(f"Line {line}, {bad}, is not an origin")
    assert 'aria-invalid="true"' in html and "<script>alert(1)" not in html
    assert f"https://ok.example\n{bad}" in html_lib.unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>",
                                                                       html, re.S).group(1))  # kept as typed
    assert re.findall(r"<li><code>(.*?)</code></li>", _page(client)) == ["https://kept.example"]


def test_org_settings_are_saved_and_the_api_shows_them(client, api, manager):
    r = _post(client, "/dashboard/settings/org", timezone="Asia/Kuala_Lumpur", default_region="my",
              contact_cap_days="14", widget_responses_per_day="3")
    assert r.status_code == 302
    assert "Settings saved." in _page(client)
    org = api.get("/api/v1/org").get_json()
    assert {k: org[k] for k in ("timezone", "default_region", "contact_cap_days", "widget_responses_per_day")} == \
        {"timezone": "Asia/Kuala_Lumpur", "default_region": "MY", "contact_cap_days": 14,
         "widget_responses_per_day": 3}
    html = _page(client)
    assert 'value="Asia/Kuala_Lumpur"' in html and 'value="MY"' in html and 'value="14"' in html
    # An empty region removes it: only +country numbers are read.
    assert _post(client, "/dashboard/settings/org", timezone="Asia/Kuala_Lumpur", default_region="",
                 contact_cap_days="0", widget_responses_per_day="3").status_code == 302
    assert api.get("/api/v1/org").get_json()["default_region"] is None


@pytest.mark.parametrize("field, value", [
    ("timezone", "Mars/Olympus_Mons"), ("timezone", ""), ("default_region", "XX"), ("default_region", "MYS"),
    ("contact_cap_days", "-1"), ("contact_cap_days", "3651"), ("contact_cap_days", "soon"),
    ("widget_responses_per_day", "1.5"), ("widget_responses_per_day", "10001"),
])
def test_a_bad_setting_is_shown_at_its_field_and_nothing_is_written(client, api, manager, field, value):
    before = api.get("/api/v1/org").get_json()
    given = {"timezone": "Asia/Jakarta", "default_region": "ID", "contact_cap_days": "7",
             "widget_responses_per_day": "2", field: value}
    r = _post(client, "/dashboard/settings/org", **given)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert _error(html, field), html
    assert [name for name in given if _error(html, name)] == [field]  # only the bad one is flagged
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"', html)
    assert api.get("/api/v1/org").get_json() == before  # not even the good values


def test_all_bad_settings_are_shown_at_once(client, api, manager):
    r = _post(client, "/dashboard/settings/org", timezone="Nowhere", default_region="ZZ", contact_cap_days="x",
              widget_responses_per_day="-3")
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert _error(html, "timezone") == "Choose a time zone such as Asia/Kuala_Lumpur."
    assert _error(html, "default_region") == "Give a region code such as MY, ID or SG, or leave it empty."
    assert _error(html, "contact_cap_days") == "Give a whole number from 0 to 3650."
    assert _error(html, "widget_responses_per_day") == "Give a whole number from 0 to 10000."


def test_another_orgs_manager_never_sees_this_orgs_keys(app, client, api, other_api, manager):
    ours = widget_org_of(app, api.org_id)
    other = app.test_client()
    sign_in(other, add_manager(app, other_api.org_id, "spy@globex.test"))
    html = _page(other)
    assert ours.key not in html and api.key[:12] not in html and ours.secret not in html
    assert widget_org_of(app, other_api.org_id).key in html and f"<code>{other_api.key[:12]}…</code>" in html
    # Their rotation and their settings are theirs alone.
    token = csrf_token(html)
    rotated = other.post("/dashboard/settings/api-key/rotate", data={"csrf_token": token, "confirm": "y"})
    assert rotated.status_code == 200
    assert other.post("/dashboard/settings/origins", data={"csrf_token": token,
                                                             "origins": "https://globex.example"}).status_code == 302
    assert api.get("/api/v1/surveys").status_code == 200
    assert "Any site may use your widget key" in _page(client)


def test_the_org_name_is_shown_as_text(app, runner, client):
    name = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    created = runner.invoke(args=["org", "create", name, "--json"])
    assert created.exit_code == 0, created.output
    org_id = json.loads(created.output)["org_id"]
    other = app.test_client()
    sign_in(other, add_manager(app, org_id, "xss@evil.test"))
    html = _page(other)
    assert "<script>alert(" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert PASSWORD not in html
