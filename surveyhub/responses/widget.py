"""The in-app widget's server side (CONTRACT §6): the public survey, and the writes of a visit.

A visit is one opening of a survey in the widget, named by a random id the widget makes. Every write
carries it, so each write finds (or opens) the same response: writes are idempotent and may arrive
retried, late or out of order and still count once. Answers go through the response engine.

A visit that ends unfinished — dismissed, or abandoned (no write for ABANDONED, by the delivery
engine's clock) — starts its survey's plan for the widget's user when the plan says `after_widget`,
with the email and phone the host gave in `SurveyHub.init({user})` (CONTRACT §9). A visit leaves once:
`left_at` is set by a conditional update (the dismissal's, or the sweep's, which claims a batch of
abandoned visits in one statement), and only the statement that set it starts a cascade; so two
workers sweeping at once, or a dismissal arriving after the sweep, start one. What became of it is
written into the response's `metadata.widget.cascade`: `{"id": N}`, or `{"refused": reason}`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..accounts.orgs import REGION_SETTING, get_org, signing_secrets_in_force, widget_responses_cap
from ..accounts.respondents import find_or_create_respondent
from ..accounts.surveys import get_survey_by_slug, live_version
from ..delivery import engine as delivery
from ..delivery.cascades import start_cascades
from ..delivery.invitations import normalize_phone
from ..errors import Invalid, NotFound, TooManyResponses, Unauthorized
from ..events import record_event
from ..extensions import db
from ..i18n import LOCALES, choose_locale, translations
from ..models import Cascade, Org, Respondent, Response, Survey
from ..models.types import utcnow
from ..rules import survey as logic
from ..security import user_hash_matches
from . import answers as responses

CHANNEL = "widget"
DAY = timedelta(hours=24)
ORIGINS_SETTING = "widget_allowed_origins"
RTL_LANGUAGES = {"ar", "fa", "he", "ur"}
# A displayed visit with no write for this long is abandoned (after_widget starts its cascade).
ABANDONED = timedelta(minutes=30)
SWEEP_BATCH = 100

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Visitor:
    """An authenticated write: whose it is, which survey, which visit."""

    org: Org
    slug: str
    visit: str
    user: dict


def org_for_widget_key(key: str) -> Org:
    """Return the org a public widget key belongs to."""
    org = db.session.execute(select(Org).where(Org.widget_key == key)).scalar_one_or_none()
    if org is None:
        raise NotFound("No org has this widget key.", {"key": "is not a widget key"})
    return org


def allowed_origins(org: Org) -> list[str]:
    """Return the origins the org lets use its widget; empty means any."""
    return list((org.settings or {}).get(ORIGINS_SETTING) or [])


def origin_allowed(org: Org, origin: str | None) -> bool:
    """Tell whether a request from `origin` may use the org's widget (no Origin: not a browser's)."""
    origins = allowed_origins(org)
    return origin is None or not origins or origin.lower() in origins


def set_allowed_origins(org_id: int, origins: list[str]) -> list[str]:
    """Limit the org's widget to these origins (`scheme://host[:port]`); an empty list allows any."""
    org = get_org(org_id)
    normalized = []
    for i, origin in enumerate(origins):
        parts = urlsplit(origin.strip().lower())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") \
                or parts.query or parts.fragment or parts.username:
            raise Invalid(f"{origin!r} is not an origin such as https://app.example.com.",
                          {f"origins.{i}": "must be scheme://host[:port]"})
        normalized.append(f"{parts.scheme}://{parts.netloc}")
    normalized = list(dict.fromkeys(normalized))  # the same site given twice is kept once
    org.settings = {**(org.settings or {}), ORIGINS_SETTING: normalized}
    return normalized


def published_survey(org: Org, slug: str, locale: str | None) -> dict:
    """Return the live version of the org's survey, every string in the user's locale."""
    survey = db.session.execute(
        select(Survey).where(Survey.org_id == org.id, Survey.slug == slug, Survey.archived_at.is_(None),
                             Survey.latest_version.is_not(None))
    ).scalar_one_or_none()
    if survey is None:
        raise NotFound(f"No published survey {slug!r}.", {"slug": "no published survey has this slug"})
    version = live_version(survey)
    return survey_for_widget(version.definition, survey.slug, version.number, locale)


