"""The demo: an org, a manager and a published multilingual cancel-flow survey with some answers, and
twelve weeks of cascades (an email, a reminder, an SMS) so the dashboard's step chart has a shape at once."""

from __future__ import annotations

import itertools
import json
import os
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from .accounts.orgs import authenticate_user, create_org, create_user, org_for_api_key, signing_secret
from .accounts.surveys import create_survey, live_version, publish_survey
from .counters import count_answer_changes
from .errors import Conflict
from .events import NewEvent, record_events
from .extensions import db
from .i18n import LOCALES
from .insights.stats import REACHED
from .models import Answer, Cascade, FollowUp, Invitation, Org, Respondent, Response, Survey, User
from .models.types import utcnow
from .responses.answers import create_staff_response
from .responses.followups import update_follow_up
from .schemas.survey import SurveyDefinitionSchema
from .security import user_hash

DEMO_ORG = "Demo SaaS"
DEMO_EMAIL = "manager@demo.surveyhub.test"
CREDENTIALS_FILE = "demo-credentials.json"

DEMO_SURVEY = {
    "slug": "cancel-flow",
    "name": "Cancellation exit survey",
    "default_locale": "en",
    "intro": {"en": "Sorry to see you go. Two minutes to tell us why?",
              "ms": "Kami sedih anda pergi. Dua minit untuk beritahu kami sebabnya?",
              "id": "Sayang sekali Anda pergi. Dua menit untuk memberi tahu kami alasannya?",
              "zh": "很遗憾您要离开。能花两分钟告诉我们原因吗？"},
    "thanks": {"en": "Thank you for telling us.", "ms": "Terima kasih kerana memberitahu kami.",
               "id": "Terima kasih telah memberi tahu kami.", "zh": "感谢您的反馈。"},
    "questions": [
        {"id": "reason", "type": "multiple_choice", "required": True, "multiple": False, "allow_other": True,
         "text": {"en": "Main reason for cancelling?", "ms": "Sebab utama membatalkan?",
                  "id": "Alasan utama membatalkan?", "zh": "取消的主要原因是什么？"},
         "choices": [
             {"id": "price", "label": {"en": "Too expensive", "ms": "Terlalu mahal", "id": "Terlalu mahal",
                                       "zh": "太贵了"}},
             {"id": "features", "label": {"en": "Missing features", "ms": "Ciri tidak mencukupi",
                                          "id": "Fitur kurang", "zh": "缺少功能"}},
             {"id": "switching", "label": {"en": "Switching to another tool", "ms": "Beralih ke alat lain",
                                           "id": "Beralih ke alat lain", "zh": "改用其他工具"}},
             {"id": "not_using", "label": {"en": "Not using it enough", "ms": "Jarang menggunakannya",
                                           "id": "Jarang menggunakannya", "zh": "使用得不够多"}},
         ]},
        {"id": "satisfaction", "type": "likert", "scale": 5,
         "text": {"en": "How satisfied were you?", "ms": "Sejauh mana anda berpuas hati?",
                  "id": "Seberapa puas Anda?", "zh": "您的满意度如何？"},
         "labels": {"min": {"en": "Very dissatisfied", "ms": "Sangat tidak puas hati",
                            "id": "Sangat tidak puas", "zh": "非常不满意"},
                    "max": {"en": "Very satisfied", "ms": "Sangat berpuas hati", "id": "Sangat puas",
                            "zh": "非常满意"}}},
        {"id": "nps", "type": "nps",
         "text": {"en": "How likely are you to recommend us?", "ms": "Sejauh mana anda akan mengesyorkan kami?",
                  "id": "Seberapa mungkin Anda merekomendasikan kami?", "zh": "您向他人推荐我们的可能性有多大？"}},
        {"id": "come_back", "type": "yes_no",
         "text": {"en": "Would you use us again?", "ms": "Adakah anda akan menggunakan kami lagi?",
                  "id": "Apakah Anda akan menggunakan kami lagi?", "zh": "您会再次使用我们吗？"}},
        {"id": "why_not", "type": "open", "required": False, "max_length": 2000,
         "show_if": {"question": "come_back", "equals": False},
         "text": {"en": "If not, why not?", "ms": "Jika tidak, mengapa?", "id": "Jika tidak, mengapa?",
                  "zh": "如果不会，为什么？"}},
    ],
    # An email, a reminder three days later, then an SMS two days after that (CONTRACT §9).
    "delivery": {"steps": [{"channel": "email", "wait_hours": 0}, {"channel": "email", "wait_hours": 72},
                           {"channel": "sms", "wait_hours": 48}],
                 "stop_on": "responded", "after_widget": False},
    "offers": [
        {"id": "discount", "when": {"question": "reason", "in": ["price"]},
         "title": {"en": "50% off for 3 months?", "ms": "Diskaun 50% selama 3 bulan?",
                   "id": "Diskon 50% selama 3 bulan?", "zh": "三个月五折优惠？"},
         "body": {"en": "Stay with us and pay half for the next three months.",
                  "ms": "Kekal bersama kami dan bayar separuh harga untuk tiga bulan akan datang.",
                  "id": "Tetap bersama kami dan bayar setengah harga selama tiga bulan ke depan.",
                  "zh": "留下来，未来三个月只需支付一半费用。"},
         "accept_label": {"en": "Take the offer", "ms": "Terima tawaran", "id": "Ambil penawaran",
                          "zh": "接受优惠"},
         "decline_label": {"en": "No thanks, cancel", "ms": "Tidak, batalkan", "id": "Tidak, batalkan",
                           "zh": "不用了，取消"}},
    ],
}


