"""Inbound SMS conversations: keywords, answers through the response engine, replies queued.

Each inbound message is one transaction. It locks the phone's open session first, so two messages
from one phone are taken one after the other, then inserts its MessageSid (unique) with what the
message is taken as: a retry of the same message, even one racing the original, waits for it (on
the session or the unique index) and then changes nothing. Replies are queued
(sms_delivery.queue_message), never sent here.
"""

from __future__ import annotations

import functools
import logging

import phonenumbers
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from ..accounts.surveys import live_version
from ..delivery import cascades
from ..delivery.sms import queue_message, wake_waiting
from ..delivery.suppressions import suppress, suppressed
from ..errors import DomainError
from ..events import record_event
from ..extensions import db, rowcount
from ..i18n import translations
from ..models import Invitation, Org, SmsInbound, SmsMessage, SmsSession, Suppression, SurveyVersion
from ..models.types import utcnow
from ..models.upsert import insert_for
from ..rules import sms as sms_logic
from ..rules import survey as logic
from . import answers as responses

log = logging.getLogger(__name__)

# A reply that doesn't fit is asked again at most this many times.
MAX_REASKS = 2


def e164(phone: str) -> str:
    """Return Twilio's From number in E.164 (it already is; this guards against stray formatting)."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(phone, None), phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return phone.strip()


def receive(message_sid: str, from_phone: str, body: str, opt_out_type: str | None = None) -> str:
    """Take one inbound message; return what it was taken as ("duplicate", "answer", "stop", …)."""
    phone = e164(from_phone)
    # Locked first: two messages from one phone, or Twilio's retry racing the original, take turns.
    session = db.session.execute(
        select(SmsSession).where(SmsSession.phone == phone, SmsSession.status == "open")
        .order_by(SmsSession.updated_at.desc()).limit(1).with_for_update()).scalar_one_or_none()
    org_id = session.org_id if session else _last_org(phone)
    word = sms_logic.keyword(body, opt_out_type)
    if word is not None:
        outcome = word if org_id is not None else f"{word}_unknown"
    elif session is None:
        outcome = "no_session"
    elif session.expires_at <= utcnow():
        outcome = "expired"
    else:
        outcome = "conversation"
    # A MessageSid taken before (or by a racing retry, which the unique index makes wait for the
    # original's commit) inserts nothing: the message is a duplicate and changes nothing.
    inserted = db.session.execute(
        _inbound_insert(db.session.get_bind().dialect.name),
        {"message_sid": message_sid, "phone": phone, "body": body, "outcome": outcome, "received_at": utcnow(),
         "org_id": org_id, "session_id": session.id if session else None},
    ).scalar_one_or_none()
    if inserted is None:
        return "duplicate"
    if outcome == "conversation" and session is not None:
        return _converse(session, body)
    if word is not None and org_id is not None:
        _keyword(word, body, phone, org_id, session, confirm=not opt_out_type)
    elif word is not None:
        log.info("SMS keyword %s from a number no org has texted; nothing to record", word)
    elif outcome == "expired" and session is not None:
        queue_message(session.org_id, phone, translations(session.locale).pgettext("sms", "This survey is closed."),
                      "expired", session.id)
        _close(session, "expired")
    return outcome


@functools.cache
def _inbound_insert(dialect_name: str):
    """Record an inbound message unless its MessageSid is known (then nothing, and no id returned)."""
    table = SmsInbound.__table__
    return insert_for(dialect_name)(table).on_conflict_do_nothing(index_elements=["message_sid"]).returning(table.c.id)


def _last_org(phone: str) -> int | None:
    """The org that last texted this phone (who a STOP without an open conversation is meant for)."""
    return db.session.execute(select(SmsMessage.org_id).where(SmsMessage.phone == phone)
                              .order_by(SmsMessage.id.desc()).limit(1)).scalar_one_or_none()


def _org_name(org_id: int) -> str:
    return " ".join(db.session.get_one(Org, org_id).name.split())


def _locale_of(phone: str, org_id: int, session: SmsSession | None) -> str | None:
    """The locale this phone's conversations with the org are in: this one's, else the last one's."""
    if session is not None:
        return session.locale
    last = db.session.execute(select(SmsSession.locale).where(SmsSession.org_id == org_id, SmsSession.phone == phone)
                              .order_by(SmsSession.id.desc()).limit(1)).scalar_one_or_none()
    return last


def _keyword(word: str, body: str, phone: str, org_id: int, session: SmsSession | None, confirm: bool) -> None:
    """Opt out, opt back in or help. With Twilio's OptOutType, Twilio has answered already: don't confirm."""
    words = translations(_locale_of(phone, org_id, session))
    if word == "help":
        if confirm:
            queue_message(org_id, phone, words.pgettext(
                "sms", "{org} exit survey. Reply STOP to opt out, START to opt back in.").format(org=_org_name(org_id)),
                "help")
        return
    if word == "start":
        removed = rowcount(delete(Suppression).where(
            Suppression.org_id == org_id, Suppression.channel == "sms", Suppression.address == phone))
        if removed:
            record_event(org_id, "opted_in", channel="sms")
            if confirm:
                queue_message(org_id, phone, words.pgettext(
                    "sms", "{org}: you can get messages from us again. Reply STOP to opt out.").format(
                    org=_org_name(org_id)), "opted_in")
        return
    # STOPALL: every org that has texted this number; the other words: the org of this conversation.
    orgs = [org_id]
    if sms_logic.normalize(body).upper().strip(" .!") == "STOPALL":
        orgs += [o for o in db.session.execute(select(SmsMessage.org_id).where(SmsMessage.phone == phone)
                                               .distinct()).scalars() if o != org_id]
    for org in orgs:
        _opt_out(org, phone, _locale_of(phone, org, session if org == org_id else None), confirm)


