"""The hosted survey page (/s/TOKEN, /p/TOKEN) and the unsubscribe page (/u/TOKEN).

Server-rendered, one question per page, working without JavaScript. GET only reads (and counts the
first view as "opened"); answers are POSTed with a CSRF token and followed by a redirect.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError

from .. import survey_logic as logic
from ..errors import DomainError, Invalid, flatten_messages
from ..extensions import csrf
from ..i18n import t, ui_locale
from ..schemas.hosted import AnswerFormSchema
from ..services import hosted, responses, unsubscribe
from ..services.hosted import LinkProblem, Visit

bp = Blueprint("hosted", __name__)

PROBLEM_TEXT = {"invalid": ("link_invalid", 404), "expired": ("link_expired", 410), "closed": ("survey_closed", 410)}
PUBLIC_SESSION_KEY = "web_responses"


@bp.after_request
def security_headers(response):
    """Keep tokens out of Referer headers and caches; allow nothing but our own styles and forms."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    return response


@bp.errorhandler(CSRFError)
def csrf_failed(error: CSRFError):
    """A form without a valid CSRF token (cookies off, or an old page): say so on a page."""
    return render_template("hosted/message.html", locale=_locale(None), title="SurveyHub",
                           message=error.description), 400


def _locale(visit: Visit | None) -> str:
    """Choose the page's locale among the survey's: ?lang=, the respondent's, the browser's, the default."""
    if visit is None:
        return ui_locale(request.accept_languages.best_match(["en", "ms", "id", "zh"]))
    definition = visit.definition
    respondent = visit.invitation.respondent if visit.invitation else None
    return logic.pick_locale(definition, request.args.get("lang"), respondent.locale if respondent else None,
                             request.accept_languages.best_match(logic.survey_locales(definition)))


def _message(key: str, status: int, visit: Visit | None = None, **values):
    locale = _locale(visit)
    return render_template("hosted/message.html", locale=ui_locale(locale), title=_title(visit),
                           message=t(key, ui_locale(locale), **values)), status


def _title(visit: Visit | None) -> str:
    return visit.survey.org.name if visit else "SurveyHub"


@bp.route("/s/<token>", methods=["GET", "POST"])
def invitation_survey(token: str):
    """An invitation's survey, reached from its signed link."""
    try:
        visit = hosted.visit_invitation(token)
    except LinkProblem as problem:
        key, status = PROBLEM_TEXT[problem.kind]
        return _message(key, status)
    if request.method == "GET":
        hosted.record_open(visit)
    return _survey_page(visit, url_for(".invitation_survey", token=token))


@bp.route("/p/<token>", methods=["GET", "POST"])
def public_survey(token: str):
    """A survey's public link: anonymous answers on the "web" channel, kept in the browser session."""
    mine = session.get(PUBLIC_SESSION_KEY, {})
    try:
        visit = hosted.visit_public(token, mine.get(token))
    except LinkProblem as problem:
        key, status = PROBLEM_TEXT[problem.kind]
        return _message(key, status)
    if request.method == "GET" and token not in mine:
        hosted.record_public_open(visit)
        session[PUBLIC_SESSION_KEY] = {**mine, token: None}
    page = _survey_page(visit, url_for(".public_survey", token=token))
    if visit.response is not None and mine.get(token) != visit.response.id:
        session[PUBLIC_SESSION_KEY] = {**session.get(PUBLIC_SESSION_KEY, {}), token: visit.response.id}
    return page


def _survey_page(visit: Visit, page_url: str):
    if visit.response is not None and visit.response.status == "completed":
        return _message("already_answered", 200, visit)
    if request.method == "POST":
        return _answer(visit, page_url)
    definition = visit.definition
    answers = visit.response.answer_values() if visit.response else {}
    skipped = visit.response.meta.get("skipped", []) if visit.response else []
    visible = logic.visible_questions(definition, answers)
    question = next((q for q in visible if q["id"] == request.args.get("q")), None)
    question = question or logic.next_question(definition, answers, skipped)
    chosen = answers.get(question["id"]) if question else None
    if question is not None and chosen is None and question is definition["questions"][0]:
        chosen = hosted.one_click_value(question, request.args.get("v"))
    return _render(visit, page_url, question, visible, chosen, None, 200)


