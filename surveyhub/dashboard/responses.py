"""Dashboard pages for responses: the list per survey, one response with its journey, erasure, interviews."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.surveys import live_version
from ..errors import Invalid
from ..i18n import choose_locale
from ..insights import browse
from ..models import CHANNELS, Response, Survey
from ..responses import answers as responses
from ..responses import erasure, followups
from ..rules import survey as logic
from ..transaction import unit_of_work
from .followups import card_context
from .forms import EraseForm, InterviewForm
from .views import _filters, _int_arg, _own_survey, bp

STATUSES = ("partial", "completed")


def _response_filter(args) -> tuple[browse.ResponseFilter, dict[str, str]]:
    """Read the list's filters; a bad one is shown at its field and left out."""
    raw = args.to_dict()
    days = raw.get("days")
    presets = {str(d) for d in browse.DATE_PRESETS}
    if days in presets and not (raw.get("from") or raw.get("to")):
        start, end = browse.preset_days(int(days))
        raw["from"], raw["to"] = start.isoformat(), end.isoformat()
    stats_filter, _interval, errors = _filters(raw)
    if days and days not in presets:
        errors["days"] = _("Choose 7, 30 or 90 days.")
    status = raw.get("status") or None
    if status not in (None, *STATUSES):
        errors["status"], status = _("Not a status."), None
    group = raw.get("nps") or None
    if group not in (None, *browse.NPS_GROUPS):
        errors["nps"], group = _("Not an NPS group."), None
    search = raw.get("q", "").strip()[:200] or None
    follow_up = raw.get("follow_up") or None
    if follow_up not in (None, *browse.FOLLOW_UP_FILTERS):
        errors["follow_up"], follow_up = _("Not a follow-up filter."), None
    return browse.ResponseFilter(stats_filter, status, group, search, follow_up), errors


def _content_locale(definition: dict) -> str:
    """The survey's locale closest to the manager's (the page's), else its default."""
    return choose_locale(logic.survey_locales(definition), str(get_locale()))


def _questions(definition: dict) -> list[dict]:
    """The definition's questions with their words in the manager's locale, for the pages."""
    locale, default = _content_locale(definition), definition["default_locale"]
    out = []
    for q in definition["questions"]:
        shown = {**q, "text": logic.localize(q["text"], locale, default)}
        if q["type"] == "multiple_choice":
            shown["choices"] = [{"id": c["id"], "label": logic.localize(c["label"], locale, default)}
                                for c in q["choices"]]
        if q.get("labels"):
            shown["labels"] = {k: logic.localize(v, locale, default) for k, v in q["labels"].items()}
        out.append(shown)
    return out


def _shown_value(question: dict | None, value: Any, other_text: str | None) -> str:
    """An answer as a manager reads it: choice labels, yes/no, numbers; open text as written."""
    if question is None:
        return str(value)
    if question["type"] == "multiple_choice":
        labels = {c["id"]: c["label"] for c in question["choices"]}
        picked = value if isinstance(value, list) else [value]
        words = [(_("Other") + (f": {other_text}" if other_text else "")) if v == logic.OTHER
                 else labels.get(v, str(v)) for v in picked]
        return ", ".join(words)
    if question["type"] == "yes_no":
        return _("Yes") if value else _("No")
    return str(value)


@bp.get("/surveys/<int:survey_id>/responses")
@login_required
def responses_list(survey_id: int):
    """List a survey's responses, newest first, with filters."""
    survey = _own_survey(survey_id)
    filters, errors = _response_filter(request.args)
    page, next_before = browse.browse_responses(survey, filters, before=_int_arg("before"))
    older_url = None
    if next_before is not None:
        query: dict[str, Any] = {**request.args.to_dict(), "before": next_before}
        older_url = url_for(".responses_list", survey_id=survey.id, **query)
    nps_ids = [q["id"] for q in survey.definition["questions"] if q["type"] == "nps"]
    return render_template("dashboard/responses.html", survey=survey, rows=page, older_url=older_url,
                           args=request.args, errors=errors, channels=CHANNELS, statuses=STATUSES,
                           groups=list(browse.NPS_GROUPS), presets=browse.DATE_PRESETS, nps_ids=nps_ids)


def _own_response(response_id: int) -> Response:
    return responses.get_response(current_user.org_id, response_id)


