"""Fixtures for the widget's browser tests: the app on a real server, a host page on another origin,
and Debian's Chromium driven by Playwright.

Everything listens on 127.0.0.1 only. Chromium must be at /usr/bin/chromium (`apt-get install -y
chromium`); the tests fail, never skip, without it. Playwright's own browser download is never used.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.helpers import WidgetOrg, widget_org_of

# The loader stub of CONTRACT §6, as a host page pastes it.
STUB = """window.SurveyHub = window.SurveyHub || (function (q) {
  var s = {q: q};
  ["init", "open", "close"].forEach(function (m) {
    s[m] = function () { var a = arguments;
      return new Promise(function (res, rej) { q.push([m, a, res, rej]); }); };
  });
  return s;
})([]);"""


@dataclass
class Recorded:
    method: str
    path: str
    status: int
    body: dict | None


class RecordingServer:
    """A WSGI app on a real HTTP server in a thread, remembering every request it answered."""

    def __init__(self, wsgi_app: Callable):
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._app = wsgi_app
        self._server = make_server("127.0.0.1", 0, self._record, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def _record(self, environ, start_response):
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(raw)
        status = []

        def record_status(code, headers, exc_info=None):
            status.append(int(code.split()[0]))
            return start_response(code, headers, exc_info)

        result = self._app(environ, record_status)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self._lock:
            self.requests.append(Recorded(environ["REQUEST_METHOD"], environ["PATH_INFO"], status[0], body))
        return result

    def writes(self, what: str, status: int | None = 200) -> list[Recorded]:
        """Return the widget writes of one kind ("answers", "display", …) answered with `status`."""
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path.endswith("/" + what)
                    and (status is None or r.status == status)]

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)


@pytest.fixture
def live_app(app: Flask) -> Iterator[RecordingServer]:
    """The app under test, served for real on 127.0.0.1."""
    server = RecordingServer(app.wsgi_app)
    yield server
    server.stop()


@dataclass
class HostSite:
    """A customer's site on its own origin: pages registered by the test, with their headers."""

    pages: dict[str, tuple[str, dict]] = field(default_factory=dict)
    server: RecordingServer | None = None

    def __call__(self, environ, start_response):
        request = Request(environ)
        html, headers = self.pages.get(request.path, ("not found", {}))
        status = 200 if request.path in self.pages else 404
        return Response(html, status=status, mimetype="text/html", headers=headers)(environ, start_response)

    def add(self, path: str, html: str, headers: dict | None = None) -> str:
        self.pages[path] = (html, headers or {})
        return self.server.url + path


@pytest.fixture
def host() -> Iterator[HostSite]:
    """A host site on a second port: a different origin from the app's, so CORS is exercised."""
    site = HostSite()
    site.server = RecordingServer(site)
    yield site
    site.server.stop()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Open pages in fresh browser contexts (options as for new_context); page errors fail the test."""
    contexts = []
    errors: list[str] = []

    def open_page(**options) -> Page:
        context = browser.new_context(**options)
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda err: errors.append(str(err)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], f"errors in the page: {errors}"


@pytest.fixture
def page(new_page) -> Page:
    return new_page()


@pytest.fixture
def widget_org(app: Flask, api, make_survey) -> WidgetOrg:
    """The org of the `api` fixture, whose cancel-flow survey (CONTRACT §3's example) is published."""
    make_survey()
    return widget_org_of(app, api.org_id)


def host_page(app_url: str, org: WidgetOrg, *, user_id: str = "u_123", user_hash: str | None = None,
              locale: str | None = None, nonce: str | None = None, load_script: bool = True, head: str = "",
              slug: str = "cancel-flow", email: str | None = None) -> str:
    """A customer's account page using the widget as docs/widget.md says: stub, script, init, open."""
    attr = f' nonce="{nonce}"' if nonce else ""
    options = {"key": org.key, "user": {"id": user_id, "email": email or f"{user_id}@example.test",
                                        "attributes": {"plan": "pro"}},
               "userHash": user_hash or org.hash(user_id)}
    if locale:
        options["locale"] = locale
    script = f'<script{attr} src="{app_url}/widget.js" async></script>' if load_script else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Account</title>{head}</head>
<body><main><h1>Your account</h1><p>Pro plan.</p>
<button id="cancel" type="button">Cancel subscription</button> <a href="#help">Help</a></main>
<script{attr}>{STUB}</script>
{script}
<script{attr}>
SurveyHub.init({json.dumps(options)});
window.__open = function () {{
  window.__result = undefined;
  SurveyHub.open({json.dumps(slug)}).then(function (r) {{ window.__result = r; }},
    function (e) {{ window.__error = {{message: e.message, code: e.code}}; }});
}};
document.getElementById("cancel").addEventListener("click", function () {{ window.__open(); }});
</script></body></html>"""


def eventually(check: Callable[[], object], timeout: float = 20.0) -> object:
    """Wait (a bounded time) for something the server does after the page moved on; fail if it never does."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not so after {timeout} s: {check.__doc__ or check}")
        time.sleep(0.05)
