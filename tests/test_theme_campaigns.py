"""Closing the loop by theme (issue 15 item 4): address a theme, its notices by email and SMS, opens and clicks."""
# ruff: noqa: E501 - texts in four languages

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from surveyhub.delivery import sms as sms_delivery
from surveyhub.models.types import utcnow
from tests import test_themes
from tests.test_hosted_page import Page, mail_links
from tests.test_themes import FEATURES, PRICE, themes
from tests.test_webhooks import Receiver

DAN = "+60123456789"
MESSAGE = {"en": "We lowered our prices", "ms": "Kami telah menurunkan harga <b>kini</b>", "zh": "我们降价了"}
LINK = "https://example.com/pricing"
NOTICE_LINK = "http://surveys.test(/n/[\\w.-]+)"

survey = test_themes.survey  # the themed survey and its answers over the API, as the themes tests make them
answer = test_themes.answer


@pytest.fixture
def hooks(app, api):
    """A webhook receiver subscribed to theme.addressed."""
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # the receiver listens on loopback
    receiver = Receiver([])
    r = api.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["theme.addressed"]})
    assert r.status_code == 201, r.get_json()
    yield receiver
    receiver.stop()


def answer_by_mail(client, invite, smtp, run_worker, survey_id: int, email: str, locale: str, why: str) -> Page:
    """Invite `email`, answer the hosted page from the mail's link; return the page (the mail's links on it)."""
    invite(survey_id, {"email": email, "locale": locale})
    run_worker()
    mail = next(m for m in reversed(smtp.messages) if m["To"] == email)
    page = Page(client, mail_links(mail)[0])
    page.answer("reason", "price")
    page.answer("why", why)
    assert page.answer("nps", "3").status_code == 200
    page.mail = mail
    return page


def answer_by_sms(twilio_post, run_worker, api, survey_id: int, monkeypatch, phone: str = DAN, locale: str = "zh",
                  why: str = "太贵了 用不起") -> None:
    """Invite `phone` by SMS and answer the conversation: the price choice, `why`, no NPS."""
    monkeypatch.setattr(sms_delivery, "clock", lambda: datetime(2026, 1, 15, 4, 0, tzinfo=UTC))  # midday in KL
    r = api.post(f"/api/v1/surveys/{survey_id}/invitations",
                 json={"channel": "sms", "recipients": [{"phone": phone, "locale": locale}]})
    assert r.status_code == 202, r.get_json()
    run_worker()
    for sid, body in enumerate(["1", why, "SKIP"]):
        sent = twilio_post("/channels/sms/inbound", {"MessageSid": f"SMtc{phone[1:]}{sid}", "From": phone,
                                                     "To": "+15005550006", "Body": body})
        assert sent.status_code == 200
        run_worker()


def to_kl_night(delivery_clock, days: int = 40) -> None:
    """Move the engine's clock `days` on (past the fatigue window), to 23:00 in Kuala Lumpur (quiet hours)."""
    now = utcnow()
    target = (now + timedelta(days=days)).replace(hour=15, minute=0, second=0, microsecond=0)
    delivery_clock.advance(seconds=(target - now).total_seconds() - delivery_clock.offset.total_seconds())


def price_theme(api, survey_id: int) -> dict:
    return next(t for t in themes(api, survey_id)["themes"] if t["label"] == "Too expensive")


