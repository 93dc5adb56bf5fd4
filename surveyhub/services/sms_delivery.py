"""SMS on the delivery engine: invitations start conversations, and queued replies go out in order.

Two job kinds. "sms" claims invitations on the SMS channel: it waits for quiet hours to pass and for
any open conversation with the same phone to end, reserves the conversation (an open session),
then sends the intro and first question. "sms_message" claims queued outbound messages (the replies
the inbound webhook queued, so that the webhook itself never waits on Twilio) and sends them one
after another per phone number.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from channels.sms import SmsError, SmsSettings, count_segments, sender_for

from .. import sms_logic
from .. import survey_logic as logic
from ..extensions import db
from ..i18n import t, ui_locale
from ..models import Invitation, SmsMessage, SmsSession, Survey, SurveyVersion
from ..models.invitation import QUEUED_SINCE
from ..models.types import utcnow
from . import delivery, links
from .events import record_event, record_invitation_failed
from .suppressions import suppress, suppressed
from .surveys import live_version

log = logging.getLogger(__name__)

STATUS_PATH = "/channels/sms/status"


def clock() -> datetime:
    """Return the time quiet hours are judged by (one place, so tests can set the hour)."""
    return utcnow()


def quiet_until(zones: Sequence[str]) -> datetime | None:
    """Return when surveys may next start in all `zones` (sms_logic.quiet_hours_zones), or None if now."""
    return sms_logic.next_window_start(clock(), zones)


def sms_settings() -> SmsSettings:
    """Read the Twilio settings of the current app."""
    config = current_app.config
    return SmsSettings(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], config["TWILIO_FROM"],
                       config["TWILIO_MESSAGING_SERVICE_SID"], config["TWILIO_API_URL"],
                       config["SMS_TIMEOUT_SECONDS"])


def first_message(definition: dict, locale: str, org_name: str) -> str:
    """Write the conversation's opening: the org, the intro, the first question and how to stop."""
    ui = ui_locale(locale)
    intro = logic.localize(definition.get("intro"), locale, definition["default_locale"])
    question = logic.first_question(definition)
    prompt = sms_logic.question_prompt(question, locale, definition["default_locale"], ui)
    head = f"{org_name}: {intro}" if intro else f"{org_name}:"
    return f"{head}\n{prompt}\n{t('sms_stop_hint', ui)}"


def thanks_message(definition: dict, locale: str) -> str:
    """Write the closing message of a completed conversation."""
    thanks = logic.localize(definition.get("thanks"), locale, definition["default_locale"])
    return thanks or t("thanks", ui_locale(locale))


def estimate(definition: dict, locale: str, org_name: str) -> dict:
    """Estimate the segments a survey takes by SMS in one locale, before sending anything.

    `first_message_segments` is the invitation; `survey_segments` adds every question (each asked
    once, as if all were shown) and the thanks. One non-GSM character makes a message UCS-2.
    """
    ui = ui_locale(locale)
    first = count_segments(first_message(definition, locale, org_name))
    rest = [count_segments(sms_logic.question_prompt(q, locale, definition["default_locale"], ui))
            for q in definition["questions"][1:]]
    rest.append(count_segments(thanks_message(definition, locale)))
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


def _fail(kind: delivery.JobKind, row_id: int, worker_id: str, err: SmsError) -> str:
    """Record a send failure: retried when transient, else failed with Twilio's code. Returns the status."""
    if err.transient:
        return delivery.retry_later(kind, row_id, worker_id, err.reason)
    values = {"error_code": err.code} if kind.model is SmsMessage else {}
    delivery.fail(kind, row_id, worker_id, err.reason, **values)
    return "failed"


# --- invitations: start a conversation ------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """What starting one conversation needs, read once per batch (commits expire ORM objects)."""

    id: int
    org_id: int
    survey_id: int
    phone: str
    attempts: int
    org_name: str
    locale: str | None
    zones: tuple[str, ...]  # where quiet hours are judged
    erased: bool

    @classmethod
    def of(cls, invitation: Invitation) -> Start:
        person, org = invitation.respondent, invitation.survey.org
        phone = invitation.address or ""
        return cls(invitation.id, invitation.org_id, invitation.survey_id, phone, invitation.attempts,
                   " ".join(org.name.split()), person.locale if person else None,
                   sms_logic.quiet_hours_zones(phone, person.timezone if person else None, org.timezone),
                   person is None)


