"""The hosted survey page (/s/TOKEN, /p/TOKEN) and the unsubscribe page (/u/TOKEN).

Server-rendered, one question per page, working without JavaScript. GET only reads (and counts the
first view as "opened"); answers are POSTed with a CSRF token and followed by a redirect.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError

from ..errors import DomainError, Invalid, flatten_messages
from ..extensions import csrf
from ..i18n import choose_locale
from ..responses import hosted, unsubscribe
from ..responses.hosted import LinkProblem, Visit
from ..rules import survey as logic
from ..schemas.hosted import AnswerFormSchema
from ..transaction import unit_of_work

bp = Blueprint("hosted", __name__)

LINK_PROBLEMS = {"invalid": 404, "expired": 410, "closed": 410}
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


@bp.context_processor
def page_language() -> dict:
    """The language of the page's own words: <html lang> where the survey's content sets none."""
    return {"locale": str(get_locale())}


@bp.errorhandler(CSRFError)
def csrf_failed(error: CSRFError):
    """A form without a valid CSRF token (cookies off, or an old page): say so on a page."""
    return render_template("hosted/message.html", title="SurveyHub", message=error.description), 400


def _locale(visit: Visit) -> str:
    """Choose the page's locale among the survey's: ?lang=, the respondent's, the browser's, the default.

    The page's own words follow it (g.locale, read by extensions.page_locale).
    """
    respondent = visit.invitation.respondent if visit.invitation else None
    g.locale = choose_locale(logic.survey_locales(visit.definition), request.args.get("lang"),
                             respondent.locale if respondent else None, *request.accept_languages.values())
    return g.locale


def _link_problem(problem: LinkProblem):
    message = {"invalid": gettext("This link is not valid."), "expired": gettext("This link has expired."),
               "closed": gettext("This survey is closed.")}[problem.kind]
    return _message(message, LINK_PROBLEMS[problem.kind])


def _message(message: str, status: int, visit: Visit | None = None):
    return render_template("hosted/message.html", title=_title(visit), message=message), status


def _title(visit: Visit | None) -> str:
    return visit.survey.org.name if visit else "SurveyHub"


@bp.route("/s/<token>", methods=["GET", "POST"])
def invitation_survey(token: str):
    """An invitation's survey, reached from its signed link."""
    try:
        visit = hosted.visit_invitation(token)
    except LinkProblem as problem:
        return _link_problem(problem)
    if request.method == "GET":
        with unit_of_work():
            hosted.record_open(visit)
    return _survey_page(visit, url_for(".invitation_survey", token=token))


@bp.route("/p/<token>", methods=["GET", "POST"])
def public_survey(token: str):
    """A survey's public link: anonymous answers on the "web" channel, kept in the browser session."""
    mine = session.get(PUBLIC_SESSION_KEY, {})
    try:
        visit = hosted.visit_public(token, mine.get(token))
    except LinkProblem as problem:
        return _link_problem(problem)
    if request.method == "GET" and token not in mine:
        with unit_of_work():
            hosted.record_public_open(visit)
        session[PUBLIC_SESSION_KEY] = {**mine, token: None}
    page = _survey_page(visit, url_for(".public_survey", token=token))
    if visit.response is not None and mine.get(token) != visit.response.id:
        session[PUBLIC_SESSION_KEY] = {**session.get(PUBLIC_SESSION_KEY, {}), token: visit.response.id}
    return page


def _survey_page(visit: Visit, page_url: str):
    if visit.response is not None and visit.response.status == "completed":
        _locale(visit)
        return _message(gettext("You have already answered, thank you."), 200, visit)
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
    return _render(visit, page_url, question, chosen, None, 200)


def _render(visit: Visit, page_url: str, question: dict | None, chosen, error: str | None, status: int,
            other_text: str | None = None):
    locale = _locale(visit)
    answers = visit.response.answer_values() if visit.response else {}
    if other_text is None and visit.response and question:
        other_text = next((a.other_text for a in visit.response.answers if a.question_id == question["id"]), None)
    return render_question(visit.definition, locale, _title(visit), page_url, question, answers, chosen, error,
                           status, other_text)


def render_question(definition: dict, locale: str, title: str, page_url: str, question: dict | None,
                    answers: dict, chosen, error: str | None, status: int, other_text: str | None = None,
                    preview: dict[str, str] | None = None):
    """Render the page asking `question` (None: the "finish" page) given the answers so far.

    `preview`: the hidden fields of the builder's preview (its form carries its state; nothing is stored).
    """
    visible = logic.visible_questions(definition, answers)
    position = [q["id"] for q in visible].index(question["id"]) if question else len(visible)
    return render_template(
        "hosted/survey.html", content_locale=locale, title=title,
        text=lambda value: logic.localize(value, locale, definition["default_locale"]),
        intro=definition.get("intro") if position == 0 and not answers else None,
        question=question, required=logic.is_required(question) if question else False, chosen=chosen,
        other_text=other_text, error=error, page_url=page_url, preview=preview,
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
    try:
        with unit_of_work():
            state = hosted.take_answer(visit, action, question, form["value"], form["other_text"])
    except (logic.AnswerError, DomainError) as err:
        _locale(visit)
        # The page speaks the respondent's language: the reason, never the API's English message.
        problem = answer_problem(err.reason, err.params) if isinstance(err, logic.AnswerError) else (
            gettext("This question needs an answer.") if action == "finish"
            else gettext("We could not save that answer; please try again."))
        return _render(visit, page_url, question, form_choice(question, form["value"]),
                       gettext("Please check your answer: {problem}").format(problem=problem), 422,
                       form["other_text"])
    if state.next_question is None and state.can_complete:
        thanks = logic.localize(definition.get("thanks"), _locale(visit), definition["default_locale"])
        return _message(thanks or gettext("Thank you for telling us."), 200, visit)
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
        return _message(gettext("This link is not valid."), 404)
    g.locale = target.locale  # the person's own, whatever the survey
    if request.method == "POST":
        with unit_of_work():
            unsubscribe.unsubscribe(target)
        return render_template("hosted/message.html", title=target.org_name, message=gettext(
            "You are unsubscribed. {org} will not email you surveys again.").format(org=target.org_name))
    return render_template("hosted/unsubscribe.html", title=target.org_name, question=gettext(
        "Stop receiving survey emails from {org}?").format(org=target.org_name), button=gettext("Unsubscribe"),
        action=request.path)


def form_choice(question: dict | None, values: list[str]):
    """What the refused form had chosen, to show it again: every value of a multiple choice, else the first."""
    return values if question and question.get("multiple") else next(iter(values), None)


def answer_problem(reason: str, params: dict) -> str:
    """Say why an answer was not taken (rules.survey.AnswerError's reason), in the page's locale."""
    return {
        "choose": gettext("Choose an answer."),
        "one_choice": gettext("Choose only one answer."),
        "not_a_choice": gettext("Choose from the answers shown."),
        "out_of_range": gettext("Choose a number from {low} to {high}."),
        "yes_or_no": gettext("Choose yes or no."),
        "empty": gettext("Write your answer."),
        "too_long": gettext("Keep it to {limit} characters."),
        "other_text_required": gettext("Tell us more about “Other”."),
        "other_not_chosen": gettext("Choose “Other” to add your own words."),
        "not_shown": gettext("This question is not part of your survey now."),
        "required": gettext("This question needs an answer."),
    }[reason].format(**params)
