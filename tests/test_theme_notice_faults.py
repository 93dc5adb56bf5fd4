"""Faults of the delivery engine around theme notices (issue 15 item 4): Twilio down while SMS notices are
due, a STOP that lands after the campaign was queued, and `kill -9` of a worker process among 300 notices.

People answer through the front door (the SMS conversation, or an invitation and a staff entry under their
customer id), the campaign is queued with POST /themes/{id}/address, and what was sent is read where it
arrives (the Twilio stand-in, the SMTP sink) and through GET /themes/{id}/campaign. Time is the engine's
clock (delivery_clock), moved on, never slept through.
"""
# ruff: noqa: E501 - texts in four languages

from __future__ import annotations

import collections
import re
import signal

from surveyhub.models import ThemeNotice
from tests import test_themes
from tests.helpers import statuses, wait_until
from tests.test_theme_campaigns import answer_by_sms, campaign, price_theme, to_kl_night
from tests.test_themes import PRICE

survey = test_themes.survey  # the themed survey and its answers over the API, as the themes tests make them
answer = test_themes.answer

# Three people who answer by SMS, each in their own language, all about the price.
TEXTERS = [("+60123450001", "ms", "Harga terlalu mahal sekarang"), ("+60123450002", "zh", "太贵了，预算不够"),
           ("+60123450003", "en", "Too expensive for a small team")]
MESSAGE = {"en": "We lowered our prices", "ms": "Kami telah menurunkan harga", "zh": "我们降价了"}
NOTICES = 300  # the kill -9 test's people


def notices_to(twilio, phone: str) -> list[str]:
    """The notice SMS (those with a /n/ link) the stand-in accepted for `phone`."""
    return [body for body in twilio.bodies_to(phone) if "/n/" in body]


def texters_answer(api, answer, twilio_post, run_worker, survey_id: int, monkeypatch, delivery_clock) -> int:
    """Anonymous answers group the texts; TEXTERS answer by SMS (each joins the price theme as it arrives);
    the engine's clock goes past the fatigue window, to 23:00 in Kuala Lumpur. Return the price theme's id."""
    for text in PRICE:
        answer(survey_id, text)  # entered over the API: nobody to tell
    price_theme(api, survey_id)
    for phone, locale, why in TEXTERS:
        answer_by_sms(twilio_post, run_worker, api, survey_id, monkeypatch, phone, locale, why)
    to_kl_night(delivery_clock)
    return price_theme(api, survey_id)["id"]


def address(api, theme_id: int) -> dict:
    r = api.post(f"/api/v1/themes/{theme_id}/address", json={"message": MESSAGE})
    assert r.status_code == 202, r.get_json()
    return r.get_json()


def test_twilio_down_while_sms_notices_are_due_they_wait_and_go_once_when_it_is_back(
        app, api, answer, survey, twilio, twilio_post, run_worker, monkeypatch, delivery_clock):
    theme_id = texters_answer(api, answer, twilio_post, run_worker, survey["id"], monkeypatch, delivery_clock)
    assert address(api, theme_id) == {"id": campaign(api, theme_id)["id"], "theme_id": theme_id, "queued": 3,
                                      "skipped": {"no_address": len(PRICE)}}
    delivery_clock.advance(hours=10)  # 09:00 in Kuala Lumpur: the notices are due
    twilio.stop()
    for _ in range(3):  # the worker comes round a few times while Twilio cannot be reached
        run_worker(max_rounds=3)
        delivery_clock.advance(seconds=30)
    counts = campaign(api, theme_id)
    assert (counts["queued"], counts["sent"], counts["failed"]) == (3, 0, 0)  # held, none given up
    assert statuses(app, ThemeNotice) == {"queued": 3, "skipped": len(PRICE)}

    twilio.start()  # back, on the port it had
    delivery_clock.advance(minutes=5)  # past the channel's pause (still morning in Kuala Lumpur)
    run_worker()
    for phone, locale, _why in TEXTERS:
        [notice] = notices_to(twilio, phone)  # none lost, none twice
        assert MESSAGE[locale] in notice, (phone, notice)
    counts = campaign(api, theme_id)
    assert (counts["queued"], counts["sent"], counts["failed"]) == (0, 3, 0)
    delivery_clock.advance(hours=1)
    run_worker()
    assert [len(notices_to(twilio, phone)) for phone, _, _ in TEXTERS] == [1, 1, 1]


