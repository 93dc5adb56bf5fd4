"""Dashboard pages: login, survey list, survey insights, the JSON editor, exports, logs.

Every POST here needs a CSRF token: CSRFProtect checks the whole app except the API's blueprints.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale, gettext, ngettext
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from marshmallow import EXCLUDE, ValidationError
from werkzeug.exceptions import HTTPException

from ..accounts import audit, orgs, surveys
from ..delivery import webhooks
from ..errors import DomainError, Invalid, flatten_messages
from ..extensions import db, limiter, login_manager, page_locale
from ..insights import export, open_answers, stats, trends
from ..models import CHANNELS, Survey, User
from ..models.types import utcnow
from ..responses import answers as responses
from ..rules import survey as logic
from ..schemas.api import ExportQuerySchema, ResponseSchema, StatsQuerySchema
from ..schemas.survey import SurveyDefinitionSchema
from ..themes import store as themes
from ..transaction import unit_of_work
from .forms import ActionForm, DefinitionForm, LoginForm

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

login_manager.login_view = "dashboard.login"
login_manager.login_message = "Sign in to see the dashboard."
login_manager.localize_callback = gettext  # the message above, in the page's language
login_manager.session_protection = "strong"

# Scripts and styles only from the app itself (the chart library is vendored), no framing.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
MAX_SURVEYS_LISTED = 200
# Each language by its own name, as language pickers show them.
LOCALE_NAMES = {"en": "English", "ms": "Bahasa Melayu", "id": "Bahasa Indonesia", "zh": "中文"}


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Return the signed-in manager named by the session, if the session is still theirs.

    The session names the user and their session version (User.get_id); signing out or a new password
    raises the version, so an old cookie names no one any more.
    """
    return orgs.user_for_session(session_id)


@bp.before_request
def manager_locale() -> None:
    """Speak the manager's chosen language on every dashboard page (else their browser's: page_locale)."""
    if current_user.is_authenticated and current_user.locale:
        g.locale = current_user.locale


@bp.context_processor
def page_globals() -> dict:
    """Give templates a CSRF-carrying form for their buttons (sign out, publish, mark done), the page's
    language and the languages a manager can choose."""
    return {"action": ActionForm(), "page_locale": page_locale(), "locale_names": LOCALE_NAMES, "names": _names()}


def _names() -> dict[str, str]:
    """The page's words for the codes the dashboard shows: channels, statuses, funnel stages, question types.
    A template writes `names.get(code, code)`; the code itself stays in data attributes and the API."""
    return {
        "email": gettext("email"), "sms": gettext("SMS"), "widget": gettext("widget"), "web": gettext("web"),
        "interview": gettext("interview"), "cascade": gettext("cascade"),
        "draft": gettext("draft"), "published": gettext("published"), "archived": gettext("archived"),
        "partial": gettext("partial"), "completed": gettext("completed"),
        "invited": gettext("invited"), "sent": gettext("sent"), "delivered": gettext("delivered"),
        "failed": gettext("failed"), "opened": gettext("opened"), "displayed": gettext("displayed"),
        "dismissed": gettext("dismissed"), "reached": gettext("reached"), "responded": gettext("responded"),
        "queued": gettext("queued"), "sending": gettext("sending"), "cancelled": gettext("cancelled"),
        "skipped": gettext("skipped"), "response_rate": gettext("response rate"),
        "offer_shown": gettext("offer shown"), "offer_accepted": gettext("offer accepted"),
        "offer_declined": gettext("offer declined"), "unsubscribed": gettext("unsubscribed"),
        "opted_out": gettext("opted out"), "opted_in": gettext("opted in"), "erased": gettext("erased"),
        "completion_rate": gettext("completion rate"),
        "multiple_choice": gettext("multiple choice"), "likert": gettext("Likert scale"), "nps": gettext("NPS"),
        "yes_no": gettext("yes / no"), "open": gettext("open question"),
    }


@bp.after_request
def security_headers(response):
    """Add the dashboard's security headers."""
    # setdefault: a page that may be framed (the builder's hosted preview) sets its own.
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    """Show errors in the dashboard as pages, not as the API's JSON."""
    db.session.rollback()
    return render_template("dashboard/error.html", status=exc.code, message=_http_message(exc)), exc.code


