"""The email channel on the delivery engine, against a real SMTP server (aiosmtpd)."""

import collections
import re

import pytest
from sqlalchemy import select

from surveyhub.extensions import db
from surveyhub.models import Event, Invitation
from surveyhub.transaction import unit_of_work


def invitations(app):
    with app.app_context():
        return {i.address: i for i in db.session.execute(select(Invitation)).scalars()}


def nps_first(**overrides):
    from tests.helpers import survey_definition
    definition = survey_definition(**overrides)
    definition["questions"].insert(0, definition["questions"].pop(2))
    return definition


def test_sends_a_localized_mail_with_unsubscribe_headers(app, db, api, make_survey, invite, smtp, run_worker):
    questions = nps_first()["questions"]
    questions[0]["text"] = {"en": "How likely are you to recommend us?",
                            "ms": "Sejauh mana anda akan mengesyorkan kami?"}
    survey = make_survey(intro={"en": "Sorry to see you go.", "ms": "Kami sedih anda pergi."}, questions=questions)
    invite(survey["id"], {"email": "amy@example.com", "locale": "ms"}, {"email": "bob@example.com"})
    assert run_worker() == 2
    by_to = {m["To"]: m for m in smtp.messages}
    assert set(by_to) == {"amy@example.com", "bob@example.com"}
    amy = by_to["amy@example.com"]
    assert "Acme" in amy["From"] and "Acme" in amy["Subject"]
    assert str(amy["List-Unsubscribe"]).strip().startswith("<http://surveys.test/u/")
    assert amy["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = amy.get_body(("plain",)).get_content()
    html = amy.get_body(("html",)).get_content()
    assert "Kami sedih anda pergi." in text and "Kami sedih anda pergi." in html
    assert "Sejauh mana anda akan mengesyorkan kami?" in text and "Jawab tinjauan" in text
    assert "Sorry to see you go." in by_to["bob@example.com"].get_body(("plain",)).get_content()
    # NPS first: eleven one-click links, 0..10, plus the plain survey link.
    values = re.findall(r"http://surveys\.test/s/[\w.-]+\?v=(\d+)", text)
    assert values == [str(n) for n in range(11)]
    sent = invitations(app)["amy@example.com"]
    assert sent.status == "sent" and sent.sent_at and sent.provider_message_id == amy["Message-ID"]
    types = [e.type for e in db.execute(select(Event).where(Event.invitation_id == sent.id)).scalars()]
    assert types == ["invited", "sent"]


def test_no_value_links_when_the_first_question_is_a_choice(api, make_survey, invite, smtp, run_worker):
    survey = make_survey()
    invite(survey["id"], {"email": "amy@example.com"})
    run_worker()
    text = smtp.messages[0].get_body(("plain",)).get_content()
    assert "?v=" not in text and "/s/" in text


def test_org_name_and_survey_text_are_escaped(app, api, make_survey, invite, smtp, run_worker):
    survey = make_survey(intro="<script>alert(1)</script> & more")
    invite(survey["id"], {"email": "amy@example.com"})
    run_worker()
    html = smtp.messages[0].get_body(("html",)).get_content()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_one_connection_per_batch(make_survey, invite, smtp, run_worker):
    survey = make_survey()
    invite(survey["id"], *[{"email": f"u{i}@example.com"} for i in range(30)])
    run_worker()
    assert len(smtp.messages) == 30
    assert len(smtp.handler.connections) == 1


def test_server_down_then_back(app, make_survey, invite, smtp, run_worker, delivery_clock):
    survey = make_survey()
    invite(survey["id"], *[{"email": f"u{i}@example.com"} for i in range(5)])
    smtp.stop()
    run_worker(max_rounds=3)
    waiting = invitations(app)
    # Waiting for the server spends no attempt: each row is held while email is paused.
    assert all(i.status == "queued" and i.attempts == 0 and i.last_error.startswith("waiting:")
               for i in waiting.values()), [(i.status, i.attempts, i.last_error) for i in waiting.values()]
    smtp.start()
    delivery_clock.advance(seconds=1)  # past the pause
    run_worker()
    assert sorted(m["To"] for m in smtp.messages) == sorted(waiting)
    assert all(i.status == "sent" for i in invitations(app).values())


def test_outage_longer_than_the_retry_budget_loses_nothing(app, make_survey, invite, smtp, run_worker,
                                                            delivery_clock, capsys):
    """SMTP down for 6 hours (the old budget of 8 attempts ran out in about 2) and then back: all mail goes out once."""
    app.config.update(DELIVERY_RETRY_BASE_SECONDS=30, DELIVERY_RETRY_MAX_SECONDS=3600, DELIVERY_PROBE_MAX_SECONDS=300,
                      DELIVERY_GIVE_UP_HOURS=72)
    survey = make_survey()
    queued = [f"u{i}@example.com" for i in range(120)]  # more than one batch
    invite(survey["id"], *[{"email": address} for address in queued])
    smtp.stop()
    for _ in range(6 * 3):  # six hours in 20-minute steps, the worker running at each
        run_worker(max_rounds=5)
        delivery_clock.advance(minutes=20)
    waiting = invitations(app)
    assert {i.status for i in waiting.values()} == {"queued"}
    assert max(i.attempts for i in waiting.values()) == 0
    assert smtp.handler.connections == []  # nothing got through while it was down
    smtp.start()
    delivery_clock.advance(minutes=6)  # past the longest pause: the next probe finds the server back
    run_worker()
    counts = collections.Counter(str(m["To"]) for m in smtp.messages)
    assert set(counts) == set(queued) and set(counts.values()) == {1}, counts
    assert {i.status for i in invitations(app).values()} == {"sent"}
    assert len(smtp.handler.connections) == 2  # one probe (the first batch's connection), then the second batch
    with capsys.disabled():
        print(f"\n[SMTP outage 6 h] queued {len(queued)}, delivered {len(counts)}, "
              f"duplicates {sum(n - 1 for n in counts.values())}")


def test_permanent_refusal_fails_with_reason(app, db, make_survey, invite, smtp, run_worker):
    survey = make_survey()
    invite(survey["id"], {"email": "nobody@example.com"})
    smtp.handler.reply_to_rcpt = "550 5.1.1 No such user here"
    run_worker()
    failed = invitations(app)["nobody@example.com"]
    assert failed.status == "failed" and failed.attempts == 1
    assert failed.last_error.startswith("550") and "No such user" in failed.last_error
    assert db.execute(select(Event.type).where(Event.type == "failed")).scalar_one() == "failed"


def test_transient_refusal_retries_until_the_give_up_time(app, db, make_survey, invite, smtp, run_worker,
                                                          delivery_clock):
    app.config["DELIVERY_GIVE_UP_HOURS"] = 2
    survey = make_survey()
    invite(survey["id"], {"email": "busy@example.com"})
    smtp.handler.reply_to_rcpt = "451 4.3.0 Try again later"
    run_worker(max_rounds=20)
    busy = invitations(app)["busy@example.com"]
    assert busy.status == "queued" and busy.attempts >= 10 and "451" in busy.last_error
    delivery_clock.advance(hours=2)
    run_worker()
    busy = invitations(app)["busy@example.com"]
    assert busy.status == "failed" and busy.last_error.startswith("gave up after 2 h: 451")
    assert smtp.messages == []
    assert db.execute(select(Event.type).where(Event.type == "failed")).scalar_one() == "failed"


def test_transient_refusal_then_success(app, make_survey, invite, smtp, run_worker):
    survey = make_survey()
    invite(survey["id"], {"email": "busy@example.com"})
    smtp.handler.reply_to_rcpt = "451 4.3.0 Try again later"
    run_worker(max_rounds=2)
    assert invitations(app)["busy@example.com"].status == "queued"
    smtp.handler.reply_to_rcpt = None
    run_worker()
    assert invitations(app)["busy@example.com"].status == "sent" and len(smtp.messages) == 1


def test_unsubscribed_or_erased_before_sending_is_cancelled(app, db, api, make_survey, invite, smtp, run_worker):
    from surveyhub.delivery.suppressions import suppress
    survey = make_survey()
    invite(survey["id"], {"email": "left@example.com"}, {"email": "erased@example.com", "external_id": "e1"},
           {"email": "stays@example.com"})
    with unit_of_work():
        suppress(api.org_id, "email", "left@example.com", "unsubscribed")
    assert api.delete("/api/v1/respondents/e1").status_code == 204
    run_worker()
    assert [m["To"] for m in smtp.messages] == ["stays@example.com"]
    states = {i.address: (i.status, i.last_error) for i in invitations(app).values()}
    assert states["left@example.com"] == ("cancelled", "unsubscribed")
    assert states[None] == ("cancelled", "respondent erased")  # erasure removed the address too


def test_archived_survey_is_not_sent(api, make_survey, invite, smtp, run_worker, app):
    survey = make_survey()
    invite(survey["id"], {"email": "a@example.com"})
    api.delete(f"/api/v1/surveys/{survey['id']}")
    run_worker()
    assert smtp.messages == [] and invitations(app)["a@example.com"].status == "cancelled"


def test_without_smtp_mail_goes_to_the_log(app, make_survey, invite, run_worker, caplog):
    survey = make_survey()
    invite(survey["id"], {"email": "console@example.com"})
    app.config["SMTP_URL"] = None
    with caplog.at_level("INFO", logger="channels.email"):
        run_worker()
    assert "console@example.com" in caplog.text and "/s/" in caplog.text
    assert invitations(app)["console@example.com"].status == "sent"


def test_smtp_url_forms():
    from channels.email import SmtpSettings
    plain = SmtpSettings.from_url("smtp://mail.local")
    assert (plain.host, plain.port, plain.starttls, plain.tls) == ("mail.local", 25, False, False)
    tls = SmtpSettings.from_url("smtp+starttls://us%40er:p%3Ass@mail.local")
    assert (tls.port, tls.starttls, tls.username, tls.password) == (587, True, "us@er", "p:ss")
    ssl = SmtpSettings.from_url("smtps://u:p@mail.local:2465")
    assert (ssl.port, ssl.tls) == (2465, True)
    import pytest
    with pytest.raises(ValueError):
        SmtpSettings.from_url("http://mail.local")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_refused_login_is_an_outage_and_closes_its_connection():
    """Wrong SMTP credentials: the session can't be had (the engine pauses email) and the socket is closed."""
    import time
    from email.message import EmailMessage

    from channels.email import DeliveryError, SmtpMailer, SmtpSettings
    from tests.smtp import SmtpSink

    sink = SmtpSink(credentials=("surveys", "right"))
    sink.start()
    try:
        with SmtpMailer(SmtpSettings.from_url(f"smtp://surveys:right@127.0.0.1:{sink.port}", 5)) as mailer:
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = "s@example.com", "amy@example.com", "hi"
            mailer.send(message)
        assert len(sink.messages) == 1  # the server does check credentials: the right ones get in
        wrong = SmtpMailer(SmtpSettings.from_url(f"smtp://surveys:wrong@127.0.0.1:{sink.port}", 5))
        with pytest.raises(DeliveryError) as refused:
            wrong.open()
        assert refused.value.connection and refused.value.reason.startswith("535")
        # The error's traceback still holds the client: only closing it ends the server's session.
        deadline = time.monotonic() + 5
        while sink.handler.open_sessions and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sink.handler.open_sessions == 0
    finally:
        sink.stop()


def test_merged_mail_equals_the_mail_built_whole(app, api, make_survey, invite):
    """The mail-merge fast path sends exactly what building each mail whole would."""
    from email import message_from_bytes, policy

    from surveyhub.accounts.surveys import live_version
    from surveyhub.delivery.email import MailMerge, Outgoing
    questions = nps_first()["questions"]
    questions[0]["text"] = {"en": "Recommend us?", "zh": "您会推荐我们吗？"}
    survey = make_survey(questions=questions, intro={"en": "Sorry.", "zh": "很遗憾您要离开。"})
    invite(survey["id"], {"email": "li@example.com", "locale": "zh"}, {"email": "amy@example.com"})
    with app.test_request_context():
        rows = db.session.execute(select(Invitation).order_by(Invitation.id)).scalars().all()
        definition = live_version(rows[0].survey).definition
        merge = MailMerge()
        for row in rows:
            outgoing = Outgoing.of(row, definition)
            raw, message_id = merge.raw(outgoing)
            merged = message_from_bytes(raw, policy=policy.default)
            whole = merge.message(outgoing)
            assert merged["Message-ID"] == message_id and merged["To"] == row.address
            for header in ("Subject", "From", "To", "List-Unsubscribe", "List-Unsubscribe-Post"):
                assert str(merged[header]).strip() == str(whole[header]).strip()
            for kind in ("plain", "html"):  # equal but for line endings: CRLF on the wire either way
                assert (merged.get_body((kind,)).get_content().replace("\r\n", "\n")
                        == whole.get_body((kind,)).get_content().replace("\r\n", "\n"))
        assert "您会推荐我们吗？" in message_from_bytes(merge.raw(Outgoing.of(rows[0], definition))[0],
                                                        policy=policy.default).get_body(("plain",)).get_content()
