"""The survey builder: a form over the definition, saved as JSON through the definition schema.

The page draws the definition read-only; static/builder.js turns it into a form and POSTs the whole
definition here. SurveyDefinitionSchema is the only validation: its errors come back by field path.
"""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy import select

from ..accounts import surveys
from ..errors import DomainError, envelope, flatten_messages
from ..extensions import db
from ..models import Survey, SurveyVersion
from ..schemas.survey import SurveyDefinitionSchema
from ..starters import STARTER_KEYS, load_starter
from ..transaction import unit_of_work
from .views import bp

BUILDER_LOCALES = ("en", "ms", "id", "zh")


def _blank() -> dict:
    """A blank survey in the manager's language (its default locale, if the builder writes it, else English):
    its name and one NPS question are the product's words until the manager changes them."""
    page = str(get_locale())
    locale = page if page in BUILDER_LOCALES else "en"
    return {"slug": "new-survey", "name": _("New survey"), "default_locale": locale,
            "questions": [{"id": "q1", "type": "nps", "text": {locale: _("How likely are you to recommend us?")}}]}


def _labels() -> dict[str, str]:
    """The builder script's words, translated here (the script has no catalogs)."""
    return {
        "question": _("Question"), "add_question": _("Add question"), "remove": _("Remove"),
        "up": _("Move up"), "down": _("Move down"), "id": _("Id"), "type": _("Type"), "text": _("Text"),
        "help": _("Help text"), "required": _("Required"), "choices": _("Choices"),
        "add_choice": _("Add choice"), "choice_id": _("Choice id"), "label": _("Label"),
        "multiple": _("Several answers allowed"), "allow_other": _("Offer “Other”"),
        "other_label": _("Label of “Other”"), "scale": _("Scale"), "min_label": _("Label of the low end"),
        "max_label": _("Label of the high end"), "max_length": _("Longest answer (characters)"),
        "placeholder": _("Placeholder"), "show_if": _("Show only if"), "add_condition": _("Add condition"),
        "match": _("Match"), "all": _("all of these"), "any": _("any of these"), "operator": _("Operator"),
        "value": _("Value"), "values_hint": _("Several values: separate with commas"),
        "offers": _("Offers"), "add_offer": _("Add offer"), "offer": _("Offer"), "title": _("Title"),
        "body": _("Body"), "accept_label": _("Accept button"), "decline_label": _("Decline button"),
        "when": _("Shown when"), "saved": _("Saved."), "not_saved": _("Not saved: fix the marked fields."),
        "missing": _("missing"), "missing_default": _("Publishing needs every text in the default locale."),
        "unsaved": _("Save your changes before publishing."), "add_locale": _("Add locale"),
        "step": _("Step"), "channel": _("Channel"), "wait_hours": _("Wait (hours)"),
        "add_step": _("Add step"), "no_plan": _("No cascade plan"),
        "name": _("Name"), "slug": _("Slug (in links)"), "default_locale": _("Default locale"),
        "intro": _("Introduction"), "thanks": _("Thank-you message"), "settings": _("Settings"),
        "cooldown_days": _("Days before asking the same person again"),
        "link_ttl_days": _("Days a survey link stays valid"),
        "sms_session_ttl_hours": _("Hours an SMS conversation stays open"),
        "delivery": _("Cascade plan"), "stop_on": _("Stop the cascade when the person has"),
        "stop_responded": _("responded"), "stop_completed": _("completed the survey"),
        "after_widget": _("Start after an unanswered widget"), "translate": _("Translations side by side"),
        "save": _("Save"), "nested": _("This condition nests groups: edit it in the JSON editor."),
        "preview_invalid": _("The preview shows the survey once it is valid:"),
        "preview_completed": _("Preview finished: nothing was stored."),
        "preview_closed": _("Preview closed: nothing was stored."),
    }


def _versions(survey: Survey) -> list[SurveyVersion]:
    return list(db.session.execute(
        select(SurveyVersion).where(SurveyVersion.survey_id == survey.id).order_by(SurveyVersion.number.desc())
    ).scalars())


def _page(survey: Survey | None, definition: dict):
    return render_template("dashboard/builder.html", survey=survey, definition=definition,
                           versions=_versions(survey) if survey else [], labels=_labels(),
                           locales=BUILDER_LOCALES)


