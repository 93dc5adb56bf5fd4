"""The hosted survey page and unsubscribe, reached from the links of mails a real SMTP server received."""

import re
import time

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from surveyhub.models import Answer, Event, Invitation, Response, Suppression
from tests.helpers import count

LINK = re.compile(r"http://surveys\.test(/[su]/[\w.-]+(?:\?v=\w+)?)")


def mail_links(message) -> list[str]:
    return LINK.findall(message.get_body(("plain",)).get_content())


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def mailed(make_survey, invite, smtp, run_worker):
    """Send the contract's survey to one person; return (survey, the links of the mail they got)."""

    def send(**overrides):
        recipient = overrides.pop("recipient", {})
        survey = make_survey(**overrides)
        invite(survey["id"], {"external_id": "c1", "email": "amy@example.com", **recipient})
        run_worker()
        return survey, mail_links(smtp.messages[-1])

    return send


class Page:
    """A person answering the hosted page with a browser-like client (cookies, CSRF token, redirects)."""

    def __init__(self, client, path):
        self.client = client
        self.path = path.split("?")[0]
        self.last = client.get(path)

    @property
    def html(self) -> str:
        return self.last.get_data(as_text=True)

    def answer(self, question, value=None, action="next", **extra):
        data = {"csrf_token": csrf(self.html), "question": question, "action": action, **extra}
        if value is not None:
            data["value"] = value
        self.last = self.client.post(self.path, data=data, follow_redirects=True)
        return self.last


def test_answer_the_whole_survey_from_the_mail(app, db, client, mailed):
    survey, links = mailed()
    page = Page(client, links[0])
    assert page.last.status_code == 200 and "Main reason for cancelling?" in page.html
    assert count(app, Response) == 0  # reading writes no response
    page.answer("reason", "other", other_text="Company closed")
    assert "How satisfied were you?" in page.html and "Question 2 of 4" in page.html
    page.answer("satisfaction", "6")
    page.answer("nps", "3")
    page.answer("come_back", "no")
    assert "If not, why not?" in page.html and "Question 5 of 5" in page.html
    done = page.answer("why_not", "Harga terlalu tinggi")
    assert done.status_code == 200 and "Thank you for telling us." in page.html
    response = db.execute(select(Response)).scalar_one()
    assert response.channel == "email" and response.status == "completed"
    assert response.invitation_id is not None and response.respondent.external_id == "c1"
    assert response.answer_values() == {"reason": "other", "satisfaction": 6, "nps": 3, "come_back": False,
                                        "why_not": "Harga terlalu tinggi"}
    invitation = db.get(Invitation, response.invitation_id)
    assert invitation.opened_at is not None
    assert "already answered" in client.get(links[0]).get_data(as_text=True)


def test_link_scanner_writes_no_answer(app, client, mailed):
    from tests.test_email_delivery import nps_first
    _, links = mailed(questions=nps_first()["questions"])
    assert len(links) == 13  # 11 values, the survey, unsubscribe
    for link in links:
        assert client.get(link).status_code == 200
        assert client.head(link).status_code == 200
    assert count(app, Response) == 0 and count(app, Answer) == 0 and count(app, Suppression) == 0
    assert count(app, Event, Event.type == "opened") == 1  # the first view counts as opened, once


def test_one_click_link_opens_with_the_value_chosen(client, mailed):
    from tests.test_email_delivery import nps_first
    _, links = mailed(questions=nps_first()["questions"])
    html = client.get(next(link for link in links if link.endswith("?v=9"))).get_data(as_text=True)
    assert re.search(r'value="9"\s+checked', html)
    assert not re.search(r'value="8"\s+checked', html)
    # A value the question doesn't take is ignored, not an error.
    assert "checked" not in client.get(links[0].split("?")[0] + "?v=99").get_data(as_text=True)


def test_leave_and_come_back(app, db, client, mailed):
    _, links = mailed()
    page = Page(client, links[0])
    page.answer("reason", "price")
    elsewhere = app.test_client()  # another device: no cookies
    html = elsewhere.get(links[0]).get_data(as_text=True)
    assert "How satisfied were you?" in html and "Question 2 of 4" in html
    assert db.execute(select(Response.status)).scalar_one() == "partial"


def test_back_changes_an_answer_and_hides_followups(db, client, mailed):
    _, links = mailed()
    page = Page(client, links[0])
    for question, value in [("reason", "price"), ("satisfaction", "4"), ("nps", "8")]:
        page.answer(question, value)
    page.answer("come_back", "no")
    assert "If not, why not?" in page.html
    page.answer("why_not", action="back", back="come_back")
    assert 'value="no" checked' in page.html
    done = page.answer("come_back", "yes")
    assert "Thank you for telling us." in done.get_data(as_text=True)
    assert "why_not" not in db.execute(select(Response)).scalar_one().answer_values()


