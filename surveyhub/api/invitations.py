"""Invitations: queue a survey to be sent to recipients on a channel."""

from __future__ import annotations

from flask import current_app, g
from flask_smorest import Blueprint
from marshmallow import RAISE

from ..accounts import surveys
from ..delivery import cascades, invitations
from ..schemas.invitations import (
    InvitationListQuerySchema,
    InvitationPageSchema,
    InvitationRequestSchema,
    InvitationResultSchema,
)
from ..transaction import unit_of_work
from . import PREFIX, RULES_BEYOND_SCHEMA, authenticate, require_json_body

blp = Blueprint("invitations", __name__, url_prefix=PREFIX, description="Invitations")
blp.before_request(authenticate)
blp.before_request(require_json_body)


@blp.route("/surveys/<int:survey_id>/invitations", methods=["GET"])
@blp.arguments(InvitationListQuerySchema, location="query", unknown=RAISE)
@blp.response(200, InvitationPageSchema)
def list_invitations(query, survey_id):
    """List a survey's invitations, oldest first; a cascade's steps each appear with `cascade_id` and `step`."""
    page, next_cursor = invitations.list_invitations(
        surveys.get_survey(g.org.id, survey_id), channel=query.get("channel"), status=query.get("status"),
        cursor=query.get("cursor"), limit=min(query["limit"], current_app.config["API_MAX_PAGE_SIZE"]))
    return {"data": page, "next_cursor": next_cursor}


@blp.route("/surveys/<int:survey_id>/invitations", methods=["POST"])
@blp.doc(**RULES_BEYOND_SCHEMA)
@blp.arguments(InvitationRequestSchema)
@blp.response(202, InvitationResultSchema)
@unit_of_work()
def invite(body, survey_id):
    """Queue invitations; each recipient is queued or refused with a reason."""
    survey = surveys.get_survey(g.org.id, survey_id)
    if body["channel"] == "cascade":
        batch = cascades.start_cascades(survey, body["recipients"], body.get("steps"), body.get("send_at"))
    else:
        batch = invitations.create_invitations(survey, body["channel"], body["recipients"], body.get("send_at"))
    return {
        "queued": batch.queued,
        "refused": [{"recipient": r.recipient, "reason": r.reason} for r in batch.refused],
    }
