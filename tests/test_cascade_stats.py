"""Stats' `cascade` (CONTRACT §9): what each step of a cascade won, and where the others stopped.

Cascades are started over the API, their steps sent by the worker with the delivery clock moved on,
answered on the hosted link and by SMS reply; the numbers are read from GET /surveys/{id}/stats.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event

from surveyhub.extensions import db
from tests.helpers import PASSWORD
from tests.test_cascades import PLAN, daytime  # noqa: F401 - the autouse fixture: SMS steps may go out
from tests.test_dashboard import _manager, sign_in
from tests.test_hosted_page import Page, mail_links
from tests.test_stats import naive_cascade

PHONES = {name: f"+6012345678{i}" for i, name in enumerate("abcdefg")}


def person(name: str, *, phone: bool = True, plan: str | None = None) -> dict:
    out = {"external_id": f"p-{name}", "email": f"{name}@example.com"}
    if phone:
        out["phone"] = PHONES[name]
    if plan:
        out["attributes"] = {"plan": plan}
    return out


def mail_to(smtp, name: str) -> list:
    return [m for m in smtp.messages if m["To"] == f"{name}@example.com"]


def cascade_stats(api, survey_id: int, **query) -> dict:
    r = api.get(f"/api/v1/surveys/{survey_id}/stats", query_string=query)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["cascade"]


@pytest.fixture
def played(api, client, make_survey, smtp, twilio, twilio_post, run_worker, delivery_clock):
    """Seven people through email → reminder (72h) → SMS (48h): who answered where, who ran out, who left."""
    survey = make_survey(delivery=PLAN)
    people = [person("a", plan="pro"), person("b", plan="pro"), person("c"), person("d"),
              person("e", plan="pro"), person("f", phone=False), person("g")]
    r = api.post(f"/api/v1/surveys/{survey['id']}/invitations", json={"channel": "cascade", "recipients": people})
    assert r.status_code == 202 and len(r.get_json()["queued"]) == 7, r.get_json()
    started = datetime.fromisoformat(r.get_json()["queued"][0]["send_at"])
    run_worker()
    assert len(smtp.messages) == 7
    Page(client, mail_links(mail_to(smtp, "a")[0])[0]).answer("reason", "price")  # a: the first email
    assert api.delete("/api/v1/respondents/p-g").status_code == 204  # g: erased, the rest cancelled
    delivery_clock.advance(hours=72, minutes=1)
    run_worker()
    assert len(smtp.messages) == 12  # the reminder to b, c, d, e, f
    Page(client, mail_links(mail_to(smtp, "b")[1])[0]).answer("reason", "features")  # b: the reminder
    # d answers the first email's link after the reminder went out: it counts for the reminder.
    Page(client, mail_links(mail_to(smtp, "d")[0])[0]).answer("reason", "price")
    delivery_clock.advance(hours=48, minutes=1)
    run_worker()  # the SMS to c and e (f has no phone: skipped, its cascade exhausted)
    assert len(twilio.bodies_to(PHONES["c"])) == 1 and len(twilio.bodies_to(PHONES["e"])) == 1
    assert twilio.bodies_to(PHONES["f"]) == []
    r = twilio_post("/channels/sms/inbound", {"MessageSid": "SMc1", "From": PHONES["c"], "To": "+15005550006",
                                              "Body": "1"})
    assert r.status_code == 200
    return survey, started


def test_each_answer_counts_for_the_last_step_sent_before_it(api, played):
    survey, _ = played
    stats = cascade_stats(api, survey["id"])
    assert {k: stats[k] for k in ("started", "responded", "running", "exhausted", "cancelled")} == {
        "started": 7, "responded": 4, "running": 0, "exhausted": 2, "cancelled": 1}
    assert stats["steps"] == [
        {"step": 1, "channel": "email", "sent": 7, "responded": 1, "response_rate": 1 / 7,
         "cumulative_response_rate": 1 / 7, "exhausted": 0, "cancelled": 1},
        {"step": 2, "channel": "email", "sent": 5, "responded": 2, "response_rate": 2 / 5,
         "cumulative_response_rate": 3 / 7, "exhausted": 1, "cancelled": 0},
        {"step": 3, "channel": "sms", "sent": 2, "responded": 1, "response_rate": 1 / 2,
         "cumulative_response_rate": 4 / 7, "exhausted": 1, "cancelled": 0},
    ]
    # The per-channel funnel still counts each step in its own channel.
    r = api.get(f"/api/v1/surveys/{survey['id']}/stats").get_json()
    assert r["channels"]["email"]["sent"] == 12 and r["channels"]["sms"]["sent"] == 2


def test_the_filters_choose_cascades_by_start_person_and_channel(api, played):
    survey, started = played
    day = started.date()
    before = (day - timedelta(days=1)).isoformat()
    assert cascade_stats(api, survey["id"], to=before) == {
        "started": 0, "responded": 0, "running": 0, "exhausted": 0, "cancelled": 0, "steps": []}
    assert cascade_stats(api, survey["id"], **{"from": day.isoformat()})["started"] == 7
    pro = cascade_stats(api, survey["id"], **{"attr.plan": "pro"})  # a, b, e
    assert (pro["started"], pro["responded"], pro["exhausted"]) == (3, 2, 1)
    assert [(s["step"], s["sent"], s["responded"], s["cumulative_response_rate"]) for s in pro["steps"]] == [
        (1, 3, 1, 1 / 3), (2, 2, 1, 2 / 3), (3, 1, 0, 2 / 3)]
    # Two attributes need the scan path: the same cascade numbers come out.
    assert cascade_stats(api, survey["id"], **{"attr.plan": "pro", "attr.tier": "x"})["started"] == 0
    sms = cascade_stats(api, survey["id"], channel="sms")
    assert [s["step"] for s in sms["steps"]] == [3] and sms["steps"][0]["cumulative_response_rate"] == 4 / 7
    assert cascade_stats(api, survey["id"], channel="widget")["steps"] == []


def test_a_survey_without_cascades_has_no_steps(api, make_survey):
    survey = make_survey(delivery=PLAN)
    assert cascade_stats(api, survey["id"]) == {
        "started": 0, "responded": 0, "running": 0, "exhausted": 0, "cancelled": 0, "steps": []}


def test_a_running_cascade_lists_the_plan_steps_not_yet_sent(api, make_survey, smtp, run_worker):
    survey = make_survey(delivery=PLAN)
    r = api.post(f"/api/v1/surveys/{survey['id']}/invitations",
                 json={"channel": "cascade", "recipients": [person("a")]})
    assert r.status_code == 202
    run_worker()
    stats = cascade_stats(api, survey["id"])
    assert (stats["started"], stats["running"]) == (1, 1)
    assert [(s["step"], s["channel"], s["sent"], s["response_rate"]) for s in stats["steps"]] == [
        (1, "email", 1, 0.0), (2, "email", 0, None), (3, "sms", 0, None)]


def test_an_answer_from_before_the_cascade_is_not_its_answer(api, make_survey, smtp, run_worker):
    survey = make_survey(delivery=PLAN)
    earlier = api.post(f"/api/v1/surveys/{survey['id']}/responses", json={
        "external_id": "p-a", "answers": [{"question": "reason", "value": "price"}]})
    assert earlier.status_code == 201
    r = api.post(f"/api/v1/surveys/{survey['id']}/invitations",
                 json={"channel": "cascade", "recipients": [person("a"), person("b")]})
    assert r.status_code == 202 and len(r.get_json()["queued"]) == 2
    run_worker()
    stats = cascade_stats(api, survey["id"])
    assert (stats["started"], stats["responded"], stats["running"]) == (2, 0, 2)
    assert [(s["sent"], s["responded"]) for s in stats["steps"]] == [(2, 0), (0, 0), (0, 0)]


def test_the_cascade_figures_cost_the_same_statements_at_any_size(app, api, make_survey, smtp, run_worker):
    """No query per step or per cascade: 2 cascades and 12 cost the same number of statements."""
    survey = make_survey(delivery=PLAN)
    with app.app_context():
        engine = db.engine
    seen = []

    def statements() -> int:
        seen.clear()
        event.listen(engine, "before_cursor_execute", on_statement)
        try:
            assert api.get(f"/api/v1/surveys/{survey['id']}/stats").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", on_statement)
        return len(seen)

    def on_statement(*args) -> None:
        seen.append(1)

    def start(names: str) -> None:
        r = api.post(f"/api/v1/surveys/{survey['id']}/invitations",
                     json={"channel": "cascade", "recipients": [person(n) for n in names]})
        assert r.status_code == 202
        run_worker()

    start("ab")
    small = statements()
    start("cdefg")
    assert cascade_stats(api, survey["id"])["started"] == 7
    assert statements() == small


def test_the_figures_equal_a_naive_recount_for_every_filter(app, api, played):
    survey, started = played
    day = started.date()
    filters = [{}, {"from": day}, {"to": day}, {"to": day - timedelta(days=1)}, {"from": day + timedelta(days=1)},
               {"channel": "email"}, {"channel": "sms"}, {"attr.plan": "pro"}, {"attr.plan": "free"},
               {"attr.plan": "pro", "channel": "email", "from": day}]
    for f in filters:
        with app.app_context():
            expected = naive_cascade(survey["id"], f.get("from"), f.get("to"), f.get("channel"),
                                     {k[5:]: v for k, v in f.items() if k.startswith("attr.")})
        query = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in f.items()}
        assert cascade_stats(api, survey["id"], **query) == expected, f


# --- the dashboard ---------------------------------------------------------------------------------

@pytest.fixture
def manager(app, api) -> str:
    return _manager(app, api.org_id, "boss@acme.test")


def _signed_in(client, manager) -> None:
    html = client.get("/dashboard/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    assert client.post("/dashboard/login", data={"csrf_token": token, "email": manager,
                                                  "password": PASSWORD}).status_code == 302


def test_the_dashboard_shows_what_each_step_added(api, client, manager, played):
    survey, _ = played
    _signed_in(client, manager)
    expected = cascade_stats(api, survey["id"])
    html = client.get(f"/dashboard/surveys/{survey['id']}").get_data(as_text=True)
    rows = re.findall(r'<tr data-step="(\d)">(.*?)</tr>', html, re.S)
    assert [int(step) for step, _ in rows] == [1, 2, 3]
    for (_, row), step in zip(rows, expected["steps"], strict=True):
        cells = dict(re.findall(r'data-metric="(\w+)"[^>]*>([^<]*)<', row))
        assert {k: int(cells[k]) for k in ("sent", "responded", "exhausted", "cancelled")} == {
            k: step[k] for k in ("sent", "responded", "exhausted", "cancelled")}
        assert cells["cumulative_response_rate"] == f"{step['cumulative_response_rate'] * 100:.1f}%"
    added = dict(re.findall(r'<li data-step="(\d)" data-added="([\d.]+)"', html))
    assert added == {"1": "14.3", "2": "28.6", "3": "14.3"}  # 1, 2 and 1 of the 7 started
    assert "Step 3 (SMS) added 14.3 points, to 57.1% of the cascades started." in html
    assert "7 cascades started: 4 answered, 0 still running, 2 ran out of steps, 1 cancelled." in html
    data = json.loads(re.search(r'<script type="application/json" id="cascade-data">(.*?)</script>', html,
                                re.S).group(1))
    assert data["steps"] == expected["steps"] and data["started"] == 7
    assert 'id="chart-cascade"' in html and 'id="cascade-empty"' not in html
    # In the manager's language (the gettext catalogs).
    malay = client.get(f"/dashboard/surveys/{survey['id']}", headers={"Accept-Language": "ms"}).get_data(as_text=True)
    assert "Langkah 3 (SMS) menambah 14.3 mata" in malay and "Di mana orang berhenti" in malay


@pytest.mark.parametrize("locale", ["en", "ms", "id", "zh"])
def test_the_dashboard_says_when_a_survey_has_no_cascades(api, client, manager, make_survey, locale):
    survey = make_survey(delivery=PLAN, name="<b>No</b> cascades")
    _signed_in(client, manager)
    html = client.get(f"/dashboard/surveys/{survey['id']}", headers={"Accept-Language": locale}).get_data(as_text=True)
    empty = re.search(r'<p class="muted" id="cascade-empty">(.*?)</p>', html, re.S).group(1)
    assert f"POST /surveys/{survey['id']}/invitations" in empty and "cascade" in empty
    assert ("No cascades yet" in empty) == (locale == "en")
    assert 'id="chart-cascade"' not in html and 'id="cascade-data"' not in html
    assert "<b>No</b>" not in html and "&lt;b&gt;No&lt;/b&gt;" in html


def test_the_dashboard_draws_the_step_chart(played, live_server, page, manager):  # played first: its links
    survey, _ = played
    site = live_server.url
    sign_in(page, site, manager)
    page.goto(f"{site}/dashboard/surveys/{survey['id']}")
    page.wait_for_selector("#chart-cascade[data-drawn='1']")
    drawn = page.evaluate("""() => ['chart-cascade', 'chart-cascade-drop'].map(id => {
        const c = document.getElementById(id), chart = Chart.getChart(c);
        const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return {labels: chart.data.labels, data: chart.data.datasets.map(d => d.data),
                ink: pixels.some(v => v !== 0)};
    })""")
    assert drawn[0]["labels"] == ["Step 1 · email", "Step 2 · email", "Step 3 · SMS"]
    assert drawn[0]["data"] == [[0, 14.3, 42.9], [14.3, 28.6, 14.3]]  # earlier steps' share, then what it added
    assert drawn[1]["data"] == [[0, 1, 1], [1, 0, 0]]  # ran out of steps, cancelled: after steps 1, 2, 3
    assert all(d["ink"] for d in drawn)  # and no console error (the page fixture)


# --- the demo ---------------------------------------------------------------------------------------

def test_the_demo_has_twelve_weeks_of_cascades_with_a_shape(runner, client):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    key = next(line.split()[-1] for line in result.output.splitlines() if "API key:" in line)
    survey_id = int(re.search(r"Survey: +#(\d+)", result.output).group(1))
    headers = {"Authorization": f"Bearer {key}"}
    r = client.get(f"/api/v1/surveys/{survey_id}/stats", headers=headers)
    assert r.status_code == 200
    stats = r.get_json()
    cascade = stats["cascade"]
    assert cascade["started"] == 12 * 45 and cascade["running"] == 0
    steps = cascade["steps"]
    assert [(s["step"], s["channel"]) for s in steps] == [(1, "email"), (2, "email"), (3, "sms")]
    rates = [s["cumulative_response_rate"] for s in steps]
    assert rates == sorted(rates) and rates[0] < rates[1] < rates[2]
    assert 0.2 < rates[0] < 0.36 and 0.3 < rates[1] < 0.46 and 0.36 < rates[2] < 0.52  # ~28, +8, +7
    assert all(s["sent"] > s["responded"] > 0 for s in steps)
    assert sum(s["exhausted"] for s in steps) > 0 and sum(s["cancelled"] for s in steps) > 0
    # The same history in the funnel and the weekly series, counted as any event is.
    assert stats["channels"]["email"]["sent"] == steps[0]["sent"] + steps[1]["sent"]
    assert stats["channels"]["sms"]["sent"] == steps[2]["sent"]
    answered = sum(s["responded"] for s in steps)
    assert stats["channels"]["email"]["responded"] + stats["channels"]["sms"]["responded"] == answered
    weekly = client.get(f"/api/v1/surveys/{survey_id}/stats?interval=week", headers=headers).get_json()["series"]
    busy = [p for p in weekly["points"] if p["channels"]["email"]["reached"]]
    assert len(busy) >= 12
    # A date range chooses cascades by their start.
    first = weekly["points"][0]["start"]
    early = client.get(f"/api/v1/surveys/{survey_id}/stats?to={first}", headers=headers).get_json()["cascade"]
    assert early["started"] < cascade["started"]
