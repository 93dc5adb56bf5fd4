"""Responses: staff-entered interviews, listing, CSV export, and erasure of a respondent."""

from __future__ import annotations

from flask import Response as HttpResponse
from flask import current_app, g, request, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from ..accounts import surveys
from ..insights import export
from ..responses import answers as responses
from ..responses import erasure
from ..schemas.api import (
    ResponsePageSchema,
    ResponseQuerySchema,
    ResponseSchema,
    StaffResponseInSchema,
    StaffResponsePatchSchema,
)
from ..transaction import unit_of_work
from . import PREFIX, RULES_BEYOND_SCHEMA, authenticate, require_json_body

blp = Blueprint("responses", __name__, url_prefix=PREFIX, description="Responses and respondents")
blp.before_request(authenticate)
blp.before_request(require_json_body)


def wants_csv(query: dict) -> bool:
    """CSV when asked by ?format=csv, or by an Accept header that prefers it to JSON."""
    if "format" in query:
        return query["format"] == "csv"
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"


@blp.route("/surveys/<int:survey_id>/responses")
class SurveyResponses(MethodView):
    @blp.arguments(ResponseQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, ResponsePageSchema)
    @blp.alt_response(200, description="CSV of every matching response", content_type="text/csv")
    def get(self, query, survey_id):
        """List a survey's responses (paginated), or export them all as CSV."""
        survey = surveys.get_survey(g.org.id, survey_id)
        filters = {k: query.get(k) for k in ("channel", "status", "since")}
        if wants_csv(query):
            chunks = export.export_csv(survey, **filters, include_empty=query["include_empty"], bom=query["bom"])
            return HttpResponse(
                stream_with_context(chunks), mimetype="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{survey.slug}-responses.csv"'},
            )
        page, next_cursor = responses.list_responses(
            survey, cursor=query.get("cursor"),
            limit=min(query["limit"], current_app.config["API_MAX_PAGE_SIZE"]), **filters,
        )
        return {"data": page, "next_cursor": next_cursor}

    @blp.doc(**RULES_BEYOND_SCHEMA)
    @blp.arguments(StaffResponseInSchema)
    @blp.response(201, ResponseSchema)
    @unit_of_work()
    def post(self, body, survey_id):
        """Record a response entered by staff, such as a phone exit interview (channel "interview")."""
        survey = surveys.get_survey(g.org.id, survey_id)
        return responses.create_staff_response(
            survey, body.get("external_id"), body["answers"], body["complete"], body["metadata"]
        )


@blp.route("/responses/<int:response_id>")
class OneResponse(MethodView):
    @blp.response(200, ResponseSchema)
    def get(self, response_id):
        """Return one response."""
        return responses.get_response(g.org.id, response_id)

    @blp.doc(**RULES_BEYOND_SCHEMA)
    @blp.arguments(StaffResponsePatchSchema)
    @blp.response(200, ResponseSchema)
    @unit_of_work()
    def patch(self, body, response_id):
        """Add or replace answers of a staff (interview) response, and finish it with `complete`.

        Another channel's response, or a completed one: 409.
        """
        return responses.update_staff_response(g.org.id, response_id, body["answers"], body["complete"])


@blp.route("/respondents/<external_id>", methods=["DELETE"])
@blp.response(204)
@unit_of_work()
def erase_respondent(external_id):
    """Erase a person's personal data, responses and answers."""
    erasure.erase_respondent(g.org.id, external_id)
