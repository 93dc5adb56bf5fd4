"""A manager's whole morning in Chromium, in Malay: build a survey from nothing, preview it, publish it; a
customer answers it in the widget; the manager finds the response, opens it and resolves its follow-up —
on a laptop, then on a phone — and no English word of the product's own is left on the pages read."""

from __future__ import annotations

from babel.support import Translations
from playwright.sync_api import Page, expect

from surveyhub.i18n import TRANSLATIONS
from tests.browser.conftest import eventually, host_page
from tests.browser.test_builder import _sign_in, field
from tests.browser.test_widget import choose, next_step, result
from tests.helpers import widget_org_of
from tests.test_dashboard_language import english_left

MALAY = Translations.load(str(TRANSLATIONS), ["ms"])


def ms(text: str) -> str:
    """The dashboard's word as a Malay manager reads it (from the catalog the server speaks from)."""
    translated = MALAY.gettext(text)
    assert translated != text or text in {"Status"}, f"no Malay for {text!r}"
    return translated


def _choose_language(page: Page, locale: str, change: str) -> None:
    page.select_option("#language", locale)
    page.get_by_role("button", name=change, exact=True).click()
    page.wait_for_load_state()


def _add_question(page: Page, index: int, kind: str, qid: str, text: str) -> None:
    page.get_by_role("button", name=ms("Add question")).click()
    page.select_option(field(f"questions.{index}.type"), kind)
    page.fill(field(f"questions.{index}.id"), qid)
    page.fill(field(f"questions.{index}.text"), text)


def _build(page: Page, base: str) -> int:
    """Build a survey of every question type, one condition, one offer and a Malay translation; save it."""
    page.goto(f"{base}/dashboard/surveys/build")
    # A blank survey starts in the manager's Malay; this one is written in English, Malay its translation.
    assert page.input_value(field("questions.0.text")) == "Sejauh manakah anda akan mengesyorkan kami?"
    page.select_option(field("add_locale"), "en")
    page.select_option(field("default_locale"), "en")
    page.fill(field("name"), "Tinjauan keluar")
    page.fill(field("slug"), "exit-ms")
    page.fill(field("questions.0.text"), "How likely are you to recommend us?")
    _add_question(page, 1, "multiple_choice", "reason", "Main reason?")
    page.fill(field("questions.1.choices.0.id"), "price")
    page.fill(field("questions.1.choices.0.label"), "Price")
    page.get_by_role("button", name=ms("Add choice")).click()
    page.fill(field("questions.1.choices.1.id"), "support")
    page.fill(field("questions.1.choices.1.label"), "Support")
    page.check(field("questions.1.allow_other"))
    _add_question(page, 2, "likert", "sat", "How satisfied were you?")
    _add_question(page, 3, "yes_no", "again", "Would you use us again?")
    _add_question(page, 4, "open", "why", "If not, why not?")
    page.locator(field("questions.4.show_if")).get_by_role("button", name=ms("Add condition")).click()
    page.select_option(field("questions.4.show_if.rows.0.question"), "again")
    page.fill(field("questions.4.show_if.rows.0.value"), "false")
    page.get_by_role("button", name=ms("Add offer")).click()
    page.locator(field("offers.0.when")).get_by_role("button", name=ms("Add condition")).click()
    page.select_option(field("offers.0.when.rows.0.question"), "reason")
    page.select_option(field("offers.0.when.rows.0.op"), "in")
    page.fill(field("offers.0.when.rows.0.value"), "price")
    page.fill(field("offers.0.title"), "Half price for 3 months?")
    expect(page.locator(field("questions.0.text@ms"))).to_have_value("Sejauh manakah anda akan mengesyorkan kami?")
    page.click("#save")
    page.wait_for_url("**/surveys/*/build")
    return int(page.url.rstrip("/").split("/")[-2])


