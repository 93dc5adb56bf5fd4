"""The managers' dashboard, driven in headless Chromium against a real server, and over the test client."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from surveyhub.extensions import db
from surveyhub.models import FollowUp, Survey, User, WebhookEndpoint
from surveyhub.models.types import utcnow
from tests.helpers import PASSWORD, survey_definition

FULL = [{"question": "reason", "value": "price"}, {"question": "satisfaction", "value": 2},
        {"question": "nps", "value": 3}, {"question": "come_back", "value": False},
        {"question": "why_not", "value": "Too slow for <b>us</b> & our team"}]


def _manager(app, org_id: int, email: str) -> str:
    with app.app_context():
        db.session.add(User(org_id=org_id, email=email, password_hash=generate_password_hash(PASSWORD)))
        db.session.commit()
    return email


@pytest.fixture
def manager(app, api):
    return _manager(app, api.org_id, "boss@acme.test")


@pytest.fixture
def survey(api, make_survey):
    """A published survey with a few interview responses: a detractor, a promoter who'd come back."""
    created = make_survey()
    post = lambda body: api.post(f"/api/v1/surveys/{created['id']}/responses", json=body)  # noqa: E731
    assert post({"external_id": "cust-1", "answers": FULL, "complete": True}).status_code == 201
    assert post({"external_id": "cust-2", "complete": True, "answers": [
        {"question": "reason", "value": "other", "other_text": "Company closed"},
        {"question": "satisfaction", "value": 6}, {"question": "nps", "value": 10},
        {"question": "come_back", "value": True}]}).status_code == 201
    assert post({"answers": [{"question": "nps", "value": 8}]}).status_code == 201
    return created


# ---------------------------------------------------------------- in Chromium

@pytest.fixture
def site(live_server) -> str:
    """The base URL of the app on a real server thread."""
    return live_server.url


@pytest.fixture
def console() -> list[str]:
    """Console errors and uncaught exceptions of `page`; each test asserts on them itself."""
    return []


