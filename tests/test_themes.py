"""Themes of open answers (CONTRACT §10): the listing, its store, managers' edits, through the public paths."""
# ruff: noqa: E501 - texts in four languages

from __future__ import annotations

import pytest
from sqlalchemy import select

from surveyhub.models import ThemeAnswer, ThemeModel
from tests.helpers import count

CHOICES = [
    {"id": "price", "label": {"en": "Too expensive", "ms": "Terlalu mahal", "id": "Terlalu mahal", "zh": "太贵"}},
    {"id": "features", "label": {"en": "Missing features", "ms": "Ciri tidak cukup", "id": "Fitur kurang", "zh": "缺少功能"}},
]
PRICE = ["Too expensive for a small team", "Terlalu mahal untuk syarikat kecil", "Harganya terlalu mahal buat kami", "太贵了，预算不够"]
FEATURES = ["Missing features we needed", "Ciri tidak cukup untuk kerja kami", "Fitur kurang lengkap", "缺少功能，无法导出"]


def themed_survey(**overrides) -> dict:
    """A survey with a translated choice question (taking "other") and an open question anyone may answer."""
    return {
        "slug": "exit", "name": "Exit", "default_locale": "en",
        "intro": {"en": "Sorry to see you go.", "ms": "Kami sedih anda pergi.", "id": "Sayang sekali.", "zh": "很遗憾。"},
        "questions": [
            {"id": "reason", "type": "multiple_choice", "text": {"en": "Main reason?", "ms": "Sebab utama?", "id": "Alasan utama?", "zh": "主要原因？"},
             "choices": CHOICES, "allow_other": True},
            {"id": "why", "type": "open", "text": {"en": "Tell us more", "ms": "Ceritakan", "id": "Ceritakan", "zh": "请详细说明"}, "required": False},
            {"id": "nps", "type": "nps", "text": "How likely are you to recommend us?", "required": False},
        ],
        **overrides,
    }


@pytest.fixture
def survey(make_survey) -> dict:
    return make_survey(**themed_survey())


@pytest.fixture
def answer(api):
    """Enter a response over the API (channel interview); return its id."""

    def post(survey_id: int, why: str | None = None, reason: str = "price", other: str | None = None,
             external_id: str | None = None) -> int:
        answers = [{"question": "reason", "value": reason, **({"other_text": other} if other else {})}]
        if why is not None:
            answers.append({"question": "why", "value": why})
        r = api.post(f"/api/v1/surveys/{survey_id}/responses",
                     json={"answers": answers, "complete": True, **({"external_id": external_id} if external_id else {})})
        assert r.status_code == 201, r.get_json()
        return r.get_json()["id"]

    return post


def themes(api, survey_id: int, question: str = "why", **query) -> dict:
    r = api.get(f"/api/v1/surveys/{survey_id}/themes", query_string={"question": question, **query})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def theme_of(listing: dict, response_id: int) -> dict:
    """The theme whose examples or members hold `response_id` (examples: up to 3 per theme)."""
    return next(t for t in listing["themes"] if response_id in {e["response_id"] for e in t["examples"]})


def test_mixed_languages_group_by_what_they_say(api, survey, answer):
    price = [answer(survey["id"], text) for text in PRICE]
    features = [answer(survey["id"], text) for text in FEATURES]
    answer(survey["id"])  # no open answer: not counted
    listing = themes(api, survey["id"])
    assert listing["answered"] == 8
    assert listing["unassigned"] == 8 - sum(t["count"] for t in listing["themes"])
    by_id = {t["id"]: t for t in listing["themes"]}
    price_theme = next(t for t in by_id.values() if t["label"] == "Too expensive")
    features_theme = next(t for t in by_id.values() if t["label"] == "Missing features")
    assert price_theme["count"] == 4 and features_theme["count"] == 4
    assert price_theme["languages"] == {"en": 1, "ms": 1, "id": 1, "zh": 1} or sum(price_theme["languages"].values()) == 4
    assert price_theme["share"] == 0.5
    assert {e["response_id"] for e in price_theme["examples"]} <= set(price)
    assert {e["response_id"] for e in features_theme["examples"]} <= set(features)
    assert len(price_theme["examples"]) == 3
    assert all(e["text"] in PRICE for e in price_theme["examples"])
    assert set(listing["themes"][0]) == {"id", "label", "count", "share", "examples", "languages"}