def test_skip_an_optional_question(db, client, mailed):
    _, links = mailed()
    page = Page(client, links[0])
    for question, value in [("reason", "price"), ("satisfaction", "4"), ("nps", "8"), ("come_back", "no")]:
        page.answer(question, value)
    done = page.answer("why_not", action="skip")
    assert "Thank you for telling us." in done.get_data(as_text=True)
    assert db.execute(select(Response.status)).scalar_one() == "completed"


@pytest.mark.parametrize(("question", "value", "extra"), [
    ("reason", None, {}), ("reason", "nope", {}), ("reason", "other", {}), ("satisfaction", "8", {}),
    ("nps", "x", {}),
])
def test_a_refused_first_answer_writes_nothing(app, client, mailed, row_counts, question, value, extra):
    _, links = mailed()
    page = Page(client, links[0])
    before = row_counts()
    response = page.answer(question, value, **extra)
    assert response.status_code == 422 and "Please check your answer" in page.html
    assert row_counts() == before


def test_required_question_cannot_be_skipped(client, mailed, app):
    _, links = mailed()
    page = Page(client, links[0])
    assert page.answer("reason", action="skip").status_code == 422
    assert count(app, Response) == 0


def test_post_without_csrf_token_is_refused(app, client, mailed, row_counts):
    _, links = mailed()
    client.get(links[0])
    before = row_counts()
    r = client.post(links[0], data={"question": "reason", "value": "price", "action": "next"})
    assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True)
    assert row_counts() == before


def test_tampered_expired_and_used_links(app, db, client, mailed, monkeypatch, row_counts):
    _, links = mailed()
    token = links[0].split("/s/")[1]
    tampered = "/s/" + token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    token_for_forms = csrf(client.get(links[0]).get_data(as_text=True))
    before = row_counts()
    r = client.get(tampered)
    assert r.status_code == 404 and "This link is not valid." in r.get_data(as_text=True)
    posted = client.post(tampered, data={"csrf_token": token_for_forms, "question": "reason", "value": "price"})
    assert posted.status_code == 404
    assert client.get("/s/not-a-token").status_code == 404
    assert row_counts() == before

    # A link signed 31 days ago, past the default link_ttl_days of 30.
    import itsdangerous.timed

    from surveyhub import links as signing
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - 31 * 86400)
    with app.test_request_context():
        invitation_id = db.execute(select(Invitation.id)).scalar_one()
        old = signing.make_token(signing.SURVEY, {"i": invitation_id})
    monkeypatch.setattr(itsdangerous.timed.time, "time", real_time)
    before = row_counts()
    r = client.get(f"/s/{old}")
    assert r.status_code == 410 and "This link has expired." in r.get_data(as_text=True)
    assert row_counts() == before


def test_a_token_of_another_purpose_is_not_valid(client, mailed):
    _, links = mailed()
    unsubscribe_token = links[-1].split("/u/")[1]
    assert client.get(f"/s/{unsubscribe_token}").status_code == 404


def test_page_is_localized_and_escaped(client, mailed):
    _, links = mailed(
        questions=[{"id": "q", "type": "yes_no", "text": {"en": "<b>Back?</b>", "ms": "<b>Kembali?</b>"}}],
        offers=[], recipient={"locale": "ms"},
    )
    html = client.get(links[0]).get_data(as_text=True)
    assert 'lang="ms"' in html and "&lt;b&gt;Kembali?&lt;/b&gt;" in html and "<b>Kembali" not in html
    assert "Seterusnya" not in html and "Selesai" in html  # one question: its button finishes
    r = client.get(links[0])
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]


REASON = {"id": "reason", "type": "multiple_choice", "required": True, "allow_other": True,
          "text": {"en": "Main reason?", "ms": "Sebab utama?", "zh": "主要原因？"},
          "choices": [{"id": "price", "label": {"en": "Too expensive", "ms": "Terlalu mahal", "zh": "太贵"}}]}
SCORE = {"id": "score", "type": "nps", "text": {"en": "Recommend us?", "ms": "Syorkan kami?", "zh": "推荐我们吗？"}}


