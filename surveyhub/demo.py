"""The demo: an org, a manager and a published multilingual cancel-flow survey with some answers."""

from __future__ import annotations

import json
import os
import random
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from .accounts.orgs import authenticate_user, create_org, create_user, org_for_api_key, signing_secret
from .accounts.surveys import create_survey, publish_survey
from .errors import Conflict
from .extensions import db
from .models import Org
from .responses.answers import create_staff_response
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
    create_user(DEMO_EMAIL, new.org.id, password)
    survey = create_survey(new.org.id, SurveyDefinitionSchema().load(DEMO_SURVEY))
    publish_survey(survey)
    rng = random.Random(7)
    for i in range(sample_responses):
        create_staff_response(survey, f"demo-customer-{i + 1}", _sample_answers(rng), complete=True,
                              metadata={"source": "demo"})
    credentials = {"org_id": new.org.id, "api_key": new.api_key, "widget_key": new.org.widget_key,
                   "signing_secret": new.signing_secret, "survey_id": survey.id,
                   "manager_email": DEMO_EMAIL, "manager_password": password}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(credentials, f, indent=2)
    return credentials


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


def _sample_answers(rng: random.Random) -> list[dict]:
    reason = rng.choice(["price", "price", "features", "switching", "not_using", "other"])
    answers: list[dict[str, Any]] = [{"question": "reason", "value": reason}]
    if reason == "other":
        answers[0]["other_text"] = rng.choice(["Company closed", "Budget freeze", "Merged with another team"])
    come_back = rng.random() < 0.4
    answers += [{"question": "satisfaction", "value": rng.randint(1, 5)},
                {"question": "nps", "value": rng.randint(0, 10)},
                {"question": "come_back", "value": come_back}]
    if not come_back and rng.random() < 0.7:
        answers.append({"question": "why_not", "value": rng.choice(
            ["Too slow for our team", "Harga terlalu tinggi untuk kami", "缺少中文界面"])})
    return answers


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