def start_conversations(ids: Sequence[int], worker: delivery.Worker) -> None:
    """Start a conversation for each claimed SMS invitation that may start now; postpone the others."""
    starts = [Start.of(i) for i in db.session.execute(
        select(Invitation).where(Invitation.id.in_(ids)).order_by(Invitation.id)
        .options(joinedload(Invitation.respondent), joinedload(Invitation.survey).joinedload(Survey.org))
    ).scalars()]
    versions = {}
    for survey_id in {s.survey_id for s in starts}:
        survey = db.session.get(Survey, survey_id)
        if survey is not None and survey.archived_at is None and survey.latest_version is not None:
            versions[survey_id] = live_version(survey)
    db.session.commit()
    sender = sender_for(sms_settings())
    delivery.each(SMS_KIND, starts, worker,
                  lambda start: _start_one(start, versions.get(start.survey_id), sender, worker),
                  channel=lambda start: "sms")


def _start_one(start: Start, version: SurveyVersion | None, sender, worker: delivery.Worker) -> None:
    reason = None
    if version is None:
        reason = "survey closed"
    elif start.erased:
        reason = "respondent erased"
    elif suppressed(start.org_id, "sms", [start.phone]):
        reason = "opted_out"
    if reason:
        delivery.finish(SMS_KIND, start.id, worker.worker_id, "cancelled", last_error=reason)
        db.session.commit()
        return
    window = quiet_until(start.zones)
    if window is not None:
        delivery.postpone(SMS_KIND, start.id, worker.worker_id, window)
        return
    pending = _pending_until(start.org_id, start.phone)
    if pending is not None:  # what an earlier conversation still has to say goes first
        delivery.postpone(SMS_KIND, start.id, worker.worker_id, pending)
        return
    assert version is not None  # else cancelled above: "survey closed"
    session = _reserve_session(start, version)
    if isinstance(session, datetime):  # another conversation with this phone is open: wait for its end
        delivery.postpone(SMS_KIND, start.id, worker.worker_id, session)
        return
    body = first_message(version.definition, session.locale, start.org_name)
    try:
        sid = sender.send(start.phone, body, links.url(STATUS_PATH))
    except SmsError as err:
        db.session.delete(session)
        if err.connection:  # Twilio can't be reached: the engine pauses SMS and holds the invitation
            db.session.commit()
            raise delivery.Outage(err.reason) from None
        _record_invitation_failure(start, worker, err)
        return
    now = utcnow()
    segments = count_segments(body)
    db.session.add(SmsMessage(org_id=start.org_id, phone=start.phone, body=body, purpose="invitation",
                              session_id=session.id, invitation_id=start.id, encoding=segments.encoding,
                              segments=segments.segments, status="sent", due_at=now, attempts=1,
                              provider_message_id=sid, provider_status="queued", sent_at=now))
    if delivery.finish(SMS_KIND, start.id, worker.worker_id, "sent", sent_at=now, provider_message_id=sid,
                       last_error=None):
        record_event(start.org_id, "sent", survey_id=start.survey_id, channel="sms", invitation_id=start.id,
                     data={"encoding": segments.encoding, "segments": segments.segments})
    db.session.commit()


def _pending_until(org_id: int, phone: str, before_id: int | None = None) -> datetime | None:
    """Return when the latest unsent message to this phone is due (or now), or None if all went out."""
    query = select(SmsMessage.due_at).where(SmsMessage.org_id == org_id, SmsMessage.phone == phone,
                                            SmsMessage.status.in_(("queued", "sending")))
    if before_id is not None:
        query = query.where(SmsMessage.id < before_id)
    due = db.session.execute(query.order_by(SmsMessage.due_at.desc()).limit(1)).scalar_one_or_none()
    return max(due, utcnow()) if due is not None else None