@bp.get("/responses/<int:response_id>")
@login_required
def response(response_id: int):
    """Show one response: every answer, the person's journey, and what can be done."""
    found = _own_response(response_id)
    return _response_page(found, EraseForm())


def _response_page(found: Response, erase_form: EraseForm, status: int = 200):
    questions = {q["id"]: q for q in _questions(found.version.definition)}
    answers = [{"question": questions.get(a.question_id), "id": a.question_id,
                "value": _shown_value(questions.get(a.question_id), a.value, a.other_text),
                "answered_at": a.answered_at} for a in found.answers]
    return render_template("dashboard/response.html", r=found, survey=found.version.survey, answers=answers,
                           journey=browse.journey(found), erase_form=erase_form,
                           follow_ups=followups.of_response(found), **card_context()), status


@bp.post("/responses/<int:response_id>/erase")
@login_required
def erase_person(response_id: int):
    """Erase the person a response is from (confirmed by a tick), with all their responses."""
    found = _own_response(response_id)
    if found.respondent is None:
        abort(404)
    form = EraseForm()
    if not form.validate_on_submit():
        return _response_page(found, form, 422)
    survey_id = found.survey_id
    with unit_of_work():
        erasure.erase_person(current_user.org_id, found.respondent)
    flash(_("The person and their answers are erased."))
    return redirect(url_for(".responses_list", survey_id=survey_id))


def _posted_answers(questions: list[dict], form) -> tuple[list[dict], list[str]]:
    """Read the answers a staff form posted, in question order; an empty field is no answer."""
    answers, order = [], []
    for q in questions:
        name = f"answer-{q['id']}"
        if q["type"] == "multiple_choice" and q.get("multiple"):
            value: Any = form.getlist(name) or None
        else:
            value = form.get(name, "").strip() or None
        if value is None:
            continue
        if q["type"] in ("likert", "nps"):
            value = int(value) if value.isascii() and value.isdigit() and len(value) < 4 else value
        elif q["type"] == "yes_no":
            value = {"yes": True, "no": False}.get(value, value)
        item = {"question": q["id"], "value": value}
        if q["type"] == "multiple_choice" and logic.OTHER in (value if isinstance(value, list) else [value]):
            item["other_text"] = form.get(f"other-{q['id']}", "")
        answers.append(item)
        order.append(q["id"])
    return answers, order


def _field_errors(err: Invalid, order: list[str]) -> dict[str, str]:
    """The service's fields (answers.N.value, answers.QUESTION) named by question id, for the form."""
    out: dict[str, str] = {}
    for name, message in (err.fields or {"form": err.message}).items():
        parts = name.split(".")
        if parts[0] == "answers" and len(parts) > 1:
            qid = order[int(parts[1])] if parts[1].isdigit() and int(parts[1]) < len(order) else parts[1]
            out[qid] = message
        else:
            out[name] = message
    return out


@bp.route("/surveys/<int:survey_id>/interview", methods=["GET", "POST"])
@login_required
def new_interview(survey_id: int):
    """Enter a phone interview held with a customer."""
    return _interview(_own_survey(survey_id), None)


@bp.route("/responses/<int:response_id>/interview", methods=["GET", "POST"])
@login_required
def finish_interview(response_id: int):
    """Add answers to a partial phone interview, and finish it."""
    found = _own_response(response_id)
    if found.channel != "interview" or found.status == "completed":
        abort(409, _("Only a partial interview can be changed."))
    return _interview(found.version.survey, found)


def _interview(survey: Survey, found: Response | None):
    definition = found.version.definition if found else live_version(survey).definition
    questions = _questions(definition)
    form = InterviewForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        answers, order = _posted_answers(questions, request.form)
        try:
            with unit_of_work():
                if found is None:
                    saved = responses.create_staff_response(survey, form.external_id.data or None, answers,
                                                            form.complete.data, {})
                else:
                    saved = responses.update_staff_response(current_user.org_id, found.id, answers,
                                                            form.complete.data)
            flash(_("Interview saved."))
            return redirect(url_for(".response", response_id=saved.id))
        except Invalid as err:
            errors = _field_errors(err, order)
    elif request.method == "POST":
        errors = {name: " ".join(messages) for name, messages in form.errors.items()}
    given = found.answer_values() if found else {}
    return render_template("dashboard/interview.html", survey=survey, r=found, form=form, questions=questions,
                           errors=errors, values=request.form if request.method == "POST" else {}, given=given
                           ), 422 if errors else 200