def _credentials_path() -> Path:
    return Path(current_app.instance_path) / CREDENTIALS_FILE


def seed_demo(sample_responses: int = 24) -> dict:
    """Create the demo once and return its credentials (kept in the instance folder, mode 0600)."""
    path = _credentials_path()
    if is_seeded():
        if path.exists():
            return _as_they_are_now(json.loads(path.read_text()))
        raise Conflict(f"The demo org exists but instance/{CREDENTIALS_FILE} is gone, and its secrets "
                       "can't be shown again. Create an org with 'surveyhub org create' instead.")
    new = create_org(DEMO_ORG)
    password = secrets.token_urlsafe(9)
    manager = create_user(DEMO_EMAIL, new.org.id, password)
    survey = create_survey(new.org.id, SurveyDefinitionSchema().load(DEMO_SURVEY))
    publish_survey(survey)
    rng = random.Random(7)
    for i in range(sample_responses):
        create_staff_response(survey, f"demo-customer-{i + 1}", _sample_answers(rng), complete=True,
                              metadata={"source": "demo"})
    seed_follow_ups(survey, manager)
    seed_cascades(survey, rng)
    seed_channels(survey, random.Random(11))
    credentials = {"org_id": new.org.id, "api_key": new.api_key, "widget_key": new.org.widget_key,
                   "signing_secret": new.signing_secret, "survey_id": survey.id,
                   "manager_email": DEMO_EMAIL, "manager_password": password}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(credentials, f, indent=2)
    return credentials


@dataclass(frozen=True)
class FollowUpStory:
    """What the demo's managers did with one detractor's follow-up."""

    status: str
    owner: bool = False
    due_in_days: int | None = None
    notes: tuple[str, ...] = ()


# Taken in turn, so each state of CONTRACT §10 is on show.
FOLLOW_UP_STORIES = (
    FollowUpStory("open"),
    FollowUpStory("open", owner=True, due_in_days=2),
    FollowUpStory("contacted", owner=True, due_in_days=5,
                  notes=("Called; they moved to a cheaper plan elsewhere. Sending our annual-plan offer.",)),
    FollowUpStory("resolved", owner=True,
                  notes=("Emailed about the export bug they hit.", "Fixed in 4.2; they stay on the pro plan.")),
)


def seed_follow_ups(survey: Survey, manager: User) -> None:
    """Move the follow-ups the sample responses opened through their states, so each is on show."""
    follow_ups = db.session.execute(
        select(FollowUp).where(FollowUp.survey_id == survey.id).order_by(FollowUp.id)).scalars()
    today = utcnow().date()
    for follow_up, story in zip(follow_ups, itertools.cycle(FOLLOW_UP_STORIES), strict=False):
        for note in story.notes:
            update_follow_up(follow_up, author=manager.email, note=note)
        due = today + timedelta(days=story.due_in_days) if story.due_in_days is not None else None
        update_follow_up(follow_up, author=manager.email, status=story.status,
                         owner=manager.email if story.owner else None, due=due)


ROTATED = None  # a secret changed since the demo was seeded: the file can't know the new one


