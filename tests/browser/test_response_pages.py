"""The responses pages in Chromium at a phone's width: nothing scrolls sideways, user text stays text."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD
from tests.test_dashboard import FULL, _manager

XSS = "<img src=x onerror=alert(1)>" + "averyveryverylongwordwithoutanyspaces" * 4


@pytest.mark.parametrize("width", [390, 1280])
def test_response_pages_fit_the_screen(app, api, make_survey, live_app, new_page, width):
    survey = make_survey()
    answers = [a if a["question"] != "why_not" else {**a, "value": XSS} for a in FULL]
    posted = api.post(f"/api/v1/surveys/{survey['id']}/responses",
                      json={"external_id": "cust-" + "x" * 60, "answers": answers}).get_json()
    email = _manager(app, api.org_id, "boss@acme.test")
    page = new_page(viewport={"width": width, "height": 800})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live_app.url}/dashboard/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/**")
    for path in (f"/dashboard/surveys/{survey['id']}/responses", f"/dashboard/responses/{posted['id']}",
                 f"/dashboard/responses/{posted['id']}/interview", f"/dashboard/surveys/{survey['id']}/interview"):
        page.goto(live_app.url + path)
        assert page.locator("h1").count() == 1
        overflow = page.evaluate("document.querySelector('main').scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
    page.goto(f"{live_app.url}/dashboard/responses/{posted['id']}")
    assert XSS in page.locator("#answers").inner_text() and dialogs == []