def survey_for_widget(definition: dict, slug: str, version: int | None, locale: str | None) -> dict:
    """Return a (valid) definition as the widget draws it: every string in the locale chosen for `locale`.

    The published survey's GET and the builder's preview (version None: not published) both give this.
    """
    chosen = choose_locale(logic.survey_locales(definition), locale)

    def text(value: Any) -> str | None:
        return logic.localize(value, chosen, definition["default_locale"])

    language = chosen.split("-")[0]
    return {
        "slug": slug, "version": version, "locale": chosen,
        "dir": "rtl" if language in RTL_LANGUAGES else "ltr",
        "intro": text(definition.get("intro")), "thanks": text(definition.get("thanks")),
        "questions": [_question_out(q, text) for q in definition["questions"]],
        "offers": [{"id": o["id"], "when": o["when"], "title": text(o["title"]), "body": text(o.get("body")),
                    "accept_label": text(o.get("accept_label")), "decline_label": text(o.get("decline_label"))}
                   for o in definition.get("offers", [])],
        "ui": ui_words(choose_locale(LOCALES, chosen)),
    }


@lru_cache
def ui_words(locale: str) -> dict[str, str]:
    """Return the widget's own words in one of LOCALES ({n}-style placeholders are the widget's to fill)."""
    words = translations(locale)
    return {"next": words.gettext("Next"), "submit": words.gettext("Submit"), "skip": words.gettext("Skip"),
            "close": words.gettext("Close"), "yes": words.gettext("Yes"), "no": words.gettext("No"),
            "other": words.gettext("Other"), "other_placeholder": words.gettext("Please tell us"),
            "progress": words.gettext("Question {n} of {total}"), "nps_min": words.gettext("Not at all likely"),
            "nps_max": words.gettext("Extremely likely"), "accept": words.gettext("Accept"),
            "decline": words.gettext("No thanks"), "done": words.gettext("Done"), "chars": words.gettext("{n}/{max}")}


def _question_out(question: dict, text) -> dict:
    out = {key: value for key, value in question.items()
           if key not in ("text", "help", "other_label", "placeholder", "choices", "labels")}
    out["text"] = text(question["text"])
    for key in ("help", "other_label", "placeholder"):
        if key in question:
            out[key] = text(question[key])
    if "choices" in question:
        out["choices"] = [{"id": c["id"], "label": text(c["label"])} for c in question["choices"]]
    if "labels" in question:
        out["labels"] = {end: text(label) for end, label in question["labels"].items()}
    return out


def authenticate(org: Org, slug: str, body: dict) -> Visitor:
    """Check the host's userHash for the user's id (a rotated-out secret counts in its grace); else Unauthorized.

    The user's phone, if given, is read as the API reads recipients' (E.164, or national in the org's
    region); one that is not a valid number is refused, naming `user.phone`.
    """
    user = dict(body["user"])
    if user.get("phone"):
        try:
            user["phone"] = normalize_phone(user["phone"], (org.settings or {}).get(REGION_SETTING))
        except ValueError:
            raise Invalid(f"{user['phone']!r} is not a valid phone number.",
                          {"user.phone": "is not a valid phone number"}) from None
    user_id, presented = user["id"], body["user_hash"]
    if not any(user_hash_matches(secret, user_id, presented) for secret in signing_secrets_in_force(org)):
        raise Unauthorized("userHash is not the HMAC-SHA256 of user.id with the org's signing secret.",
                           {"userHash": "does not match user.id"})
    return Visitor(org=org, slug=slug, visit=body["visit"], user=user)


def display(visitor: Visitor, locale: str | None) -> Response:
    """Record that the survey was shown, and update the respondent from the host's user."""
    profile = {**_addresses(visitor), "attributes": visitor.user.get("attributes"), "locale": locale}
    # A response opened here is marked displayed in its INSERT (no UPDATE after it).
    response, opened = _find_or_open_visit(visitor, profile, displayed=True)
    if opened or not _widget_meta(response).get("displayed"):
        if not opened:
            _update_widget_meta(response, displayed=True)
        _record(response, "displayed")
    return response


def answer(visitor: Visitor, question: Any, value: Any, other_text: Any) -> Response:
    """Save one answer through the response engine; note the offer it brings up, if any.

    The answer and its "offer_shown" are one transaction: an answer never lands without its offer.
    """
    response = _open_visit(visitor)
    # Locked: every write of a visit holds its respondent's row (_open_visit) from before it read the response.
    state = responses.answer_question(response, question, value, other_text, locked=True)
    offer = logic.matching_offer(response.version.definition, state.answers)
    if offer is not None and "offer" not in (response.meta or {}):
        _show_offer(response, offer["id"])
    return response


def decide_offer(visitor: Visitor, offer_id: str, accepted: bool) -> Response:
    """Record the person's answer to the save offer their answers brought up, once.

    Accepting ends the flow: the response is completed (CONTRACT §10), with `metadata.offer`
    saying which offer kept the person.
    """
    response = _open_visit(visitor)
    offer = logic.matching_offer(response.version.definition, response.answer_values())
    if offer is None or offer["id"] != offer_id:
        raise Invalid(f"The offer {offer_id!r} is not on offer for this visit's answers.",
                      {"offer": "is not on offer for these answers"})
    shown = (response.meta or {}).get("offer") or {}
    if shown.get("id") != offer_id:
        _show_offer(response, offer_id)
        shown = {"id": offer_id}
    if "accepted" not in shown:
        _set_offer(response, {"id": offer_id, "accepted": accepted})
        _record(response, "offer_accepted" if accepted else "offer_declined", {"offer": offer_id})
        if accepted:
            responses.complete_saved_response(response)
    elif shown["accepted"] != accepted:
        raise Invalid("The offer was already " + ("accepted." if shown["accepted"] else "declined."),
                      {"accepted": "the offer was already decided otherwise"})
    return response


