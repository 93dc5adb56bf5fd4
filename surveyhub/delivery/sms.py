"""SMS on the delivery engine: invitations start conversations, and queued replies go out in order.

Two job kinds. "sms" claims invitations on the SMS channel: it waits for quiet hours to pass and for
any open conversation with the same phone to end, reserves the conversation (an open session),
then sends the intro and first question. "sms_message" claims queued outbound messages (the replies
the inbound webhook queued, so that the webhook itself never waits on Twilio) and sends them one
after another per phone number. Twilio's status callbacks (record_status) move each message and its
invitation forward.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from channels.sms import LogSender, SmsError, SmsSettings, TwilioSender, count_segments, sender_for

from .. import links
from ..accounts.surveys import live_version
from ..events import record_event, record_invitation_failed
from ..extensions import db
from ..i18n import choose_locale
from ..models import Invitation, SmsMessage, SmsSession, Survey
from ..models.invitation import QUEUED_SINCE, STATUS_ORDER
from ..models.sms import PROVIDER_STATUS_ORDER
from ..models.types import utcnow
from ..rules import hours
from ..rules import sms as sms_logic
from ..rules import survey as logic
from . import engine as delivery
from .suppressions import suppress, suppressed

log = logging.getLogger(__name__)

STATUS_PATH = "/channels/sms/status"
# Provider statuses that say nothing new about delivery (logged, not errors).
PASSING_STATUSES = {"accepted", "scheduled", "sending", "queued", "receiving", "received", "read", "canceled"}
INVITATION_STATUS = {"sent": "sent", "delivered": "delivered", "undelivered": "failed", "failed": "failed"}


def clock() -> datetime:
    """Return the time quiet hours are judged by (one place, so tests can set the hour)."""
    return utcnow()


def quiet_until(zones: Sequence[str]) -> datetime | None:
    """Return when surveys may next start in all `zones` (hours.quiet_hours_zones), or None if now."""
    return hours.next_window_start(clock(), zones)


def sms_settings() -> SmsSettings:
    """Read the Twilio settings of the current app."""
    config = current_app.config
    return SmsSettings(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], config["TWILIO_FROM"],
                       config["TWILIO_MESSAGING_SERVICE_SID"], config["TWILIO_API_URL"],
                       config["SMS_TIMEOUT_SECONDS"])


def estimate(definition: dict, locale: str, org_name: str) -> dict:
    """Estimate the segments a survey takes by SMS in one locale, before sending anything.

    `first_message_segments` is the invitation; `survey_segments` adds every question (each asked
    once, as if all were shown) and the thanks. One non-GSM character makes a message UCS-2.
    """
    first = count_segments(sms_logic.first_message(definition, locale, org_name))
    rest = [count_segments(sms_logic.question_prompt(q, locale, definition["default_locale"]))
            for q in definition["questions"][1:]]
    rest.append(count_segments(sms_logic.thanks_message(definition, locale)))
    non_gsm = "".join(dict.fromkeys("".join(s.non_gsm for s in [first, *rest])))
    return {"encoding": "UCS-2" if non_gsm else "GSM-7", "first_message_segments": first.segments,
            "survey_segments": first.segments + sum(s.segments for s in rest), "non_gsm_characters": non_gsm}


def queue_message(org_id: int, phone: str, body: str, purpose: str, session_id: int | None = None) -> None:
    """Queue an outbound SMS (the caller commits); the "sms_message" worker sends it, in id order."""
    segments = count_segments(body)
    db.session.execute(insert(SmsMessage.__table__), {
        "org_id": org_id, "phone": phone, "body": body, "purpose": purpose, "session_id": session_id,
        "encoding": segments.encoding, "segments": segments.segments, "status": "queued", "due_at": utcnow(),
        "attempts": 0})


def wake_waiting(org_id: int, phone: str) -> None:
    """Make the org's next invitations to this phone due now that its conversation ended (caller commits)."""
    now = utcnow()
    db.session.execute(
        update(Invitation).where(Invitation.org_id == org_id, Invitation.channel == "sms",
                                 Invitation.address == phone, Invitation.status == "queued",
                                 Invitation.send_at <= now, Invitation.due_at > now)
        .values(due_at=now).execution_options(synchronize_session=False))