def _status_messages() -> dict[int, str]:
    """The page's own words for the usual refusals, in its language."""
    return {
        400: gettext("The request could not be understood. Go back and try again."),
        403: gettext("You may not do this."),
        404: gettext("There is nothing at this address."),
        405: gettext("This page does not take that kind of request."),
        413: gettext("What was sent is too large."),
    }


def _http_message(exc: HTTPException) -> str:
    """The page's own words for the usual refusals (werkzeug's descriptions are English only)."""
    return _status_messages().get(exc.code or 0) or exc.description or ""


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):
    """Show a refused request (another org's survey, a conflict) as a page."""
    db.session.rollback()
    # Another org's or a missing object: the page's words. A conflict or a refusal keeps the service's
    # own message (in English, as the API gives it): it says what to change.
    message = _status_messages()[404] if exc.status == 404 else exc.message
    return render_template("dashboard/error.html", status=exc.status, message=message), exc.status


def _own_survey(survey_id: int) -> Survey:
    return surveys.get_survey(current_user.org_id, survey_id)


def _safe_next(target: str | None) -> str | None:
    """Return `next` only when it is a path inside the dashboard (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/dashboard") or target.startswith("//"):
        return None
    if any(ord(ch) < 32 or ch in "\x7f\\" for ch in target):  # CR/LF, controls, "\" (read as "/")
        return None
    return target


def _account_tried() -> str:
    """The account a sign-in attempt is for, as the login limit per account counts it."""
    return request.form.get("email", "").strip().lower()[:320] or "(none)"


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(exc: RateLimitExceeded):
    """Too many sign-in attempts: say so on the form, with 429 (Flask-Limiter adds Retry-After)."""
    db.session.rollback()
    wait = max(1, round((limiter.current_limit.reset_at - time.time()) / 60)) if limiter.current_limit else 1
    error = ngettext("Too many sign-in attempts. Try again in %(num)d minute.",
                     "Too many sign-in attempts. Try again in %(num)d minutes.", wait)
    return render_template("dashboard/login.html", form=LoginForm(), error=error), 429


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_IP"], key_func=get_remote_address,
               methods=["POST"], scope="login-ip")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"], key_func=_account_tried,
               methods=["POST"], scope="login-account")
def login():
    """Sign a manager in; attempts are limited per account and per address."""
    form = LoginForm()
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        user = orgs.authenticate_user(form.email.data or "", form.password.data or "")
        if user is not None:
            session.clear()  # a fresh session: nothing from before the login carries over
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for(".survey_list"))
        form.password.errors = [*form.password.errors, gettext("Wrong email or password.")]
        status = 401
    return render_template("dashboard/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """Sign the manager out, everywhere: no copy of this session's cookie works again."""
    with unit_of_work():
        orgs.end_sessions(current_user.id)
    logout_user()
    session.clear()
    return redirect(url_for(".login"))


@bp.post("/language")
@login_required
def choose_language():
    """Keep the dashboard language the manager chose ("" for their browser's) and go back to the page."""
    with unit_of_work():
        orgs.set_user_locale(current_user.id, request.form.get("locale") or None)
    return redirect(_safe_next(request.form.get("next")) or url_for(".survey_list"))


@bp.get("/")
@login_required
def survey_list():
    """List the org's surveys with each channel's response rate."""
    page, _ = surveys.list_surveys(current_user.org_id, include_archived=False, cursor=None,
                                   limit=MAX_SURVEYS_LISTED)
    rates = trends.list_rates([survey.id for survey in page])
    rows = [(survey, dict(zip(("channels", "totals"), rates[survey.id], strict=True))) for survey in page]
    return render_template("dashboard/surveys.html", rows=rows, channels=CHANNELS)


def _filters(args) -> tuple[stats.StatsFilter, str, dict[str, str]]:
    """Read the survey page's filter form through the stats API's schema; errors are shown, not raised."""
    raw = {k: args[k] for k in ("from", "to", "channel", "interval") if args.get(k)}
    if args.get("attr_key"):
        raw[f"attr.{args['attr_key']}"] = args.get("attr_value", "")
    try:
        query = StatsQuerySchema().load(raw)
    except ValidationError as err:
        return stats.StatsFilter(), "day", flatten_messages(err.messages)
    return (stats.StatsFilter(date_from=query.get("date_from"), date_to=query.get("date_to"),
                              channel=query.get("channel"), attributes=query.get("attributes", {})),
            query.get("interval", "day"), {})


