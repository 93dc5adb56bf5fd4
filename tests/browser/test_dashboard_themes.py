"""The insights page's themes panel in Chromium: signed in through the login form, at desktop and phone width."""
# ruff: noqa: E501 - texts in four languages

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import PASSWORD
from tests.test_dashboard import _manager
from tests.test_themes import FEATURES, PRICE, themed_survey


@pytest.fixture
def answered(api, make_survey) -> tuple[dict, list[int]]:
    """A survey whose open question holds answers in four languages about two things; their response ids."""
    survey = make_survey(**themed_survey())
    ids = []
    for text in PRICE + FEATURES + ["<b>terlalu mahal</b> lah, budget cut " + "sangat " * 80]:
        r = api.post(f"/api/v1/surveys/{survey['id']}/responses", json={"complete": True, "answers": [
            {"question": "reason", "value": "price"}, {"question": "why", "value": text}]})
        assert r.status_code == 201, r.get_json()
        ids.append(r.get_json()["id"])
    return survey, ids


@pytest.mark.parametrize("width", [1280, 390])
def test_manager_sees_the_themes_and_follows_an_example(app, api, live_app, new_page, answered, width):
    survey, ids = answered
    email = _manager(app, api.org_id, "boss@acme.test")
    page = new_page(viewport={"width": width, "height": 800})
    page.goto(f"{live_app.url}/dashboard/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_app.url}/dashboard/")
    page.goto(f"{live_app.url}/dashboard/surveys/{survey['id']}")

    panel = page.locator("section.theme-panel[data-question='why']")
    expect(panel).to_be_visible()
    labels = panel.locator(".theme-label").all_inner_texts()
    assert "Too expensive" in labels and "Missing features" in labels
    assert page.locator("#themes b").count() == 0  # the answer's markup stays text
    link = panel.locator(".theme-examples a").first
    href = link.get_attribute("href")
    assert re.fullmatch(r"/dashboard/responses/(\d+)", href) and int(href.rsplit("/", 1)[1]) in ids
    link.click()
    page.wait_for_url(re.compile(r"/dashboard/responses/\d+$"))
    assert page.url == live_app.url + href
    if width == 390:
        page.go_back()
        expect(panel).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
