"""Plain pages outside the API: the landing page and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template_string

bp = Blueprint("pages", __name__)

INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>SurveyHub</title></head>
<body><main>
<h1>SurveyHub</h1>
<p>Exit surveys on every channel a leaving customer answers.</p>
<ul>
  <li><a href="/dashboard/">Dashboard</a> (managers)</li>
  <li><a href="/api/v1/docs">API documentation</a> (<a href="/api/v1/openapi.json">OpenAPI spec</a>)</li>
  <li><a href="/healthz">Health check</a></li>
</ul>
</main></body></html>"""


@bp.get("/")
def index():
    """Point a visitor at the documentation."""
    return render_template_string(INDEX)


@bp.get("/healthz")
def healthz():
    """Answer 200 while the process serves requests."""
    return jsonify({"status": "ok"})
