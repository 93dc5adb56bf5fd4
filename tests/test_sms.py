"""Two-way SMS surveys: real twilio client against a local stand-in, signed webhooks, both databases."""
# ruff: noqa: E501 - translated survey texts (wide scripts count double)

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from channels.sms import count_segments
from surveyhub.delivery import sms as sms_delivery
from surveyhub.extensions import db
from surveyhub.models import Event, Invitation, Org, Response, SmsInbound, SmsMessage, SmsSession, Suppression
from surveyhub.models.types import utcnow
from tests.helpers import count, survey_definition

AMY = "+60123456789"
BOB = "+6281234567890"
_sids = itertools.count(1)

# 11:00 in Jakarta, 12:00 in Kuala Lumpur, 13:00 in Jayapura: daytime for both numbers above.
MIDDAY = datetime(2026, 1, 15, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    """Quiet hours are judged by a clock the tests set: MIDDAY unless a test moves it."""
    now = {"value": MIDDAY}
    monkeypatch.setattr(sms_delivery, "clock", lambda: now["value"])
    return now


@pytest.fixture
def sms_invite(api):
    def send(survey_id: int, *recipients: dict, expect: int = 202) -> dict:
        r = api.post(f"/api/v1/surveys/{survey_id}/invitations",
                     json={"channel": "sms", "recipients": list(recipients)})
        assert r.status_code == expect, r.get_json()
        return r.get_json()

    return send


@pytest.fixture
def reply(twilio_post):
    def send(phone: str, body: str, sid: str | None = None, **extra):
        r = twilio_post("/channels/sms/inbound", {"MessageSid": sid or f"SMin{next(_sids)}", "From": phone,
                                                   "To": "+15005550006", "Body": body, **extra})
        assert r.status_code == 200, r.get_data(as_text=True)
        assert r.mimetype == "text/xml"
        return r

    return send


@pytest.fixture
def converse(reply, run_worker, twilio):
    """Send a reply, let the worker send what it queued, return the new texts to that phone."""

    def say(phone: str, body: str, **extra) -> list[str]:
        before = len(twilio.bodies_to(phone))
        reply(phone, body, **extra)
        run_worker()
        return twilio.bodies_to(phone)[before:]

    return say


def localized_survey(**overrides) -> dict:
    definition = survey_definition(**overrides)
    definition["intro"] = {"en": "Sorry to see you go.", "ms": "Kami sedih anda pergi.", "zh": "很遗憾您要离开。"}
    definition["thanks"] = {"en": "Thank you for telling us.", "ms": "Terima kasih.", "zh": "谢谢您的反馈。"}
    q = {question["id"]: question for question in definition["questions"]}
    q["reason"]["text"] = {"en": "Main reason for cancelling?", "ms": "Sebab utama membatalkan?", "zh": "取消的主要原因？"}
    q["reason"]["choices"][0]["label"] = {"en": "Too expensive", "ms": "Terlalu mahal", "zh": "太贵"}
    q["reason"]["choices"][1]["label"] = {"en": "Missing features", "ms": "Ciri tidak cukup", "zh": "缺少功能"}
    q["satisfaction"]["text"] = {"en": "How satisfied were you?", "ms": "Sejauh mana anda berpuas hati?",
                                 "zh": "您的满意度如何？"}
    q["nps"]["text"] = {"en": "How likely are you to recommend us?", "ms": "Adakah anda akan mengesyorkan kami?",
                        "zh": "您向朋友推荐我们的可能性有多大？"}
    q["come_back"]["text"] = {"en": "Would you use us again?", "ms": "Adakah anda akan kembali?", "zh": "您还会再用我们吗？"}
    q["why_not"]["text"] = {"en": "If not, why not?", "ms": "Jika tidak, kenapa?", "zh": "如果不会，为什么？"}
    return definition


def published(make_survey, **overrides) -> dict:
    return make_survey(**{k: v for k, v in localized_survey(**overrides).items() if k not in ("slug",)},
                       slug=overrides.get("slug", "cancel-flow"))


def response_of(app, phone: str) -> Response | None:
    with app.app_context():
        session = db.session.execute(select(SmsSession).where(SmsSession.phone == phone)
                                     .order_by(SmsSession.id.desc())).scalars().first()
        if session is None or session.response_id is None:
            return None
        response = db.session.get(Response, session.response_id)
        response.answer_values()
        return response


def session_of(app, phone: str) -> SmsSession:
    with app.app_context():
        return db.session.execute(select(SmsSession).where(SmsSession.phone == phone)
                                  .order_by(SmsSession.id.desc())).scalars().first()


# --- conversations ---------------------------------------------------------------------------------


def test_full_conversation_in_english(app, db, make_survey, sms_invite, run_worker, twilio, converse):
    survey = published(make_survey)
    queued = sms_invite(survey["id"], {"phone": AMY, "external_id": "c1"})["queued"]
    assert queued[0]["recipient"]["phone"] == AMY and queued[0]["sms"]["encoding"] == "GSM-7"
    assert run_worker() == 1
    [first] = twilio.messages
    assert first.to == AMY and first.form["From"] == "+15005550006"
    assert first.path.endswith("/Messages.json") and first.auth.startswith("Basic ")
    assert first.form["StatusCallback"] == "http://surveys.test/channels/sms/status"
    assert first.body.startswith("Acme: Sorry to see you go.\nMain reason for cancelling?\n1 Too expensive\n")
    assert "3 Other" in first.body and "Reply STOP to opt out." in first.body
    assert converse(AMY, "2")[0].startswith("How satisfied were you?\nReply 1-7 (1 = Very dissatisfied")
    assert converse(AMY, "6/7")[0].startswith("How likely are you to recommend us?\nReply 0-10")
    assert converse(AMY, "10!") == ["Would you use us again?\nReply YES or NO."]
    assert converse(AMY, "No") == ["If not, why not?\nReply with your answer.\nReply SKIP to skip."]
    assert converse(AMY, "Too pricey for us") == ["Thank you for telling us."]
    response = response_of(app, AMY)
    assert response.status == "completed" and response.channel == "sms"
    assert response.answer_values() == {"reason": "features", "satisfaction": 6, "nps": 10, "come_back": False,
                                        "why_not": "Too pricey for us"}
    assert session_of(app, AMY).status == "completed"
    invitation = db.execute(select(Invitation)).scalar_one()
    assert invitation.status == "sent" and invitation.provider_message_id.startswith("SM")
    kinds = db.execute(select(SmsMessage.purpose, SmsMessage.encoding, SmsMessage.segments,
                              SmsMessage.status).order_by(SmsMessage.id)).all()
    assert [k[0] for k in kinds] == ["invitation", "question", "question", "question", "question", "thanks"]
    assert all(k[1] == "GSM-7" and k[2] >= 1 and k[3] == "sent" for k in kinds)


def test_no_transaction_is_open_while_twilio_is_called(db, make_survey, sms_invite, run_worker, twilio, converse):
    """The worker reads what a message needs first and talks to Twilio after: no transaction (on SQLite, no write
    lock) is held while a first message or a reply goes out."""
    from sqlalchemy import event

    open_transactions: set = set()
    seen: list[int] = []
    twilio.on_request = lambda: seen.append(len(open_transactions))
    engine = db.engine
    listeners = {"begin": open_transactions.add, "commit": open_transactions.discard,
                 "rollback": open_transactions.discard}
    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    try:
        survey = published(make_survey)
        sms_invite(survey["id"], {"phone": AMY}, {"phone": BOB})
        run_worker()
        converse(AMY, "1")
    finally:
        for name, listener in listeners.items():
            event.remove(engine, name, listener)
    assert len(seen) == 3 and seen == [0, 0, 0]  # two first messages and one reply


def test_a_national_number_needs_the_orgs_default_region(make_survey, sms_invite):
    survey = published(make_survey)
    body = sms_invite(survey["id"], {"phone": "012-345 6789", "locale": "ms-MY"})
    assert body["refused"][0]["reason"] == "invalid_phone" and body["queued"] == []


def test_invite_command_by_sms(db, api, runner, make_survey, run_worker, twilio, tmp_path):
    survey = published(make_survey)
    assert runner.invoke(args=["org", "settings", str(api.org_id), "--region", "MY"]).exit_code == 0
    path = tmp_path / "leavers.csv"
    path.write_text("external_id,phone,locale,timezone,plan\n"
                    "c1,012-345 6789,ms,Asia/Kuala_Lumpur,pro\n"
                    f"c2,{BOB},zh,Asia/Jakarta,free\n"
                    "c3,12345,,,\n"
                    "c4,+60 12-345 6789,,,\n", encoding="utf-8")
    result = runner.invoke(args=["invite", str(survey["id"]), "--channel", "sms", "--csv", str(path)])
    assert result.exit_code == 0, result.output
    assert "Queued 2 invitations; refused 2." in result.output
    assert "Estimated SMS segments, every question asked once: " in result.output
    assert "1 of them go as UCS-2" in result.output and "很" in result.output
    refused = (tmp_path / "leavers.refused.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[0] + ":" + line.split(",")[-1] for line in refused[1:]] == [
        "c3:invalid_phone", "c4:duplicate"]
    invited = db.execute(select(Invitation.address, Invitation.channel).order_by(Invitation.id)).all()
    assert invited == [(AMY, "sms"), (BOB, "sms")]
    assert run_worker() == 2
    assert twilio.bodies_to(AMY)[0].startswith("Acme: Kami sedih anda pergi.\nSebab utama membatalkan?")
    assert twilio.bodies_to(BOB)[0].startswith("Acme: 很遗憾您要离开。\n取消的主要原因？")


def test_a_conversation_keeps_to_the_version_its_first_message_asked_from(app, api, make_survey, sms_invite,
                                                                         run_worker, twilio, converse):
    survey = published(make_survey)
    sms_invite(survey["id"], {"phone": AMY})
    run_worker()
    assert "Main reason for cancelling?" in twilio.bodies_to(AMY)[0]
    # Published again before the first answer, with other questions: the conversation keeps to version 1.
    edited = survey_definition(questions=[{"id": "plan", "type": "yes_no", "text": "Were you on a paid plan?"}],
                               offers=[])
    assert api.put(f"/api/v1/surveys/{survey['id']}", json=edited).status_code == 200
    assert api.post(f"/api/v1/surveys/{survey['id']}/publish").get_json()["version"] == 2
    assert converse(AMY, "2")[0].startswith("How satisfied were you?")
    response = response_of(app, AMY)
    assert response.version.number == 1 and response.answer_values() == {"reason": "features"}
    assert session_of(app, AMY).survey_version_id == response.survey_version_id


def test_conversation_in_malay(app, db, api, make_survey, sms_invite, run_worker, twilio, converse):
    org = db.session.get(Org, api.org_id)
    org.settings = {"default_region": "MY"}
    db.session.commit()
    survey = published(make_survey)
    body = sms_invite(survey["id"], {"phone": "012-345 6789", "locale": "ms-MY"})
    assert body["queued"][0]["recipient"]["phone"] == AMY
    run_worker()
    first = twilio.bodies_to(AMY)[0]
    assert first.startswith("Acme: Kami sedih anda pergi.\nSebab utama membatalkan?\n1 Terlalu mahal")
    assert "Balas dengan nombor jawapan anda." in first
    assert converse(AMY, "terlalu mahal")[0].startswith("Sejauh mana anda berpuas hati?")
    assert converse(AMY, "5")[0].startswith("Adakah anda akan mengesyorkan kami?")
    assert converse(AMY, "tujuh")[0].startswith("Maaf, kami tidak faham.\nAdakah anda akan mengesyorkan kami?")
    assert converse(AMY, "7") == ["Adakah anda akan kembali?\nBalas YA atau TIDAK."]
    assert converse(AMY, "tak") == ["Jika tidak, kenapa?\nBalas dengan jawapan anda.\nBalas LANGKAU untuk melangkau."]
    assert converse(AMY, "LANGKAU") == ["Terima kasih."]
    response = response_of(app, AMY)
    assert response.status == "completed"
    assert response.answer_values() == {"reason": "price", "satisfaction": 5, "nps": 7, "come_back": False}
    assert response.meta["skipped"] == ["why_not"]


def test_conversation_in_chinese_is_ucs2(app, db, make_survey, sms_invite, run_worker, twilio, converse):
    survey = published(make_survey)
    queued = sms_invite(survey["id"], {"phone": BOB, "locale": "zh-CN"})["queued"]
    estimate = queued[0]["sms"]
    assert estimate["encoding"] == "UCS-2" and "遗" in estimate["non_gsm_characters"]
    assert estimate["survey_segments"] > estimate["first_message_segments"] >= 1
    run_worker()
    assert twilio.bodies_to(BOB)[0].startswith("Acme: 很遗憾您要离开。\n取消的主要原因？\n1 太贵\n2 缺少功能\n3 其他")
    assert converse(BOB, "3 价格太高")[0].startswith("您的满意度如何？")
    assert converse(BOB, "７")[0].startswith("您向朋友推荐我们的可能性有多大？")  # a full-width digit
    assert converse(BOB, "９／１０")[0].startswith("您还会再用我们吗？")
    assert converse(BOB, "是") == ["谢谢您的反馈。"]
    response = response_of(app, BOB)
    assert response.status == "completed"
    assert response.answer_values() == {"reason": "other", "satisfaction": 7, "nps": 9, "come_back": True}
    assert response.answers[0].other_text == "价格太高"
    encodings = set(db.execute(select(SmsMessage.encoding)).scalars())
    assert encodings == {"UCS-2"}


def test_multiple_choice_numbers(app, make_survey, sms_invite, run_worker, twilio, converse):
    definition = localized_survey()
    definition["questions"][0]["multiple"] = True
    survey = make_survey(**definition)
    sms_invite(survey["id"], {"phone": AMY})
    run_worker()
    assert "Reply with one or more numbers, e.g. 1,3." in twilio.bodies_to(AMY)[0]
    converse(AMY, "1,2")
    assert response_of(app, AMY).answer_values() == {"reason": ["price", "features"]}


def test_reasked_twice_then_required_question_ends_partial(app, make_survey, sms_invite, run_worker, converse):
    survey = published(make_survey)
    sms_invite(survey["id"], {"phone": AMY})
    run_worker()
    converse(AMY, "1")
    for _ in range(2):
        assert converse(AMY, "very")[0].startswith("Sorry, we didn't get that.\nHow satisfied were you?")
    assert converse(AMY, "very!") == ["Thanks for your time, we'll stop here."]
    session = session_of(app, AMY)
    assert session.status == "partial" and session.reasks == 2
    response = response_of(app, AMY)
    assert response.status == "partial" and response.answer_values() == {"reason": "price"}
    assert converse(AMY, "7") == []  # nothing open any more


def test_optional_question_skipped_after_two_reasks(app, make_survey, sms_invite, run_worker, converse):
    survey = make_survey(offers=[], questions=[
        {"id": "why", "type": "open", "text": "Why?", "required": False, "max_length": 5},
        {"id": "nps", "type": "nps", "text": "Recommend us?"}])
    sms_invite(survey["id"], {"phone": AMY})
    run_worker()
    for _ in range(2):
        assert converse(AMY, "far too long")[0].startswith("Sorry")  # over max_length: doesn't fit
    assert converse(AMY, "far too long")[0].startswith("Recommend us?")  # third time: skipped
    assert converse(AMY, "8") == ["Thank you for telling us."]
    assert response_of(app, AMY).answer_values() == {"nps": 8}


# --- keywords --------------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["STOP", "stopall", "Unsubscribe", "END", "quit", "CANCEL", "revoke", "OptOut"])
def test_stop_words_opt_out_once(app, db, api, make_survey, sms_invite, run_worker, twilio, converse, word):
    survey = published(make_survey)
    sms_invite(survey["id"], {"phone": AMY})
    run_worker()
    assert converse(AMY, f" {word} ") == ["Acme: you will get no more messages from us. Reply START to opt back in."]
    assert converse(AMY, "STOP") == []  # confirmed once
    assert db.execute(select(Suppression.address, Suppression.channel)).all() == [(AMY, "sms")]
    assert count(app, Event, Event.type == "opted_out") == 1
    assert session_of(app, AMY).status == "opted_out"
    again = published(make_survey, slug="again")
    assert sms_invite(again["id"], {"phone": AMY})["refused"][0]["reason"] == "opted_out"
    assert converse(AMY, "9") == []  # never texted again


@pytest.mark.parametrize("word", ["START", "unstop"])
def test_start_words_opt_back_in(app, make_survey, sms_invite, run_worker, converse, word, no_contact_cap):
    survey = published(make_survey)
    sms_invite(survey["id"], {"phone": AMY})
    run_worker()
    converse(AMY, "STOP")
    assert converse(AMY, word) == ["Acme: you can get messages from us again. Reply STOP to opt out."]
    assert count(app, Suppression) == 0 and count(app, Event, Event.type == "opted_in") == 1
    again = published(make_survey, slug="again")
    assert len(sms_invite(again["id"], {"phone": AMY})["queued"]) == 1


def test_help(app, make_survey, sms_invite, run_worker, converse):
    survey = published(make_survey)
    sms_invite(survey["id"], {"phone": AMY})
    run_worker()
    assert converse(AMY, "help") == ["Acme exit survey. Reply STOP to opt out, START to opt back in."]
    assert session_of(app, AMY).status == "open"  # HELP changes nothing


def test_twilio_opt_out_type_is_honoured_without_a_second_confirmation(app, make_survey, sms_invite, run_worker,
                                                                        converse):
    survey = published(make_survey)
    sms_invite(survey["id"], {"phone": AMY})
    run_worker()
    assert converse(AMY, "ARRET", OptOutType="STOP") == []  # Twilio's Advanced Opt-Out answered already
    assert count(app, Suppression) == 1 and session_of(app, AMY).status == "opted_out"


# --- webhooks: signatures and idempotency ----------------------------------------------------------


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl", "wrong-url"])
def test_unsigned_or_wrongly_signed_webhooks_are_refused(app, twilio, twilio_post, row_counts, signature, make_survey,
                                                         sms_invite, run_worker):
    from twilio.request_validator import RequestValidator

    from tests.helpers import TWILIO_TOKEN
    survey = published(make_survey)
    sms_invite(survey["id"], {"phone": AMY})
    run_worker()
    before = row_counts()
    form = {"MessageSid": "SMx", "From": AMY, "Body": "STOP"}
    if signature == "wrong-url":
        signature = RequestValidator(TWILIO_TOKEN).compute_signature("http://127.0.0.1/channels/sms/inbound", form)
    for path in ("/channels/sms/inbound", "/channels/sms/status"):
        r = twilio_post(path, {**form, "MessageStatus": "delivered"}, signature=signature)
        assert r.status_code == 403 and r.get_json()["error"]["code"]
    assert row_counts() == before


def test_a_tampered_body_is_refused(app, twilio, twilio_post, client, row_counts):
    from twilio.request_validator import RequestValidator

    from tests.helpers import TWILIO_TOKEN
    signed = RequestValidator(TWILIO_TOKEN).compute_signature(
        "http://surveys.test/channels/sms/inbound", {"MessageSid": "SMx", "From": AMY, "Body": "9"})
    before = row_counts()
    r = client.post("/channels/sms/inbound", data={"MessageSid": "SMx", "From": AMY, "Body": "STOP"},
                    headers={"X-Twilio-Signature": signed})
    assert r.status_code == 403 and row_counts() == before


def test_the_same_message_sid_twice_changes_nothing(app, make_survey, sms_invite, run_worker, twilio, reply):
    survey = published(make_survey)
    sms_invite(survey["id"], {"phone": AMY})
    run_worker()
    reply(AMY, "1", sid="SMsame")
    reply(AMY, "2", sid="SMsame")  # Twilio's retry (a different body would be a bug on its side; still ignored)
    run_worker()
    assert len(twilio.bodies_to(AMY)) == 2
    assert response_of(app, AMY).answer_values() == {"reason": "price"}
    assert count(app, SmsInbound) == 1


def test_the_same_message_sid_from_two_threads_at_once(app, make_survey, sms_invite, run_worker, twilio,
                                                       twilio_post):
    survey = published(make_survey)
    sms_invite(survey["id"], {"phone": AMY})
    run_worker()
    barrier = threading.Barrier(2)
    statuses = []

    def deliver():
        barrier.wait(timeout=10)
        r = twilio_post("/channels/sms/inbound", {"MessageSid": "SMrace", "From": AMY, "Body": "1"},
                        flask_client=app.test_client())
        statuses.append(r.status_code)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [200, 200]
    run_worker()
    assert response_of(app, AMY).answer_values() == {"reason": "price"}
    assert count(app, SmsMessage, SmsMessage.purpose == "question") == 1
    assert len(twilio.bodies_to(AMY)) == 2
    assert count(app, Event, Event.type == "responded") == 1


def test_replies_go_out_in_order(app, make_survey, sms_invite, run_worker, twilio, reply):
    survey = published(make_survey)
    sms_invite(survey["id"], {"phone": AMY})
    run_worker()
    reply(AMY, "what?")
    reply(AMY, "1")
    reply(AMY, "6")
    twilio.script = [(503, 20500)]  # the first reply fails once: the others must wait for it
    run_worker()
    bodies = twilio.bodies_to(AMY)[1:]
    assert [b.split("\n")[0] for b in bodies] == ["Sorry, we didn't get that.", "How satisfied were you?",
                                                  "How likely are you to recommend us?"]


# --- sessions --------------------------------------------------------------------------------------


def test_an_expired_session_takes_no_answer_and_lets_the_next_survey_start(app, db, make_survey, sms_invite, run_worker,
                                                                          twilio, converse, no_contact_cap):
    first = published(make_survey)
    second = published(make_survey, slug="second")
    sms_invite(first["id"], {"phone": AMY})
    run_worker()
    sms_invite(second["id"], {"phone": AMY})
    run_worker()
    assert len(twilio.bodies_to(AMY)) == 1  # the second waits for the first conversation to end
    waiting = db.execute(select(Invitation).where(Invitation.survey_id == second["id"])).scalar_one()
    assert waiting.status == "queued" and waiting.due_at > utcnow() + timedelta(hours=71)
    db.session.execute(update(SmsSession).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    texts = converse(AMY, "1")
    assert texts[0] == "This survey is closed."
    assert texts[1].startswith("Acme: Sorry to see you go.")  # the waiting survey started
    assert response_of(app, AMY) is None  # the late answer went nowhere; the new session has no answer yet
    assert [s.status for s in db.execute(select(SmsSession).order_by(SmsSession.id)).scalars()] == [
        "expired", "open"]


def test_session_ttl_comes_from_the_survey_settings(app, make_survey, sms_invite, run_worker):
    survey = published(make_survey, settings={"sms_session_ttl_hours": 2})
    sms_invite(survey["id"], {"phone": AMY})
    run_worker()
    session = session_of(app, AMY)
    assert timedelta(hours=1) < session.expires_at - utcnow() <= timedelta(hours=2)


# --- quiet hours -----------------------------------------------------------------------------------


def test_quiet_hours_hold_invitations_until_the_window(db, api, make_survey, sms_invite, run_worker, twilio,
                                                       daytime):
    assert api.client.patch("/api/v1/org", json={"timezone": "Asia/Kuala_Lumpur"},
                            headers={"Authorization": f"Bearer {api.key}"}).status_code == 200
    survey = published(make_survey)
    daytime["value"] = datetime(2026, 1, 15, 14, 30, tzinfo=UTC)  # 22:30 in Kuala Lumpur
    body = sms_invite(survey["id"], {"phone": AMY}, {"phone": BOB, "timezone": "Europe/London"})  # 14:30 in London
    run_worker()
    assert [m.to for m in twilio.messages] == [BOB]
    held = db.session.execute(select(Invitation).where(Invitation.address == AMY)).scalar_one()
    # 08:00 in Kuala Lumpur the next morning is 00:00 UTC.
    assert held.status == "queued" and held.due_at == datetime(2026, 1, 16, 0, 0, tzinfo=UTC)
    assert body["queued"][0]["send_at"]
    # Made due while it is still night there (say, by a retry): the worker holds it again.
    held.due_at = utcnow()
    db.session.commit()
    daytime["value"] = datetime(2026, 1, 15, 23, 59, tzinfo=UTC)  # 07:59 in Kuala Lumpur
    run_worker()
    assert [m.to for m in twilio.messages] == [BOB]
    held = db.session.execute(select(Invitation).where(Invitation.address == AMY)).scalar_one()
    assert held.due_at == datetime(2026, 1, 16, 0, 0, tzinfo=UTC) and held.attempts == 0
    held.due_at = utcnow()
    db.session.commit()
    daytime["value"] = datetime(2026, 1, 16, 0, 0, tzinfo=UTC)  # 08:00
    run_worker()
    assert [m.to for m in twilio.messages] == [BOB, AMY]


def first_text_at(run_worker, twilio, daytime, phone: str, hours: list[datetime]) -> datetime | None:
    """Run the worker at each of these clock times; return the first at which `phone` got a text."""
    for hour in hours:
        daytime["value"] = hour
        run_worker(max_rounds=3)  # a held invitation comes back each round while the clock stands still
        if twilio.bodies_to(phone):
            return hour
    return None


def every_half_hour(start: datetime, hours: int) -> list[datetime]:
    return [start + timedelta(minutes=30 * i) for i in range(hours * 2 + 1)]


def test_a_malaysian_number_without_a_timezone_waits_for_morning_in_malaysia(make_survey, sms_invite, run_worker,
                                                                             twilio, daytime):
    """The org's zone is UTC, the person gave none: their +60 number says Malaysia (UTC+8)."""
    survey = published(make_survey)
    daytime["value"] = datetime(2026, 1, 15, 18, 54, tzinfo=UTC)  # 02:54 in Kuala Lumpur, daytime in UTC
    body = sms_invite(survey["id"], {"phone": AMY})
    assert body["queued"][0]["recipient"]["phone"] == AMY
    sent = first_text_at(run_worker, twilio, daytime, AMY, every_half_hour(daytime["value"], 8))
    assert sent == datetime(2026, 1, 16, 0, 24, tzinfo=UTC)  # the first run after 08:00 there (00:00 UTC)
    assert len(twilio.bodies_to(AMY)) == 1


def test_a_number_of_several_zones_waits_until_it_is_day_in_all_of_them(make_survey, sms_invite, run_worker,
                                                                        twilio, daytime):
    """A +62 mobile may be anywhere in Indonesia: 08:00 in Jakarta (UTC+7) to 21:00 in Jayapura (UTC+9)."""
    phone = "+6281234567890"  # phonenumbers places the number itself in Jakarta only
    survey = published(make_survey)
    # 19:30 in Jakarta but 21:30 in Jayapura: closed.
    daytime["value"] = datetime(2026, 1, 15, 12, 30, tzinfo=UTC)
    sms_invite(survey["id"], {"phone": phone})
    hours = every_half_hour(daytime["value"], 14)  # 00:30 UTC is 08:30 in Jayapura, still 07:30 in Jakarta
    assert first_text_at(run_worker, twilio, daytime, phone, hours) == datetime(2026, 1, 16, 1, 0, tzinfo=UTC)


def test_a_number_of_one_zone_elsewhere_follows_that_zone(api, make_survey, sms_invite, run_worker, twilio, daytime):
    """+49 is Germany (UTC+1 in January), whatever the org's zone; the person's own timezone still comes first."""
    assert api.client.patch("/api/v1/org", json={"timezone": "Asia/Kuala_Lumpur"},
                            headers={"Authorization": f"Bearer {api.key}"}).status_code == 200
    survey = published(make_survey)
    berlin, traveller = "+4915123456789", "+4915123456788"
    daytime["value"] = datetime(2026, 1, 15, 6, 0, tzinfo=UTC)  # 07:00 in Berlin, 14:00 in Kuala Lumpur
    sms_invite(survey["id"], {"phone": berlin}, {"phone": traveller, "timezone": "Asia/Tokyo"})
    run_worker(max_rounds=3)
    assert [m.to for m in twilio.messages] == [traveller]  # 15:00 in Tokyo
    hours = every_half_hour(daytime["value"], 2)
    assert first_text_at(run_worker, twilio, daytime, berlin, hours) == datetime(2026, 1, 15, 7, 0, tzinfo=UTC)


# --- sending: errors from Twilio --------------------------------------------------------------------


def test_429_then_success(app, db, make_survey, sms_invite, run_worker, twilio):
    survey = published(make_survey)
    sms_invite(survey["id"], {"phone": AMY})
    twilio.script = [(429, 20429)]
    run_worker()
    assert len(twilio.requests) == 2 and len(twilio.messages) == 1
    invitation = db.execute(select(Invitation)).scalar_one()
    assert invitation.status == "sent" and invitation.attempts == 2
    assert session_of(app, AMY).status == "open"


def test_21610_marks_the_person_opted_out(app, db, make_survey, sms_invite, run_worker, twilio):
    survey = published(make_survey)
    sms_invite(survey["id"], {"phone": AMY})
    twilio.script = [(400, 21610)]
    run_worker()
    assert len(twilio.requests) == 1 and twilio.messages == []
    invitation = db.execute(select(Invitation)).scalar_one()
    assert invitation.status == "failed" and "21610" in invitation.last_error
    assert db.execute(select(Suppression.address)).scalar_one() == AMY
    types = sorted(db.execute(select(Event.type).where(Event.type != "invited")).scalars())
    assert types == ["failed", "opted_out"]
    assert count(app, SmsSession) == 0  # the reserved conversation was let go
    again = published(make_survey, slug="again")
    assert sms_invite(again["id"], {"phone": AMY})["refused"][0]["reason"] == "opted_out"


def test_other_client_errors_fail_at_once_with_the_code_kept(app, db, make_survey, sms_invite, run_worker, twilio):
    survey = published(make_survey)
    sms_invite(survey["id"], {"phone": AMY})
    twilio.script = [(400, 21211)]
    run_worker()
    invitation = db.execute(select(Invitation)).scalar_one()
    assert invitation.status == "failed" and invitation.attempts == 1 and "21211" in invitation.last_error
    assert count(app, Suppression) == 0


def test_a_garbled_answer_fails_that_invitation_alone(db, make_survey, sms_invite, run_worker, twilio):
    """An error of a type no one expected (Twilio's client can't read the answer) is one row's, not the batch's."""
    survey = published(make_survey)
    sms_invite(survey["id"], {"phone": AMY}, {"phone": BOB})
    twilio.garble = 1  # the first message's answer is not JSON
    run_worker()
    assert sorted(m.to for m in twilio.messages) == sorted([AMY, BOB])
    rows = {i.address: i for i in db.execute(select(Invitation)).scalars()}
    assert rows[BOB].status == "sent" and rows[BOB].errors == 0
    assert rows[AMY].status == "sent" and rows[AMY].errors == 1  # retried after the error, then sent


def test_a_reply_with_a_garbled_answer_is_retired_after_its_errors(db, make_survey, sms_invite, run_worker, twilio,
                                                                   converse):
    survey = published(make_survey)
    sms_invite(survey["id"], {"phone": AMY})
    run_worker()
    twilio.garble = 100
    converse(AMY, "1")
    reply = db.execute(select(SmsMessage).where(SmsMessage.purpose != "invitation")).scalar_one()
    assert reply.status == "failed" and reply.errors == 5 and reply.last_error.startswith("gave up after 5 errors")


def test_twilio_down_for_hours_loses_nothing(app, db, make_survey, sms_invite, run_worker, twilio, delivery_clock, capsys):
    from tests.twilio_standin import TwilioStandIn

    app.config.update(DELIVERY_RETRY_BASE_SECONDS=30, DELIVERY_PROBE_MAX_SECONDS=300)
    survey = published(make_survey)
    phones = [f"+60123456{n:03d}" for n in range(60)]
    sms_invite(survey["id"], *[{"phone": phone} for phone in phones])
    twilio.stop()
    for _ in range(18):  # six hours in 20-minute steps
        run_worker()
        delivery_clock.advance(minutes=20)
    waiting = db.execute(select(Invitation)).scalars().all()
    assert {(i.status, i.attempts) for i in waiting} == {("queued", 0)}
    back = TwilioStandIn(port=twilio.port).start()
    try:
        delivery_clock.advance(minutes=6)
        run_worker()
        sent = [m.to for m in back.messages]
    finally:
        back.stop()
    assert sorted(sent) == sorted(phones)  # each once
    with capsys.disabled():
        print(f"\n[Twilio down 6 h] queued {len(phones)}, delivered {len(set(sent))}, "
              f"duplicates {len(sent) - len(set(sent))}")


def test_without_credentials_sms_go_to_the_log(app, make_survey, sms_invite, run_worker, caplog):
    survey = published(make_survey)
    sms_invite(survey["id"], {"phone": AMY})
    with caplog.at_level("INFO", logger="channels.sms"):
        run_worker()
    assert "Sorry to see you go." in caplog.text
    assert session_of(app, AMY).status == "open"


# --- status callbacks ------------------------------------------------------------------------------


def test_status_callbacks_never_move_backwards(db, make_survey, sms_invite, run_worker, twilio, twilio_post):
    survey = published(make_survey)
    sms_invite(survey["id"], {"phone": AMY}, {"phone": BOB})
    run_worker()
    sid = {i.address: i.provider_message_id for i in db.execute(select(Invitation)).scalars()}

    def status(phone, value, **extra):
        r = twilio_post("/channels/sms/status", {"MessageSid": sid[phone], "MessageStatus": value, **extra})
        assert r.status_code == 200

    status(AMY, "delivered")
    status(AMY, "sent")  # late, out of order
    status(AMY, "mystery")  # unknown: logged, not an error
    status(BOB, "undelivered", ErrorCode="30003")
    invitations = {i.address: i for i in db.execute(select(Invitation)).scalars()}
    messages = {m.phone: m for m in db.execute(select(SmsMessage)).scalars()}
    types = sorted(db.execute(select(Event.type).where(Event.type.in_(["delivered", "failed"])))
                   .scalars())
    assert invitations[AMY].status == "delivered" and invitations[AMY].delivered_at
    assert messages[AMY].provider_status == "delivered"
    assert invitations[BOB].status == "failed" and "30003" in invitations[BOB].last_error
    assert messages[BOB].provider_status == "undelivered" and messages[BOB].error_code == 30003
    assert types == ["delivered", "failed"]


# --- invitations and segments ----------------------------------------------------------------------


def test_sms_invitations_refuse_bad_phones(app, make_survey, sms_invite):
    survey = published(make_survey)
    body = sms_invite(survey["id"], {"phone": "12345"}, {"email": "a@example.com"}, {"phone": AMY},
                      {"phone": "+60 12-345 6789"})
    assert [r["reason"] for r in body["refused"]] == ["invalid_phone", "missing_phone", "duplicate"]
    assert [q["recipient"]["phone"] for q in body["queued"]] == [AMY]


def test_a_curly_apostrophe_makes_the_estimate_ucs2(make_survey, sms_invite):
    survey = make_survey(intro="We’re sorry to see you go.")
    estimate = sms_invite(survey["id"], {"phone": AMY})["queued"][0]["sms"]
    assert estimate["encoding"] == "UCS-2" and estimate["non_gsm_characters"] == "’"


def test_segment_counts():
    assert count_segments("a" * 160).segments == 1 and count_segments("a" * 161).segments == 2
    assert count_segments("a" * 306).segments == 2 and count_segments("a" * 307).segments == 3
    assert count_segments("€" * 80).encoding == "GSM-7" and count_segments("€" * 80).segments == 1
    assert count_segments("€" * 81).segments == 2  # extension characters take two septets
    assert count_segments("中" * 70).segments == 1 and count_segments("中" * 71).segments == 2
    assert count_segments("中" * 134).segments == 2 and count_segments("中" * 135).segments == 3
    assert count_segments("a" * 69 + "’").encoding == "UCS-2"


def test_quiet_hours_zones_of_a_whole_country_and_of_a_number_that_says_too_little():
    """The zone choice other code reuses (cascades): all three of Indonesia's zones; a toll-free +1 800
    number spans Guam to Hawaii, which never share an hour of the window, so the org's zone rules."""
    from surveyhub.rules import hours

    indonesia = hours.quiet_hours_zones("+628001234567", None, "UTC")
    assert hours.quiet_hours_zones("+6281112345678", None, "UTC") == indonesia
    assert indonesia == ("Asia/Jakarta", "Asia/Jayapura", "Asia/Makassar")
    # 08:00 in Jakarta (01:00 UTC) to 21:00 in Jayapura (12:00 UTC).
    assert hours.next_window_start(datetime(2026, 1, 15, 12, 0, tzinfo=UTC), indonesia) == \
        datetime(2026, 1, 16, 1, 0, tzinfo=UTC)
    assert hours.next_window_start(datetime(2026, 1, 15, 11, 59, tzinfo=UTC), indonesia) is None
    assert hours.quiet_hours_zones("+18005551234", None, "Europe/Paris") == ("Europe/Paris",)
    assert hours.quiet_hours_zones("+18005551234", "America/Chicago", "Europe/Paris") == ("America/Chicago",)
    assert hours.quiet_hours_zones(AMY, None, None) == ("Asia/Kuching",)