def dismiss(visitor: Visitor) -> Response:
    """Record that the person closed the survey before finishing it, once; the visit has left, which
    starts the survey's cascade for the user (after_widget) in this unit of work."""
    response = _open_visit(visitor, _addresses(visitor))
    if response.status != "completed" and not _widget_meta(response).get("dismissed"):
        _update_widget_meta(response, dismissed=True)
        _record(response, "dismissed")
        if _leave(Response.id == response.id):
            _start_after_widget([response])
    return response


def complete(visitor: Visitor) -> Response:
    """Finish the visit's response through the response engine (a retry after it finished changes nothing)."""
    response = _open_visit(visitor)
    if response.status == "completed":
        return response
    # Locked: _open_visit holds the respondent's row and read the response after taking it.
    return responses.complete_response(response, locked=True)


def sweep_abandoned_visits() -> int:
    """Mark the widget visits abandoned (displayed, unfinished, no write for ABANDONED) as left, a batch
    in one statement, and start each one's cascade where its survey's plan says after_widget.

    The worker's sweep (registered by the factory). Workers sweeping at once each take other visits
    (SKIP LOCKED on PostgreSQL; SQLite runs one writer at a time), and the update takes only visits not
    yet left, so none starts two cascades. Returns how many visits it marked.
    """
    cutoff = delivery.clock() - ABANDONED
    abandoned = (select(Response.id)
                 .where(Response.channel == CHANNEL, Response.status == "partial", Response.left_at.is_(None),
                        Response.updated_at <= cutoff)
                 .order_by(Response.updated_at).limit(SWEEP_BATCH).with_for_update(skip_locked=True))
    left = _leave(Response.id.in_(abandoned.scalar_subquery()))
    if left:
        _start_after_widget(db.session.execute(
            select(Response).where(Response.id.in_(left)).order_by(Response.id)).unique().scalars().all())
    return len(left)


def _leave(which: Any) -> list[int]:
    """Mark the visits `which` selects as left, those not left yet; return the ids this statement marked."""
    # updated_at kept: leaving is no write of the person's (listings `since` a time don't see it move).
    return list(db.session.execute(
        update(Response).where(which, Response.left_at.is_(None))
        .values(left_at=delivery.clock(), updated_at=Response.updated_at).returning(Response.id)
        .execution_options(synchronize_session=False)
    ).scalars())


def _start_after_widget(visits: Sequence[Response]) -> None:
    """Start the survey's plan for the user of each visit that just left, where the live plan says
    after_widget; note the cascade (or why none started) in each visit's metadata."""
    by_survey: dict[int, list[Response]] = {}
    for visit in visits:
        by_survey.setdefault(visit.survey_id, []).append(visit)
    for survey_id, group in by_survey.items():
        survey = db.session.get(Survey, survey_id)
        plan = _after_widget_plan(survey)
        if survey is None or plan is None:
            continue
        starting = []
        for visit in group:
            if visit.responded_at is not None and plan.get("stop_on", "responded") == "responded":
                _cascade_outcome(visit, refused="responded")  # their answer would stop it at once
            else:
                starting.append(visit)
        running = _running_cascades(survey_id, [visit.respondent_id for visit in starting])
        recipients = []
        for visit in starting:
            if visit.respondent_id in running:
                _cascade_outcome(visit, refused="cascade_running")
            else:
                recipients.append((visit, _recipient(visit.respondent)))
        if not recipients:
            continue
        batch = start_cascades(survey, [recipient for _, recipient in recipients])
        started = {queued.recipient.get("external_id"): queued.id for queued in batch.queued}
        refused = {id(refusal.recipient): refusal.reason for refusal in batch.refused}
        for visit, recipient in recipients:
            if id(recipient) in refused:
                _cascade_outcome(visit, refused=refused[id(recipient)])
            else:
                _cascade_outcome(visit, id=started[recipient["external_id"]])


def _after_widget_plan(survey: Survey | None) -> dict | None:
    """Return the live version's delivery plan if it says after_widget (None for an archived or unpublished survey)."""
    if survey is None or survey.archived_at is not None or survey.latest_version is None:
        return None
    plan = live_version(survey).definition.get("delivery")
    return plan if plan and plan.get("after_widget") else None