def send_sms(phone: str, body: str, sender: TwilioSender | LogSender) -> str | None | SmsError:
    """Send one SMS; return Twilio's SID, or its refusal (an unreachable API is an Outage)."""
    try:
        return sender.send(phone, body, links.url(STATUS_PATH))
    except SmsError as err:
        if err.connection:  # Twilio can't be reached: the engine pauses SMS and holds the row
            raise delivery.Outage(err.reason) from None
        return err


def _note_carrier_opt_out(org_id: int, phone: str, err: SmsError, survey_id: int | None = None) -> None:
    """Record that the carrier says the number opted out (Twilio 21610), unless we knew."""
    if err.opted_out and not suppressed(org_id, "sms", [phone]):
        suppress(org_id, "sms", phone, "carrier_opt_out", survey_id=survey_id)


def open_sender() -> TwilioSender | LogSender:
    """Return the batch's SMS sender: Twilio's API, or the log."""
    return sender_for(sms_settings())


# --- invitations: start a conversation ------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """What starting one conversation needs, read when its batch is loaded (no ORM objects held)."""

    id: int
    org_id: int
    survey_id: int
    phone: str
    org_name: str
    locale: str | None
    zones: tuple[str, ...]  # where quiet hours are judged
    erased: bool
    version_id: int | None  # the survey's live version; None once it is archived
    definition: dict | None

    @classmethod
    def of(cls, invitation: Invitation, version: tuple[int, dict] | None) -> Start:
        person, org = invitation.respondent, invitation.survey.org
        phone = invitation.address or ""
        version_id, definition = version or (None, None)
        return cls(invitation.id, invitation.org_id, invitation.survey_id, phone, " ".join(org.name.split()),
                   person.locale if person else None,
                   hours.quiet_hours_zones(phone, person.timezone if person else None, org.timezone),
                   person is None, version_id, definition)


@dataclass(frozen=True)
class Opening:
    """A conversation reserved for an invitation, and its first message, ready to send."""

    start: Start
    session_id: int
    body: str


def load_starts(ids: Sequence[int]) -> list[Start]:
    """Read claimed SMS invitations with their people, orgs and surveys' live versions."""
    invitations = db.session.execute(
        select(Invitation).where(Invitation.id.in_(ids)).order_by(Invitation.id)
        .options(joinedload(Invitation.respondent), joinedload(Invitation.survey).joinedload(Survey.org))
    ).scalars().all()
    versions = {}
    for survey in {i.survey for i in invitations}:
        if survey.archived_at is None and survey.latest_version is not None:
            version = live_version(survey)
            versions[survey.id] = (version.id, version.definition)
    return [Start.of(i, versions.get(i.survey_id)) for i in invitations]


def reserve_conversation(start: Start, claim: delivery.Claim) -> Opening | None:
    """Open the phone's conversation and write its first message, or cancel or postpone the invitation."""
    reason = None
    if start.definition is None:
        reason = "survey closed"
    elif start.erased:
        reason = "respondent erased"
    elif suppressed(start.org_id, "sms", [start.phone]):
        reason = "opted_out"
    if reason:
        claim.finish("cancelled", last_error=reason)
        return None
    return open_conversation(start, claim)


def open_conversation(start: Start, claim: delivery.Claim) -> Opening | None:
    """Open the phone's conversation and write its first message, or postpone the invitation: for a start
    already found sendable (its survey live, its person known, the phone not opted out) in this transaction."""
    definition = start.definition
    assert definition is not None  # the caller found the survey live
    # Quiet hours; then what an earlier conversation still has to say goes first; then its session.
    wait = (quiet_until(start.zones) or _pending_until(start.org_id, start.phone)
            or _reserve_session(start, definition))
    if isinstance(wait, datetime):
        claim.postpone(wait)
        return None
    return Opening(start, wait.id, sms_logic.first_message(definition, wait.locale, start.org_name))


