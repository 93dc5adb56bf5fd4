"""The demo SaaS page (/demo): a pretend account page whose Cancel button runs the in-app widget."""

from __future__ import annotations

import secrets

from flask import Blueprint, render_template, request, session

from .. import demo as demo_org

bp = Blueprint("demo", __name__)


@bp.get("/demo")
def demo():
    """A small SaaS account page whose Cancel button opens the demo org's cancel-flow survey."""
    visitor = session.setdefault("demo_visitor", "demo-visitor-" + secrets.token_hex(4))
    context = demo_org.demo_page_context(visitor)
    if context is None:
        return render_template("widget_demo.html", context=None), 404
    return render_template("widget_demo.html", context=context, locale=request.args.get("locale", ""))
