"""Insights over time (issue 14 item 5): presets, deltas against the previous period, series, empty states,
the survey list's one grouped query, and the demo's twelve weeks on five channels."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from sqlalchemy import event
from werkzeug.security import generate_password_hash

from surveyhub.extensions import db
from surveyhub.models import CHANNELS, User
from tests.helpers import PASSWORD, survey_definition

TODAY = datetime.now(UTC).date()


@contextmanager
def days_ago(n: int):
    """Make what the services do now happen at noon `n` days ago (the events' and answers' clock)."""
    at = datetime.combine(TODAY - timedelta(days=n), datetime.min.time(), UTC) + timedelta(hours=12)
    with mock.patch("surveyhub.events.utcnow", lambda: at), mock.patch("surveyhub.responses.answers.utcnow",
                                                                       lambda: at):
        yield


@pytest.fixture
def signed_in(app, api, client):
    """Sign a manager of the `api` org in on `client`, through the login form."""
    with app.app_context():
        db.session.add(User(org_id=api.org_id, email="boss@acme.test", password_hash=generate_password_hash(PASSWORD)))
        db.session.commit()
    html = client.get("/dashboard/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    r = client.post("/dashboard/login", data={"csrf_token": token, "email": "boss@acme.test", "password": PASSWORD})
    assert r.status_code == 302
    return client


def respond(api, survey_id: int, n_days_ago: int, nps: int, who: str) -> None:
    """An interview response (staff over the API) at a chosen day."""
    with days_ago(n_days_ago):
        r = api.post(f"/api/v1/surveys/{survey_id}/responses",
                     json={"external_id": who, "answers": [{"question": "nps", "value": nps}]})
        assert r.status_code == 201, r.get_json()


def insights(client, survey_id: int, query: str = "") -> tuple[str, dict, dict]:
    """The insights page's HTML, its stats JSON and its trends JSON."""
    r = client.get(f"/dashboard/surveys/{survey_id}{query}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)

    def block(name: str) -> dict:
        return json.loads(re.search(rf'<script type="application/json" id="{name}">(.*?)</script>', html, re.S)
                          .group(1))

    return html, block("stats-data")["stats"], block("trend-data")


def test_presets_and_custom_ranges_select_their_days(api, make_survey, signed_in):
    survey = make_survey()
    for n, who in ((2, "a"), (20, "b"), (60, "c"), (200, "d")):
        respond(api, survey["id"], n, 9, who)
    for query, expected in (("", 2), ("?preset=7", 1), ("?preset=30", 2), ("?preset=90", 3),
                            ("?preset=365", 2),  # not a preset: the default 30 days
                            (f"?preset=custom&from={TODAY - timedelta(days=70)}&to={TODAY - timedelta(days=10)}", 2),
                            (f"?from={TODAY - timedelta(days=201)}&to={TODAY - timedelta(days=199)}", 1)):
        html, stats, _ = insights(signed_in, survey["id"], query)
        assert stats["totals"]["responded"] == expected, query
        assert stats["channels"]["interview"]["responded"] == expected
    html, _, trend = insights(signed_in, survey["id"], "?preset=7")
    assert f"{TODAY - timedelta(days=6)} to {TODAY}" in html  # the period, and the previous one, are named
    assert f"{TODAY - timedelta(days=13)} to {TODAY - timedelta(days=7)}" in html
    assert '<input type="hidden" name="preset" value="7">' in html  # the answers' search keeps the period
    html, _, _ = insights(signed_in, survey["id"], "?from=2026-13-01")
    assert 'id="filter-errors"' in html and "<code>from</code>" in html


def test_deltas_against_the_previous_period(api, make_survey, signed_in):
    survey = make_survey()
    respond(api, survey["id"], 1, 10, "now-1")
    respond(api, survey["id"], 3, 10, "now-2")
    respond(api, survey["id"], 9, 0, "before-1")  # days 7..13 ago are the previous 7 days
    html, _, trend = insights(signed_in, survey["id"], "?preset=7")
    head = trend["headline"]
    assert head["responded"]["value"] == 2 and head["responded"]["previous"] == 1
    assert head["responded"]["delta"] == 1 and head["responded"]["direction"] == "up"
    assert head["nps"]["value"] == 100 and head["nps"]["previous"] == -100 and head["nps"]["delta"] == 200
    assert head["response_rate.interview"]["delta"] == 0  # every interview held is answered
    assert head["response_rate.email"]["delta"] is None  # no rate in either period
    assert "+200.0 pts" in html and "±0.0 pts" in html and 'data-delta="1"' in html
    assert "up from the previous period" in html  # the arrow is read out in words
    html, _, trend = insights(signed_in, survey["id"], "?preset=custom&from=" + str(TODAY - timedelta(days=9))
                              + "&to=" + str(TODAY - timedelta(days=9)))
    assert trend["headline"]["responded"]["delta"] is None  # a one-day period against the day before: empty
    assert trend["headline"]["responded"]["has_previous"] is False and "no previous data" in html
    respond(api, survey["id"], 10, 10, "before-2")
    _, _, trend = insights(signed_in, survey["id"], f"?from={TODAY - timedelta(days=9)}&to={TODAY - timedelta(days=9)}")
    assert trend["headline"]["responded"]["delta"] == 0 and trend["headline"]["nps"]["delta"] == -200


def test_series_per_channel_and_nps_trend(app, client, api, make_survey, signed_in):
    from tests.helpers import WidgetClient, widget_org_of

    survey = make_survey()
    respond(api, survey["id"], 2, 10, "x")
    respond(api, survey["id"], 2, 0, "y")
    respond(api, survey["id"], 5, 9, "z")
    with days_ago(4):
        widget = WidgetClient(client, widget_org_of(app, api.org_id), user={"id": "w1"})
        assert widget.post("display").status_code == 200
    _, stats, trend = insights(signed_in, survey["id"], "?preset=7")
    series = stats["series"]
    assert series["interval"] == "day" and len(series["points"]) == 7
    by_day = {p["start"]: p["channels"] for p in series["points"]}
    assert set(by_day[str(TODAY - timedelta(days=2))]) == set(CHANNELS)
    assert by_day[str(TODAY - timedelta(days=2))]["interview"]["responded"] == 2
    assert by_day[str(TODAY - timedelta(days=4))]["widget"] == {"reached": 1, "responded": 0, "completed": 0,
                                                               "response_rate": 0.0}
    assert by_day[str(TODAY - timedelta(days=3))]["interview"]["response_rate"] is None
    nps = {p["start"]: p for p in trend["nps"]}
    assert nps[str(TODAY - timedelta(days=2))] == {"start": str(TODAY - timedelta(days=2)), "answered": 2, "score": 0.0}
    assert nps[str(TODAY - timedelta(days=5))]["score"] == 100.0
    assert nps[str(TODAY - timedelta(days=1))]["score"] is None
    _, stats, trend = insights(signed_in, survey["id"], "?preset=90")
    assert stats["series"]["interval"] == "week"
    monday = TODAY - timedelta(days=TODAY.weekday())
    assert stats["series"]["points"][-1]["start"] == trend["nps"][-1]["start"] == str(monday)
    assert sum(p["answered"] for p in trend["nps"]) == 3
    assert {date.fromisoformat(p["start"]).weekday() for p in trend["nps"]} == {0}


def test_empty_states_say_what_to_do(api, make_survey, signed_in):
    survey = make_survey()
    html, _, _ = insights(signed_in, survey["id"])
    assert 'id="empty-responses"' in html and "Install the widget" in html
    assert 'id="nps-empty"' in html and "No NPS answers in this period" in html
    questions = [q for q in survey_definition()["questions"] if q["type"] != "nps"]
    plain = make_survey(slug="no-nps", questions=questions)
    html, _, trend = insights(signed_in, plain["id"])
    assert "This survey has no NPS question" in html and trend["nps"] == []
    assert "nps" not in trend["headline"]
    respond(api, survey["id"], 1, 9, "p")
    html, _, _ = insights(signed_in, survey["id"])
    assert 'id="empty-responses"' not in html and 'id="nps-empty"' not in html and 'id="chart-nps"' in html


def test_survey_list_rates_take_one_query_whatever_the_number_of_surveys(app, api, make_survey, signed_in):
    def statements() -> int:
        seen: list[str] = []
        listen = lambda *args: seen.append(args[2])  # noqa: E731 (conn, cursor, statement, …)
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", listen)
        try:
            r = signed_in.get("/dashboard/")
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        assert r.status_code == 200
        return len(seen)

    first = make_survey()
    respond(api, first["id"], 1, 9, "a")
    one = statements()
    for i in range(4):
        made = make_survey(slug=f"s{i}")
        respond(api, made["id"], 1, 9, f"s{i}")
    assert statements() == one
    html = signed_in.get("/dashboard/").get_data(as_text=True)
    assert html.count('data-channel="interview" data-rate="1.0"') == 5
    assert 'class="scroll"' in html


def test_the_demo_seeds_five_channels_over_twelve_weeks(runner, client):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    key = next(line.split()[-1] for line in result.output.splitlines() if "API key:" in line)
    survey_id = int(re.search(r"Survey: +#(\d+)", result.output).group(1))
    headers = {"Authorization": f"Bearer {key}"}
    start = TODAY - timedelta(weeks=13)
    stats = client.get(f"/api/v1/surveys/{survey_id}/stats?interval=week&from={start}&to={TODAY}",
                       headers=headers).get_json()
    rates = {c: row["response_rate"] for c, row in stats["channels"].items()}
    assert all(rates[c] and 0 < rates[c] <= 1 for c in CHANNELS), rates
    assert len({round(r, 2) for r in rates.values()}) == 5  # each channel its own rate
    for channel in CHANNELS:
        weeks = [p for p in stats["series"]["points"] if p["channels"][channel]["responded"]]
        assert len(weeks) >= 10, channel  # spread over the weeks, not one day
    widget = [p["channels"]["widget"] for p in stats["series"]["points"] if p["channels"]["widget"]["reached"]]
    early = sum(p["responded"] for p in widget[:4]) / sum(p["reached"] for p in widget[:4])
    late = sum(p["responded"] for p in widget[-4:]) / sum(p["reached"] for p in widget[-4:])
    assert late > early  # a trend the chart shows
    nps = stats["questions"]["nps"]["distribution"]
    assert sum(1 for n in nps.values() if n) == 11  # every score given
