"""The Install & settings page: the widget snippet, userHash examples, allowed origins, keys, org settings.

Secrets are shown once: a rotation answers with the page itself, the new secret in it (no redirect, so
it never sits in a cookie or a URL; the dashboard sends `Cache-Control: no-store`). The API key is kept
only as a hash and the signing secret is the org's to keep, so the page shows neither again.
"""

from __future__ import annotations

import re
from string import Template

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from ..accounts import grace, orgs
from ..errors import Invalid
from ..models.org import MAX_CONTACT_CAP_DAYS, MAX_WIDGET_RESPONSES_PER_DAY
from ..responses import widget
from ..schemas.api import REGIONS, TIMEZONES
from ..transaction import unit_of_work
from .forms import OrgSettingsForm, OriginsForm, RotateKeyForm, RotateSigningSecretForm
from .views import bp

# The widget snippet of CONTRACT §6 and docs/widget.md, for one org on this server (the loader stub is the
# demo page's too: templates/widget_loader_stub.js).
_SNIPPET = Template("""<script>
$loader_stub
</script>
<script src="$base_url/widget.js" async></script>
<script>
  SurveyHub.init({
    key: "$widget_key",
    user: {id: "USER_ID", email: "USER_EMAIL", attributes: {plan: "pro"}},
    userHash: "USER_HASH",   // from your server: HMAC-SHA256 of USER_ID with your signing secret
  });
  cancelButton.onclick = async () => {
    const result = await SurveyHub.open("cancel-flow");   // your survey's slug
    // result: {status: "completed" | "dismissed", responseId, answers, offer: {id, accepted} | null}
  };
</script>""")

# Server-side userHash (CONTRACT §6): hex HMAC-SHA256 of the user's id as UTF-8, keyed with the signing
# secret, which each reads from SURVEYHUB_SIGNING_SECRET. tests/test_dashboard_settings.py runs them.
HASH_EXAMPLES = {
    "python": """import hashlib
import hmac
import os


def surveyhub_user_hash(user_id) -> str:
    secret = os.environ["SURVEYHUB_SIGNING_SECRET"]
    return hmac.new(secret.encode(), str(user_id).encode(), hashlib.sha256).hexdigest()""",
    "node": """const crypto = require("node:crypto");

function surveyhubUserHash(userId) {
  return crypto.createHmac("sha256", process.env.SURVEYHUB_SIGNING_SECRET)
    .update(String(userId), "utf8").digest("hex");
}""",
    "php": """<?php
function surveyhub_user_hash($userId): string {
    return hash_hmac('sha256', (string) $userId, getenv('SURVEYHUB_SIGNING_SECRET'));
}""",
    "ruby": """require "openssl"

def surveyhub_user_hash(user_id)
  OpenSSL::HMAC.hexdigest("SHA256", ENV.fetch("SURVEYHUB_SIGNING_SECRET"), user_id.to_s)
end""",
}
HASH_LANGUAGES = {"python": "Python", "node": "Node.js", "php": "PHP", "ruby": "Ruby"}

_ORIGIN_LINE = re.compile(r"origins\.([0-9]+)")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


def _render(status: int = 200, *, errors: dict[str, str] | None = None, new_secret: dict | None = None,
            origins_form: OriginsForm | None = None, settings_form: OrgSettingsForm | None = None):
    """Draw the page for the signed-in manager's org; forms keep what was typed when it was refused."""
    org = orgs.get_org(current_user.org_id)
    described = orgs.describe(org)
    origins = widget.allowed_origins(org)
    if origins_form is None:
        origins_form = OriginsForm(formdata=None, origins="\n".join(origins))
    if settings_form is None:
        settings_form = OrgSettingsForm(
            formdata=None, timezone=described["timezone"], default_region=described["default_region"] or "",
            widget_responses_per_day=str(described["widget_responses_per_day"]),
            contact_cap_days=str(described["contact_cap_days"]))
    return render_template(
        "dashboard/settings.html", org=org, settings=described, api_key=orgs.live_api_key(org.id),
        previous_secret_until=orgs.previous_signing_secret_until(org), new_secret=new_secret,
        snippet=_SNIPPET.substitute(loader_stub=render_template("widget_loader_stub.js"), widget_key=org.widget_key,
                                    base_url=current_app.config["BASE_URL"].rstrip("/")),
        hash_examples=HASH_EXAMPLES, hash_languages=HASH_LANGUAGES, origins=origins,
        origins_form=origins_form, settings_form=settings_form, rotate_form=RotateKeyForm(formdata=None),
        secret_form=RotateSigningSecretForm(formdata=None, grace_hours=str(grace.DEFAULT_GRACE_HOURS)),
        timezones=TIMEZONES, regions=REGIONS, errors=errors or {}, default_grace_hours=grace.DEFAULT_GRACE_HOURS,
        max_grace_hours=grace.MAX_GRACE_HOURS,
    ), status


@bp.get("/settings")
@login_required
def settings_page():
    """Show how to install the widget, the org's keys, allowed origins and settings."""
    return _render()