def _reserve_session(start: Start, version: SurveyVersion) -> SmsSession | datetime:
    """Open the phone's session for this invitation (committed), or return when the open one expires."""
    now = utcnow()
    current = db.session.execute(
        select(SmsSession).where(SmsSession.org_id == start.org_id, SmsSession.phone == start.phone,
                                 SmsSession.status == "open")).scalar_one_or_none()
    if current is not None and current.invitation_id != start.id:
        if current.expires_at > now:
            db.session.commit()
            return current.expires_at
        current.status = "expired"
    elif current is not None:  # a retry after a crash between reserving and recording the send
        db.session.delete(current)
        db.session.flush()  # before the new session's insert, which the unit of work would put first
    definition = version.definition
    locale = logic.pick_locale(definition, start.locale)
    session = SmsSession(org_id=start.org_id, phone=start.phone, invitation_id=start.id,
                         survey_version_id=version.id, locale=locale,
                         question_id=logic.first_question(definition)["id"], reasks=0, status="open",
                         expires_at=now + timedelta(hours=logic.setting(definition, "sms_session_ttl_hours")))
    db.session.add(session)
    try:
        db.session.commit()
    except IntegrityError:  # another worker opened one for this phone just now
        db.session.rollback()
        return now + timedelta(minutes=1)
    return session


def _record_invitation_failure(start: Start, worker: delivery.Worker, err: SmsError) -> None:
    if err.opted_out and not suppressed(start.org_id, "sms", [start.phone]):
        suppress(start.org_id, "sms", start.phone, "carrier_opt_out", survey_id=start.survey_id)
    status = _fail(SMS_KIND, start.id, worker.worker_id, err)
    log.warning("SMS invitation %s: %s (%s)", start.id, err.reason, status)
    db.session.commit()


# --- queued messages: replies of a conversation ---------------------------------------------------


@dataclass(frozen=True)
class Outbound:
    id: int
    org_id: int
    phone: str
    body: str
    purpose: str
    attempts: int


def send_messages(ids: Sequence[int], worker: delivery.Worker) -> None:
    """Send claimed outbound messages, oldest first; a message waits while an earlier one to its phone is unsent."""
    messages = [Outbound(m.id, m.org_id, m.phone, m.body, m.purpose, m.attempts) for m in db.session.execute(
        select(SmsMessage).where(SmsMessage.id.in_(ids)).order_by(SmsMessage.id)).scalars()]
    db.session.commit()
    sender = sender_for(sms_settings())
    delivery.each(SMS_MESSAGE_KIND, messages, worker, lambda message: _send_message(message, sender, worker),
                  channel=lambda message: "sms")


def _send_message(message: Outbound, sender, worker: delivery.Worker) -> None:
    earlier = _pending_until(message.org_id, message.phone, before_id=message.id)
    if earlier is not None:
        delivery.postpone(SMS_MESSAGE_KIND, message.id, worker.worker_id, earlier)
        return
    # The confirmation of an opt-out is the one message an opted-out number still gets.
    if message.purpose != "opted_out" and suppressed(message.org_id, "sms", [message.phone]):
        delivery.finish(SMS_MESSAGE_KIND, message.id, worker.worker_id, "cancelled", last_error="opted_out")
        db.session.commit()
        return
    db.session.commit()
    try:
        sid = sender.send(message.phone, message.body, links.url(STATUS_PATH))
    except SmsError as err:
        if err.connection:  # Twilio can't be reached: the engine pauses SMS and holds the message
            raise delivery.Outage(err.reason) from None
        if err.opted_out and not suppressed(message.org_id, "sms", [message.phone]):
            suppress(message.org_id, "sms", message.phone, "carrier_opt_out")
        status = _fail(SMS_MESSAGE_KIND, message.id, worker.worker_id, err)
        log.warning("SMS message %s: %s (%s)", message.id, err.reason, status)
        db.session.commit()
        return
    delivery.finish(SMS_MESSAGE_KIND, message.id, worker.worker_id, "sent", sent_at=utcnow(),
                    provider_message_id=sid, provider_status="queued", last_error=None)
    db.session.commit()


SMS_KIND = delivery.JobKind(name="sms", model=Invitation, process=start_conversations, batch_size=50,
                            condition=Invitation.channel == "sms", since=QUEUED_SINCE,
                            on_failed=record_invitation_failed)
SMS_MESSAGE_KIND = delivery.JobKind(name="sms_message", model=SmsMessage, process=send_messages, batch_size=50,
                                    condition=SmsMessage.purpose != "invitation", since=SmsMessage.created_at)
