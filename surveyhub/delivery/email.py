"""The email channel's job kind: render each claimed invitation and send the batch over one connection."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from channels.email import DeliveryError, mailer_for

from .. import links
from ..accounts.surveys import live_version
from ..events import record_event, record_invitation_failed
from ..extensions import db
from ..i18n import LOCALES, choose_locale
from ..models import Invitation, Survey
from ..models.invitation import QUEUED_SINCE
from ..models.types import utcnow
from ..rules import survey as logic
from . import engine as delivery
from .suppressions import suppressed

log = logging.getLogger(__name__)

# First-question types whose every value fits in the email as a one-click link.
ONE_CLICK_TYPES = ("nps", "likert", "yes_no")


def one_click_values(question: dict) -> list[tuple[str, str]]:
    """Return (query value, label) for each one-click answer of a first question, or [] (labels: gettext's)."""
    if question["type"] == "nps":
        return [(str(n), str(n)) for n in range(11)]
    if question["type"] == "likert":
        return [(str(n), str(n)) for n in range(1, question.get("scale", 5) + 1)]
    if question["type"] == "yes_no":
        return [("yes", gettext("Yes")), ("no", gettext("No"))]
    return []


@dataclass(frozen=True)
class Outgoing:
    """What sending one invitation needs, read when its batch is loaded (no ORM objects held while sending)."""

    id: int
    org_id: int
    survey_id: int
    address: str
    org_name: str
    locale: str | None
    definition: dict | None  # the survey's live version; None once it is archived
    erased: bool
    unsubscribed: bool
    # A cascade's email after its first step: the same link, its own subject and opening line.
    reminder: bool = False

    @classmethod
    def of(cls, invitation: Invitation, definition: dict | None, unsubscribed: bool = False) -> Outgoing:
        respondent = invitation.respondent
        return cls(invitation.id, invitation.org_id, invitation.survey_id, invitation.address or "",
                   " ".join(invitation.survey.org.name.split()), respondent.locale if respondent else None,
                   definition, respondent is None, unsubscribed)


def render_invitation(invitation: Outgoing, *, tokens: tuple[str, str] | None = None,
                      message_id: str | None = None, to: str | None = None, cte: str | None = None) -> EmailMessage:
    """Build the invitation email (HTML with a plain-text alternative) in the respondent's locale.

    `tokens` (survey, unsubscribe), `message_id` and `to` default to the invitation's own; the mail
    template cache passes placeholders instead.
    """
    survey, unsubscribe = tokens or (links.survey_token(invitation.id), links.unsubscribe_token(invitation.id))
    definition = invitation.definition
    assert definition is not None  # rows of archived surveys are cancelled, never written
    org_name = invitation.org_name  # already free of line breaks, which headers can't hold
    content_locale = choose_locale(logic.survey_locales(definition), invitation.locale)
    locale = choose_locale(LOCALES, content_locale)

    def text(value):
        return logic.localize(value, content_locale, definition["default_locale"])

    first = definition["questions"][0]
    survey_link = links.url(f"/s/{survey}")
    context = {
        "locale": locale, "org": org_name, "intro": text(definition.get("intro")),
        "first_question": text(first["text"]), "survey_url": survey_link,
        "unsubscribe_url": links.url(f"/u/{unsubscribe}"), "reminder": invitation.reminder,
    }
    message = EmailMessage()
    with force_locale(locale):  # the product's words in the mail: gettext here and _() in its templates
        context["values"] = [(label, f"{survey_link}?v={value}") for value, label in one_click_values(first)]
        subject = (gettext("{org}: a reminder, one quick question") if invitation.reminder
                   else gettext("{org}: a quick question before you go"))
        message["Subject"] = subject.format(org=org_name)
        plain = render_template("email/invitation.txt", **context)
        html = render_template("email/invitation.html", **context)
    message["From"] = Address(display_name=org_name, addr_spec=current_app.config["MAIL_FROM"])
    message["To"] = to or invitation.address
    message["Message-ID"] = message_id or new_message_id()
    message["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(plain, cte=cte)
    message.add_alternative(html, subtype="html", cte=cte)
    return message


def new_message_id() -> str:
    """Return a fresh Message-ID in the sender's domain."""
    return make_msgid(domain=current_app.config["MAIL_FROM"].rpartition("@")[2] or None)


class MailMerge:
    """Invitation mails rendered once per survey, locale and org, then filled in per recipient.

    Every recipient of one survey version in one locale gets the same mail but for four ASCII strings:
    To, Message-ID and the two signed tokens. The template is built by the email package with 8-bit
    bodies (so the placeholders survive serialization) and each mail is the template with those
    strings replaced: rendering and MIME building happen once per batch instead of once per mail.
    Needs a server that takes 8BITMIME and an ASCII address; otherwise `message` builds it whole.
    """

    SURVEY = "SURVEYHUBSURVEYTOKENPLACEHOLDER"
    UNSUBSCRIBE = "SURVEYHUBUNSUBSCRIBETOKENPLACEHOLDER"
    TO = "recipient@placeholder.surveyhub.invalid"
    MESSAGE_ID = "<message-id@placeholder.surveyhub.invalid>"

    def __init__(self) -> None:
        self._templates: dict[tuple, bytes] = {}

    def raw(self, invitation: Outgoing) -> tuple[bytes, str]:
        """Return the mail as bytes, ready for SMTP with BODY=8BITMIME, and its Message-ID."""
        assert invitation.definition is not None  # as in render_invitation
        key = (invitation.survey_id, choose_locale(logic.survey_locales(invitation.definition), invitation.locale),
               invitation.org_name, invitation.reminder)
        if key not in self._templates:
            template = render_invitation(invitation, tokens=(self.SURVEY, self.UNSUBSCRIBE),
                                         message_id=self.MESSAGE_ID, to=self.TO, cte="8bit")
            self._templates[key] = template.as_bytes(policy=SMTP)
        message_id = new_message_id()
        data = (self._templates[key].replace(self.TO.encode(), invitation.address.encode())
                .replace(self.MESSAGE_ID.encode(), message_id.encode())
                .replace(self.SURVEY.encode(), links.survey_token(invitation.id).encode())
                .replace(self.UNSUBSCRIBE.encode(), links.unsubscribe_token(invitation.id).encode()))
        return data, message_id

    def message(self, invitation: Outgoing) -> EmailMessage:
        """Build one mail whole (for servers without 8BITMIME, or non-ASCII addresses)."""
        return render_invitation(invitation)


class MailSession:
    """A batch's SMTP connection (opened by its first mail) and its rendered templates."""

    def __init__(self) -> None:
        config = current_app.config
        self.mailer = mailer_for(config["SMTP_URL"], config["SMTP_TIMEOUT_SECONDS"])
        self.merge = MailMerge()

    def close(self) -> None:
        """Say QUIT to the server, if the batch connected."""
        self.mailer.close()


def load_invitations(ids: Sequence[int]) -> list[Outgoing]:
    """Read claimed email invitations with their surveys' live definitions and unsubscribes."""
    rows = db.session.execute(
        select(Invitation).where(Invitation.id.in_(ids)).order_by(Invitation.id)
        .options(joinedload(Invitation.respondent), joinedload(Invitation.survey).joinedload(Survey.org))
    ).scalars().all()
    # The live version as the SMS kind reads it: a published version is frozen, so each process keeps it.
    definitions = {survey.id: live_version(survey).definition for survey in {i.survey for i in rows}
                   if survey.archived_at is None and survey.latest_version is not None}
    blocked = {(org_id, address) for org_id in {i.org_id for i in rows}
               for address in suppressed(org_id, "email",
                                         [i.address for i in rows if i.org_id == org_id and i.address])}
    return [Outgoing.of(i, definitions.get(i.survey_id), (i.org_id, i.address) in blocked) for i in rows]


def still_wanted(invitation: Outgoing, claim: delivery.Claim) -> Outgoing | None:
    """Cancel an invitation whose survey closed or whose person unsubscribed or was erased meanwhile."""
    reason = None
    if invitation.definition is None:
        reason = "survey closed"
    elif invitation.erased:
        reason = "respondent erased"
    elif invitation.unsubscribed:
        reason = "unsubscribed"
    if reason is None:
        return invitation
    claim.finish("cancelled", last_error=reason)
    return None


def send_invitation(invitation: Outgoing, session: MailSession) -> str | DeliveryError:
    """Send one mail; return its Message-ID, or the server's refusal (an unreachable server is an Outage)."""
    mailer, sender = session.mailer, current_app.config["MAIL_FROM"]
    try:
        mailer.open()
        if mailer.takes_8bit and invitation.address.isascii():
            data, message_id = session.merge.raw(invitation)
            mailer.send_raw(sender, invitation.address, data)
        else:
            message = session.merge.message(invitation)
            message_id = message["Message-ID"]
            mailer.send(message)
    except DeliveryError as err:
        if err.connection:  # the server can't be reached: the engine pauses email and holds the row
            raise delivery.Outage(err.reason) from None
        return err
    return message_id


def record_sent(invitation: Outgoing, result: str | DeliveryError, claim: delivery.Claim) -> None:
    """Mark the invitation sent (and count it), or retry or fail it per the server's refusal."""
    if isinstance(result, DeliveryError):
        status = claim.retry_or_fail(result.reason, transient=result.transient)
        log.warning("email invitation %s: %s (%s)", invitation.id, result.reason, status)
    elif claim.finish("sent", sent_at=utcnow(), provider_message_id=result, last_error=None):
        record_event(invitation.org_id, "sent", survey_id=invitation.survey_id, channel="email",
                     invitation_id=invitation.id)


EMAIL_KIND = delivery.JobKind(name="email", model=Invitation, load=load_invitations, channel=lambda item: "email",
                              prepare=still_wanted, connect=MailSession, send=send_invitation, record=record_sent,
                              batch_size=100,
                              condition=(Invitation.channel == "email") & Invitation.cascade_id.is_(None),
                              since=QUEUED_SINCE, on_failed=record_invitation_failed)