def _answer_in_the_widget(app, new_page, live_app, host, org_id: int) -> dict:
    """A leaving customer answers on the host's account page: a detractor who would not come back."""
    customer = new_page()
    customer.goto(host.add("/account", host_page(live_app.url, widget_org_of(app, org_id), slug="exit-ms",
                                                 user_id="cust-42")))
    customer.get_by_role("button", name="Cancel subscription").click()
    expect(customer.get_by_role("dialog")).to_have_accessible_name("How likely are you to recommend us?")
    choose(customer, "3")
    next_step(customer)
    choose(customer, "Support")
    next_step(customer)
    choose(customer, "2")
    next_step(customer)
    choose(customer, "No")
    next_step(customer)
    customer.get_by_role("textbox").fill("Nobody answered my tickets")  # shown by its condition
    next_step(customer)
    customer.get_by_role("button", name="Done").click()
    got = result(customer)
    assert got["status"] == "completed", got
    eventually(lambda: live_app.writes("complete"))
    return got


def _english_left_on(page: Page, change_en: str, data: set[str]) -> list[str]:
    """Read the page in Malay, then in English, and return the Malay page's text nodes left in English."""
    malay = page.content()
    _choose_language(page, "en", change_en)
    english = page.content()
    _choose_language(page, "ms", "Change")
    return english_left(english, malay, "ms", data)


def test_a_malay_manager_builds_publishes_reads_and_resolves(app, api, live_app, host, new_page):
    base = live_app.url
    page = new_page()
    _sign_in(app, page, base, api.org_id)
    _choose_language(page, "ms", "Change")
    expect(page.locator("html")).to_have_attribute("lang", "ms")

    survey_id = _build(page, base)
    # The preview, in the survey's Malay, answered to its offer in the real widget: nothing stored.
    before = api.get(f"/api/v1/surveys/{survey_id}/responses").get_json()["data"]
    page.select_option("#preview-locale", "ms")
    widget = page.locator("#widget-preview")
    expect(widget.locator("dialog legend")).to_have_text("Sejauh manakah anda akan mengesyorkan kami?")
    choose(widget, "3")
    widget.get_by_role("button", name="Seterusnya").click()
    choose(widget, "Price")
    widget.get_by_role("button", name="Seterusnya").click()
    expect(widget.locator("dialog h2")).to_have_text("Half price for 3 months?")
    page.get_by_role("button", name=ms("Show on the hosted page")).click()
    hosted = page.frame_locator("#hosted-preview")
    expect(hosted.locator("h1.question")).to_contain_text("Sejauh manakah anda akan mengesyorkan kami?")
    assert api.get(f"/api/v1/surveys/{survey_id}/responses").get_json()["data"] == before == []
    page.click("#publish")
    page.get_by_text(ms("Published version %(number)s.") % {"number": 1}).wait_for()
    assert api.get(f"/api/v1/surveys/{survey_id}").get_json()["version"] == 1

    got = _answer_in_the_widget(app, new_page, live_app, host, api.org_id)

    # On the phone: the list, the response, its follow-up, resolved.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/dashboard/surveys/{survey_id}/responses?follow_up=unresolved")
    row = page.locator(f'tr[data-response-id="{got["responseId"]}"]')
    expect(row).to_contain_text("cust-42")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    row.get_by_role("link").click()
    page.wait_for_url(f"**/dashboard/responses/{got['responseId']}")
    expect(page.locator('[data-question="why"]')).to_contain_text("Nobody answered my tickets")
    card = page.locator(".follow-up")
    expect(card).to_contain_text(ms("Detractor (NPS 0–6)"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    data = {"cust-42", "cust-42@example.test", "boss@acme.test", "Nobody answered my tickets", "Support", "pro",
            "plan", "How likely are you to recommend us?", "Sejauh manakah anda akan mengesyorkan kami?",
            "Main reason?", "How satisfied were you?", "Would you use us again?", "If not, why not?",
            "Tinjauan keluar"}
    assert _english_left_on(page, ms("Change"), data) == []

    card = page.locator(".follow-up")
    card.locator('select[name="status"]').select_option("resolved")
    card.locator('textarea[name="note"]').fill("Telefon pelanggan, isu tiket diselesaikan.")
    card.get_by_role("button", name=ms("Save")).click()
    page.get_by_text(ms("Follow-up saved.")).wait_for()
    [follow_up] = api.get(f"/api/v1/surveys/{survey_id}/follow-ups?status=resolved").get_json()["data"]
    assert follow_up["response_id"] == got["responseId"] and follow_up["notes"][-1]["author"] == "boss@acme.test"