def campaign(api, theme_id: int) -> dict:
    r = api.get(f"/api/v1/themes/{theme_id}/campaign")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_addressing_a_theme_tells_everyone_in_it_on_their_channel_in_their_language(
        app, api, client, survey, answer, invite, smtp, run_worker, twilio, twilio_post, monkeypatch,
        delivery_clock, make_survey, hooks):
    for text in PRICE + FEATURES:
        answer(survey["id"], text)  # anonymous (entered over the API): nobody to tell
    price_theme(api, survey["id"])  # the first listing groups; the answers below join as they arrive
    answer_by_mail(client, invite, smtp, run_worker, survey["id"], "amy@example.com", "ms", "Harga terlalu mahal sekarang")
    answer_by_mail(client, invite, smtp, run_worker, survey["id"], "bob@example.com", "en", "Too expensive for a small team")
    cara = answer_by_mail(client, invite, smtp, run_worker, survey["id"], "cara@example.com", "zh", "太贵了，预算不够")
    unsubscribe = next(link for link in mail_links(cara.mail) if link.startswith("/u/"))
    assert client.post(unsubscribe).status_code == 200
    answer_by_sms(twilio_post, run_worker, api, survey["id"], monkeypatch)
    to_kl_night(delivery_clock)
    other = make_survey(slug="other")
    r = api.post(f"/api/v1/surveys/{other['id']}/invitations",  # Bob is contacted again: the fatigue cap holds him
                 json={"channel": "cascade", "recipients": [{"email": "bob@example.com"}],
                       "steps": [{"channel": "email", "wait_hours": 0}]})
    assert r.status_code == 202, r.get_json()
    theme = price_theme(api, survey["id"])

    r = api.post(f"/api/v1/themes/{theme['id']}/address", json={"message": MESSAGE, "link": LINK})
    assert r.status_code == 202, r.get_json()
    body = r.get_json()
    assert body["theme_id"] == theme["id"] and body["queued"] == 2
    assert body["skipped"] == {"no_address": 4, "unsubscribed": 1, "fatigue_cap": 1}
    mails = len(smtp.messages)
    run_worker()
    notices = [m for m in smtp.messages[mails:] if "/n/" in m.get_body(("plain",)).get_content()]
    assert [m["To"] for m in notices] == ["amy@example.com"]
    plain = notices[0].get_body(("plain",)).get_content()
    assert "Kami telah menurunkan harga" in plain and "maklum balas" in str(notices[0]["Subject"])
    assert not [b for b in twilio.bodies_to(DAN) if "/n/" in b]  # 23:00 in Kuala Lumpur: not yet
    delivery_clock.advance(hours=10)  # 09:00 there
    run_worker()
    [sms] = [b for b in twilio.bodies_to(DAN) if "/n/" in b]
    assert "我们降价了" in sms
    counts = campaign(api, theme["id"])
    assert (counts["queued"], counts["sent"], counts["failed"], counts["opened"], counts["clicked"]) == (0, 2, 0, 0, 0)

    notice_path = re.search(NOTICE_LINK, plain).group(1)
    page = client.get(notice_path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Kami telah menurunkan harga" in html and 'lang="ms"' in html
    assert "&lt;b&gt;kini&lt;/b&gt;" in html and "<b>kini" not in html  # the manager's text, escaped
    assert client.get(notice_path).status_code == 200
    assert campaign(api, theme["id"])["opened"] == 1  # the first view counts, once
    go = client.get(f"{notice_path}/go")
    assert go.status_code == 302 and go.headers["Location"] == LINK
    assert client.get(f"{notice_path}/go").status_code == 302
    counts = campaign(api, theme["id"])
    assert (counts["opened"], counts["clicked"]) == (1, 1)
    assert client.get(notice_path[:-2] + "xx").status_code == 404
    assert client.get("/n/garbage/go").status_code == 404

    [event] = [json.loads(b) for _, b in hooks.received if json.loads(b)["type"] == "theme.addressed"]
    assert event["data"]["theme_id"] == theme["id"] and event["data"]["message"] == MESSAGE
    assert event["data"]["queued"] == 2


def test_a_theme_is_addressed_once_and_bad_messages_write_nothing(api, other_api, survey, answer, row_counts):
    for text in PRICE:
        answer(survey["id"], text)
    theme = price_theme(api, survey["id"])
    before = row_counts()
    r = api.post(f"/api/v1/themes/{theme['id']}/address", json={"message": {"ms": "Harga turun"}})
    assert r.status_code == 422 and "message" in r.get_json()["error"]["fields"]
    r = api.post(f"/api/v1/themes/{theme['id']}/address", json={"message": {"ms": "Harga turun"}, "default_locale": "ms",
                                                                  "link": "javascript:alert(1)"})
    assert r.status_code == 422 and "link" in r.get_json()["error"]["fields"]
    r = api.post(f"/api/v1/themes/{theme['id']}/address", json={"message": {"en": "   "}})
    assert r.status_code == 422 and "message" in r.get_json()["error"]["fields"]
    r = other_api.post(f"/api/v1/themes/{theme['id']}/address", json={"message": {"en": "Cheaper now"}})
    assert r.status_code == 404
    assert other_api.get(f"/api/v1/themes/{theme['id']}/campaign").status_code == 404
    assert api.get(f"/api/v1/themes/{theme['id']}/campaign").status_code == 404  # not addressed yet
    assert row_counts() == before
    r = api.post(f"/api/v1/themes/{theme['id']}/address", json={"message": {"en": "Cheaper now"}})
    assert r.status_code == 202 and r.get_json()["skipped"] == {"no_address": 4}
    r = api.post(f"/api/v1/themes/{theme['id']}/address", json={"message": {"en": "Cheaper again"}})
    assert r.status_code == 409
    assert campaign(api, theme["id"])["message"] == {"en": "Cheaper now"}


def test_smtp_down_loses_nothing_and_an_unsubscribe_meanwhile_is_kept(api, client, survey, answer, invite, smtp,
                                                                      run_worker, delivery_clock):
    for text in PRICE:
        answer(survey["id"], text)
    price_theme(api, survey["id"])
    answer_by_mail(client, invite, smtp, run_worker, survey["id"], "amy@example.com", "ms", "Harga terlalu mahal sekarang")
    eve = answer_by_mail(client, invite, smtp, run_worker, survey["id"], "eve@example.com", "id", "Harganya terlalu mahal buat kami")
    delivery_clock.advance(days=40)  # past the fatigue window of their own invitations
    theme = price_theme(api, survey["id"])
    r = api.post(f"/api/v1/themes/{theme['id']}/address", json={"message": {"en": "Prices are lower", "ms": "Harga lebih rendah"}})
    assert r.status_code == 202 and r.get_json()["queued"] == 2, r.get_json()
    mails = len(smtp.messages)
    smtp.stop()
    run_worker(max_rounds=3)
    assert campaign(api, theme["id"])["queued"] == 2  # held while email is paused, nothing spent
    assert client.post(next(link for link in mail_links(eve.mail) if link.startswith("/u/"))).status_code == 200
    smtp.start()
    delivery_clock.advance(seconds=1)  # past the pause
    run_worker()
    sent = smtp.messages[mails:]
    assert [m["To"] for m in sent] == ["amy@example.com"]
    assert "Harga lebih rendah" in sent[0].get_body(("plain",)).get_content()
    counts = campaign(api, theme["id"])
    assert (counts["queued"], counts["sent"], counts["skipped"]) == (0, 1, {"no_address": 4, "unsubscribed": 1})
    run_worker()
    assert len(smtp.messages) == mails + 1  # once
