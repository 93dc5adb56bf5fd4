"""The builder's live previews of an unsaved definition: as the widget draws it, and as the hosted page.

Neither stores anything: the widget preview only returns the definition in the widget's shape (the
page's widget.js draws it with SurveyHub.preview and sends no write); the hosted preview renders the
hosted page's template step by step, its state carried by its own form, checked with the live page's rules.
"""

from __future__ import annotations

import json

from flask import g, jsonify, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError

from ..errors import DomainError, envelope, flatten_messages
from ..i18n import choose_locale
from ..respondent.hosted import answer_problem, form_choice, render_question
from ..responses.preview import PreviewState, preview_state, preview_step
from ..responses.widget import survey_for_widget
from ..rules import survey as logic
from ..schemas.hosted import HostedPreviewFormSchema, PreviewStateSchema
from ..schemas.survey import SurveyDefinitionSchema
from ..schemas.widget import SurveyQuerySchema
from .builder import load_posted_definition
from .views import CONTENT_SECURITY_POLICY, bp

# The hosted preview is framed by the builder, on this origin only.
FRAMED_BY_SELF = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors 'self'")


@bp.post("/surveys/preview/widget")
@login_required
def preview_widget():
    """Return the posted (unsaved) definition as the widget's GET would, in `?locale=`; nothing is stored."""
    try:
        query = SurveyQuerySchema().load(request.args.to_dict())
        definition = load_posted_definition()
    except ValidationError as err:
        return envelope(422, "invalid", _("The preview needs a valid survey."), flatten_messages(err.messages))
    return jsonify(survey_for_widget(definition, definition["slug"], None, query.get("locale")))


@bp.post("/surveys/preview/hosted")
@login_required
def preview_hosted():
    """Render one step of the hosted page for the posted definition and state, storing nothing."""
    try:
        form = HostedPreviewFormSchema().load_form(request.form)
        definition = SurveyDefinitionSchema().load(form["definition"])
        carried = PreviewStateSchema().load(form["state"] or {})
        state = preview_state(definition, carried["answers"], carried["others"], carried["skipped"])
    except ValidationError as err:
        return _framed(_problem(flatten_messages(err.messages)), 422)
    except DomainError as err:
        return _framed(_problem(err.fields or {"definition": err.message}), 422)
    # As on the live page: among the survey's locales (else its default), for its texts and the page's words.
    g.locale = locale = choose_locale(logic.survey_locales(definition), form["locale"])
    step = preview_step(definition, state, form["action"], form["question"], form["back"], form["value"],
                        form["other_text"])
    state, question = step.state, step.question
    if step.finished:
        thanks = logic.localize(definition.get("thanks"), locale, definition["default_locale"])
        return _framed(render_template("hosted/message.html", title=current_user.org.name, preview=True,
                                       content_locale=locale, message=thanks or _("Thank you for telling us.")), 200)
    error = None
    if step.refused is not None:  # the refused answer shown again, as the live page does
        error = _("Please check your answer: {problem}").format(
            problem=answer_problem(step.refused.reason, step.refused.params))
        chosen, other_text = form_choice(question, form["value"]), form["other_text"]
    elif question is not None:
        chosen, other_text = state.answers.get(question["id"]), state.others.get(question["id"])
    else:
        chosen = other_text = None
    page = render_question(definition, locale, current_user.org.name, url_for(".preview_hosted"), question,
                           state.answers, chosen, error, 422 if error else 200, other_text,
                           preview=_hidden_fields(form["definition"], locale, state))
    return _framed(*page)


def _hidden_fields(definition: dict, locale: str, state: PreviewState) -> dict[str, str]:
    """What the preview's form carries to its next step: the definition as posted, the locale, the state."""
    return {"definition": json.dumps(definition), "locale": locale,
            "state": json.dumps({"answers": state.answers, "others": state.others, "skipped": state.skipped})}


def _problem(fields: dict[str, str]) -> str:
    """The page saying why the posted definition (or state) can't be previewed, field by field."""
    listed = "; ".join(f"{path}: {message}" for path, message in fields.items())
    return render_template("hosted/message.html", title="SurveyHub", preview=True,
                           message=_("The preview needs a valid survey: %(fields)s", fields=listed))


def _framed(body: str, status: int):
    """The page, allowed in the builder's frame (the dashboard's other pages may not be framed)."""
    response = make_response(body, status)
    response.headers["Content-Security-Policy"] = FRAMED_BY_SELF
    return response