@pytest.fixture
def page(browser, console: list[str]):
    """A fresh context and page that record console errors and any dialog (an escaped string opens none)."""
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda exc: console.append(str(exc)))
    tab.on("dialog", lambda dialog: (console.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    yield tab
    context.close()

def sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/dashboard/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_logged_out_manager_is_sent_to_login(site, page, survey):
    page.goto(f"{site}/dashboard/surveys/{survey['id']}")
    assert re.search(r"/dashboard/login\?next=", page.url)
    assert page.locator("h1").inner_text() == "Sign in"


def test_survey_pages_show_the_apis_numbers_and_draw_charts(site, page, api, manager, survey, console):
    sign_in(page, site, manager)
    assert page.url == f"{site}/dashboard/"
    api_stats = api.get(f"/api/v1/surveys/{survey['id']}/stats").get_json()

    row = page.locator(f"tr[data-survey-id='{survey['id']}']")
    rate = row.locator("td[data-channel='interview']").get_attribute("data-rate")
    assert float(rate) == api_stats["channels"]["interview"]["response_rate"]

    row.get_by_role("link").click()
    page.wait_for_selector("canvas[data-drawn='1']")
    for channel, numbers in api_stats["channels"].items():
        for metric, value in numbers.items():
            cell = page.locator(f"#funnel td[data-channel='{channel}'][data-metric='{metric}']")
            if metric.endswith("_rate"):
                shown = cell.get_attribute("data-value")
                assert (float(shown) if shown else None) == value, (channel, metric)
            else:
                assert int(cell.inner_text()) == value, (channel, metric)
    for name in ("reached", "responded", "completed"):
        assert int(page.locator(f"[data-total='{name}']").inner_text()) == api_stats["totals"][name]
    nps = page.locator("[data-question='nps']")
    score = nps.locator("[data-stat='score']").get_attribute("data-value")
    assert float(score) == api_stats["questions"]["nps"]["score"]
    for name in ("promoters", "passives", "detractors", "answered"):
        assert int(nps.locator(f"[data-stat='{name}']").inner_text()) == api_stats["questions"]["nps"][name]
    assert int(page.locator("[data-question='come_back'] [data-stat='yes']").inner_text()) == 1

    # Every chart was drawn by Chart.js, and drew something.
    drawn = page.evaluate("""() => [...document.querySelectorAll('canvas')].map(c => {
        const chart = Chart.getChart(c);
        const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return {id: c.id || c.dataset.chart, chart: !!chart, ink: pixels.some(v => v !== 0)};
    })""")
    assert {d["id"] for d in drawn} == {"chart-rate", "chart-nps", "reason", "satisfaction", "nps", "come_back"}
    assert all(d["chart"] and d["ink"] for d in drawn), drawn
    labels = page.evaluate("() => Chart.getChart(document.querySelector('canvas[data-chart=reason]')).data.labels")
    assert labels == ["Too expensive", "Missing features", "Other"]  # the survey's order and labels

    # User text is shown as text.
    assert "Too slow for <b>us</b> & our team" in page.locator("#open-answers").inner_text()
    assert page.locator("#open-answers b").count() == 0
    assert console == []


def test_filters_and_open_answer_search(site, page, api, manager, survey, console):
    sign_in(page, site, manager)
    page.goto(f"{site}/dashboard/surveys/{survey['id']}?channel=interview&interval=week")
    assert page.locator("#funnel th.num").all_inner_texts() == ["interview"]
    page.fill("input[name=q]", "company")
    page.click("#open-answers button")
    assert page.locator("#open-answers li").all_inner_texts()[0].startswith("Company closed")
    assert page.locator("#open-answers li").count() == 1
    assert "channel=interview" in page.url

    page.goto(f"{site}/dashboard/surveys/{survey['id']}?from=2026-13-40&attr_key=bad key&attr_value=x")
    errors = page.locator("#filter-errors").inner_text()
    assert "from" in errors and "attr.bad key" in errors
    assert console == []


def test_one_orgs_manager_cannot_see_anothers_survey(site, page, app, other_api, survey, console):
    outsider = _manager(app, other_api.org_id, "spy@globex.test")
    sign_in(page, site, outsider)
    assert page.locator(f"tr[data-survey-id='{survey['id']}']").count() == 0
    for path in ("", "/edit", "/follow-ups", "/export.csv", "/export.json"):
        response = page.goto(f"{site}/dashboard/surveys/{survey['id']}{path}")
        assert response.status == 404, path
        assert "Cancellation exit survey" not in page.content()
    console.clear()  # the 404s above are logged by Chromium as failed loads, which is the point


def test_csrf_token_required(site, page, db, manager, survey):
    sign_in(page, site, manager)
    status = page.evaluate(f"""async () => (await fetch('/dashboard/surveys/{survey['id']}/publish',
                                                       {{method: 'POST'}})).status""")
    assert status == 400
    forged = page.evaluate(f"""async () => (await fetch('/dashboard/surveys/{survey['id']}/edit', {{method: 'POST',
        headers: {{'Content-Type': 'application/x-www-form-urlencoded'}},
        body: 'csrf_token=forged&definition=%7B%7D'}})).status""")
    assert forged == 400
    assert db.get(Survey, survey["id"]).definition == survey["definition"]


def test_edit_publish_and_create_in_the_json_editor(site, page, db, api, manager, survey, console):
    sign_in(page, site, manager)
    page.goto(f"{site}/dashboard/surveys/{survey['id']}/edit")
    definition = json.loads(page.input_value("#definition"))
    definition["questions"][0]["type"] = "dropdown"
    definition["questions"][2]["text"] = " "
    page.fill("#definition", json.dumps(definition))
    page.click("#save")
    errors = page.locator("#definition-errors").inner_text()
    assert "questions.0.type" in errors and "questions.2.text" in errors

    definition = json.loads(json.dumps(survey["definition"]))
    definition["questions"][4]["show_if"] = {"question": "later", "equals": True}
    page.fill("#definition", json.dumps(definition))
    page.click("#save")
    assert "questions.4.show_if" in page.locator("#definition-errors").inner_text()
    assert db.get(Survey, survey["id"]).definition["questions"][0]["type"] == "multiple_choice"

    page.fill("#definition", "{not json")
    page.click("#save")
    assert "not valid JSON" in page.locator("#definition-errors").inner_text()

    definition = json.loads(json.dumps(survey["definition"]))
    definition["name"] = "Exit survey <v2>"
    page.fill("#definition", json.dumps(definition))
    page.click("#save")
    assert "Publish to make it live" in page.locator(".flash").inner_text()
    page.click("#publish")
    assert "Published version 2" in page.locator(".flash").inner_text()
    assert page.locator("#survey-name").inner_text() == "Exit survey <v2>"

    page.goto(f"{site}/dashboard/surveys/new")
    page.fill("#definition", json.dumps(survey_definition(slug="cancel-flow")))
    page.click("#save")
    assert "slug" in page.locator("#definition-errors").inner_text()  # taken by the first survey
    page.fill("#definition", json.dumps(survey_definition(slug="second", name="Second")))
    page.click("#save")
    assert page.locator("h1").inner_text() == "Second"
    # Refused saves answer 422, which Chromium logs as a failed load; nothing else may be logged.
    assert [m for m in console if "status of 422" not in m] == []


def test_follow_ups_are_listed_and_resolved(site, page, db, manager, survey, console):
    sign_in(page, site, manager)
    page.goto(f"{site}/dashboard/surveys/{survey['id']}/follow-ups")
    cards = page.locator("#follow-ups li.follow-up")
    assert cards.count() == 1  # the detractor (NPS 3); not the NPS 10 nor the NPS 8
    assert "Detractor (NPS 0–6)" in cards.first.inner_text()
    cards.first.locator("select[name=status]").select_option("resolved")
    cards.first.locator("select[name=owner]").select_option(manager)
    cards.first.locator("textarea[name=note]").fill("Called them back")
    cards.first.get_by_role("button", name="Save").click()
    assert "Follow-up saved." in page.locator(".flash").inner_text()
    assert page.locator("#follow-ups li.follow-up").count() == 0
    page.get_by_role("link", name="Resolved").click()
    assert "Called them back" in page.locator("#follow-ups").inner_text()
    page.get_by_role("link", name="My follow-ups").click()
    page.get_by_role("link", name="All", exact=True).click()
    assert page.locator("#follow-ups li.follow-up").count() == 1
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert db.count(FollowUp, FollowUp.status == "resolved") == 1
    assert console == []


def test_exports_from_the_page(site, page, manager, survey):
    sign_in(page, site, manager)
    page.goto(f"{site}/dashboard/surveys/{survey['id']}")
    with page.expect_download() as download:
        page.click("#export-csv")
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a UTF-8 BOM, for Excel
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["response_id", "external_id", "channel"] and len(rows) == 4
    with page.expect_download() as download:
        page.click("#export-json")
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert [r["external_id"] for r in data] == ["cust-1", "cust-2", None]
    assert data[0]["answers"][4]["value"] == "Too slow for <b>us</b> & our team"


def test_sign_out(site, page, manager, survey):
    sign_in(page, site, manager)
    page.get_by_role("button", name="Sign out").click()
    assert page.url.startswith(f"{site}/dashboard/login")
    page.goto(f"{site}/dashboard/")
    assert "/dashboard/login" in page.url


# ---------------------------------------------------------------- over the test client

def _csrf(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_exports_leave_out_empty_responses_unless_asked(app, client, api, manager, survey):
    from tests.helpers import WidgetClient, widget_org_of

    widget = WidgetClient(client, widget_org_of(app, api.org_id), user={"id": "w1", "attributes": {"plan": "团队"}})
    assert widget.post("display").status_code == 200 and widget.post("dismiss").status_code == 200
    token = _csrf(client, "/dashboard/login")
    assert client.post("/dashboard/login", data={"csrf_token": token, "email": manager,
                                                  "password": PASSWORD}).status_code == 302
    base = f"/dashboard/surveys/{survey['id']}/export"
    for query, expected in [("", ["cust-1", "cust-2", ""]), ("?include_empty=true", ["cust-1", "cust-2", "", "w1"])]:
        r = client.get(base + ".csv" + query)
        assert r.status_code == 200 and r.get_data().startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(r.get_data().decode("utf-8-sig"))))
        assert [row["external_id"] for row in rows] == expected
        assert rows[1]["reason"] == "Other: Company closed"
        data = client.get(base + ".json" + query).get_json()
        assert [d["external_id"] or "" for d in data] == expected
    assert rows[3]["attr.plan"] == "团队" and rows[3]["nps"] == ""
    r = client.get(base + ".csv?include_empty=perhaps")
    assert r.status_code == 422 and "include_empty" in r.get_data(as_text=True)


def test_session_cookie_flags(app, client, manager):
    token = _csrf(client, "/dashboard/login")
    r = client.post("/dashboard/login", data={"csrf_token": token, "email": manager, "password": PASSWORD})
    assert r.status_code == 302
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "default-src 'self'" in client.get("/dashboard/").headers["Content-Security-Policy"]


def test_session_cookie_is_secure_behind_https(test_database, tmp_path):
    from tests.helpers import make_app

    app = make_app(test_database, tmp_path / "https", BASE_URL="https://surveys.example")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    with app.test_request_context("/dashboard/login"):
        from flask import session
        session["x"] = 1
        response = app.make_response("")
        app.session_interface.save_session(app, session, response)
        assert "Secure" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]


