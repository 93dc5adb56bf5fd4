"""Dashboard follow-ups: a survey's list with a status filter, a change form, and "My follow-ups"."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import EXCLUDE, ValidationError
from sqlalchemy import select

from ..accounts import surveys
from ..errors import Conflict, Invalid, flatten_messages
from ..extensions import db
from ..models import FOLLOW_UP_STATUSES, User
from ..responses import answers, followups
from ..schemas.followups import FollowUpPatchSchema
from ..transaction import unit_of_work
from .forms import ActionForm
from .views import _safe_next, bp

PAGE_SIZE = 25


def _status_arg() -> str | None:
    status = request.args.get("status", "open")
    return status if status in FOLLOW_UP_STATUSES else None  # anything else (e.g. "all"): every status


def _render(template_args: dict, filters: followups.FollowUpFilter):
    try:
        page, next_cursor = followups.list_follow_ups(current_user.org_id, filters,
                                                      cursor=request.args.get("cursor"), limit=PAGE_SIZE)
    except Invalid:  # a malformed cursor
        abort(400)
    return render_template("dashboard/follow_ups.html", rows=page, next_cursor=next_cursor,
                           status=filters.status, **card_context(), **template_args)


def card_context() -> dict:
    """What a page showing follow-up cards (dashboard/_follow_up.html) passes them: status names, the
    org's managers (owners to choose from)."""
    users = list(db.session.execute(
        select(User).where(User.org_id == current_user.org_id).order_by(User.email)).scalars())
    return {"users": users, "statuses": {"open": _("Open"), "contacted": _("Contacted"), "resolved": _("Resolved")}}


@bp.get("/surveys/<int:survey_id>/follow-ups")
@login_required
def follow_ups(survey_id: int):
    """List a survey's follow-ups by status."""
    survey = surveys.get_survey(current_user.org_id, survey_id)
    return _render({"survey": survey, "mine": False}, followups.FollowUpFilter(survey.id, _status_arg()))


@bp.get("/follow-ups/mine")
@login_required
def my_follow_ups():
    """List the signed-in manager's follow-ups across the org's surveys."""
    return _render({"survey": None, "mine": True},
                   followups.FollowUpFilter(None, _status_arg(), owner_id=current_user.id))


@bp.post("/responses/<int:response_id>/follow-up")
@login_required
def open_follow_up(response_id: int):
    """Open a follow-up on a response by hand (the manager owns it), with an optional first note."""
    if not ActionForm().validate_on_submit():
        abort(400)
    note = request.form.get("note", "").strip()[:followups.MAX_NOTE] or None
    try:
        with unit_of_work():
            found = answers.get_response(current_user.org_id, response_id)
            followups.open_by_hand(found, author=current_user.email, note=note)
        flash(_("Follow-up opened."))
    except Conflict:
        flash(_("This response already has a follow-up opened by hand."))
    return redirect(url_for(".response", response_id=response_id) + "#follow-ups")


@bp.post("/follow-ups/<int:follow_up_id>")
@login_required
def change_follow_up(follow_up_id: int):
    """Change a follow-up's status, owner or due date, and add a note, from the list's form."""
    if not ActionForm().validate_on_submit():
        abort(400)
    form = {key: request.form.get(key, "").strip() for key in ("status", "owner", "due", "note")}
    body = {"status": form["status"], "owner": form["owner"] or None, "due": form["due"] or None}
    if form["note"]:
        body["note"] = form["note"]
    with unit_of_work():
        follow_up = followups.get_follow_up(current_user.org_id, follow_up_id)
        try:
            change = FollowUpPatchSchema().load(body, unknown=EXCLUDE)
            followups.update_follow_up(follow_up, author=current_user.email, **change)
        except ValidationError as err:
            _refused(flatten_messages(err.messages))
        except Invalid as err:
            _refused(err.fields or {})
        else:
            flash(_("Follow-up saved."))
    return redirect(_safe_next(request.form.get("back")) or url_for(".my_follow_ups"))


def _refused(problems: dict[str, str]) -> None:
    flash(_("Not saved: %(problems)s", problems="; ".join(f"{k}: {v}" for k, v in problems.items())))