def test_a_stop_sent_after_the_campaign_was_queued_skips_that_person(
        api, answer, survey, twilio, twilio_post, run_worker, monkeypatch, delivery_clock):
    theme_id = texters_answer(api, answer, twilio_post, run_worker, survey["id"], monkeypatch, delivery_clock)
    address(api, theme_id)  # at 23:00 in Kuala Lumpur: the SMS notices wait for the morning
    run_worker()
    assert [notices_to(twilio, phone) for phone, _, _ in TEXTERS] == [[], [], []]
    stopper = TEXTERS[1][0]
    r = twilio_post("/channels/sms/inbound", {"MessageSid": "SMstop1", "From": stopper, "To": "+15005550006",
                                              "Body": "STOP"})  # signed as Twilio signs it
    assert r.status_code == 200
    run_worker()
    delivery_clock.advance(hours=10)  # 09:00 there
    run_worker()
    assert notices_to(twilio, stopper) == []
    assert [len(notices_to(twilio, phone)) for phone, _, _ in (TEXTERS[0], TEXTERS[2])] == [1, 1]
    counts = campaign(api, theme_id)
    assert (counts["queued"], counts["sent"]) == (0, 2)
    assert counts["skipped"] == {"no_address": len(PRICE), "opted_out": 1}


def test_a_worker_killed_among_300_notices_sends_each_once_after_a_restart(
        app, api, answer, survey, invite, smtp, run_worker, start_worker, delivery_clock, capsys):
    assert api.patch("/api/v1/org", json={"contact_cap_days": 0}).status_code == 200  # their invitations don't cap
    for text in PRICE:
        answer(survey["id"], text)
    price_theme(api, survey["id"])
    for start in range(0, NOTICES, 250):  # people the org knows by customer id and email
        invite(survey["id"], *[{"external_id": f"c{i}", "email": f"c{i}@example.com"}
                               for i in range(start, min(NOTICES, start + 250))])
    run_worker()  # their invitations go out
    for i in range(NOTICES):  # and each one's answer is entered by staff under their customer id
        answer(survey["id"], PRICE[i % len(PRICE)], external_id=f"c{i}")
    theme_id = price_theme(api, survey["id"])["id"]
    body = address(api, theme_id)
    assert body["queued"] == NOTICES, body
    invitations = len(smtp.messages)

    def notice_mails() -> collections.Counter:
        return collections.Counter(str(m["To"]) for m in list(smtp.messages)[invitations:]
                                   if re.search(r"/n/[\w.-]+", m.get_body(("plain",)).get_content()))

    smtp.handler.delay = 0.005
    worker = start_worker()
    wait_until(lambda: sum(notice_mails().values()) >= 90, timeout=120)  # 90: inside a batch of 100
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    smtp.handler.delay = 0
    held = statuses(app, ThemeNotice).get("sending", 0)
    assert held > 0  # notices the dead worker had claimed (nothing public shows claims)
    assert campaign(api, theme_id)["queued"] > 0
    second = start_worker()  # the restart: it sends the rest; the dead worker's wait for their lease
    wait_until(lambda: statuses(app, ThemeNotice).get("queued", 0) == 0 and
               statuses(app, ThemeNotice).get("sending", 0) <= held, timeout=120)
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=30) == 0
    delivery_clock.advance(minutes=2)  # their lease is over within two minutes: any worker takes them
    run_worker(max_rounds=20)
    counts = campaign(api, theme_id)
    assert (counts["queued"], counts["sent"], counts["failed"]) == (0, NOTICES, 0)
    mailed = notice_mails()
    assert set(mailed) == {f"c{i}@example.com" for i in range(NOTICES)}  # none lost
    twice = [to for to, n in mailed.items() if n > 1]
    # Each notice is marked sent in its own commit right after SMTP accepts it: only the one accepted in the
    # instant before the kill, and not yet marked, can go out twice (docs/delivery.md).
    assert len(twice) <= 1, twice
    with capsys.disabled():
        print(f"\n[theme notices SIGKILL] {held} held by the dead worker; sent twice: {len(twice)} of {NOTICES}")