@bp.post("/settings/origins")
@login_required
def save_origins():
    """Limit the widget to the origins given, one a line (none: any site); a bad line saves nothing."""
    form = OriginsForm()
    if not form.validate_on_submit():
        return _render(422, errors={"origins": _origins_message(None)}, origins_form=form)
    lines = [line.strip() for line in (form.origins.data or "").splitlines() if line.strip()]
    try:
        with unit_of_work():
            saved = widget.set_allowed_origins(current_user.org_id, lines)
    except Invalid as err:
        line = next((int(m[1]) for m in map(_ORIGIN_LINE.fullmatch, err.fields or {}) if m), None)
        return _render(422, errors={"origins": _origins_message(None if line is None else (line, lines[line]))},
                       origins_form=form)
    flash(gettext("The widget may be used from: %(origins)s", origins=", ".join(saved))
          if saved else gettext("The widget may be used from any site."))
    return redirect(url_for(".settings_page") + "#origins")


def _origins_message(bad: tuple[int, str] | None) -> str:
    if bad is None:
        return gettext("Give one origin a line, such as https://app.example.com.")
    return gettext("Line %(number)d, %(origin)s, is not an origin: write scheme://host[:port], such as "
                   "https://app.example.com.", number=bad[0] + 1, origin=bad[1])


@bp.post("/settings/org")
@login_required
def save_org_settings():
    """Change the org's time zone, phone region and caps; one bad value saves none of them."""
    form = OrgSettingsForm()
    if not form.validate_on_submit():
        return _render(422, errors={name: _setting_message(name) for name in form.errors}, settings_form=form)
    changes: dict = {"timezone": (form.timezone.data or "").strip(),
                     "default_region": (form.default_region.data or "").strip() or None}
    errors = {}
    for name in ("widget_responses_per_day", "contact_cap_days"):
        text = (getattr(form, name).data or "").strip()
        if _WHOLE_NUMBER.fullmatch(text):
            changes[name] = int(text)
        else:
            errors[name] = _setting_message(name)
    try:
        with unit_of_work():
            orgs.update_settings(orgs.get_org(current_user.org_id, lock=True), **changes)
            if errors:  # a number that is none: what the service accepted is not kept either
                raise Invalid("Not a whole number.", errors)
    except Invalid as err:
        errors |= {name: _setting_message(name) for name in err.fields or {}}
        return _render(422, errors=errors, settings_form=form)
    flash(gettext("Settings saved."))
    return redirect(url_for(".settings_page") + "#org-settings")


def _setting_message(name: str) -> str:
    """What is wrong with a refused setting, in the manager's language."""
    return {
        "timezone": gettext("Choose a time zone such as Asia/Kuala_Lumpur."),
        "default_region": gettext("Give a region code such as MY, ID or SG, or leave it empty."),
        "widget_responses_per_day": gettext("Give a whole number from 0 to %(max)d.",
                                            max=MAX_WIDGET_RESPONSES_PER_DAY),
        "contact_cap_days": gettext("Give a whole number from 0 to %(max)d.", max=MAX_CONTACT_CAP_DAYS),
    }.get(name, gettext("This value is not valid."))


def _rotate_key(kind: str):
    form = RotateKeyForm()
    if not form.validate_on_submit():
        return _render(422, errors={f"{kind}-confirm": gettext("Tick the box to confirm.")})
    rotate = orgs.rotate_api_key if kind == "api-key" else orgs.rotate_widget_key
    with unit_of_work():
        secret = rotate(current_user.org_id, actor=current_user.email)
    return _render(new_secret={"kind": kind, "value": secret})


@bp.post("/settings/api-key/rotate")
@login_required
def rotate_api_key():
    """Replace the API key (the old one is refused at once) and show the new one, this once."""
    return _rotate_key("api-key")


@bp.post("/settings/widget-key/rotate")
@login_required
def rotate_widget_key():
    """Replace the widget key (pages with the old one stop showing surveys at once)."""
    return _rotate_key("widget-key")


@bp.post("/settings/signing-secret/rotate")
@login_required
def rotate_signing_secret():
    """Make a new signing secret and show it, this once; the old one verifies userHash for the grace given."""
    form = RotateSigningSecretForm()
    text = (form.grace_hours.data or "").strip()
    refused = {"grace_hours": gettext("Give a whole number of hours from 0 to %(max)d.", max=grace.MAX_GRACE_HOURS)}
    if not form.validate_on_submit() or not _WHOLE_NUMBER.fullmatch(text):
        return _render(422, errors=refused)
    try:
        with unit_of_work():
            rotated = orgs.rotate_signing_secret(current_user.org_id, grace_hours=int(text),
                                                 actor=current_user.email)
    except Invalid:  # more hours than a grace may last
        return _render(422, errors=refused)
    return _render(new_secret={"kind": "signing-secret", "value": rotated.secret,
                               "previous_until": rotated.previous_expires_at})
