"""Invitations: queue a survey to be sent to recipients on a channel."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from ..accounts import surveys
from ..delivery import invitations
from ..schemas.invitations import InvitationRequestSchema, InvitationResultSchema
from ..transaction import unit_of_work
from . import PREFIX, RULES_BEYOND_SCHEMA, authenticate, require_json_body

blp = Blueprint("invitations", __name__, url_prefix=PREFIX, description="Invitations")
blp.before_request(authenticate)
blp.before_request(require_json_body)


@blp.route("/surveys/<int:survey_id>/invitations", methods=["POST"])
@blp.doc(**RULES_BEYOND_SCHEMA)
@blp.arguments(InvitationRequestSchema)
@blp.response(202, InvitationResultSchema)
@unit_of_work()
def invite(body, survey_id):
    """Queue invitations; each recipient is queued or refused with a reason."""
    survey = surveys.get_survey(g.org.id, survey_id)
    batch = invitations.create_invitations(survey, body["channel"], body["recipients"], body.get("send_at"))
    return {
        "queued": batch.queued,
        "refused": [{"recipient": r.recipient, "reason": r.reason} for r in batch.refused],
    }
