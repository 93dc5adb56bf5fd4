"""Survey definitions: create, list, read, replace, archive, publish."""

from __future__ import annotations

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from ..accounts import surveys
from ..delivery import cascades
from ..schemas.api import PublishedSchema, SurveyListQuerySchema, SurveyPageSchema, SurveySchema
from ..schemas.survey import SurveyDefinitionSchema
from ..transaction import unit_of_work
from . import PREFIX, RULES_BEYOND_SCHEMA, authenticate, require_json_body

blp = Blueprint("surveys", __name__, url_prefix=PREFIX, description="Survey definitions")
blp.before_request(authenticate)
blp.before_request(require_json_body)


@blp.route("/surveys")
class Surveys(MethodView):
    @blp.arguments(SurveyListQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, SurveyPageSchema)
    def get(self, query):
        """List the org's surveys."""
        page, next_cursor = surveys.list_surveys(
            g.org.id, include_archived=query["include_archived"], cursor=query.get("cursor"),
            limit=min(query["limit"], current_app.config["API_MAX_PAGE_SIZE"]),
        )
        return {"data": page, "next_cursor": next_cursor}

    @blp.doc(**RULES_BEYOND_SCHEMA)
    @blp.arguments(SurveyDefinitionSchema)
    @blp.response(201, SurveySchema)
    @unit_of_work()
    def post(self, definition):
        """Create a draft survey from a definition."""
        return surveys.create_survey(g.org.id, definition)


@blp.route("/surveys/<int:survey_id>")
class SurveyById(MethodView):
    @blp.response(200, SurveySchema)
    def get(self, survey_id):
        """Read a survey and its working definition."""
        return surveys.get_survey(g.org.id, survey_id)

    @blp.doc(**RULES_BEYOND_SCHEMA)
    @blp.arguments(SurveyDefinitionSchema)
    @blp.response(200, SurveySchema)
    @unit_of_work()
    def put(self, definition, survey_id):
        """Replace the working definition; a published survey gets unpublished changes."""
        return surveys.update_survey(surveys.get_survey(g.org.id, survey_id), definition)

    @blp.response(204)
    @unit_of_work()
    def delete(self, survey_id):
        """Archive a survey: no new responses, its cascades cancelled; its data stays."""
        surveys.archive_survey(surveys.get_survey(g.org.id, survey_id))
        cascades.cancel_for_survey(survey_id)


@blp.route("/surveys/<int:survey_id>/publish", methods=["POST"])
@blp.response(200, PublishedSchema)
@unit_of_work()
def publish(survey_id):
    """Freeze the working definition as the next numbered version."""
    return surveys.publish_survey(surveys.get_survey(g.org.id, survey_id))
