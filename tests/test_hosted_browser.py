"""The hosted survey page in real headless Chromium, reached from a mail a real SMTP server received."""

import re

from sqlalchemy import select

from surveyhub.extensions import db
from surveyhub.models import Response


def mailed_link(make_survey, invite, smtp, run_worker, live_server, **recipient):
    survey = make_survey()
    invite(survey["id"], {"email": "amy@example.com", **recipient})
    run_worker()
    text = smtp.messages[-1].get_body(("plain",)).get_content()
    return re.search(re.escape(live_server.url) + r"/s/[\w.-]+", text).group(0)


def stored(app):
    with app.app_context():
        response = db.session.execute(select(Response)).scalar_one()
        return response.status, response.channel, response.answer_values()


def test_answer_by_mouse(app, page, make_survey, invite, smtp, run_worker, live_server):
    link = mailed_link(make_survey, invite, smtp, run_worker, live_server)
    page.goto(link)
    page.get_by_label("Too expensive").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_text("How satisfied were you?").wait_for()
    page.locator("label.scale-option", has_text="6").click()
    page.get_by_role("button", name="Next").click()
    page.get_by_text("How likely are you to recommend us?").wait_for()
    page.locator("label.scale-option", has_text="10").click()
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Would you use us again?").wait_for()
    page.get_by_label("No").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_text("If not, why not?").wait_for()
    page.get_by_label("If not, why not?").fill("Too slow for our team")
    page.get_by_role("button", name="Finish").click()
    page.get_by_text("Thank you for telling us.").wait_for()
    assert stored(app) == ("completed", "email", {"reason": "price", "satisfaction": 6, "nps": 10,
                                                  "come_back": False, "why_not": "Too slow for our team"})


def arrive(page, question: str) -> None:
    """Wait for a question's page, then Tab to its options (none takes focus by itself)."""
    page.get_by_role("heading", level=1, name=question).wait_for()
    page.keyboard.press("Tab")
    page.wait_for_function("document.activeElement && document.activeElement.name === 'value'")


def test_answer_by_keyboard_only(app, page, make_survey, invite, smtp, run_worker, live_server):
    link = mailed_link(make_survey, invite, smtp, run_worker, live_server)
    page.goto(link)
    # Tab reaches the first option; arrows move within the group, Enter submits the form.
    arrive(page, "Main reason for cancelling?")
    page.keyboard.press("ArrowDown")  # "Missing features"
    page.keyboard.press("Enter")
    arrive(page, "How satisfied were you?")
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # 1 → 4
    page.keyboard.press("Enter")
    arrive(page, "How likely are you to recommend us?")
    for _ in range(9):
        page.keyboard.press("ArrowRight")  # 0 → 9
    page.keyboard.press("Enter")
    arrive(page, "Would you use us again?")
    page.keyboard.press("Space")  # choose "Yes", which has focus
    page.keyboard.press("Enter")
    page.get_by_text("Thank you for telling us.").wait_for()
    assert stored(app) == ("completed", "email", {"reason": "features", "satisfaction": 4, "nps": 9,
                                                  "come_back": True})


def test_readable_on_a_phone(app, browser, make_survey, invite, smtp, run_worker, live_server):
    link = mailed_link(make_survey, invite, smtp, run_worker, live_server, locale="ms")
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.goto(link)
    page_width = phone.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 360
    # The survey's intro is in Malay, so the page is (its questions fall back to English one by one).
    next_button = phone.get_by_role("button", name="Seterusnya").bounding_box()
    assert next_button["height"] >= 44  # a comfortable touch target
    phone.get_by_label("Too expensive").tap()
    phone.get_by_role("button", name="Seterusnya").tap()
    phone.get_by_text("Soalan 2 daripada 4").wait_for()
    context.close()
    assert stored(app)[0] == "partial"


def option_looks(page) -> list[dict]:
    """How each option of the page's question is drawn: fill, border and outline of its visible box."""
    return page.evaluate("""() => [...document.querySelectorAll('label.option, label.scale-option')].map(label => {
        const box = label.classList.contains('scale-option') ? label.querySelector('span') : label;
        const look = getComputedStyle(box), ring = getComputedStyle(label);
        return {background: look.backgroundColor, border: look.borderColor, color: look.color,
                outline: ring.outlineStyle + ' ' + ring.outlineWidth + ' ' + ring.outlineColor};
    })""")


def test_no_option_looks_chosen_on_arrival_and_each_page_has_a_heading(page, make_survey, invite, smtp, run_worker,
                                                                       live_server):
    link = mailed_link(make_survey, invite, smtp, run_worker, live_server)
    page.goto(link)
    assert page.get_by_role("heading", level=1).all_inner_texts() == ["Main reason for cancelling?"]
    looks = option_looks(page)
    assert len(looks) == 3 and all(look == looks[0] for look in looks), looks  # the first is drawn like the rest
    assert page.evaluate("document.querySelectorAll('input:checked').length") == 0
    page.get_by_label("Too expensive").check()
    chosen = option_looks(page)[0]
    assert chosen["background"] != looks[0]["background"]  # a choice, once made, shows
    page.get_by_role("button", name="Next").click()
    page.get_by_role("heading", level=1, name="How satisfied were you?").wait_for()
    scale = option_looks(page)
    assert len(scale) == 7 and all(look == scale[0] for look in scale), scale


def test_nps_fits_one_row_on_a_390_px_phone(browser, make_survey, invite, smtp, run_worker, live_server):
    link = mailed_link(make_survey, invite, smtp, run_worker, live_server)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        phone.goto(link + "&q=nps" if "?" in link else link + "?q=nps")
        phone.get_by_role("heading", level=1, name="How likely are you to recommend us?").wait_for()
        boxes = [option.bounding_box() for option in phone.locator("label.scale-option").all()]
        assert len(boxes) == 11
        assert len({round(box["y"]) for box in boxes}) == 1, boxes  # 0 to 10 side by side
        assert all(box["height"] >= 44 for box in boxes)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
