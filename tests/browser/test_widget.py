"""The widget in a real browser: a host page on its own origin, the app on a real server, Debian's Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import eventually, host_page
from tests.helpers import events, widget_org_of, widget_responses

IN_SHADOW = "document.querySelector('surveyhub-widget').shadowRoot"


def open_survey(page: Page, url: str):
    page.goto(url)
    page.get_by_role("button", name="Cancel subscription").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    return dialog


def settled(dialog) -> dict:
    """Return the dialog's box once its opening animation has finished."""
    dialog.evaluate("(el) => Promise.all(el.getAnimations().map((a) => a.finished))")
    return dialog.bounding_box()


def choose(page: Page, name: str) -> None:
    """Click an option's label, as a person does (scale radios are drawn by their labels)."""
    page.get_by_role("radio", name=name, exact=True).locator("xpath=..").click()


def next_step(page: Page) -> None:
    page.get_by_role("button", name="Next").click()


def result(page: Page) -> dict:
    page.wait_for_function("() => window.__result !== undefined || window.__error !== undefined")
    return page.evaluate("() => window.__result || {error: window.__error}")


def focus_in_dialog(page: Page) -> str | None:
    """Describe the focused element inside the widget, or None when focus is outside it."""
    return page.evaluate(f"""() => {{
        const host = document.querySelector('surveyhub-widget');
        if (!host || document.activeElement !== host) return null;
        const el = {IN_SHADOW}.activeElement;
        return el ? el.tagName + ':' + (el.value || el.getAttribute('aria-label') || el.textContent) : null;
    }}""")


def test_whole_flow_by_mouse(app, page, live_app, host, widget_org):
    dialog = open_survey(page, host.add("/account", host_page(live_app.url, widget_org)))
    expect(dialog).to_have_accessible_name("Main reason for cancelling?")
    expect(dialog).to_contain_text("Sorry to see you go.")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuetext", "Question 1 of 4")
    expect(page.get_by_role("button", name="Next")).to_have_attribute("aria-disabled", "true")
    choose(page, "Other")
    other = page.get_by_role("textbox", name="Other")
    other.fill("Company closed")
    next_step(page)
    expect(dialog).to_have_accessible_name("How satisfied were you?")
    expect(dialog).to_contain_text("Very dissatisfied")
    choose(page, "6")
    next_step(page)
    choose(page, "9")
    next_step(page)
    choose(page, "No")
    next_step(page)
    # come_back = No brings up the follow-up: the progress now counts five questions.
    expect(dialog).to_have_accessible_name("If not, why not?")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuetext", "Question 5 of 5")
    expect(page.get_by_role("button", name="Skip")).to_be_visible()
    page.get_by_role("textbox").fill("Too slow")
    expect(dialog).to_contain_text("8/2000")
    next_step(page)
    expect(dialog).to_have_accessible_name("Thank you for telling us.")
    page.get_by_role("button", name="Done").click()
    expect(dialog).to_have_count(0)

    got = result(page)
    assert got["status"] == "completed" and got["offer"] is None
    assert got["answers"] == [{"question": "reason", "value": "other", "other_text": "Company closed"},
                              {"question": "satisfaction", "value": 6}, {"question": "nps", "value": 9},
                              {"question": "come_back", "value": False}, {"question": "why_not", "value": "Too slow"}]
    eventually(lambda: live_app.writes("complete"))
    [response] = widget_responses(app)
    assert got["responseId"] == response["id"] and response["status"] == "completed"
    assert response["answers"] == {"reason": "other", "satisfaction": 6, "nps": 9, "come_back": False,
                                   "why_not": "Too slow"}
    assert response["respondent"]["email"] == "u_123@example.test"
    assert response["respondent"]["attributes"] == {"plan": "pro"}
    assert [e.type for e in events(app)] == ["displayed", "responded", "completed"]