def _opt_out(org_id: int, phone: str, locale: str | None, confirm: bool) -> None:
    """Record one org's opt-out: close the conversation, cancel what was waiting, confirm once."""
    open_session = db.session.execute(select(SmsSession).where(
        SmsSession.org_id == org_id, SmsSession.phone == phone, SmsSession.status == "open")).scalar_one_or_none()
    if open_session is not None:
        open_session.status = "opted_out"
        open_session.question_id = None
    db.session.execute(update(SmsMessage).where(
        SmsMessage.org_id == org_id, SmsMessage.phone == phone, SmsMessage.status == "queued")
        .values(status="cancelled", last_error="opted_out").execution_options(synchronize_session=False))
    db.session.execute(update(Invitation).where(
        Invitation.org_id == org_id, Invitation.channel == "sms", Invitation.address == phone,
        Invitation.status == "queued", Invitation.cascade_id.is_(None))
        .values(status="cancelled", last_error="opted_out").execution_options(synchronize_session=False))
    if suppressed(org_id, "sms", [phone]):
        return  # already opted out: confirmed then, not again
    if confirm:
        queue_message(org_id, phone, translations(locale).pgettext(
            "sms", "{org}: you will get no more messages from us. Reply START to opt back in.").format(
            org=_org_name(org_id)), "opted_out")
    suppress(org_id, "sms", phone, "opted_out")  # with the "opted_out" event
    cascades.cancel_sms_steps(org_id, phone)


def _close(session: SmsSession, status: str) -> None:
    session.status = status
    session.question_id = None
    wake_waiting(session.org_id, session.phone)


def _converse(session: SmsSession, body: str) -> str:
    """Take a reply to the question asked: save it and ask the next, or ask again with a hint."""
    response = responses.lock_response(session.response_id) if session.response_id else None
    invitation: Invitation | None = None
    version: SurveyVersion | None = None
    if response is None:  # the first answer: the response is made on the version the first message asked from
        # With its survey and person in the same statement: the response is made from them.
        invitation = db.session.get_one(Invitation, session.invitation_id,
                                        options=[joinedload(Invitation.survey), joinedload(Invitation.respondent)])
        version = (db.session.get_one(SurveyVersion, session.survey_version_id) if session.survey_version_id
                   else live_version(invitation.survey))
        definition = version.definition
    else:
        definition = response.version.definition
    default = definition["default_locale"]
    words = translations(session.locale)
    answers = response.answer_values() if response else {}
    skipped = response.meta.get("skipped", []) if response else []
    question = logic.questions_by_id(definition).get(session.question_id) if session.question_id else None
    if question is None:  # the survey changed under the conversation: nothing left to ask
        _close(session, "partial")
        return "ended"
    reply = sms_logic.read_reply(question, body, session.locale, default)
    if reply.kind == "skip" and logic.is_required(question):
        reply = sms_logic.INVALID
    clean = None
    if reply.kind == "answer":
        try:
            clean = logic.check_answer(definition, answers, question["id"], reply.value, reply.other_text)
        except logic.AnswerError:
            reply = sms_logic.INVALID
    if reply.kind == "invalid":
        if session.reasks < MAX_REASKS:
            session.reasks += 1
            prompt = sms_logic.question_prompt(question, session.locale, default)
            reask = words.pgettext("sms", "Sorry, we didn't get that.")
            queue_message(session.org_id, session.phone, f"{reask}\n{prompt}", "reask", session.id)
            return "reask"
        if logic.is_required(question):
            ended = words.pgettext("sms", "Thanks for your time, we'll stop here.")
            queue_message(session.org_id, session.phone, ended, "ended", session.id)
            _close(session, "partial")
            return "ended"
        reply = sms_logic.Reply("skip")
    if response is None:
        assert invitation is not None  # read above for the first answer
        response = responses.start_response(invitation.survey, "sms", respondent=invitation.respondent,
                                            invitation=invitation, version=version)
        session.response_id = response.id
    if reply.kind == "skip":
        skipped = [*skipped, question["id"]]
    else:
        answers = {**answers, question["id"]: reply.value}
    following = logic.next_question(definition, answers, skipped)
    session.reasks = 0
    session.question_id = following["id"] if following else None
    if following is not None:
        queue_message(session.org_id, session.phone,
                      sms_logic.question_prompt(following, session.locale, default), "question", session.id)
    else:
        queue_message(session.org_id, session.phone, sms_logic.thanks_message(definition, session.locale), "thanks",
                      session.id)
        _close(session, "completed")
    # The answer (and the completion) is one transaction with the session, the inbound record and the
    # reply; the answer was checked above. The response is locked since lock_response() or start_response().
    try:
        if clean is None:  # a skip
            responses.skip_checked_question(response, question["id"], complete=following is None)
        else:
            responses.save_checked_answer(response, clean, complete=following is None)
    except DomainError:
        log.exception("SMS session %s: the response engine refused a checked answer", session.id)
        raise
    return "skipped" if reply.kind == "skip" else "answer"