def _as_they_are_now(kept: dict) -> dict:
    """The kept credentials, brought up to date: keys and secrets rotated since the demo was seeded are
    the org's current ones where the database can tell them (widget key, signing secret), else ROTATED."""
    org = db.session.get(Org, kept["org_id"])
    if org is None:
        raise Conflict(f"The demo org is gone; delete instance/{CREDENTIALS_FILE} and run 'surveyhub demo' again.")
    current = {**kept, "widget_key": org.widget_key, "signing_secret": signing_secret(org)}
    if org_for_api_key(kept["api_key"]) is None:
        current["api_key"] = ROTATED
    if authenticate_user(kept["manager_email"], kept["manager_password"]) is None:
        current["manager_password"] = ROTATED
    return current


def _sample_answers(rng: random.Random, lift: float = 0.0) -> list[dict]:
    """Answers as a leaving customer gives them; `lift` (0–1) nudges NPS up, so later weeks score better."""
    reason = rng.choice(["price", "price", "features", "switching", "not_using", "other"])
    answers: list[dict[str, Any]] = [{"question": "reason", "value": reason}]
    if reason == "other":
        answers[0]["other_text"] = rng.choice(["Company closed", "Budget freeze", "Merged with another team"])
    come_back = rng.random() < 0.4
    answers += [{"question": "satisfaction", "value": rng.randint(1, 5)},
                {"question": "nps", "value": min(10, rng.randint(0, 10) + round(3 * lift * rng.random()))},
                {"question": "come_back", "value": come_back}]
    if not come_back and rng.random() < 0.7:
        answers.append({"question": "why_not", "value": rng.choice(
            ["Too slow for our team", "Harga terlalu tinggi untuk kami", "缺少中文界面"])})
    return answers


# Of a hundred people asked, about 28 answer the first email, 8 more the reminder and 7 more the SMS:
# each step's chance among the people it reaches.
STEP_WINS = (0.28, 0.08 / 0.72, 0.07 / 0.64)
CASCADES_PER_WEEK = 45
NO_PHONE = 0.05  # their SMS step is skipped
ERASED = 0.015  # asked to be forgotten after the first email: the rest of their cascade was cancelled


def seed_cascades(survey: Survey, rng: random.Random, weeks: int = 12) -> None:
    """Play `weeks` of finished cascades of the survey's plan into its history, the last started six days ago.

    The rows are what the delivery engine and the hosted page would have written (cascades, their steps
    as invitations, the responses to them), added in a few flushes; their events go through
    `record_events` with the time each happened, which counts them in the stats counters as any event,
    and the answers through `count_answer_changes`: stats read them by the same paths as real data.
    """
    version = live_version(survey)
    plan = version.definition["delivery"]["steps"]
    now = utcnow()
    total = weeks * CASCADES_PER_WEEK
    starts = sorted(now - timedelta(days=6, minutes=rng.randrange(weeks * 7 * 24 * 60)) for _ in range(total))
    people: list[Respondent | None] = []
    for i, start in enumerate(starts):
        if rng.random() < ERASED:
            people.append(None)
            continue
        phone = None if rng.random() < NO_PHONE else f"+60123{i:06d}"
        people.append(Respondent(org_id=survey.org_id, external_id=f"demo-lead-{i + 1}",
                                 email=f"lead{i + 1}@demo.surveyhub.test", phone=phone, locale=rng.choice(LOCALES),
                                 attributes={"plan": rng.choice(["starter", "pro", "pro", "team"])},
                                 created_at=start, updated_at=start))
    db.session.add_all([person for person in people if person is not None])
    db.session.flush()
    played = [_play_cascade(survey, plan, person, start, rng) for person, start in zip(people, starts, strict=True)]
    db.session.add_all([cascade for cascade, _, _ in played])
    db.session.flush()
    for cascade, steps, _ in played:
        for step in steps:
            step.cascade_id = cascade.id
    db.session.add_all([step for _, steps, _ in played for step in steps])
    db.session.flush()
    responses = [_response(survey, version, person, winner, rng)
                 for (_, _, winner), person in zip(played, people, strict=True)
                 if winner is not None and person is not None]
    db.session.add_all(responses)
    db.session.flush()
    events = []
    for _, steps, _ in played:
        for step in steps:
            if step.status != "skipped":  # a skipped step was never queued: no "invited"
                events.append(NewEvent("invited", survey.id, step.channel, invitation_id=step.id, at=step.created_at))
            if step.sent_at is not None:
                events.append(NewEvent("sent", survey.id, step.channel, invitation_id=step.id, at=step.sent_at))
    for response in responses:
        if response.channel == "email":  # the hosted page records the link's opening
            events.append(NewEvent("opened", survey.id, "email", invitation_id=response.invitation_id,
                                   at=response.started_at))
        events += [NewEvent("responded", survey.id, response.channel, response.id, at=response.responded_at),
                   NewEvent("completed", survey.id, response.channel, response.id, at=response.completed_at)]
    record_events(survey.org_id, events)
    for response in responses:
        count_answer_changes(response, {}, response.answer_values(), now)