def _running_cascades(survey_id: int, respondent_ids: list[int | None]) -> set[int | None]:
    """Return those of the people who have a cascade of the survey running (one at a time per person)."""
    if not respondent_ids:
        return set()
    return set(db.session.execute(
        select(Cascade.respondent_id).where(Cascade.survey_id == survey_id, Cascade.status == "running",
                                            Cascade.respondent_id.in_([i for i in respondent_ids if i]))
    ).scalars())


def _recipient(person: Respondent | None) -> dict:
    """The widget's user as a cascade's recipient: their id, and the addresses and locale the host gave."""
    if person is None:
        return {}
    fields = {"external_id": person.external_id, "email": person.email, "phone": person.phone,
              "locale": person.locale, "timezone": person.timezone}
    return {key: value for key, value in fields.items() if value}


def _cascade_outcome(visit: Response, **outcome: Any) -> None:
    """Note in the visit's metadata the cascade it started, or why none did (a manager reads it in the API)."""
    _update_widget_meta(visit, cascade=outcome)
    if "refused" in outcome:
        log.info("after_widget: no cascade for response %s of survey %s: %s", visit.id, visit.survey_id,
                 outcome["refused"])


def _addresses(visitor: Visitor) -> dict:
    """The email and phone the host gave for the user (a respondent's profile fields)."""
    return {"email": visitor.user.get("email"), "phone": visitor.user.get("phone")}


def _open_visit(visitor: Visitor, profile: dict | None = None) -> Response:
    """Return the visit's response, opening it on the survey's live version if this is its first write."""
    return _find_or_open_visit(visitor, profile)[0]


def _find_or_open_visit(visitor: Visitor, profile: dict | None = None, **opening: Any) -> tuple[Response, bool]:
    """Return the visit's response and whether it was opened here (`opening`: more widget metadata it
    starts with)."""
    survey = get_survey_by_slug(visitor.org.id, visitor.slug)
    # One visit, one response: concurrent first writes of a visit queue on the respondent's row,
    # locked as it is read (or created).
    respondent = find_or_create_respondent(visitor.org.id, visitor.user["id"], lock=True, **(profile or {}))
    # The response with its answers in one statement, as they are now that the person is held.
    response = db.session.execute(
        select(Response).options(joinedload(Response.answers))
        .where(Response.survey_id == survey.id, Response.respondent_id == respondent.id,
               Response.channel == CHANNEL, Response.meta[("widget", "visit")].as_string() == visitor.visit)
        .execution_options(populate_existing=True)
    ).unique().scalar_one_or_none()
    if response is None:
        _check_responses_per_day(visitor.org, survey, respondent.id)
        response = responses.start_response(survey, CHANNEL, respondent=respondent,
                                            metadata={"widget": {"visit": visitor.visit, **opening}})
        return response, True
    return response, False


def _check_responses_per_day(org: Org, survey: Survey, respondent_id: int) -> None:
    """Refuse a new visit's response once the user started the org's cap of them in the last 24 hours.

    Otherwise one user id and its userHash could stuff the stats with a new visit id per response.
    Runs with the respondent's row locked (_open_visit), so concurrent new visits count one by one.
    """
    cap = widget_responses_cap(org)
    if not cap:
        return
    now = utcnow()
    latest = db.session.execute(
        select(Response.started_at).where(Response.survey_id == survey.id, Response.respondent_id == respondent_id,
                                          Response.channel == CHANNEL, Response.started_at > now - DAY)
        .order_by(Response.started_at.desc()).limit(cap)).scalars().all()
    if len(latest) >= cap:
        retry_after = math.ceil((latest[-1] + DAY - now).total_seconds())
        raise TooManyResponses(f"This user has started {cap} responses to this survey in the last 24 hours, "
                              "the org's widget_responses_per_day.", retry_after,
                              {"user.id": f"has started {cap} responses to this survey today"})


def _widget_meta(response: Response) -> dict:
    return dict((response.meta or {}).get("widget") or {})


def _update_widget_meta(response: Response, **changes: Any) -> None:
    # A new dict, so that SQLAlchemy sees the JSON column change.
    response.meta = {**(response.meta or {}), "widget": {**_widget_meta(response), **changes}}


def _set_offer(response: Response, offer: dict) -> None:
    # A new dict, so that SQLAlchemy sees the JSON column change.
    response.meta = {**(response.meta or {}), "offer": offer}


def _show_offer(response: Response, offer_id: str) -> None:
    _set_offer(response, {"id": offer_id})
    _record(response, "offer_shown", {"offer": offer_id})


def _record(response: Response, event: str, data: dict | None = None) -> None:
    record_event(response.org_id, event, survey_id=response.survey_id, channel=CHANNEL,
                 response_id=response.id, data=data)
