"""The widget's pages: the script customers embed (/widget.js) and the demo SaaS page (/demo)."""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, current_app, render_template, request, session

from .services import widget

bp = Blueprint("widget_pages", __name__)

WIDGET_JS = Path(__file__).parent / "static" / "widget.js"


@lru_cache(maxsize=4)
def _asset(path: Path, mtime_ns: int) -> tuple[bytes, str]:
    """Read a built asset once per version of the file, with a strong ETag of its content."""
    body = path.read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:32]


@bp.get("/widget.js")
def widget_js():
    """Serve the built widget: cached briefly, then revalidated by its ETag."""
    body, etag = _asset(WIDGET_JS, WIDGET_JS.stat().st_mtime_ns)
    response = current_app.response_class(body, mimetype="text/javascript")
    response.set_etag(etag)
    # The URL is not versioned: keep copies short-lived but let browsers use a stale one while they check.
    response.cache_control.public = True
    response.cache_control.max_age = 300
    response.cache_control.stale_while_revalidate = 86400
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)


@bp.get("/demo")
def demo():
    """A small SaaS account page whose Cancel button opens the demo org's cancel-flow survey."""
    visitor = session.setdefault("demo_visitor", "demo-visitor-" + secrets.token_hex(4))
    context = widget.demo_page_context(visitor)
    if context is None:
        return render_template("widget_demo.html", context=None), 404
    return render_template("widget_demo.html", context=context, locale=request.args.get("locale", ""))
