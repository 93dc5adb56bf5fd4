"""Follow-ups (CONTRACT §10): list a survey's, and change one's status, owner, due date or notes."""

from __future__ import annotations

from flask import current_app, g
from flask_smorest import Blueprint
from marshmallow import RAISE

from ..accounts import surveys
from ..responses import followups
from ..schemas.followups import FollowUpPageSchema, FollowUpPatchSchema, FollowUpQuerySchema, FollowUpSchema
from ..transaction import unit_of_work
from . import PREFIX, RULES_BEYOND_SCHEMA, authenticate, require_json_body

blp = Blueprint("followups", __name__, url_prefix=PREFIX, description="Follow-ups")
blp.before_request(authenticate)
blp.before_request(require_json_body)


@blp.route("/surveys/<int:survey_id>/follow-ups")
@blp.doc(**RULES_BEYOND_SCHEMA)
@blp.arguments(FollowUpQuerySchema, location="query", unknown=RAISE)
@blp.response(200, FollowUpPageSchema)
def list_follow_ups(query, survey_id):
    """List a survey's follow-ups, oldest first, by status and owner (an email of the org's users)."""
    survey = surveys.get_survey(g.org.id, survey_id)
    owner = followups.org_user(g.org.id, query["owner"]) if query.get("owner") else None
    page, next_cursor = followups.list_follow_ups(
        g.org.id, followups.FollowUpFilter(survey.id, query.get("status"), owner.id if owner else None),
        cursor=query.get("cursor"), limit=min(query["limit"], current_app.config["API_MAX_PAGE_SIZE"]))
    return {"data": [followups.follow_up_out(f) for f in page], "next_cursor": next_cursor}


@blp.route("/follow-ups/<int:follow_up_id>", methods=["PATCH"])
@blp.doc(**RULES_BEYOND_SCHEMA)
@blp.arguments(FollowUpPatchSchema)
@blp.response(200, FollowUpSchema)
@unit_of_work()
def update_follow_up(body, follow_up_id):
    """Change a follow-up's status, owner or due date, and add a note."""
    follow_up = followups.get_follow_up(g.org.id, follow_up_id)
    followups.update_follow_up(follow_up, author="api", **body)
    return followups.follow_up_out(follow_up)