def _play_cascade(survey: Survey, plan: list[dict], person: Respondent | None, start: datetime,
                  rng: random.Random) -> tuple[Cascade, list[Invitation], tuple[Invitation, datetime] | None]:
    """One person's cascade as it went: its row, its steps' rows, and the step they answered and when."""
    address_of = {"email": person.email, "sms": person.phone} if person is not None else {}
    cascade = Cascade(org_id=survey.org_id, survey_id=survey.id, respondent_id=person.id if person else None,
                      email=address_of.get("email"), phone=address_of.get("sms"), steps=plan, stop_on="responded",
                      started_at=start, status="exhausted")
    steps: list[Invitation] = []
    last_sent: datetime | None = None
    made = start  # each step's row is made when the one before it is sent (or skipped)
    for number, step in enumerate(plan, 1):
        cascade.current_step = number
        due = max((last_sent or start) + timedelta(hours=step["wait_hours"]), made)
        row = Invitation(org_id=survey.org_id, survey_id=survey.id, respondent_id=cascade.respondent_id,
                         channel=step["channel"], address=address_of.get(step["channel"]), step=number, meta={},
                         created_at=made, send_at=due, due_at=due, status="queued")
        steps.append(row)
        if person is None and number > 1:  # erased after the first email: cancelled, and the addresses gone
            row.status, row.last_error, cascade.status = "cancelled", "respondent erased", "cancelled"
            break
        if cascade.status == "responded":  # queued when the step before was sent, cancelled by the answer
            row.status, row.last_error = "cancelled", "answered"
            break
        if row.address is None and person is not None:
            row.status, row.last_error, row.send_at, row.due_at = "skipped", "no address", made, made
            continue
        last_sent = made = due + timedelta(seconds=rng.randrange(2, 90))
        row.status, row.sent_at = "sent", last_sent
        if person is not None and rng.random() < STEP_WINS[number - 1]:
            # They answer before the next step would have gone out.
            window = plan[number]["wait_hours"] if number < len(plan) else 24
            cascade.status = "responded"
            cascade.finished_at = last_sent + timedelta(minutes=rng.randrange(5, window * 60 - 5))
    cascade.last_sent_at = last_sent
    if cascade.finished_at is None:
        cascade.finished_at = made
    if cascade.status != "responded":
        return cascade, steps, None
    winner = next(row for row in reversed(steps) if row.sent_at is not None)
    return cascade, steps, (winner, cascade.finished_at)


def _response(survey: Survey, version: Any, person: Respondent, winner: tuple[Invitation, datetime],
              rng: random.Random) -> Response:
    """The completed response a person gave on the link or by the SMS of the step they answered."""
    step, answered = winner
    opened = answered - timedelta(seconds=rng.randrange(20, 120))
    if step.channel == "email":
        step.opened_at = opened
    done = answered + timedelta(seconds=rng.randrange(30, 240))
    answers = _answer_rows(survey, rng, done, _lift(answered))
    return Response(org_id=survey.org_id, survey_id=survey.id, survey_version_id=version.id, version=version,
                    respondent=person, invitation_id=step.id, channel=step.channel, status="completed",
                    started_at=opened, updated_at=done, responded_at=answered, completed_at=done,
                    meta={"source": "demo"}, answers=answers)


# The other three channels, per week of the twelve: how many people each reaches, and the chance they
# answer at the first week and at the last (the widget improves most: the trend the charts show).
CHANNEL_WEEKS = {"widget": (30, 0.14, 0.32), "web": (12, 0.55, 0.45), "interview": (4, 0.85, 0.95)}
WEEKS = 12


def _lift(at: datetime) -> float:
    """How far into the demo's twelve weeks `at` is, 0 at the start and 1 now."""
    return max(0.0, min(1.0, 1 - (utcnow() - at).days / (WEEKS * 7)))


