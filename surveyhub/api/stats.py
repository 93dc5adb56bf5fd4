"""Stats of a survey: the funnel per channel, per-question summaries, offers (CONTRACT §5)."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import RAISE

from ..accounts import surveys
from ..insights import stats
from ..schemas.api import StatsQuerySchema, StatsSchema
from . import PREFIX, RULES_BEYOND_SCHEMA, authenticate

blp = Blueprint("stats", __name__, url_prefix=PREFIX, description="Survey stats")
blp.before_request(authenticate)


def stats_filter(query: dict) -> stats.StatsFilter:
    """Turn validated query parameters into the filters the stats service takes."""
    return stats.StatsFilter(date_from=query.get("date_from"), date_to=query.get("date_to"),
                             channel=query.get("channel"), attributes=query.get("attributes", {}))


@blp.route("/surveys/<int:survey_id>/stats")
@blp.doc(**RULES_BEYOND_SCHEMA)
@blp.arguments(StatsQuerySchema, location="query", unknown=RAISE)
@blp.response(200, StatsSchema)
def survey_stats(query, survey_id):
    """Count a survey's funnel per channel and summarize its answers, filtered by date, channel and attribute.

    Respondent attributes filter as `attr.KEY=VALUE` query parameters (e.g. `attr.plan=pro`), one per key.
    """
    survey = surveys.get_survey(g.org.id, survey_id)
    return stats.survey_stats(survey, stats_filter(query), query.get("interval"))
