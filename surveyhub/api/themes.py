"""Themes of a question's open answers (CONTRACT §10) and the manager's edits of them (docs/api.md#themes)."""

from __future__ import annotations

from flask import g, request
from flask_smorest import Blueprint
from marshmallow import RAISE

from ..accounts import surveys
from ..insights.stats import StatsFilter
from ..models import Survey
from ..schemas.theme_campaigns import AddressSchema, CampaignSchema, QueuedSchema
from ..schemas.themes import (
    LocaleQuerySchema,
    MergeSchema,
    MoveSchema,
    RegroupSchema,
    RenameSchema,
    SplitSchema,
    ThemeListSchema,
    ThemeSchema,
    ThemesQuerySchema,
)
from ..themes import campaigns, edits, store
from ..transaction import unit_of_work
from . import PREFIX, RULES_BEYOND_SCHEMA, authenticate, require_json_body

blp = Blueprint("themes", __name__, url_prefix=PREFIX, description="Themes of open answers")
blp.before_request(authenticate)
blp.before_request(require_json_body)


def _locale(survey: Survey, given: str | None) -> str:
    """The labels' locale: `locale` if given, else the best of Accept-Language, among the survey's."""
    return store.label_locale(survey, given, *request.accept_languages.values())


@blp.route("/surveys/<int:survey_id>/themes")
@blp.doc(**RULES_BEYOND_SCHEMA)
@blp.arguments(ThemesQuerySchema, location="query", unknown=RAISE)
@blp.response(200, ThemeListSchema)
@unit_of_work()
def list_themes(query, survey_id):
    """Group one question's open answers (or "other" texts) into themes, whatever their language.

    The first call groups all the question's texts and stores each one's theme; new answers join a
    theme as they arrive; the texts are grouped afresh when they have doubled, or on `POST …/themes/regroup`.
    """
    survey = surveys.get_survey(g.org.id, survey_id)
    question = store.themed_question(survey, query["question"])
    filters = StatsFilter(date_from=query.get("date_from"), date_to=query.get("date_to"))
    return store.list_themes(survey, question, filters, _locale(survey, query.get("locale")))


@blp.route("/surveys/<int:survey_id>/themes/regroup", methods=["POST"])
@blp.doc(**RULES_BEYOND_SCHEMA)
@blp.arguments(RegroupSchema)
@blp.response(200, ThemeListSchema)
@unit_of_work()
def regroup(body, survey_id):
    """Group all of one question's texts afresh; managers' edits (renames, merges, splits, moves) are kept."""
    survey = surveys.get_survey(g.org.id, survey_id)
    question = store.themed_question(survey, body["question"])
    store.regroup(survey, question)
    return store.list_themes(survey, question, StatsFilter(), _locale(survey, body.get("locale")))


def _edited(theme_id: int, query: dict):
    """The theme (of the caller's org), its survey, and the locale to answer in."""
    theme = edits.get_theme(g.org.id, theme_id)
    survey = edits.survey_of(theme)
    return theme, survey, _locale(survey, query.get("locale"))


@blp.route("/themes/<int:theme_id>", methods=["PATCH"])
@blp.doc(**RULES_BEYOND_SCHEMA)
@blp.arguments(RenameSchema)
@blp.arguments(LocaleQuerySchema, location="query", unknown=RAISE)
@blp.response(200, ThemeSchema)
@unit_of_work()
def rename(body, query, theme_id):
    """Rename a theme (`"label": null` gives back its automatic label); the name survives regrouping."""
    theme, survey, locale = _edited(theme_id, query)
    return store.summary_of(survey, edits.rename(theme, body["label"]), locale)


@blp.route("/themes/<int:theme_id>/merge", methods=["POST"])
@blp.doc(**RULES_BEYOND_SCHEMA)
@blp.arguments(MergeSchema)
@blp.arguments(LocaleQuerySchema, location="query", unknown=RAISE)
@blp.response(200, ThemeSchema)
@unit_of_work()
def merge(body, query, theme_id):
    """Merge this theme into `into` (a theme of the same question): its answers move there, it is removed."""
    theme, survey, locale = _edited(theme_id, query)
    into = edits.get_theme(g.org.id, body["into"]) if body["into"] != theme.id else theme
    return store.summary_of(survey, edits.merge(theme, into), locale)


@blp.route("/themes/<int:theme_id>/split", methods=["POST"])
@blp.doc(**RULES_BEYOND_SCHEMA)
@blp.arguments(LocaleQuerySchema, location="query", unknown=RAISE)
@blp.response(201, SplitSchema)
@unit_of_work()
def split(query, theme_id):
    """Split a theme in two by grouping its answers again: it keeps the bigger part, a new theme the rest."""
    theme, survey, locale = _edited(theme_id, query)
    return {"themes": [store.summary_of(survey, part, locale) for part in edits.split(theme)]}


@blp.route("/themes/<int:theme_id>/answers", methods=["POST"])
@blp.doc(**RULES_BEYOND_SCHEMA)
@blp.arguments(MoveSchema)
@blp.arguments(LocaleQuerySchema, location="query", unknown=RAISE)
@blp.response(200, ThemeSchema)
@unit_of_work()
def move(body, query, theme_id):
    """Move one response's answer to the theme's question into this theme; it stays there on regrouping."""
    theme, survey, locale = _edited(theme_id, query)
    return store.summary_of(survey, edits.move(theme, body["response_id"]), locale)


@blp.route("/themes/<int:theme_id>/address", methods=["POST"])
@blp.doc(**RULES_BEYOND_SCHEMA)
@blp.arguments(AddressSchema)
@blp.response(202, QueuedSchema)
@unit_of_work()
def address(body, theme_id):
    """Mark a theme addressed and tell everyone whose answer is in it, on their channel, in their language.

    A message without its default locale's text is a 422 naming `message`; a theme already addressed is a 409.
    """
    theme = edits.get_theme(g.org.id, theme_id)
    default_locale = body.get("default_locale") or edits.survey_of(theme).definition["default_locale"]
    return campaigns.address(theme, body["message"], default_locale, body.get("link"), g.get("actor"))


@blp.route("/themes/<int:theme_id>/campaign")
@blp.response(200, CampaignSchema)
@unit_of_work()
def campaign(theme_id):
    """The theme's campaign with its counts: queued, sent, failed, skipped by reason, opened, clicked."""
    return campaigns.campaign_of(edits.get_theme(g.org.id, theme_id))
