"""The insights page's themes panel (dashboard/_themes.html), over the test client, on both databases."""
# ruff: noqa: E501 - texts in four languages

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from tests.helpers import PASSWORD
from tests.test_dashboard import _csrf, _manager
from tests.test_themes import FEATURES, PRICE, themed_survey


@pytest.fixture
def survey(make_survey) -> dict:
    return make_survey(**themed_survey())


@pytest.fixture
def post_answer(api):
    """Enter a response with an open answer over the API (channel interview); return its id."""

    def post(survey_id: int, why: str) -> int:
        r = api.post(f"/api/v1/surveys/{survey_id}/responses", json={"complete": True, "answers": [
            {"question": "reason", "value": "price"}, {"question": "why", "value": why}]})
        assert r.status_code == 201, r.get_json()
        return r.get_json()["id"]

    return post


@pytest.fixture
def signed_in(app, api, client):
    """The test client, signed in through the login form as a manager of the API's org."""
    email = _manager(app, api.org_id, "boss@acme.test")
    token = _csrf(client, "/dashboard/login")
    assert client.post("/dashboard/login", data={"csrf_token": token, "email": email,
                                                  "password": PASSWORD}).status_code == 302
    return client


def panel(client, survey_id: int, question: str = "why", **query) -> str:
    """The HTML of one question's themes panel on the insights page."""
    r = client.get(f"/dashboard/surveys/{survey_id}", query_string=query)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    found = re.search(rf'<section class="theme-panel" data-question="{question}">(.*?)</section>', html, re.S)
    assert found, html
    return found.group(1)


def themes_in(html: str) -> dict[str, dict]:
    """Each theme shown: its count, share, languages and example links, by label."""
    out = {}
    for item in re.findall(r'<li class="theme" data-theme-id="\d+">(.*?)</ul>\s*</li>', html, re.S):
        label = unescape(re.search(r'class="theme-label">(.*?)</strong>', item).group(1))
        out[label] = {
            "count": int(re.search(r'class="theme-count">(\d+)', item).group(1)),
            "share": float(re.search(r'class="theme-share">([\d.]+)%', item).group(1)),
            "languages": {code: int(n) for code, n in re.findall(r'data-lang="(\w+)">[^<]*? (\d+)</span>', item)},
            "links": re.findall(r'href="(/dashboard/responses/\d+)"', item),
            "trend": [int(n) for n in re.findall(r"\d+", re.search(r'class="trend-counts">(.*?)</span>', item).group(1))],
        }
    return out


def test_mixed_language_answers_are_grouped_with_counts_shares_and_languages(signed_in, api, survey, post_answer):
    price = [post_answer(survey["id"], text) for text in PRICE]
    features = [post_answer(survey["id"], text) for text in FEATURES]
    post_answer(survey["id"], "🙂🙂")  # nothing to group
    html = panel(signed_in, survey["id"])
    shown = themes_in(html)
    assert set(shown) == {"Too expensive", "Missing features"}
    listed = {t["label"]: t for t in api.get(f"/api/v1/surveys/{survey['id']}/themes",
                                             query_string={"question": "why"}).get_json()["themes"]}
    for label, ids in (("Too expensive", price), ("Missing features", features)):
        theme = shown[label]
        assert theme["count"] == 4
        assert theme["share"] == pytest.approx(100 * 4 / 9, abs=0.05)
        # the language identifier may take a short Malay text for Indonesian: the panel shows what the API says
        assert theme["languages"] == listed[label]["languages"]
        assert sum(theme["languages"].values()) == 4 and theme["languages"]["zh"] == 1 and len(theme["languages"]) >= 3
        assert theme["trend"][-1] == 4 and sum(theme["trend"]) == 4  # all answered this week (the page: 30 days)
        assert len(theme["links"]) == 3
        assert {int(link.rsplit("/", 1)[1]) for link in theme["links"]} <= set(ids)
    assert "9 answers in this period, 1 not grouped" in html


def test_labels_follow_the_managers_locale(signed_in, survey, post_answer):
    for text in PRICE:
        post_answer(survey["id"], text)
    r = signed_in.get(f"/dashboard/surveys/{survey['id']}", headers={"Accept-Language": "zh"})
    html = r.get_data(as_text=True)
    assert "太贵" in themes_in(html.split('data-question="why">', 1)[1])
    assert "请详细说明" in html and "开放式回答中的主题" in html  # the question and the panel's words too


def test_the_filters_narrow_the_panel(signed_in, survey, post_answer):
    for text in PRICE + FEATURES:
        post_answer(survey["id"], text)
    today = datetime.now(UTC).date()
    assert sum(t["count"] for t in themes_in(panel(signed_in, survey["id"], channel="interview")).values()) == 8
    for query in ({"channel": "email"}, {"from": (today + timedelta(days=1)).isoformat()},
                  {"to": (today - timedelta(days=1)).isoformat()}, {"attr_key": "plan", "attr_value": "pro"}):
        html = panel(signed_in, survey["id"], **query)
        assert themes_in(html) == {}, query
        assert "No answers to this question in this period yet" in html
    week = panel(signed_in, survey["id"], **{"from": (today - timedelta(days=20)).isoformat(), "to": today.isoformat()})
    trend = themes_in(week)["Too expensive"]["trend"]
    assert 3 <= len(trend) <= 4 and trend[-1] == 4 and sum(trend) == 4


def test_answer_text_stays_text(signed_in, survey, post_answer):
    attack = '<script>alert(1)</script><img src=x onerror=alert(2)> too expensive'
    post_answer(survey["id"], attack)
    html = panel(signed_in, survey["id"])
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_empty_states_say_what_to_do(signed_in, survey, make_survey):
    assert "No answers to this question in this period yet" in panel(signed_in, survey["id"])
    plain = make_survey(questions=[{"id": "nps", "type": "nps", "text": "Recommend us?"}], offers=[], slug="plain")
    html = signed_in.get(f"/dashboard/surveys/{plain['id']}").get_data(as_text=True)
    assert "has no open question nor a choice question" in unescape(html)


def test_another_orgs_survey_is_404(signed_in, other_api, make_survey):
    theirs = make_survey(api_client=other_api, **themed_survey())
    assert signed_in.get(f"/dashboard/surveys/{theirs['id']}").status_code == 404