def test_whole_flow_by_keyboard_only(app, page, live_app, host, widget_org):
    page.goto(host.add("/account", host_page(live_app.url, widget_org)))
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Cancel subscription")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    # Focus moved in, to the first option, and Tab stays inside: Next, then back round to ×.
    assert focus_in_dialog(page) == "INPUT:price"
    seen = []
    for key in ["Tab", "Tab", "Tab", "Shift+Tab", "Shift+Tab"]:
        page.keyboard.press(key)
        seen.append(focus_in_dialog(page))
    assert seen == ["BUTTON:Next", "BUTTON:Close", "INPUT:price", "BUTTON:Close", "BUTTON:Next"]
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # moves to, and picks, "Missing features"
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_have_accessible_name("How satisfied were you?")
    for key in ["ArrowRight"] * 5 + ["ArrowLeft"]:  # arrow keys on the scale: 2…6, then back to 5
        page.keyboard.press(key)
    expect(page.get_by_role("radio", name="5", exact=True)).to_be_checked()
    page.keyboard.press("Enter")
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="9", exact=True)).to_be_checked()
    page.keyboard.press("Enter")
    page.keyboard.press("Space")  # "Yes"
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Done")).to_be_focused()
    page.keyboard.press("Enter")

    got = result(page)
    assert got["status"] == "completed"
    assert got["answers"] == [{"question": "reason", "value": "features"}, {"question": "satisfaction", "value": 5},
                              {"question": "nps", "value": 9}, {"question": "come_back", "value": True}]
    expect(page.get_by_role("button", name="Cancel subscription")).to_be_focused()  # focus given back
    eventually(lambda: live_app.writes("complete"))
    assert widget_responses(app)[0]["status"] == "completed"


def test_full_screen_flow_on_a_phone(app, new_page, live_app, host, widget_org):
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2)
    page.goto(host.add("/account", host_page(live_app.url, widget_org)))
    page.get_by_role("button", name="Cancel subscription").tap()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    assert settled(dialog) == {"x": 0, "y": 0, "width": 390, "height": 844}
    for choice in ["Missing features", "4", "10", "Yes"]:
        page.get_by_role("radio", name=choice, exact=True).locator("xpath=..").tap()
        page.get_by_role("button", name="Next").tap()
    page.get_by_role("button", name="Done").tap()
    assert result(page)["status"] == "completed"
    eventually(lambda: live_app.writes("complete"))
    assert widget_responses(app)[0]["answers"] == {"reason": "features", "satisfaction": 4, "nps": 10,
                                                   "come_back": True}


def test_offer_accepted(app, api, page, live_app, host, widget_org):
    dialog = open_survey(page, host.add("/account", host_page(live_app.url, widget_org)))
    choose(page, "Too expensive")
    next_step(page)
    expect(dialog).to_have_accessible_name("50% off for 3 months?")
    expect(dialog).to_contain_text("Stay for half the price.")
    expect(page.get_by_role("button", name="Take the offer")).to_be_focused()
    page.get_by_role("button", name="Take the offer").click()
    got = result(page)
    assert got["status"] == "completed" and got["offer"] == {"id": "discount", "accepted": True}
    assert got["answers"] == [{"question": "reason", "value": "price"}]
    eventually(lambda: live_app.writes("offer"))
    # The host page and the API say the same (CONTRACT §10).
    [survey] = api.get("/api/v1/surveys").get_json()["data"]
    [response] = api.get(f"/api/v1/surveys/{survey['id']}/responses").get_json()["data"]
    assert response["status"] == "completed" and response["metadata"]["offer"] == got["offer"]
    assert got["responseId"] == response["id"]
    widget_funnel = api.get(f"/api/v1/surveys/{survey['id']}/stats").get_json()["channels"]["widget"]
    assert (widget_funnel["completed"], widget_funnel["completion_rate"]) == (1, 1.0)
    assert [e.type for e in events(app)] == ["displayed", "responded", "offer_shown", "offer_accepted", "completed"]