def _starters() -> list[dict[str, str]]:
    """The templates offered on the new-survey page, described in the manager's language."""
    words = {
        "saas-cancellation": (_("SaaS cancellation survey"), _(
            "The nine model exit questions: main reason, satisfaction, support, missing features, the "
            "alternative, what we could have done, coming back (and why not), NPS, anything else.")),
        "phone-exit-interview": (_("Phone exit interview"), _(
            "A script for staff calling a customer who left, with notes and prompts to read aloud.")),
        "win-back-check-in": (_("Win-back check-in"), _(
            "A short check-in with former customers, with an offer to come back.")),
    }
    return [{"key": key, "title": words[key][0], "description": words[key][1]} for key in STARTER_KEYS]


@bp.get("/surveys/start")
@login_required
def start_survey():
    """Offer the ways to begin a survey: blank, a template (in a chosen locale), or JSON."""
    return render_template("dashboard/new.html", starters=_starters(), locales=BUILDER_LOCALES)


@bp.get("/surveys/build")
@login_required
def build_new():
    """Start a survey in the builder, blank or from a template (nothing is stored until it is saved)."""
    key = request.args.get("starter")
    if not key:
        return _page(None, _blank())
    locale = request.args.get("locale", "en")
    return _page(None, load_starter(key, locale if locale in BUILDER_LOCALES else "en"))


@bp.get("/surveys/<int:survey_id>/build")
@login_required
def build(survey_id: int):
    """Show the builder for one of the org's surveys."""
    survey = surveys.get_survey(current_user.org_id, survey_id)
    return _page(survey, survey.definition)


def load_posted_definition() -> dict:
    """Validate the posted definition with the survey schema, the only rules there are."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError({"body": ["must be a JSON object: the survey definition"]})
    return SurveyDefinitionSchema().load(body)


def _save(survey: Survey | None):
    try:
        definition = load_posted_definition()
    except ValidationError as err:
        return envelope(422, "invalid", _("The definition was not saved."), flatten_messages(err.messages))
    try:
        with unit_of_work():
            saved = surveys.create_survey(current_user.org_id, definition) if survey is None \
                else surveys.update_survey(survey, definition)
    except DomainError as err:
        return envelope(err.status, err.code, err.message, err.fields)
    return jsonify({"id": saved.id, "status": saved.status,
                    "has_unpublished_changes": saved.has_unpublished_changes,
                    "url": url_for(".build", survey_id=saved.id)}), 201 if survey is None else 200


@bp.post("/surveys/build")
@login_required
def create_built():
    """Create a draft survey from the builder's JSON."""
    return _save(None)


@bp.post("/surveys/<int:survey_id>/build")
@login_required
def save_built(survey_id: int):
    """Replace a survey's working definition with the builder's JSON."""
    return _save(surveys.get_survey(current_user.org_id, survey_id))


@bp.post("/surveys/<int:survey_id>/build/publish")
@login_required
def publish_built(survey_id: int):
    """Publish from the builder; a definition the schema refuses (no default-locale text) is not published."""
    survey = surveys.get_survey(current_user.org_id, survey_id)
    try:
        SurveyDefinitionSchema().load(survey.definition)
    except ValidationError as err:
        flash(_("Not published: %(fields)s", fields=", ".join(flatten_messages(err.messages))), "error")
        return redirect(url_for(".build", survey_id=survey_id)), 303
    try:
        with unit_of_work():
            version = surveys.publish_survey(survey)
    except DomainError as err:
        flash(_("Not published: %(reason)s", reason=err.message), "error")
    else:
        flash(_("Published version %(number)s.", number=version.number))
    return redirect(url_for(".build", survey_id=survey_id)), 303


@bp.post("/surveys/<int:survey_id>/archive")
@login_required
def archive(survey_id: int):
    """Archive a survey: it takes no new responses."""
    survey = surveys.get_survey(current_user.org_id, survey_id)
    with unit_of_work():
        surveys.archive_survey(survey)
    flash(_("Survey archived."))
    return redirect(url_for(".build", survey_id=survey_id)), 303
