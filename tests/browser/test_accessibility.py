"""Every dashboard page in Chromium, at 1280 and at 390 px, on the demo's data: axe-core finds no violation of
any impact, and at 390 px nothing makes the page scroll sideways.

axe-core is the widget's devDependency (widget/node_modules, installed by `npm ci` in widget/, which
scripts/test runs when it is missing); without it the test fails, never skips. The pages to visit are
tests/helpers.DASHBOARD_PAGES, shared with the language test and scripts/screenshots.
"""

from __future__ import annotations

import pytest

from tests.helpers import DASHBOARD_PAGES, REPOSITORY, ApiClient, DashboardPage, Demo, seed_demo
from tests.test_webhooks import ANSWERS, log_one_delivery

AXE = REPOSITORY / "widget" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices (landmarks, one h1, heading order, …).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` in widget/ (scripts/test does when it is missing)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def demo(app, runner, client, run_worker) -> Demo:
    """`surveyhub demo`'s data, plus a delivery in the webhooks log and a key rotation in the security log."""
    seeded = seed_demo(app)
    log_one_delivery(app, ApiClient(client, seeded.api_key, seeded.org_id), seeded.survey, ANSWERS, run_worker)
    assert runner.invoke(args=["org", "rotate", str(seeded.org_id), "--widget-key"]).exit_code == 0
    return seeded


def _violations(page, axe_source: str) -> list[str]:
    """Run axe on the page as it is now; return each violation as 'id (impact): targets'."""
    page.evaluate(axe_source + "\n;0")  # through the debugger, so the dashboard's CSP does not block it
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [f"{v['id']} ({v['impact']}): {', '.join(' '.join(n['target']) for n in v['nodes'])} — {v['help']}"
            for v in result["violations"]]


def _check(page, target: DashboardPage, width: int, axe_source: str) -> list[str]:
    """What is wrong with the page the browser shows: axe's violations, and sideways scroll at a phone's width."""
    problems = [f"{target.name} at {width} px: {violation}" for violation in _violations(page, axe_source)]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if width <= 390 and scroll_width > width:
        problems.append(f"{target.name} at {width} px: the page is {scroll_width} px wide")
    return problems


@pytest.mark.parametrize("width", WIDTHS)
def test_every_dashboard_page_passes_axe(live_app, new_page, demo, axe_source, width):
    page = new_page(viewport={"width": width, "height": 900})
    problems: list[str] = []
    signed_out = [target for target in DASHBOARD_PAGES if not target.signed_in]
    for target in signed_out:
        page.goto(live_app.url + target.url(demo.survey, demo.response, demo.theme))
        problems += _check(page, target, width, axe_source)
    page.goto(f"{live_app.url}/dashboard/login")
    page.fill("#email", demo.email)
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert page.locator(".error, .flash.error").count() > 0
    problems += _check(page, DashboardPage("login, refused", "/dashboard/login", signed_in=False), width, axe_source)
    page.fill("#email", demo.email)
    page.fill("#password", demo.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/")
    visited = 0
    for target in DASHBOARD_PAGES:
        if not target.signed_in:
            continue
        response = page.goto(live_app.url + target.url(demo.survey, demo.response, demo.theme))
        assert response is not None and response.status == target.status, target
        page.wait_for_load_state("load")
        problems += _check(page, target, width, axe_source)
        visited += 1
    assert visited == len(DASHBOARD_PAGES) - len(signed_out)
    # States a page only shows after a click: the builder's translations side by side, the interview's errors.
    page.goto(f"{live_app.url}/dashboard/surveys/{demo.survey}/build")
    page.check("[data-path=translating]")
    page.wait_for_selector("form.translating")
    problems += _check(page, DashboardPage("builder, translating", "/dashboard/surveys/{survey}/build"), width,
                       axe_source)
    # The builder's previews: the real widget drawn in its shadow root, and the hosted page in its frame.
    page.goto(f"{live_app.url}/dashboard/surveys/{demo.survey}/build")
    page.wait_for_selector("#widget-preview dialog legend")
    problems += _check(page, DashboardPage("builder, widget preview", "/dashboard/surveys/{survey}/build"), width,
                       axe_source)
    page.click("#hosted-preview-show")
    page.frame_locator("#hosted-preview").locator("h1.question").wait_for()
    hosted = next(frame for frame in page.frames if frame.url.endswith("/preview/hosted"))
    problems += [f"hosted preview at {width} px: {v}" for v in _violations(hosted, axe_source)]
    page.goto(f"{live_app.url}/dashboard/surveys/{demo.survey}/interview")
    page.check("#complete")  # finished, with the required questions unanswered
    page.click("#interview button[type=submit]")
    page.wait_for_selector("#interview .error")
    problems += _check(page, DashboardPage("interview, refused", "/dashboard/surveys/{survey}/interview"), width,
                       axe_source)
    assert problems == [], "\n".join(problems)