def _pending_until(org_id: int, phone: str, before_id: int | None = None) -> datetime | None:
    """Return when the latest unsent message to this phone is due (or now), or None if all went out."""
    query = select(SmsMessage.due_at).where(SmsMessage.org_id == org_id, SmsMessage.phone == phone,
                                            SmsMessage.status.in_(("queued", "sending")))
    if before_id is not None:
        query = query.where(SmsMessage.id < before_id)
    due = db.session.execute(query.order_by(SmsMessage.due_at.desc()).limit(1)).scalar_one_or_none()
    return max(due, utcnow()) if due is not None else None


def _reserve_session(start: Start, definition: dict) -> SmsSession | datetime:
    """Open the phone's session for this invitation, or return when the open one expires (or a retry's time)."""
    now = utcnow()
    current = db.session.execute(
        select(SmsSession).where(SmsSession.org_id == start.org_id, SmsSession.phone == start.phone,
                                 SmsSession.status == "open")).scalar_one_or_none()
    if current is not None and current.invitation_id != start.id:
        if current.expires_at > now:
            return current.expires_at
        current.status = "expired"
    elif current is not None:  # a retry after a crash between reserving and recording the send
        db.session.delete(current)
        db.session.flush()  # before the new session's insert, which the unit of work would put first
    locale = choose_locale(logic.survey_locales(definition), start.locale)
    session = SmsSession(org_id=start.org_id, phone=start.phone, invitation_id=start.id,
                         survey_version_id=start.version_id, locale=locale,
                         question_id=logic.first_question(definition)["id"], reasks=0, status="open",
                         expires_at=now + timedelta(hours=logic.setting(definition, "sms_session_ttl_hours")))
    try:
        with db.session.begin_nested():
            db.session.add(session)
    except IntegrityError:  # another worker opened one for this phone just now
        return now + timedelta(minutes=1)
    return session


def send_opening(opening: Opening, sender: TwilioSender | LogSender) -> str | None | SmsError:
    """Send a conversation's first message (no transaction open: the session was committed first)."""
    return send_sms(opening.start.phone, opening.body, sender)


def release_session(opening: Opening) -> None:
    """Close the conversation reserved for a first message that could not go out (Twilio unreachable)."""
    db.session.execute(delete(SmsSession).where(SmsSession.id == opening.session_id))


def record_opening(opening: Opening, result: str | None | SmsError, claim: delivery.Claim) -> None:
    """Log the first message and mark the invitation sent; or close the session and retry or fail it."""
    start = opening.start
    if isinstance(result, SmsError):
        release_session(opening)
        _note_carrier_opt_out(start.org_id, start.phone, result, start.survey_id)
        status = claim.retry_or_fail(result.reason, transient=result.transient)
        log.warning("SMS invitation %s: %s (%s)", start.id, result.reason, status)
        return
    now = utcnow()
    segments = count_segments(opening.body)
    db.session.add(SmsMessage(org_id=start.org_id, phone=start.phone, body=opening.body, purpose="invitation",
                              session_id=opening.session_id, invitation_id=start.id, encoding=segments.encoding,
                              segments=segments.segments, status="sent", due_at=now, attempts=1,
                              provider_message_id=result, provider_status="queued", sent_at=now))
    if claim.finish("sent", sent_at=now, provider_message_id=result, last_error=None):
        record_event(start.org_id, "sent", survey_id=start.survey_id, channel="sms", invitation_id=start.id,
                     data={"encoding": segments.encoding, "segments": segments.segments})


# --- queued messages: replies of a conversation ---------------------------------------------------


@dataclass(frozen=True)
class Outbound:
    """A queued reply, read when its batch is loaded."""

    id: int
    org_id: int
    phone: str
    body: str
    purpose: str


def load_messages(ids: Sequence[int]) -> list[Outbound]:
    """Read claimed outbound messages, oldest first."""
    return [Outbound(m.id, m.org_id, m.phone, m.body, m.purpose) for m in db.session.execute(
        select(SmsMessage).where(SmsMessage.id.in_(ids)).order_by(SmsMessage.id)).scalars()]


