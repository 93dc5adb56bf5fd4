"""The email channel's job kind: render each claimed invitation and send the batch over one connection."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from channels.email import DeliveryError, mailer_for

from .. import survey_logic as logic
from ..extensions import db
from ..i18n import t, ui_locale
from ..models import Invitation, Survey, SurveyVersion
from ..models.types import utcnow
from . import delivery, links
from .events import record_event
from .suppressions import suppressed

log = logging.getLogger(__name__)

# First-question types whose every value fits in the email as a one-click link.
ONE_CLICK_TYPES = ("nps", "likert", "yes_no")


def one_click_values(question: dict, locale: str) -> list[tuple[str, str]]:
    """Return (query value, label) for each one-click answer of a first question, or []."""
    if question["type"] == "nps":
        return [(str(n), str(n)) for n in range(11)]
    if question["type"] == "likert":
        return [(str(n), str(n)) for n in range(1, question.get("scale", 5) + 1)]
    if question["type"] == "yes_no":
        return [("yes", t("yes", locale)), ("no", t("no", locale))]
    return []


def survey_url(invitation_id: int, value: str | None = None) -> str:
    """Return the signed link to an invitation's hosted survey, optionally with a value chosen."""
    token = links.make_token(links.SURVEY, {"i": invitation_id})
    return links.url(f"/s/{token}" + (f"?v={value}" if value is not None else ""))


def unsubscribe_url(invitation_id: int) -> str:
    """Return the signed unsubscribe link of an invitation."""
    return links.url(f"/u/{links.make_token(links.UNSUBSCRIBE, {'i': invitation_id})}")


@dataclass(frozen=True)
class Outgoing:
    """What sending one invitation needs, read once per batch (commits expire ORM objects)."""

    id: int
    org_id: int
    survey_id: int
    address: str
    attempts: int
    org_name: str
    locale: str | None
    erased: bool

    @classmethod
    def of(cls, invitation: Invitation) -> Outgoing:
        respondent = invitation.respondent
        return cls(invitation.id, invitation.org_id, invitation.survey_id, invitation.address or "",
                   invitation.attempts, " ".join(invitation.survey.org.name.split()),
                   respondent.locale if respondent else None, respondent is None)


def render_invitation(invitation: Outgoing, definition: dict) -> EmailMessage:
    """Build the invitation email (HTML with a plain-text alternative) in the respondent's locale."""
    org_name = invitation.org_name  # already free of line breaks, which headers can't hold
    content_locale = logic.pick_locale(definition, invitation.locale)
    locale = ui_locale(content_locale)

    def text(value):
        return logic.localize(value, content_locale, definition["default_locale"])

    first = definition["questions"][0]
    context = {
        "locale": locale, "org": org_name, "t": t, "intro": text(definition.get("intro")),
        "first_question": text(first["text"]),
        "values": [(label, survey_url(invitation.id, value)) for value, label in one_click_values(first, locale)],
        "survey_url": survey_url(invitation.id), "unsubscribe_url": unsubscribe_url(invitation.id),
    }
    message = EmailMessage()
    message["Subject"] = t("email_subject", locale, org=org_name)
    message["From"] = Address(display_name=org_name, addr_spec=current_app.config["MAIL_FROM"])
    message["To"] = invitation.address
    message["Message-ID"] = make_msgid(domain=current_app.config["MAIL_FROM"].rpartition("@")[2] or None)
    message["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(render_template("email/invitation.txt", **context))
    message.add_alternative(render_template("email/invitation.html", **context), subtype="html")
    return message


def send_email_invitations(ids: Sequence[int], worker: delivery.Worker) -> None:
    """Send a claimed batch of email invitations over one SMTP connection."""
    invitations = [Outgoing.of(i) for i in db.session.execute(
        select(Invitation).where(Invitation.id.in_(ids)).order_by(Invitation.id)
        .options(joinedload(Invitation.respondent), joinedload(Invitation.survey).joinedload(Survey.org))
    ).scalars()]
    definitions = _live_definitions({i.survey_id for i in invitations})
    blocked = {(org_id, address) for org_id in {i.org_id for i in invitations}
               for address in suppressed(org_id, "email", [i.address for i in invitations if i.org_id == org_id])}
    config = current_app.config
    try:
        mailer = mailer_for(config["SMTP_URL"], config["SMTP_TIMEOUT_SECONDS"]).__enter__()
    except DeliveryError as err:
        _retry_all(invitations, worker, err.reason)
        return
    try:
        for index, invitation in enumerate(invitations):
            if worker.should_stop():
                delivery.release(EMAIL_KIND, [i.id for i in invitations[index:]], worker.worker_id)
                return
            if not _still_wanted(invitation, definitions, blocked, worker):
                continue
            try:
                message = render_invitation(invitation, definitions[invitation.survey_id])
                mailer.send(message)
            except DeliveryError as err:
                _record_failure(invitation, worker, err)
                if err.connection:
                    _retry_all(invitations[index + 1:], worker, err.reason)
                    return
                continue
            if delivery.finish(EMAIL_KIND, invitation.id, worker.worker_id, "sent", sent_at=utcnow(),
                               provider_message_id=message["Message-ID"], last_error=None):
                record_event(invitation.org_id, "sent", survey_id=invitation.survey_id, channel="email",
                             invitation_id=invitation.id)
            db.session.commit()
    finally:
        mailer.close()


def _live_definitions(survey_ids: set[int]) -> dict[int, dict]:
    rows = db.session.execute(
        select(Survey.id, SurveyVersion.definition)
        .join(SurveyVersion, (SurveyVersion.survey_id == Survey.id) & (SurveyVersion.number == Survey.latest_version))
        .where(Survey.id.in_(survey_ids), Survey.archived_at.is_(None))
    )
    return {survey_id: definition for survey_id, definition in rows}


def _still_wanted(invitation: Outgoing, definitions: dict, blocked: set, worker: delivery.Worker) -> bool:
    """Cancel an invitation whose survey closed or whose person unsubscribed or was erased meanwhile."""
    reason = None
    if invitation.survey_id not in definitions:
        reason = "survey closed"
    elif invitation.erased:
        reason = "respondent erased"
    elif (invitation.org_id, invitation.address) in blocked:
        reason = "unsubscribed"
    if reason is None:
        return True
    delivery.finish(EMAIL_KIND, invitation.id, worker.worker_id, "cancelled", last_error=reason)
    db.session.commit()
    return False


def _record_failure(invitation: Outgoing, worker: delivery.Worker, err: DeliveryError) -> None:
    if err.transient:
        status = delivery.retry_later(EMAIL_KIND, invitation.id, worker.worker_id, invitation.attempts, err.reason)
    else:
        delivery.finish(EMAIL_KIND, invitation.id, worker.worker_id, "failed", last_error=err.reason[:500])
        status = "failed"
    if status == "failed":
        record_event(invitation.org_id, "failed", survey_id=invitation.survey_id, channel="email",
                     invitation_id=invitation.id, data={"reason": err.reason[:200]})
    log.warning("email invitation %s: %s (%s)", invitation.id, err.reason, status)
    db.session.commit()


def _retry_all(invitations: Sequence[Outgoing], worker: delivery.Worker, reason: str) -> None:
    for invitation in invitations:
        _record_failure(invitation, worker, DeliveryError(reason, transient=True))


EMAIL_KIND = delivery.JobKind(name="email", model=Invitation, process=send_email_invitations,
                              batch_size=100, lease=timedelta(minutes=10), condition=Invitation.channel == "email")
