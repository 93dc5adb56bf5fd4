"""The insights page, the survey list and the settings page fit a 390 px phone: nothing scrolls sideways but
a table or code in its box."""

from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

from surveyhub.extensions import db
from surveyhub.models import User
from tests.helpers import PASSWORD


@pytest.fixture
def manager(app, api, make_survey) -> tuple[str, int]:
    """A manager of the `api` org and a published survey of theirs with one answer."""
    with app.app_context():
        db.session.add(User(org_id=api.org_id, email="phone@acme.test", password_hash=generate_password_hash(PASSWORD)))
        db.session.commit()
    survey = make_survey(name="A survey with a rather long name that wraps on a phone screen")
    r = api.post(f"/api/v1/surveys/{survey['id']}/responses",
                 json={"external_id": "p1", "answers": [{"question": "nps", "value": 9}]})
    assert r.status_code == 201
    return "phone@acme.test", survey["id"]


def test_no_horizontal_scroll_at_390_px(new_page, live_app, manager):
    email, survey_id = manager
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{live_app.url}/dashboard/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#survey-list")
    for path in ("/dashboard/", "/dashboard/settings", f"/dashboard/surveys/{survey_id}",
                 f"/dashboard/surveys/{survey_id}?preset=7", f"/dashboard/surveys/{survey_id}?preset=90"):
        page.goto(live_app.url + path)
        page.wait_for_load_state("load")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 391 && !e.closest('.scroll'))
            .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
        assert width <= 390, (path, width, wide)
    assert page.locator("#headline [data-figure='nps'] strong").inner_text() == "100.0"
    assert page.locator("#chart-nps").get_attribute("data-drawn") == "1"
