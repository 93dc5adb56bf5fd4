"""Marking a theme addressed in Chromium, in Malay: the form's refusal at its field, then the campaign's figures."""
# ruff: noqa: E501 - texts in four languages

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import PASSWORD
from tests.test_dashboard import _manager
from tests.test_themes import PRICE, themed_survey


@pytest.fixture
def price_theme(api, make_survey, invite, smtp, run_worker) -> tuple[dict, int]:
    """A survey whose price theme holds four anonymous answers and one of Amy (known by customer id and email,
    speaking Malay); return the survey and the theme's id."""
    assert api.patch("/api/v1/org", json={"contact_cap_days": 0}).status_code == 200  # her invitation doesn't cap
    survey = make_survey(**themed_survey())
    invite(survey["id"], {"external_id": "amy", "email": "amy@example.com", "locale": "ms"})
    run_worker()
    for text, external_id in [*((text, None) for text in PRICE), ("Harga terlalu mahal sekarang", "amy")]:
        r = api.post(f"/api/v1/surveys/{survey['id']}/responses", json={
            "complete": True, **({"external_id": external_id} if external_id else {}),
            "answers": [{"question": "reason", "value": "price"}, {"question": "why", "value": text}]})
        assert r.status_code == 201, r.get_json()
    listing = api.get(f"/api/v1/surveys/{survey['id']}/themes", query_string={"question": "why"}).get_json()
    [theme] = [t for t in listing["themes"] if t["label"] == "Too expensive"]
    return survey, theme["id"]


def test_a_manager_marks_a_theme_addressed_in_malay_and_sees_the_campaign(app, api, live_app, new_page, price_theme,
                                                                         smtp, run_worker):
    survey, theme_id = price_theme
    email = _manager(app, api.org_id, "pengurus@acme.test")
    page = new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{live_app.url}/dashboard/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_app.url}/dashboard/")
    page.select_option("#language", "ms")
    page.click("form.language button[type=submit]")
    expect(page.locator("html")).to_have_attribute("lang", "ms")

    page.goto(f"{live_app.url}/dashboard/surveys/{survey['id']}")
    link = page.locator(f"li.theme[data-theme-id='{theme_id}'] a.theme-address")
    expect(link).to_have_text("Tandakan sudah ditangani")
    link.click()
    page.wait_for_url(f"{live_app.url}/dashboard/themes/{theme_id}")
    fields = [page.locator(f"#message-{code}") for code in ("en", "id", "ms", "zh")]
    tops = {round(field.bounding_box()["y"]) for field in fields}
    assert len(tops) == 1, tops  # the translations side by side

    page.fill("#message-en", "   ")  # passes the browser's `required`, not the server
    page.fill("#message-ms", "Kami telah menurunkan harga")
    page.click("#address button[type=submit]")
    error = page.locator("#error-message-en")
    expect(error).to_contain_text("bahasa lalai tinjauan")
    expect(page.locator("#message-ms")).to_have_value("Kami telah menurunkan harga")  # kept
    assert api.get(f"/api/v1/themes/{theme_id}/campaign").status_code == 404  # nothing saved

    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill("#message-en", "We lowered our prices")
    page.click("#address button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Tema ditandakan sudah ditangani")
    campaign = page.locator("#campaign")
    expect(campaign.locator("[data-figure='queued'] .num")).to_have_text("1")
    expect(campaign.locator("[data-figure='skipped-no_address']")).to_contain_text("tiada emel atau telefon")
    expect(campaign.locator("[data-figure='skipped-no_address'] .num")).to_have_text("4")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    mails = len(smtp.messages)
    run_worker()
    [notice] = [m for m in smtp.messages[mails:] if m["To"] == "amy@example.com"]
    assert "Kami telah menurunkan harga" in notice.get_body(("plain",)).get_content()  # in her language
    page.reload()
    expect(campaign.locator("[data-figure='sent'] .num")).to_have_text("1")
    expect(campaign.locator("[data-figure='queued'] .num")).to_have_text("0")
    expect(campaign.locator("[data-figure='opened'] th")).to_have_text("Dibuka")
    page.goto(f"{live_app.url}/dashboard/surveys/{survey['id']}")
    expect(page.locator(f"li.theme[data-theme-id='{theme_id}'] a.theme-campaign")).to_contain_text("Ditangani pada")