def test_wrong_password_and_missing_token(client, manager):
    token = _csrf(client, "/dashboard/login")
    r = client.post("/dashboard/login", data={"csrf_token": token, "email": manager, "password": "nope-nope"})
    assert r.status_code == 401 and "Wrong email or password" in r.get_data(as_text=True)
    r = client.post("/dashboard/login", data={"email": manager, "password": PASSWORD})
    assert r.status_code == 400


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/dashboard", "/api/v1/surveys"])
def test_login_does_not_redirect_away(client, manager, target):
    token = _csrf(client, "/dashboard/login")
    r = client.post(f"/dashboard/login?next={target}",
                    data={"csrf_token": token, "email": manager, "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/dashboard/"


def test_posts_without_a_session_are_refused(client, survey, row_counts):
    before = row_counts()
    assert client.post(f"/dashboard/surveys/{survey['id']}/publish").status_code == 400
    assert client.get(f"/dashboard/surveys/{survey['id']}").status_code == 302
    assert row_counts() == before


def test_vendored_chart_library_is_served(client):
    """The app serves the Chart.js build scripts/vendor took from npm, unchanged."""
    versions = Path(__file__).parent.parent / "surveyhub/static/vendor/VERSIONS"
    _, version, sha256, filename = next(line.split() for line in versions.read_text().splitlines()
                                        if line.startswith("chart.js "))
    r = client.get(f"/static/vendor/{filename}")
    assert r.status_code == 200 and f"Chart.js v{version}".encode() in r.data[:200]
    assert hashlib.sha256(r.data).hexdigest() == sha256


def test_webhook_delivery_log(site, page, app, db, api, other_api, manager, survey, run_worker, console):
    from tests.test_webhooks import Receiver

    hook = Receiver([500])
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # the receiver listens on loopback
    try:
        endpoint = api.post("/api/v1/webhooks", json={"url": hook.url, "events": ["response.completed"]}).get_json()
        app.config.update(DELIVERY_RETRY_BASE_SECONDS=0.001, DELIVERY_RETRY_MAX_SECONDS=0.01)
        api.post(f"/api/v1/surveys/{survey['id']}/responses", json={"answers": FULL[:4], "complete": True})
        run_worker()
    finally:
        hook.stop()
    db.session.get(WebhookEndpoint, endpoint["id"]).disabled_at = utcnow()
    db.session.commit()
    sign_in(page, site, manager)
    page.get_by_role("link", name="Webhooks").click()
    row = page.locator("#deliveries tbody tr").first
    assert row.get_attribute("data-status") == "delivered"
    assert "response.completed" in row.inner_text() and hook.url in row.inner_text()
    assert row.locator("td").nth(3).inner_text() == "2"  # attempts: the 500, then the success
    page.locator(f"tr[data-endpoint-id='{endpoint['id']}']").get_by_role("button", name="Enable").click()
    assert "Endpoint enabled" in page.locator(".flash").inner_text()
    assert api.get("/api/v1/webhooks").get_json()["data"][0]["status"] == "active"
    assert console == []

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, site, _manager(app, other_api.org_id, "spy@globex.test"))
    page.goto(f"{site}/dashboard/webhooks")
    assert page.locator("#deliveries tbody tr[data-delivery-id]").count() == 0
    assert hook.url not in page.content()
    status = page.evaluate(f"""async () => (await fetch('/dashboard/webhooks/{endpoint['id']}/enable', {{
        method: 'POST', headers: {{'Content-Type': 'application/x-www-form-urlencoded'}},
        body: 'csrf_token=' + encodeURIComponent(document.querySelector('input[name=csrf_token]').value)}})).status""")
    assert status == 404  # a valid token, but another org's endpoint
