"""A theme notice's page (/n/TOKEN): the message in the person's language, and its link (/n/TOKEN/go).

The first view counts the notice opened, the first use of the link counts it clicked; no tracking pixel.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for
from flask_babel import gettext

from ..errors import NotFound
from ..i18n import LOCALES, choose_locale
from ..themes import campaigns
from ..transaction import unit_of_work
from .hosted import security_headers

bp = Blueprint("notices", __name__)
bp.after_request(security_headers)


def _shown(token: str) -> campaigns.Shown | None:
    try:
        shown = campaigns.read_notice(token)
    except NotFound:
        return None
    g.locale = choose_locale(LOCALES, shown.locale)
    return shown


def _invalid():
    return render_template("hosted/message.html", title="SurveyHub", message=gettext("This link is not valid."),
                           locale="en"), 404


@bp.route("/n/<token>")
def notice(token: str):
    """Show the notice; the first view counts it opened."""
    with unit_of_work():
        shown = _shown(token)
        if shown is None:
            return _invalid()
        campaigns.record_open(shown)
    go_url = url_for(".go", token=token) if shown.link else None
    return render_template("hosted/notice.html", title=shown.org_name, text=shown.text, go_url=go_url,
                           locale=shown.locale, content_locale=shown.locale)


@bp.route("/n/<token>/go")
def go(token: str):
    """Follow the campaign's link; the first use counts it clicked."""
    with unit_of_work():
        shown = _shown(token)
        if shown is None or not shown.link:
            return _invalid()
        campaigns.record_click(shown)
    return redirect(shown.link, 302)