@pytest.mark.parametrize(("locale", "no_choice", "other_without_text", "score_too_high", "required_skipped"), [
    ("ms", "Sila semak jawapan anda: Sila pilih satu jawapan.",
     "Sila semak jawapan anda: Sila nyatakan pilihan “Lain-lain” anda.",
     "Sila semak jawapan anda: Pilih nombor dari 0 hingga 10.", "Sila semak jawapan anda: Soalan ini perlu dijawab."),
    ("zh", "请检查您的答案：请选择一个答案。", "请检查您的答案：选择“其他”时请说明。",
     "请检查您的答案：请选择 0 到 10 之间的数字。", "请检查您的答案：此题为必答题。"),
])
def test_error_messages_speak_the_respondents_language(client, mailed, row_counts, locale, no_choice,
                                                       other_without_text, score_too_high, required_skipped):
    _, links = mailed(questions=[REASON, SCORE], offers=[], recipient={"locale": locale})
    page = Page(client, links[0])
    before = row_counts()
    for (question, value, action), expected in [(("reason", None, "next"), no_choice),
                                                (("reason", "other", "next"), other_without_text),
                                                (("reason", None, "skip"), required_skipped)]:
        assert page.answer(question, value, action=action).status_code == 422
        errors = re.findall(r'<p class="error"[^>]*>([^<]*)</p>', page.html)
        assert errors == [expected], errors
    assert row_counts() == before
    page.answer("reason", "price")
    assert page.answer("score", "11").status_code == 422
    assert re.findall(r'<p class="error"[^>]*>([^<]*)</p>', page.html) == [score_too_high]
    assert "must be" not in page.html and "choose an answer" not in page.html


def test_unsubscribe_confirms_before_writing(app, client, mailed, invite, make_survey):
    survey, links = mailed()
    unsubscribe = links[-1]
    html = client.get(unsubscribe).get_data(as_text=True)
    assert "Stop receiving survey emails from Acme?" in html
    assert count(app, Suppression) == 0
    done = client.post(unsubscribe)
    assert done.status_code == 200 and "You are unsubscribed." in done.get_data(as_text=True)
    assert client.post(unsubscribe).status_code == 200  # twice is fine
    assert count(app, Suppression) == 1
    second = make_survey(slug="second", name="Second")
    assert invite(second["id"], {"email": "AMY@example.com"})["refused"][0]["reason"] == "unsubscribed"


def test_rfc8058_one_click_unsubscribe(db, client, mailed):
    _, links = mailed()
    r = client.post(links[-1], data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 200
    row = db.execute(select(Suppression)).scalar_one()
    assert (row.channel, row.address, row.reason) == ("email", "amy@example.com", "unsubscribed")
    assert client.get("/u/garbage").status_code == 404


def test_public_link_takes_anonymous_web_answers(app, db, api, client, make_survey):
    survey = make_survey()
    public = api.get(f"/api/v1/surveys/{survey['id']}").get_json()["public_url"]
    path = public.replace("http://surveys.test", "")
    page = Page(client, path)
    assert "Main reason for cancelling?" in page.html
    page.answer("reason", "features")
    page.answer("satisfaction", "5")
    visitor = Page(app.test_client(), path)  # another person starts their own response
    visitor.answer("reason", "price")
    assert "How likely are you to recommend us?" in Page(client, path).html  # the first resumes theirs
    rows = db.execute(select(Response).order_by(Response.id)).scalars().all()
    assert [(r.channel, r.respondent_id, len(r.answers)) for r in rows] == [("web", None, 2), ("web", None, 1)]
    assert count(app, Event, Event.type == "opened", Event.channel == "web") == 2
    assert client.get(path[:-3] + "xyz").status_code == 404


def test_public_link_is_the_same_every_time_and_old_timed_links_still_open(app, api, client, make_survey):
    survey = make_survey()
    url = f"/api/v1/surveys/{survey['id']}"
    first = api.get(url).get_json()["public_url"]
    time.sleep(1.1)  # a timestamped token would differ after a second
    assert api.get(url).get_json()["public_url"] == first
    # A public link handed out before links lost their timestamp keeps working.
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="public-survey-link").dumps({"s": survey["id"]})
    assert client.get(f"/p/{old}").status_code == 200
    assert client.get(f"/p/{old[:-3]}xyz").status_code == 404


def test_every_word_of_the_product_is_in_all_four_languages():
    """The page's messages (answer errors among them) exist in English, Malay, Indonesian and Chinese."""
    from babel.messages.pofile import read_po

    from surveyhub.i18n import LOCALES, TRANSLATIONS

    assert set(LOCALES) == {"en", "ms", "id", "zh"}  # English is the code's own
    for locale in set(LOCALES) - {"en"}:
        with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
            words = {m.id: m.string for m in read_po(po) if m.id}
        assert [key for key, word in words.items() if not word] == []
        assert {"Choose an answer.", "Choose a number from {low} to {high}.", "This question needs an answer.",
                "Tell us more about “Other”."} <= set(words)