def test_the_result_waits_for_the_write_that_names_the_response(app, api, page, live_app, host, widget_org):
    """An offer taken before the server answered the display write still resolves with the responseId."""
    held = []
    page.route("**/display", lambda route: held.append(route))
    dialog = open_survey(page, host.add("/account", host_page(live_app.url, widget_org)))
    choose(page, "Too expensive")
    next_step(page)
    page.get_by_role("button", name="Take the offer").click()
    expect(dialog).to_have_count(0)
    eventually(lambda: held)
    assert page.evaluate("() => window.__result") is None  # the dialog closed; the result waits
    held[0].continue_()
    got = result(page)
    [survey] = api.get("/api/v1/surveys").get_json()["data"]
    [response] = api.get(f"/api/v1/surveys/{survey['id']}/responses").get_json()["data"]
    assert got["status"] == "completed" and got["responseId"] == response["id"]


def test_offer_declined_then_the_survey_goes_on(app, page, live_app, host, widget_org):
    dialog = open_survey(page, host.add("/account", host_page(live_app.url, widget_org)))
    choose(page, "Too expensive")
    next_step(page)
    page.get_by_role("button", name="No thanks, cancel").click()
    expect(dialog).to_have_accessible_name("How satisfied were you?")
    for choice in ["2", "3", "Yes"]:
        choose(page, choice)
        next_step(page)
    page.get_by_role("button", name="Done").click()
    got = result(page)
    assert got["status"] == "completed" and got["offer"] == {"id": "discount", "accepted": False}
    eventually(lambda: live_app.writes("complete"))
    assert [e.type for e in events(app)] == ["displayed", "responded", "offer_shown", "offer_declined", "completed"]


def test_escape_and_the_close_button_dismiss(app, page, live_app, host, widget_org):
    open_survey(page, host.add("/account", host_page(live_app.url, widget_org)))
    choose(page, "Missing features")
    next_step(page)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    got = result(page)
    assert got["status"] == "dismissed" and got["answers"] == [{"question": "reason", "value": "features"}]
    expect(page.get_by_role("button", name="Cancel subscription")).to_be_focused()

    page.evaluate("window.__open()")
    page.get_by_role("button", name="Close").click()
    assert result(page)["status"] == "dismissed"
    eventually(lambda: len(live_app.writes("dismiss")) == 2)
    first, second = widget_responses(app)
    assert first["status"] == "partial" and first["answers"] == {"reason": "features"}
    assert first["meta"]["widget"]["dismissed"] and second["meta"]["widget"]["dismissed"]
    assert len(events(app, "displayed")) == 2 and len(events(app, "dismissed")) == 2


def test_the_close_button_starts_the_surveys_cascade(app, api, make_survey, page, live_app, host, widget_org):
    plan = {"steps": [{"channel": "email", "wait_hours": 0}], "after_widget": True}
    survey = make_survey(slug="with-plan", delivery=plan)
    url = host.add("/account", host_page(live_app.url, widget_org, slug="with-plan", email="amy@example.com"))
    open_survey(page, url)
    page.get_by_role("button", name="Close").click()
    assert result(page)["status"] == "dismissed"

    def listed():
        """the cascade's first step is listed"""
        rows = api.get(f"/api/v1/surveys/{survey['id']}/invitations").get_json()["data"]
        return [(row["step"], row["channel"], row["recipient"]) for row in rows if row["cascade_id"]]

    assert eventually(listed) == [(1, "email", {"external_id": "u_123", "email": "amy@example.com"})]


def test_a_wrong_user_hash_stores_nothing(app, page, live_app, host, widget_org, row_counts):
    before = row_counts()
    page.goto(host.add("/account", host_page(live_app.url, widget_org, user_hash="ab" * 32)))
    page.get_by_role("button", name="Cancel subscription").click()
    got = result(page)
    assert got["error"]["code"] == "unauthorized" and "userHash" in got["error"]["message"]
    expect(page.locator("surveyhub-widget")).to_have_count(0)
    assert [r.status for r in live_app.writes("display", status=None)] == [401]
    assert row_counts() == before


XSS = '<img src=x onerror="window.__pwned=1">'


