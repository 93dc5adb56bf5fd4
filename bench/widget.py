"""The widget benchmark (run it as bench/widget): size of /widget.js, and open() → first question vs a fetch.

Everything runs on 127.0.0.1: the app on a real server thread (SQLite in a temporary folder, the
embedded default), a host page on a second port, and Debian's Chromium driven by Playwright.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import statistics
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from surveyhub import create_app  # noqa: E402
from surveyhub.accounts import orgs, surveys  # noqa: E402
from surveyhub.demo import DEMO_SURVEY  # noqa: E402
from surveyhub.schemas.survey import SurveyDefinitionSchema  # noqa: E402
from surveyhub.security import user_hash  # noqa: E402
from surveyhub.transaction import unit_of_work  # noqa: E402

SIZE_GOAL = 8 * 1024
RATIO_GOAL = 1.5
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Runs in the page: alternately a bare fetch of the survey JSON and SurveyHub.open() until the first
# question is in the dialog and laid out; medians of each. Between rounds, the widget's background
# writes (display, dismiss) are given time to finish so that they don't weigh on the next round.
MEASURE = """async ({url, rounds, warmup}) => {
  const questionShown = () => new Promise((resolve) => {
    const found = () => {
      const legend = document.querySelector("surveyhub-widget")?.shadowRoot?.querySelector("legend");
      return legend && legend.getBoundingClientRect().height > 0;
    };
    if (found()) return resolve();
    const watch = new MutationObserver(() => { if (found()) { watch.disconnect(); resolve(); } });
    watch.observe(document.body, {childList: true, subtree: true});
  });
  const pause = () => new Promise((r) => setTimeout(r, 100));
  const fetchTimes = [], openTimes = [];
  for (let i = 0; i < warmup + rounds; i++) {
    const measure = async (which) => {
      const start = performance.now();
      if (which === "fetch") {
        await (await fetch(url, {credentials: "omit"})).json();
      } else {
        const result = SurveyHub.open("cancel-flow");
        await questionShown();
        const took = performance.now() - start;
        SurveyHub.close();
        await result;
        return took;
      }
      return performance.now() - start;
    };
    const order = i % 2 ? ["fetch", "open"] : ["open", "fetch"];
    for (const which of order) {
      const took = await measure(which);
      if (i >= warmup) (which === "fetch" ? fetchTimes : openTimes).push(took);
      await pause();
    }
  }
  return {fetchTimes, openTimes};
}"""

STUB = """window.SurveyHub = window.SurveyHub || (function (q) { var s = {q: q};
  ["init", "open", "close"].forEach(function (m) { s[m] = function () { var a = arguments;
    return new Promise(function (res, rej) { q.push([m, a, res, rej]); }); }; }); return s; })([]);"""


def serve(wsgi_app) -> tuple[str, object]:
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=40)
    args = parser.parse_args()
    logging.disable(logging.INFO)

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench",
                          "WIDGET_RATE_LIMIT_PER_IP": "1000000 per minute"})
        app.instance_path = tmp
        with app.app_context():
            upgrade()
            with unit_of_work():
                new = orgs.create_org("Bench")
                survey = surveys.create_survey(new.org.id, SurveyDefinitionSchema().load(DEMO_SURVEY))
                surveys.publish_survey(survey)
            key, secret = new.org.widget_key, new.signing_secret
        app_url, app_server = serve(app)

        script = urllib.request.urlopen(f"{app_url}/widget.js").read()  # noqa: S310 (our own server)
        gzipped = len(gzip.compress(script, compresslevel=9))

        options = {"key": key, "user": {"id": "bench-user"}, "userHash": user_hash(secret, "bench-user"),
                   "locale": "en"}
        page_html = (f"<!doctype html><html><head><meta charset='utf-8'><title>Bench</title></head><body>"
                     f"<button>Cancel</button><script>{STUB}</script>"
                     f"<script src='{app_url}/widget.js'></script>"
                     f"<script>SurveyHub.init({json.dumps(options)});</script></body></html>")
        host_url, host_server = serve(Response(page_html, mimetype="text/html"))

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                                 args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(host_url)
            page.wait_for_function("() => typeof SurveyHub.version === 'string'")
            times = page.evaluate(MEASURE, {"url": f"{app_url}/widget/v1/{key}/surveys/cancel-flow?locale=en",
                                            "rounds": args.iterations, "warmup": 5})
            browser.close()
        app_server.shutdown()
        host_server.shutdown()

    open_ms = statistics.median(times["openTimes"])
    fetch_ms = statistics.median(times["fetchTimes"])
    ratio = open_ms / fetch_ms
    print(f"/widget.js: {len(script)} bytes, {gzipped} gzipped (goal <= {SIZE_GOAL})")
    print(f"open() to first question: median {open_ms:.2f} ms; bare fetch of the survey: median {fetch_ms:.2f} ms; "
          f"ratio {ratio:.2f} (goal <= {RATIO_GOAL}) over {args.iterations} rounds")
    print(json.dumps({"bench": "widget", "value": round(open_ms, 3), "baseline": round(fetch_ms, 3),
                      "ratio": round(ratio, 3), "goal": RATIO_GOAL, "unit": "ms",
                      "gzip_bytes": gzipped, "gzip_goal": SIZE_GOAL, "raw_bytes": len(script),
                      "iterations": args.iterations,
                      "met": ratio <= RATIO_GOAL and gzipped <= SIZE_GOAL}))


if __name__ == "__main__":
    main()