def _answer_rows(survey: Survey, rng: random.Random, done: datetime, lift: float) -> list[Answer]:
    return [Answer(survey_id=survey.id, question_id=a["question"], value=a["value"], other_text=a.get("other_text"),
                   answered_at=done)
            for a in _sample_answers(rng, lift)]


def seed_channels(survey: Survey, rng: random.Random, weeks: int = WEEKS) -> None:
    """Play `weeks` of widget displays, hosted-page visits and phone interviews, spread over the weeks.

    As seed_cascades: rows added in one flush, events through `record_events` at their times, answers
    through `count_answer_changes`, so the stats read them as they read real data.
    """
    version = live_version(survey)
    now = utcnow()
    reached: list[tuple[str, datetime]] = []
    responses: list[Response] = []
    for week in range(weeks):
        for channel, (per_week, first, last) in CHANNEL_WEEKS.items():
            chance = first + (last - first) * week / max(1, weeks - 1)
            for _ in range(per_week):
                at = now - timedelta(days=7 * (weeks - week), minutes=rng.randrange(7 * 24 * 60))
                reached.append((channel, at))
                if rng.random() < chance:
                    done = at + timedelta(seconds=rng.randrange(40, 400))
                    responses.append(Response(
                        org_id=survey.org_id, survey_id=survey.id, survey_version_id=version.id, version=version,
                        channel=channel, status="completed", started_at=at, updated_at=done,
                        responded_at=at + timedelta(seconds=30), completed_at=done,
                        meta={"source": "demo"}, answers=_answer_rows(survey, rng, done, week / max(1, weeks - 1))))
    db.session.add_all(responses)
    db.session.flush()
    events = [NewEvent(REACHED[channel], survey.id, channel, at=at) for channel, at in reached]
    for response in responses:
        events += [NewEvent("responded", survey.id, response.channel, response.id, at=response.responded_at),
                   NewEvent("completed", survey.id, response.channel, response.id, at=response.completed_at)]
    record_events(survey.org_id, events)
    for response in responses:
        count_answer_changes(response, {}, response.answer_values(), now)


def is_seeded() -> bool:
    """Tell whether the demo org exists."""
    return db.session.execute(select(Org.id).where(Org.name == DEMO_ORG)).first() is not None


def describe(credentials: dict) -> Iterator[str]:
    """Say what the demo holds and where to look."""
    base = current_app.config["BASE_URL"]
    survey = credentials["survey_id"]
    api_key = credentials["api_key"] or "rotated since the demo was seeded (as 'surveyhub org rotate' printed)"
    password = credentials["manager_password"] or "(changed since the demo was seeded)"
    yield "Demo org 'Demo SaaS' is ready."
    yield f"  API key:        {api_key}"
    yield f"  Widget key:     {credentials['widget_key']}"
    yield f"  Signing secret: {credentials['signing_secret']}"
    yield f"  Manager login:  {credentials['manager_email']} / {password}"
    yield f"  Survey:         #{survey} 'cancel-flow' (English, Malay, Indonesian, Chinese), published"
    yield "  Cascades:       twelve weeks of email → reminder → SMS (the survey page's step chart)"
    yield "  Other channels: twelve weeks of widget, hosted page and interview answers (the charts over time)"
    yield "Where to look:"
    yield f"  Dashboard:  {base}/dashboard/ (sign in with the manager login above)"
    yield f"  Demo page:  {base}/demo  (a SaaS account page whose Cancel button opens the widget)"
    yield f"  API docs:   {base}/api/v1/docs"
    auth = f"-H 'Authorization: Bearer {credentials['api_key'] or 'YOUR_API_KEY'}'"
    yield f"  Responses:  curl {auth} {base}/api/v1/surveys/{survey}/responses"
    yield f"  CSV:        curl {auth} '{base}/api/v1/surveys/{survey}/responses?format=csv'"
    yield f"  Stats:      curl {auth} '{base}/api/v1/surveys/{survey}/stats?interval=week'"
    yield f"(These credentials are kept in instance/{CREDENTIALS_FILE}.)"


def demo_page_context(visitor_id: str) -> dict | None:
    """Return what the /demo page needs to run the widget against the demo org, if it is seeded."""
    org = db.session.execute(select(Org).where(Org.name == DEMO_ORG)).scalar_one_or_none()
    if org is None:
        return None
    return {"key": org.widget_key,
            "user": {"id": visitor_id, "email": f"{visitor_id}@demo.surveyhub.test", "attributes": {"plan": "pro"}},
            "userHash": user_hash(signing_secret(org), visitor_id)}