def test_survey_strings_are_shown_as_text_never_run(app, client, api, make_survey, page, live_app, host):
    questions = [{"id": "reason", "type": "multiple_choice", "text": f"Why? {XSS}",
                  "choices": [{"id": "price", "label": f"Price {XSS}"}], "allow_other": True,
                  "other_label": f"Else {XSS}"},
                 {"id": "more", "type": "open", "text": "More?", "placeholder": XSS}]
    make_survey(intro=XSS, thanks=XSS, questions=questions,
                offers=[{"id": "o", "when": {"question": "reason", "in": ["price"]}, "title": XSS, "body": XSS,
                         "accept_label": f"Yes {XSS}", "decline_label": f"No {XSS}"}])
    org = widget_org_of(app, api.org_id)
    dialog = open_survey(page, host.add("/account", host_page(live_app.url, org)))
    expect(dialog).to_have_accessible_name(f"Why? {XSS}")
    expect(page.get_by_text(XSS, exact=True)).to_be_visible()
    choose(page, f"Price {XSS}")
    next_step(page)
    expect(dialog).to_have_accessible_name(XSS)
    page.get_by_role("button", name=f"No {XSS}").click()
    expect(page.get_by_role("textbox")).to_have_attribute("placeholder", XSS)
    assert page.evaluate(f"() => {IN_SHADOW}.querySelectorAll('img').length") == 0
    assert page.evaluate("() => window.__pwned") is None


def test_open_called_before_the_script_loaded(app, page, live_app, host, widget_org):
    page.goto(host.add("/account", host_page(live_app.url, widget_org, load_script=False)))
    page.get_by_role("button", name="Cancel subscription").click()
    assert page.evaluate("() => SurveyHub.q.map(call => call[0])") == ["init", "open"]
    before = set(page.evaluate("() => Object.getOwnPropertyNames(window)"))
    page.add_script_tag(url=f"{live_app.url}/widget.js")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_have_accessible_name("Main reason for cancelling?")
    assert page.evaluate("() => typeof SurveyHub.version") == "string"
    # No other globals: the script only replaced the stub.
    assert set(page.evaluate("() => Object.getOwnPropertyNames(window)")) == before
    page.keyboard.press("Escape")
    assert result(page)["status"] == "dismissed"
    eventually(lambda: live_app.writes("dismiss"))


def test_offline_mid_survey_each_answer_arrives_once(app, page, live_app, host, widget_org):
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    open_survey(page, host.add("/account", host_page(live_app.url, widget_org)))
    choose(page, "Missing features")
    next_step(page)
    eventually(lambda: live_app.writes("answers"))
    page.context.set_offline(True)
    for choice in ["3", "7", "Yes"]:
        choose(page, choice)
        next_step(page)
    page.get_by_role("button", name="Done").click()
    assert result(page)["status"] == "completed"
    eventually(lambda: failed)  # the outbox tried, and the browser had no network
    assert [w.body["question"] for w in live_app.writes("answers")] == ["reason"]
    assert widget_responses(app)[0]["status"] == "partial"

    page.context.set_offline(False)
    eventually(lambda: live_app.writes("complete"))
    # In order, and each write reached the server once.
    assert [w.body["question"] for w in live_app.writes("answers", status=None)] == \
        ["reason", "satisfaction", "nps", "come_back"]
    assert len(live_app.writes("complete", status=None)) == 1
    [response] = widget_responses(app)
    assert response["status"] == "completed" and response["answer_rows"] == 4
    assert [e.type for e in events(app)] == ["displayed", "responded", "completed"]


def test_closing_the_tab_keeps_the_partial_response(app, page, live_app, host, widget_org):
    open_survey(page, host.add("/account", host_page(live_app.url, widget_org)))
    choose(page, "Missing features")
    next_step(page)
    page.close()
    eventually(lambda: widget_responses(app) and widget_responses(app)[0]["answers"])
    assert widget_responses(app)[0]["answers"] == {"reason": "features"}


