"""The builder's previews in Chromium: the real widget (widget.js, in its shadow root) and the hosted page,
drawn from the form's unsaved state, answered through to the end, storing and sending nothing."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.helpers import PASSWORD

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'


def field(path: str) -> str:
    return f'[data-path="{path}"]'


def open_builder(page: Page, base: str, runner, api, survey_id: int) -> None:
    email = "boss@acme.test"
    created = runner.invoke(args=["user", "create", email, "--org", str(api.org_id), "--password-stdin"],
                            input=PASSWORD + "\n")
    assert created.exit_code == 0, created.output
    page.goto(f"{base}/dashboard/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/")
    page.goto(f"{base}/dashboard/surveys/{survey_id}/build")


def choose(scope, name: str) -> None:
    """Click an option's label, as a person does (the widget's scale radios are drawn by their labels)."""
    scope.get_by_role("radio", name=name, exact=True).locator("xpath=..").click()


def widget_requests(live_app) -> list:
    return [r for r in live_app.requests if r.path.startswith("/widget/v1/")]


def test_preview_follows_the_form_and_answers_run_conditions_and_offers_storing_nothing(
        api, runner, live_app, page, make_survey, row_counts):
    survey = make_survey(publish=False)
    open_builder(page, live_app.url, runner, api, survey["id"])
    widget = page.locator("#widget-preview")
    expect(widget.locator("dialog legend")).to_have_text("Main reason for cancelling?")
    page.fill(field("questions.0.text"), "Why are you leaving?")
    expect(widget.locator("dialog legend")).to_have_text("Why are you leaving?")
    # Redrawn while the manager types: their focus stays in the form.
    expect(page.locator(field("questions.0.text"))).to_be_focused()
    before = row_counts()

    choose(widget, "Too expensive")
    widget.get_by_role("button", name="Next").click()
    expect(widget.locator("dialog h2")).to_have_text("50% off for 3 months?")  # the offer's `when` held
    widget.get_by_role("button", name="No thanks, cancel").click()
    choose(widget, "5")
    widget.get_by_role("button", name="Next").click()
    expect(widget.locator("dialog legend")).to_have_text("How likely are you to recommend us?")
    choose(widget, "3")
    widget.get_by_role("button", name="Next").click()
    expect(widget.locator("dialog legend")).to_have_text("Would you use us again?")
    choose(widget, "No")
    widget.get_by_role("button", name="Next").click()
    expect(widget.locator("dialog legend")).to_have_text("If not, why not?")  # shown by its show_if
    widget.locator("textarea").fill("Too slow")
    widget.get_by_role("button", name="Next").click()
    expect(widget.locator("dialog h2")).to_have_text("Thank you for telling us.")
    widget.get_by_role("button", name="Done").click()
    expect(page.locator("#preview-status")).to_have_text("Preview finished: nothing was stored.")
    page.get_by_role("button", name="Start the preview again").click()
    expect(widget.locator("dialog legend")).to_have_text("Why are you leaving?")

    page.get_by_role("button", name="Show on the hosted page").click()
    hosted = page.frame_locator("#hosted-preview")
    expect(hosted.locator("h1.question")).to_have_text("Why are you leaving?")
    expect(hosted.locator(".preview-note")).to_be_visible()
    # Each step is a page the frame loads: wait for its question before answering it (the Likert and the
    # NPS pages both have a radio "3"; checked too early, it lands on the page being left).
    hosted.get_by_role("radio", name="Too expensive").check()
    hosted.get_by_role("button", name="Next").click()
    expect(hosted.locator("h1.question")).to_have_text("How satisfied were you?")
    hosted.get_by_role("radio", name="5").check()
    hosted.get_by_role("button", name="Next").click()
    expect(hosted.locator("h1.question")).to_have_text("How likely are you to recommend us?")
    hosted.get_by_role("radio", name="3").check()
    hosted.get_by_role("button", name="Next").click()
    expect(hosted.locator("h1.question")).to_have_text("Would you use us again?")
    hosted.get_by_role("radio", name="No").check()
    hosted.get_by_role("button", name="Next").click()
    expect(hosted.locator("h1.question")).to_contain_text("If not, why not?")
    hosted.get_by_role("button", name="Back").click()
    expect(hosted.get_by_role("radio", name="No")).to_be_checked()  # the answer kept by the preview's state
    hosted.get_by_role("button", name="Next").click()
    expect(hosted.locator("h1.question")).to_contain_text("If not, why not?")
    hosted.locator("textarea").fill("Too slow")
    hosted.get_by_role("button", name="Finish").click()
    expect(hosted.locator("h1.message")).to_have_text("Thank you for telling us.")

    assert row_counts() == before
    assert widget_requests(live_app) == []  # no display, answer, offer or dismiss write, nor a survey GET


def test_preview_in_malay(api, runner, live_app, page, make_survey):
    survey = make_survey(publish=False, questions=[
        {"id": "nps", "type": "nps", "text": {"en": "How likely are you to recommend us?",
                                              "ms": "Sejauh manakah anda akan mengesyorkan kami?"}}], offers=[])
    open_builder(page, live_app.url, runner, api, survey["id"])
    widget = page.locator("#widget-preview")
    expect(widget.locator("dialog legend")).to_have_text("How likely are you to recommend us?")
    page.select_option("#preview-locale", "ms")
    expect(widget.locator("dialog legend")).to_have_text("Sejauh manakah anda akan mengesyorkan kami?")
    expect(widget.locator("dialog p.i")).to_have_text("Kami sedih anda pergi.")
    expect(widget.locator("dialog")).to_have_attribute("lang", "ms")
    page.get_by_role("button", name="Show on the hosted page").click()
    hosted = page.frame_locator("#hosted-preview")
    expect(hosted.locator("h1.question")).to_have_text("Sejauh manakah anda akan mengesyorkan kami?")
    expect(hosted.locator("html")).to_have_attribute("lang", "ms")


def test_survey_strings_stay_text_in_both_previews(api, runner, live_app, page, make_survey):
    alerts: list[str] = []
    page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
    survey = make_survey(publish=False, intro=XSS, thanks=XSS, questions=[
        {"id": "reason", "type": "multiple_choice", "text": XSS, "help": XSS, "allow_other": True,
         "other_label": XSS, "choices": [{"id": "price", "label": XSS}]}],
        offers=[{"id": "o", "when": {"question": "reason", "in": ["price"]}, "title": XSS, "body": XSS,
                 "accept_label": "Take " + XSS, "decline_label": "Skip " + XSS}])
    open_builder(page, live_app.url, runner, api, survey["id"])
    widget = page.locator("#widget-preview")
    expect(widget.locator("dialog legend")).to_have_text(XSS)
    expect(widget.locator("dialog p.i")).to_have_text(XSS)
    widget.get_by_role("radio", name=XSS, exact=True).first.check()  # the choice; the second is "Other"
    widget.get_by_role("button", name="Next").click()
    expect(widget.locator("dialog h2")).to_have_text(XSS)
    expect(widget.get_by_role("button", name="Skip " + XSS)).to_be_visible()
    widget.get_by_role("button", name="Skip " + XSS).click()
    expect(widget.locator("dialog h2")).to_have_text(XSS)  # the thanks
    page.get_by_role("button", name="Show on the hosted page").click()
    hosted = page.frame_locator("#hosted-preview")
    expect(hosted.locator("h1.question")).to_contain_text(XSS)
    expect(hosted.locator(".intro")).to_have_text(XSS)
    assert widget.locator("img").count() == 0 and hosted.locator("img").count() == 0
    assert page.evaluate("window.__xss") is None and alerts == []


def test_preview_fits_a_phone(api, runner, live_app, page, make_survey):
    survey = make_survey(publish=False)
    page.set_viewport_size({"width": 390, "height": 800})
    open_builder(page, live_app.url, runner, api, survey["id"])
    expect(page.locator("#widget-preview dialog legend")).to_have_text("Main reason for cancelling?")
    page.get_by_role("button", name="Show on the hosted page").click()
    expect(page.frame_locator("#hosted-preview").locator("h1.question")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
