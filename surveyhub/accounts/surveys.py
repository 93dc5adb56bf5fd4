"""Survey definitions: drafts, publishing frozen versions, archiving."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from ..errors import Conflict, NotFound
from ..extensions import db
from ..models import Survey, SurveyVersion
from ..models.types import utcnow
from ..pagination import decode_cursor, encode_cursor
from ..tenancy import org_row

# Published versions this process has read, by (survey id, number), in the app's extensions (one app,
# one database); the oldest is forgotten past FROZEN_VERSIONS_KEPT. _READ_VERSIONS: those read by a
# session's transaction, kept when it commits.
_FROZEN_VERSIONS = "surveyhub.frozen_versions"
_READ_VERSIONS = "surveyhub.read_versions"
FROZEN_VERSIONS_KEPT = 1000


def get_survey(org_id: int, survey_id: int) -> Survey:
    """Return one of the org's surveys; another org's or an unknown id is NotFound."""
    return org_row(Survey, org_id, survey_id, "survey")


def get_survey_by_slug(org_id: int, slug: str) -> Survey:
    """Return one of the org's surveys by its slug."""
    survey = db.session.execute(
        select(Survey).where(Survey.slug == slug, Survey.org_id == org_id)
    ).scalar_one_or_none()
    if survey is None:
        raise NotFound(f"No survey {slug!r}.", {"slug": "no survey has this slug"})
    return survey


def list_surveys(org_id: int, *, include_archived: bool, cursor: str | None,
                 limit: int) -> tuple[list[Survey], str | None]:
    """Return a page of the org's surveys and the cursor of the next page."""
    query = select(Survey).where(Survey.org_id == org_id).order_by(Survey.id).limit(limit + 1)
    if not include_archived:
        query = query.where(Survey.archived_at.is_(None))
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(Survey.id > after)
    rows = list(db.session.execute(query).scalars())
    page = rows[:limit]
    return page, encode_cursor(page[-1].id) if len(rows) > limit else None


def create_survey(org_id: int, definition: dict) -> Survey:
    """Create a draft survey from a validated definition."""
    survey = Survey(org_id=org_id, slug=definition["slug"], name=definition["name"], definition=definition)
    db.session.add(survey)
    _flush_unique_slug(definition["slug"])
    return survey


def update_survey(survey: Survey, definition: dict) -> Survey:
    """Replace the working definition; a published survey keeps serving its live version."""
    _ensure_not_archived(survey)
    survey.definition = definition
    survey.slug = definition["slug"]
    survey.name = definition["name"]
    survey.has_unpublished_changes = (
        survey.latest_version is None or definition != _latest(survey).definition
    )
    _flush_unique_slug(definition["slug"])
    return survey


def publish_survey(survey: Survey) -> SurveyVersion:
    """Freeze the working definition as the next numbered version.

    Publishing with no change since the last version returns that version instead of a copy.
    """
    _ensure_not_archived(survey)
    if survey.latest_version is not None and not survey.has_unpublished_changes:
        return _latest(survey)
    number = (survey.latest_version or 0) + 1
    version = SurveyVersion(survey=survey, number=number, definition=survey.definition)
    survey.latest_version = number
    survey.has_unpublished_changes = False
    db.session.add(version)
    try:
        db.session.flush()
    except IntegrityError:  # the request fails whole: its unit of work rolls back
        raise Conflict("The survey was published by another request at the same time; try again.") from None
    return version


def archive_survey(survey: Survey) -> None:
    """Archive a survey: it takes no new responses; its data stays."""
    if survey.archived_at is None:
        survey.archived_at = utcnow()


def live_version(survey: Survey) -> SurveyVersion:
    """Return the version respondents answer now; Conflict if there is none."""
    if survey.archived_at is not None:
        raise Conflict("The survey is archived.", {"survey": "is archived"})
    if survey.latest_version is None:
        raise Conflict("The survey is not published yet.", {"survey": "is not published"})
    return _latest(survey)


def _latest(survey: Survey) -> SurveyVersion:
    """Return the survey's latest version; a version this process read before is put in the session
    from memory, without a query (a published version is frozen: nothing changes or deletes it)."""
    frozen = current_app.extensions.setdefault(_FROZEN_VERSIONS, {})
    key = (survey.id, survey.latest_version)
    if key in frozen:
        return db.session.merge(frozen[key], load=False)
    version = db.session.execute(
        select(SurveyVersion).where(SurveyVersion.survey_id == survey.id,
                                    SurveyVersion.number == survey.latest_version)
    ).scalar_one()
    copy = SurveyVersion(id=version.id, survey_id=version.survey_id, number=version.number,
                         definition=version.definition, published_at=version.published_at)
    make_transient_to_detached(copy)
    # Kept once the transaction commits: one that published the version and then rolled back never did.
    db.session.info.setdefault(_READ_VERSIONS, []).append((frozen, key, copy))
    return version


def keep_frozen_versions() -> None:
    """Have sessions keep the versions they read once they commit (create_app calls this)."""
    if not event.contains(Session, "after_commit", _keep_read_versions):
        event.listen(Session, "after_commit", _keep_read_versions)
        event.listen(Session, "after_rollback", _forget_read_versions)


def _keep_read_versions(session: Session) -> None:
    for frozen, key, copy in session.info.pop(_READ_VERSIONS, []):
        if len(frozen) >= FROZEN_VERSIONS_KEPT:
            frozen.pop(next(iter(frozen)))  # the oldest kept
        frozen[key] = copy


def _forget_read_versions(session: Session) -> None:
    session.info.pop(_READ_VERSIONS, None)


def _ensure_not_archived(survey: Survey) -> None:
    if survey.archived_at is not None:
        raise Conflict("The survey is archived and can't be changed.", {"survey": "is archived"})


def _flush_unique_slug(slug: str) -> None:
    try:
        db.session.flush()
    except IntegrityError:  # the request fails whole: its unit of work rolls back
        raise Conflict(f"Another survey already has the slug {slug!r}.", {"slug": "is taken"}) from None