def test_answers_left_offline_are_sent_by_the_next_page(app, page, live_app, host, widget_org):
    url = host.add("/account", host_page(live_app.url, widget_org))
    open_survey(page, url)
    choose(page, "Missing features")
    next_step(page)
    eventually(lambda: live_app.writes("answers"))
    context = page.context
    context.set_offline(True)
    choose(page, "2")
    next_step(page)
    page.close()
    context.set_offline(False)
    later = context.new_page()
    later.goto(url)  # loading the widget again sends what the closed page could not
    eventually(lambda: len(live_app.writes("answers")) == 2)
    [response] = widget_responses(app)
    assert response["answers"] == {"reason": "features", "satisfaction": 2}
    later.close()


def test_strict_content_security_policy(app, page, live_app, host, widget_org):
    csp = (f"default-src 'none'; script-src 'nonce-r4nd0m' {live_app.url}; connect-src {live_app.url}; "
           "style-src 'none'; img-src 'none'; font-src 'none'; base-uri 'none'; form-action 'none'; "
           "object-src 'none'; require-trusted-types-for 'script'; trusted-types 'none'")
    page.add_init_script("""window.__violations = [];
        document.addEventListener('securitypolicyviolation',
            (e) => window.__violations.push(e.violatedDirective));""")
    url = host.add("/account", host_page(live_app.url, widget_org, nonce="r4nd0m"), {"Content-Security-Policy": csp})
    open_survey(page, url)
    # The widget's styles applied (a constructed sheet), though the page allows no style at all.
    assert page.evaluate(f"() => getComputedStyle({IN_SHADOW}.querySelector('.f .p')).backgroundColor") == \
        "rgb(67, 83, 255)"
    for choice in ["Missing features", "4", "8", "No"]:
        choose(page, choice)
        next_step(page)
    page.get_by_role("textbox").fill("Strict pages work")
    next_step(page)
    page.get_by_role("button", name="Done").click()
    assert result(page)["status"] == "completed"
    assert page.evaluate("() => window.__violations") == []
    # The listener does see violations: an image the policy forbids is reported.
    page.evaluate("() => { new Image().src = '/forbidden.png'; }")
    page.wait_for_function("() => window.__violations.length > 0")
    assert page.evaluate("() => window.__violations") == ["img-src"]
    eventually(lambda: live_app.writes("complete"))


AGGRESSIVE_CSS = """<style>
  * { font: italic 31px/3 serif !important; color: red !important; background: yellow !important;
      margin: 13px !important; padding: 11px !important; border: 4px dashed green !important;
      letter-spacing: 3px !important; text-transform: uppercase !important; box-sizing: content-box !important; }
  button, div { display: block !important; width: 300px !important; transform: rotate(3deg) !important;
                opacity: 0.5 !important; }
  html { font-size: 40px !important; direction: rtl !important; }
  dialog, form, label, input, fieldset, legend { display: none !important; }
  surveyhub-widget { display: none !important; position: absolute !important; left: -9999px !important; }
</style>"""


def test_host_page_css_cannot_reach_in(app, new_page, live_app, host, widget_org):
    shots = {}
    for name, head in [("plain", ""), ("aggressive", AGGRESSIVE_CSS)]:
        page = new_page(viewport={"width": 1000, "height": 800})
        dialog = open_survey(page, host.add(f"/{name}", host_page(live_app.url, widget_org, head=head)))
        box = settled(dialog)
        first = page.locator("dialog form").screenshot(animations="disabled")
        choose(page, "Missing features")
        next_step(page)
        expect(dialog).to_have_accessible_name("How satisfied were you?")
        shots[name] = (box, first, page.locator("dialog form").screenshot(animations="disabled"))
    assert shots["aggressive"][0] == shots["plain"][0]
    assert shots["aggressive"][1] == shots["plain"][1], "the first step looks different on the styled page"
    assert shots["aggressive"][2] == shots["plain"][2], "the scale looks different on the styled page"


@pytest.mark.parametrize(("motion", "animation"), [("reduce", "none"), ("no-preference", "sh-in")])
def test_reduced_motion_is_respected(new_page, live_app, host, widget_org, motion, animation):
    page = new_page(reduced_motion=motion)
    open_survey(page, host.add("/account", host_page(live_app.url, widget_org)))
    assert page.evaluate(f"() => getComputedStyle({IN_SHADOW}.querySelector('dialog')).animationName") == animation