def _question_meta(survey: Survey) -> list[dict]:
    """Questions with their texts and choice labels in the default locale, for headings and charts."""
    locale = survey.definition["default_locale"]
    out = []
    for q in export.all_questions(survey):
        meta = {"id": q["id"], "type": q["type"], "text": logic.localize(q["text"], None, locale)}
        if q["type"] == "multiple_choice":
            meta["labels"] = {c["id"]: logic.localize(c["label"], None, locale) for c in q["choices"]}
            meta["labels"][logic.OTHER] = "Other"
            meta["order"] = [c["id"] for c in q["choices"]] + ([logic.OTHER] if q.get("allow_other") else [])
        out.append(meta)
    return out


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if re.fullmatch(r"[0-9]{1,9}", value) else None  # ASCII digits an id column holds


@bp.get("/surveys/<int:survey_id>")
@login_required
def survey_page(survey_id: int):
    """Show a survey's headline figures against the previous period, its charts over time, offers, answers."""
    survey = _own_survey(survey_id)
    filters, _, errors = _filters(request.args)
    preset = request.args.get("preset") or None
    period = trends.choose_period(preset, filters.date_from, filters.date_to, utcnow().date())
    try:
        insight = trends.survey_trends(survey, filters, period)
    except DomainError as err:
        errors = {**errors, **(err.fields or {"filters": err.message})}
        filters, period = stats.StatsFilter(), trends.choose_period(None, None, None, utcnow().date())
        insight = trends.survey_trends(survey, filters, period)
    shown = replace(filters, date_from=period.start, date_to=period.end)
    search = request.args.get("q", "").strip()[:200] or None
    answers, next_before = open_answers.list_open_answers(survey, shown, search=search,
                                                          before=_int_arg("before"))
    older_url = None
    if next_before is not None:
        query: dict[str, Any] = {**request.args.to_dict(), "before": next_before}
        older_url = url_for(".survey_page", survey_id=survey.id, **query)
    theme_locale = themes.label_locale(survey, str(get_locale()))
    with unit_of_work():  # the first look at a question groups its texts and stores their themes
        panels = themes.panel_themes(survey, shown, theme_locale)
    return render_template(
        "dashboard/survey.html", survey=survey, data=insight["stats"], insight=insight, period=period,
        presets=trends.PRESETS, questions=_question_meta(survey), filters=filters, errors=errors,
        args=request.args, answers=answers, older_url=older_url, search=search or "", channels=CHANNELS,
        theme_panels=panels, theme_locale=theme_locale,
    )


def _save_definition(text: str, survey: Survey | None) -> tuple[Survey | None, dict[str, str]]:
    """Parse, validate and save a definition; return the survey, or the errors by field path."""
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as err:
        return None, {"body": f"is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}"}
    try:
        definition = SurveyDefinitionSchema().load(parsed)
    except ValidationError as err:
        return None, flatten_messages(err.messages)
    try:
        with unit_of_work():
            saved = surveys.create_survey(current_user.org_id, definition) if survey is None \
                else surveys.update_survey(survey, definition)
        return saved, {}
    except DomainError as err:
        return None, err.fields or {"body": err.message}


@bp.route("/surveys/new", methods=["GET", "POST"])
@login_required
def new_survey():
    """Create a survey by writing its JSON definition."""
    form = DefinitionForm()
    errors: dict[str, str] = {}
    if request.method == "GET":
        form.definition.data = json.dumps(_STARTER, indent=2, ensure_ascii=False)
    elif form.validate_on_submit():
        survey, errors = _save_definition(form.definition.data or "", None)
        if survey is not None:
            flash("Survey created as a draft.")
            return redirect(url_for(".edit_survey", survey_id=survey.id))
    return render_template("dashboard/edit.html", form=form, survey=None, errors=errors), \
        422 if errors else 200


@bp.route("/surveys/<int:survey_id>/edit", methods=["GET", "POST"])
@login_required
def edit_survey(survey_id: int):
    """Edit a survey's JSON definition; errors are listed by field next to it."""
    survey = _own_survey(survey_id)
    form = DefinitionForm()
    errors: dict[str, str] = {}
    if request.method == "GET":
        form.definition.data = json.dumps(survey.definition, indent=2, ensure_ascii=False)
    elif form.validate_on_submit():
        saved, errors = _save_definition(form.definition.data or "", survey)
        if saved is not None:
            flash("Saved." + (" Publish to make it live." if saved.has_unpublished_changes else ""))
            return redirect(url_for(".edit_survey", survey_id=survey.id))
    return render_template("dashboard/edit.html", form=form, survey=survey, errors=errors), 422 if errors else 200


