"""The API docs page /api/v1/docs: ReDoc from the app itself, offline, under a CSP of our own scripts only."""

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

VENDOR = Path(__file__).parent.parent / "surveyhub/static/vendor"


def test_docs_page_loads_scripts_only_from_the_app(client):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200 and r.mimetype == "text/html"
    policy = dict(part.strip().split(" ", 1) for part in r.headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["default-src"] == "'none'"
    assert "http" not in r.headers["Content-Security-Policy"]
    page = r.get_data(as_text=True)
    assert "cdn" not in page and 'src="/static/vendor/redoc.standalone.js"' in page


def test_vendored_redoc_is_served_unchanged_with_its_licence(client):
    """The build scripts/vendor took from npm, pinned by sha256 in VERSIONS, its licences beside it."""
    pins = {line.split()[0]: line.split()[1:] for line in (VENDOR / "VERSIONS").read_text().splitlines()}
    version, sha256, filename = pins["redoc"]
    r = client.get(f"/static/vendor/{filename}")
    assert r.status_code == 200 and hashlib.sha256(r.data).hexdigest() == sha256
    assert "MIT License" in (VENDOR / "redoc.LICENSE").read_text()
    assert f'Version: "{version}"' in (VENDOR / "redoc.standalone.js.LICENSE.txt").read_text()


def test_docs_page_lists_the_operations_with_the_network_cut_off(client, page, live_server):
    """In Chromium, every request to anywhere but the app is refused; the page still lists every operation."""
    spec = client.get("/api/v1/openapi.json").get_json()
    summaries = [operation["summary"] for path in spec["paths"].values() for method, operation in path.items()
                 if method in ("get", "post", "put", "patch", "delete")]
    assert len(summaries) >= 16
    elsewhere: list[str] = []
    app_origin = urlsplit(live_server.url).netloc

    def only_the_app(route):
        url = urlsplit(route.request.url)
        if url.scheme in ("http", "https") and url.netloc != app_origin:
            elsewhere.append(route.request.url)
            return route.abort()
        return route.continue_()

    page.route("**/*", only_the_app)
    page.goto(f"{live_server.url}/api/v1/docs")
    page.get_by_role("heading", name=summaries[0]).first.wait_for()
    menu = page.locator("[role=menuitem]").all_inner_texts()
    for summary in summaries:
        assert any(summary in item for item in menu), summary
    assert elsewhere == []