def test_the_respondents_locale(app, new_page, live_app, host, widget_org):
    # Given by init…
    page = new_page()
    dialog = open_survey(page, host.add("/ms", host_page(live_app.url, widget_org, user_id="u_ms", locale="ms")))
    expect(dialog).to_contain_text("Kami sedih anda pergi.")
    expect(page.get_by_role("button", name="Seterusnya")).to_be_visible()
    assert page.evaluate(f"() => {IN_SHADOW}.querySelector('dialog').lang") == "ms"
    # …or else the browser's language.
    page = new_page(locale="ms-MY")
    dialog = open_survey(page, host.add("/browser", host_page(live_app.url, widget_org, user_id="u_browser")))
    expect(dialog).to_contain_text("Kami sedih anda pergi.")
    eventually(lambda: len(live_app.writes("display")) == 2)
    assert {r["respondent"]["external_id"]: r["respondent"]["locale"] for r in widget_responses(app)} == \
        {"u_ms": "ms", "u_browser": "ms-MY"}


def test_open_rejects_when_the_survey_cannot_be_shown(app, page, live_app, host, widget_org, row_counts):
    before = row_counts()
    page.goto(host.add("/missing", host_page(live_app.url, widget_org, slug="no-such-survey")))
    page.get_by_role("button", name="Cancel subscription").click()
    assert result(page)["error"]["code"] == "not_found"
    page.goto(host.add("/account", host_page(live_app.url, widget_org)))
    page.context.set_offline(True)
    page.get_by_role("button", name="Cancel subscription").click()
    assert result(page)["error"]["code"] == "unavailable"
    expect(page.locator("surveyhub-widget")).to_have_count(0)
    assert row_counts() == before


def test_multiple_choice_with_other(app, client, api, make_survey, page, live_app, host):
    make_survey(questions=[
        {"id": "missing", "type": "multiple_choice", "text": "What was missing?", "multiple": True,
         "allow_other": True, "choices": [{"id": "api", "label": "An API"}, {"id": "sso", "label": "SSO"},
                                          {"id": "export", "label": "Exports"}]},
    ], offers=[])
    dialog = open_survey(page, host.add("/account", host_page(live_app.url, widget_org_of(app, api.org_id))))
    expect(page.get_by_role("checkbox")).to_have_count(4)
    page.get_by_role("checkbox", name="An API").check()
    page.get_by_role("checkbox", name="Other").check()
    expect(page.get_by_role("button", name="Next")).to_have_attribute("aria-disabled", "true")  # "other" needs text
    page.get_by_role("textbox", name="Other").fill("Gantt charts")
    page.get_by_role("checkbox", name="Exports").check()
    next_step(page)
    expect(dialog).to_have_accessible_name("Thank you for telling us.")
    page.get_by_role("button", name="Done").click()
    got = result(page)
    assert got["answers"] == [{"question": "missing", "value": ["api", "export", "other"],
                               "other_text": "Gantt charts"}]
    eventually(lambda: live_app.writes("complete"))
    assert widget_responses(app)[0]["answers"] == {"missing": ["api", "export", "other"]}


def test_the_demo_page_runs_the_whole_flow(app, runner, page, live_app):
    assert "/demo" in runner.invoke(args=["demo"]).output
    seeded = len(events(app))  # the demo's twelve weeks of widget visits
    page.goto(f"{live_app.url}/demo?locale=id")
    page.get_by_role("button", name="Cancel subscription").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_have_accessible_name("Alasan utama membatalkan?")
    choose(page, "Terlalu mahal")
    page.get_by_role("button", name="Berikutnya").click()
    page.get_by_role("button", name="Ambil penawaran").click()
    expect(page.get_by_role("status")).to_have_text("Offer accepted: you stay on Pro at the discounted price.")
    expect(page.locator("#result")).to_contain_text('"accepted": true')
    eventually(lambda: live_app.writes("offer"))
    assert [e.type for e in events(app)[seeded:]] == [
        "displayed", "responded", "offer_shown", "offer_accepted", "completed"]