@bp.post("/surveys/<int:survey_id>/publish")
@login_required
def publish(survey_id: int):
    """Publish the working definition as the next version."""
    survey = _own_survey(survey_id)
    try:
        with unit_of_work():
            version = surveys.publish_survey(survey)
    except DomainError as err:
        flash(f"Not published: {err.message}", "error")
    else:
        flash(f"Published version {version.number}.")
    return redirect(url_for(".survey_page", survey_id=survey_id))


@bp.get("/surveys/<int:survey_id>/export.csv")
@login_required
def export_csv(survey_id: int):
    """Download every response as CSV."""
    survey = _own_survey(survey_id)
    chunks = export.export_csv(survey, include_empty=_export_options()["include_empty"], bom=True)
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{survey.slug}-responses.csv"'})


@bp.get("/surveys/<int:survey_id>/export.json")
@login_required
def export_json(survey_id: int):
    """Download every response as a JSON array, in the API's response shape."""
    survey = _own_survey(survey_id)
    rows = _json_array(survey, include_empty=_export_options()["include_empty"])
    return Response(stream_with_context(rows), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{survey.slug}-responses.json"'})


def _export_options() -> dict:
    """The exports' query options (?include_empty=true); a bad value is a 422 naming it."""
    try:
        return ExportQuerySchema().load(request.args, unknown=EXCLUDE)
    except ValidationError as err:
        fields = flatten_messages(err.messages)
        raise Invalid("The export options are not valid: " + "; ".join(f"{k}: {v}" for k, v in fields.items()),
                      fields) from None


def _json_array(survey: Survey, *, include_empty: bool) -> Iterator[str]:
    schema = ResponseSchema()
    yield "["
    for i, response in enumerate(responses.iter_responses(survey, channel=None, status=None, since=None,
                                                          include_empty=include_empty)):
        yield ("," if i else "") + json.dumps(schema.dump(response), ensure_ascii=False)
    yield "]"


@bp.get("/webhooks")
@login_required
def webhook_log():
    """Show the org's webhook endpoints and the log of their deliveries."""
    endpoints = webhooks.list_endpoints(current_user.org_id)
    deliveries, next_before = webhooks.recent_deliveries(current_user.org_id, before=_int_arg("before"))
    urls = {e.id: e.url for e in endpoints}
    return render_template("dashboard/webhooks.html", endpoints=endpoints, deliveries=deliveries, urls=urls,
                           next_before=next_before)


@bp.post("/webhooks/<int:endpoint_id>/enable")
@login_required
def enable_webhook(endpoint_id: int):
    """Turn a disabled endpoint back on."""
    with unit_of_work():
        webhooks.enable_endpoint(webhooks.get_endpoint(current_user.org_id, endpoint_id))
    flash(gettext("Endpoint enabled."))
    return redirect(url_for(".webhook_log"))


@bp.post("/webhooks/deliveries/<int:delivery_id>/replay")
@login_required
def replay_webhook(delivery_id: int):
    """Queue one delivery of the log again, as the same message."""
    with unit_of_work():
        webhooks.replay_delivery(current_user.org_id, delivery_id)
    flash(gettext("Delivery queued again."))
    return redirect(url_for(".webhook_log"))


@bp.get("/security")
@login_required
def security_log():
    """Show the org's security log: every rotated key and secret, every changed password."""
    entries, next_before = audit.recent_entries(current_user.org_id, before=_int_arg("before"))
    return render_template("dashboard/security.html", entries=entries,
                           next_before=next_before)


_STARTER = {
    "slug": "exit-survey", "name": "Exit survey", "default_locale": "en",
    "questions": [
        {"id": "reason", "type": "multiple_choice", "text": "Main reason for cancelling?", "allow_other": True,
         "choices": [{"id": "price", "label": "Too expensive"}, {"id": "features", "label": "Missing features"}]},
        {"id": "nps", "type": "nps", "text": "How likely are you to recommend us?"},
        {"id": "come_back", "type": "yes_no", "text": "Would you use us again?"},
    ],
}