def _render(visit: Visit, page_url: str, question: dict | None, visible: list[dict], chosen, error: str | None,
            status: int, other_text: str | None = None):
    locale = _locale(visit)
    definition = visit.definition
    answers = visit.response.answer_values() if visit.response else {}
    position = [q["id"] for q in visible].index(question["id"]) if question else len(visible)
    if other_text is None and visit.response and question:
        other_text = next((a.other_text for a in visit.response.answers if a.question_id == question["id"]), None)
    return render_template(
        "hosted/survey.html", locale=ui_locale(locale), content_locale=locale, title=_title(visit),
        text=lambda value: logic.localize(value, locale, definition["default_locale"]), t=t,
        intro=definition.get("intro") if position == 0 and not answers else None,
        question=question, required=logic.is_required(question) if question else False, chosen=chosen,
        other_text=other_text, error=error, page_url=page_url,
        number=position + 1, total=len(visible), back=visible[position - 1]["id"] if position > 0 else None,
        # "Finish" only where nothing can follow: a hidden follow-up may still appear after this answer.
        last=question is not None and question["id"] == definition["questions"][-1]["id"],
    ), status


def _answer(visit: Visit, page_url: str):
    definition = visit.definition
    try:
        form = AnswerFormSchema().load_form(request.form)
    except ValidationError as err:
        raise Invalid("The form is not valid.", flatten_messages(err.messages)) from None
    action = form["action"]
    question = logic.questions_by_id(definition).get(form["question"])
    if action == "back":
        return redirect(_page(page_url, form["back"]), code=303)
    if question is None and action != "finish":
        abort(400, "The form names no question of this survey.")
    answers = visit.response.answer_values() if visit.response else {}
    try:  # check before the first write: a refused answer must not even start a response
        if action == "next" and question is not None:
            value, other_text = hosted.parse_form_answer(question, form["value"], form["other_text"])
            logic.check_answer(definition, answers, question["id"], value, other_text)
        elif action == "skip" and question is not None and logic.is_required(question):
            raise logic.AnswerError("value", "is required", "required")
        response = hosted.response_for_answering(visit)
        if action == "skip":
            state = responses.skip_question(response, form["question"])
        elif action == "finish":
            state = responses.progress(response)
        else:
            state = responses.answer_question(response, form["question"], value, other_text)
    except (logic.AnswerError, DomainError) as err:
        ui = ui_locale(_locale(visit))
        # The page speaks the respondent's language: the reason, never the API's English message.
        problem = t(f"answer_{err.reason}", ui, **err.params) if isinstance(err, logic.AnswerError) else (
            t("answer_required", ui) if action == "finish" else t("answer_not_taken", ui))
        chosen = form["value"] if question and question.get("multiple") else next(iter(form["value"]), None)
        return _render(visit, page_url, question, logic.visible_questions(definition, answers), chosen,
                       t("fix_answer", ui, problem=problem), 422, form["other_text"])
    if state.next_question is None and state.can_complete:
        responses.complete_response(response)
        locale = _locale(visit)
        thanks = logic.localize(definition.get("thanks"), locale, definition["default_locale"])
        return render_template("hosted/message.html", locale=ui_locale(locale), title=_title(visit),
                               message=thanks or t("thanks", ui_locale(locale)))
    target = state.next_question["id"] if state.next_question else form["question"]
    return redirect(_page(page_url, target), code=303)


def _page(page_url: str, question_id: str) -> str:
    """The survey page showing one question (the first when `question_id` is empty)."""
    return f"{page_url}?{urlencode({'q': question_id})}" if question_id else page_url


@bp.route("/u/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the credential; RFC 8058 one-click POSTs come from mail providers
def unsubscribe_page(token: str):
    """Confirm (GET) and carry out (POST, also RFC 8058 one-click) an email unsubscribe."""
    try:
        target = unsubscribe.resolve(token)
    except LinkProblem:
        return _message("link_invalid", 404)
    locale = ui_locale(target.locale)
    if request.method == "POST":
        unsubscribe.unsubscribe(target)
        return render_template("hosted/message.html", locale=locale, title=target.org_name,
                               message=t("unsubscribed", locale, org=target.org_name))
    return render_template("hosted/unsubscribe.html", locale=locale, title=target.org_name,
                           question=t("unsubscribe_question", locale, org=target.org_name),
                           button=t("unsubscribe", locale), action=request.path)