def next_in_line(message: Outbound, claim: delivery.Claim) -> Outbound | None:
    """Let a message go once every earlier one to its phone is out; cancel it if the number opted out."""
    earlier = _pending_until(message.org_id, message.phone, before_id=message.id)
    if earlier is not None:
        claim.postpone(earlier)
        return None
    # The confirmation of an opt-out is the one message an opted-out number still gets.
    if message.purpose != "opted_out" and suppressed(message.org_id, "sms", [message.phone]):
        claim.finish("cancelled", last_error="opted_out")
        return None
    return message


def send_message(message: Outbound, sender: TwilioSender | LogSender) -> str | None | SmsError:
    """Send one queued reply."""
    return send_sms(message.phone, message.body, sender)


def record_message(message: Outbound, result: str | None | SmsError, claim: delivery.Claim) -> None:
    """Mark the message sent, or retry or fail it (keeping Twilio's code)."""
    if isinstance(result, SmsError):
        _note_carrier_opt_out(message.org_id, message.phone, result)
        status = claim.retry_or_fail(result.reason, transient=result.transient, error_code=result.code)
        log.warning("SMS message %s: %s (%s)", message.id, result.reason, status)
        return
    claim.finish("sent", sent_at=utcnow(), provider_message_id=result, provider_status="queued", last_error=None)


def _sms(item: object) -> str:
    return "sms"  # both kinds pause together: one Twilio


def record_status(message_sid: str, status: str, error_code: str | None) -> str:
    """Apply a status callback to the outbound message and its invitation, never moving backwards."""
    status = (status or "").lower()
    if status in PASSING_STATUSES:
        return "ignored"
    if status not in PROVIDER_STATUS_ORDER:
        log.warning("SMS status callback for %s with unknown status %r; ignored", message_sid, status)
        return "unknown"
    code = int(error_code) if error_code and error_code.isdecimal() else None
    message = db.session.execute(select(SmsMessage).where(SmsMessage.provider_message_id == message_sid)
                                 .with_for_update()).scalar_one_or_none()
    if message is not None:
        current = PROVIDER_STATUS_ORDER.get(message.provider_status or "queued", 0)
        if current < 3 and PROVIDER_STATUS_ORDER[status] > current:
            message.provider_status = status
            if code:
                message.error_code = code
        if code == 21610 and not suppressed(message.org_id, "sms", [message.phone]):
            suppress(message.org_id, "sms", message.phone, "carrier_opt_out")
    invitation = db.session.execute(select(Invitation).where(
        Invitation.provider_message_id == message_sid, Invitation.channel == "sms").with_for_update()
    ).scalar_one_or_none()
    if invitation is not None:
        target = INVITATION_STATUS[status]
        if target in STATUS_ORDER and invitation.can_move_to(target):
            invitation.status = target
            if target == "delivered":
                invitation.delivered_at = utcnow()
            if target == "failed":
                invitation.last_error = f"{status}: error {code}" if code else status
            if target in ("delivered", "failed"):
                record_event(invitation.org_id, target, survey_id=invitation.survey_id, channel="sms",
                             invitation_id=invitation.id, data={"error_code": code} if code else {})
    if message is None and invitation is None:
        log.info("SMS status %s for unknown message %s; ignored", status, message_sid)
    return status


SMS_KIND = delivery.JobKind(name="sms", model=Invitation, load=load_starts, channel=_sms,
                            prepare=reserve_conversation, connect=open_sender, send=send_opening,
                            record=record_opening, unsent=release_session, batch_size=50,
                            condition=(Invitation.channel == "sms") & Invitation.cascade_id.is_(None),
                            since=QUEUED_SINCE, on_failed=record_invitation_failed)
SMS_MESSAGE_KIND = delivery.JobKind(name="sms_message", model=SmsMessage, load=load_messages, channel=_sms,
                                    prepare=next_in_line, connect=open_sender, send=send_message,
                                    record=record_message, batch_size=50,
                                    condition=SmsMessage.purpose != "invitation", since=SmsMessage.created_at)
