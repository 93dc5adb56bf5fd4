"""The API's docs page, /api/v1/docs: ReDoc served from our own static files, under a tight CSP.

flask-smorest's own page loads ReDoc from a CDN, so it is blank offline and runs a third party's
script on our origin; this one needs nothing but the app (OPENAPI_REDOC_PATH is off in config.py).
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from . import PREFIX

bp = Blueprint("api_docs_page", __name__, url_prefix=PREFIX)

# ReDoc styles itself with styled-components (inline <style>) and builds its search index in a Web
# Worker made from a blob: URL; nothing else may run, load or connect anywhere but here.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; worker-src blob:; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; "
                           "form-action 'none'; frame-ancestors 'none'")


@bp.get("/docs")
def redoc():
    """Render the API reference from /api/v1/openapi.json."""
    response = current_app.make_response(render_template("api_docs.html", title=current_app.config["API_TITLE"]))
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
