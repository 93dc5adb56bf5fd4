"""Themes of open answers (CONTRACT §10): the listing, its store, managers' edits, through the public paths."""
# ruff: noqa: E501 - texts in four languages

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from surveyhub.delivery import sms as sms_delivery
from surveyhub.models import ThemeAnswer, ThemeModel
from tests.helpers import count
from tests.test_hosted_page import Page, mail_links

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
    """The theme whose examples (its newest 3 answers) hold `response_id`."""
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


def test_labels_follow_the_readers_language(api, survey, answer):
    for text in PRICE + FEATURES:
        answer(survey["id"], text)
    labels = lambda **kw: {t["label"] for t in themes(api, survey["id"], **kw)["themes"]}  # noqa: E731
    assert {"Too expensive", "Missing features"} <= labels()
    assert {"Terlalu mahal", "Ciri tidak cukup"} <= labels(locale="ms")
    assert {"Terlalu mahal", "Fitur kurang"} <= labels(locale="id-ID")
    r = api.get(f"/api/v1/surveys/{survey['id']}/themes?question=why", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert {"太贵", "缺少功能"} <= {t["label"] for t in r.get_json()["themes"]}
    assert {"Too expensive", "Missing features"} <= labels(locale="fr")  # not the survey's: its default


def test_other_texts_of_a_choice_question(api, survey, answer):
    ids = [answer(survey["id"], reason="other", other=text) for text in PRICE]
    answer(survey["id"], reason="features")  # a choice, not a text
    listing = themes(api, survey["id"], question="reason")
    assert listing["answered"] == 4
    assert theme_of(listing, ids[-1])["label"] == "Too expensive"


@pytest.mark.parametrize(("query", "status", "field"), [
    ({"question": "nps"}, 422, "question"),
    ({"question": "nope"}, 422, "question"),
    ({}, 422, "question"),
    ({"question": "why", "from": "2026-02-02", "to": "2026-02-01"}, 422, "to"),
    ({"question": "why", "from": "yesterday"}, 422, "from"),
    ({"question": "why", "locale": "<script>"}, 422, "locale"),
    ({"question": "why", "colour": "red"}, 422, "colour"),
])
def test_bad_queries_are_refused_naming_the_field(api, survey, answer, row_counts, query, status, field):
    answer(survey["id"], PRICE[0])
    before = row_counts()
    r = api.get(f"/api/v1/surveys/{survey['id']}/themes", query_string=query)
    assert r.status_code == status, r.get_json()
    assert field in r.get_json()["error"]["fields"]
    assert row_counts() == before


def test_a_survey_without_answers_has_no_themes(api, survey):
    assert themes(api, survey["id"]) == {"themes": [], "answered": 0, "unassigned": 0}


def test_another_orgs_survey_and_themes_are_not_found(api, other_api, survey, answer, row_counts):
    answer(survey["id"], PRICE[0])
    theme_id = themes(api, survey["id"])["themes"][0]["id"]
    before = row_counts()
    assert other_api.get(f"/api/v1/surveys/{survey['id']}/themes?question=why").status_code == 404
    assert other_api.patch(f"/api/v1/themes/{theme_id}", json={"label": "Mine"}).status_code == 404
    assert other_api.post(f"/api/v1/themes/{theme_id}/split").status_code == 404
    assert other_api.post(f"/api/v1/surveys/{survey['id']}/themes/regroup", json={"question": "why"}).status_code == 404
    assert row_counts() == before


def test_the_date_range_counts_the_answers_of_those_days(api, survey, answer):
    for text in PRICE:
        answer(survey["id"], text)
    today = themes(api, survey["id"])
    assert themes(api, survey["id"], **{"from": "2020-01-01", "to": "2020-01-31"}) == \
        {"themes": [], "answered": 0, "unassigned": 0}
    day = datetime.now(UTC).date().isoformat()
    assert themes(api, survey["id"], **{"from": day, "to": day})["answered"] == today["answered"] == 4


def test_a_new_answer_joins_its_theme_without_regrouping(app, db, api, survey, answer):
    for text in PRICE + FEATURES:
        answer(survey["id"], text)
    first = themes(api, survey["id"])
    price = next(t for t in first["themes"] if t["label"] == "Too expensive")
    grouped_at = db.execute(select(ThemeModel.grouped_at)).scalar_one()
    new = answer(survey["id"], "Way too expensive now, terlalu mahal")
    assert count(app, ThemeAnswer) == sum(t["count"] for t in first["themes"]) + 1  # placed as it was written
    listing = themes(api, survey["id"])
    assert db.execute(select(ThemeModel.grouped_at)).scalar_one() == grouped_at  # no regrouping
    assert theme_of(listing, new)["id"] == price["id"]
    assert theme_of(listing, new)["count"] == price["count"] + 1


def test_enough_new_answers_regroup_them_all(db, api, survey, answer):
    for text in PRICE + FEATURES:
        answer(survey["id"], text)
    themes(api, survey["id"])
    assert db.execute(select(ThemeModel.grouped_count)).scalar_one() == 8
    for text in (PRICE + FEATURES) * 2:
        answer(survey["id"], text)
    assert themes(api, survey["id"])["answered"] == 24
    assert db.execute(select(ThemeModel.grouped_count)).scalar_one() == 24


def test_erasing_a_person_takes_their_answers_out_of_the_themes(app, api, survey, answer):
    for text in PRICE[1:]:
        answer(survey["id"], text)
    answer(survey["id"], PRICE[0], external_id="gone")
    before = themes(api, survey["id"])
    assert api.delete("/api/v1/respondents/gone").status_code == 204
    after = themes(api, survey["id"])
    assert after["answered"] == before["answered"] - 1
    assert sum(t["count"] for t in after["themes"]) == sum(t["count"] for t in before["themes"]) - 1
    assert count(app, ThemeAnswer) == sum(t["count"] for t in after["themes"])


def _price_and_features(api, survey, answer) -> tuple[dict, dict, list[int], list[int]]:
    price_ids = [answer(survey["id"], text) for text in PRICE]
    feature_ids = [answer(survey["id"], text) for text in FEATURES]
    listing = themes(api, survey["id"])
    price = next(t for t in listing["themes"] if t["label"] == "Too expensive")
    features = next(t for t in listing["themes"] if t["label"] == "Missing features")
    return price, features, price_ids, feature_ids


def regroup(api, survey_id: int, question: str = "why") -> dict:
    r = api.post(f"/api/v1/surveys/{survey_id}/themes/regroup", json={"question": question})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def counts(listing: dict) -> dict[int, int]:
    return {t["id"]: t["count"] for t in listing["themes"]}


def test_a_rename_and_a_move_survive_regrouping(api, survey, answer):
    price, features, _, feature_ids = _price_and_features(api, survey, answer)
    r = api.patch(f"/api/v1/themes/{price['id']}", json={"label": "  Pricing  "})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["label"] == "Pricing" and r.get_json()["count"] == 4
    r = api.post(f"/api/v1/themes/{price['id']}/answers", json={"response_id": feature_ids[0]})
    assert r.status_code == 200 and r.get_json()["count"] == 5
    regrouped = regroup(api, survey["id"])
    assert counts(regrouped) == {price["id"]: 5, features["id"]: 3}
    assert {t["id"]: t["label"] for t in regrouped["themes"]} == {price["id"]: "Pricing",
                                                                   features["id"]: "Missing features"}
    r = api.patch(f"/api/v1/themes/{price['id']}?locale=ms", json={"label": None})
    assert r.get_json()["label"] == "Terlalu mahal"  # the automatic label, in the reader's language


def test_a_merge_survives_regrouping_and_takes_new_answers(api, survey, answer):
    price, features, _, _ = _price_and_features(api, survey, answer)
    r = api.post(f"/api/v1/themes/{features['id']}/merge", json={"into": price["id"]})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["id"] == price["id"] and r.get_json()["count"] == 8
    assert counts(themes(api, survey["id"])) == {price["id"]: 8}
    assert counts(regroup(api, survey["id"])) == {price["id"]: 8}
    new = answer(survey["id"], "Missing features again, ciri tidak cukup")
    assert theme_of(themes(api, survey["id"]), new)["id"] == price["id"]


def test_a_split_survives_regrouping(api, survey, answer):
    price, features, _, _ = _price_and_features(api, survey, answer)
    assert api.post(f"/api/v1/themes/{features['id']}/merge", json={"into": price["id"]}).status_code == 200
    r = api.post(f"/api/v1/themes/{price['id']}/split")
    assert r.status_code == 201, r.get_json()
    kept, new = r.get_json()["themes"]
    assert kept["id"] == price["id"] and new["id"] not in (price["id"], features["id"])
    assert kept["count"] + new["count"] == 8 and kept["count"] >= new["count"] > 0
    assert counts(regroup(api, survey["id"])) == {kept["id"]: kept["count"], new["id"]: new["count"]}


@pytest.mark.parametrize(("path", "body", "status", "field"), [
    ("merge", "self", 422, "into"),
    ("merge", {"into": 0}, 422, "into"),
    ("merge", {"into": "1"}, 422, "into"),
    ("merge", {"into": 999999}, 404, None),
    ("merge", {}, 422, "into"),
    ("answers", {"response_id": 999999}, 422, "response_id"),
    ("answers", {"response_id": True}, 422, "response_id"),
    ("", {"label": "   "}, 422, "label"),
    ("", {"label": "x" * 201}, 422, "label"),
    ("", {}, 422, "label"),
    ("", {"label": "ok", "extra": 1}, 422, "extra"),
])
def test_bad_edits_are_refused_naming_the_field(api, survey, answer, row_counts, path, body, status, field):
    answer(survey["id"], PRICE[0])
    theme_id = themes(api, survey["id"])["themes"][0]["id"]
    body = {"into": theme_id} if body == "self" else body
    before = row_counts()
    url = f"/api/v1/themes/{theme_id}" + (f"/{path}" if path else "")
    r = api.post(url, json=body) if path else api.patch(url, json=body)
    assert r.status_code == status, r.get_json()
    assert field is None or field in r.get_json()["error"]["fields"]
    assert row_counts() == before


def test_themes_of_another_question_do_not_merge(api, survey, answer):
    response_id = answer(survey["id"], PRICE[0], reason="other", other="Too expensive")
    why = themes(api, survey["id"])["themes"][0]
    reason = themes(api, survey["id"], question="reason")["themes"][0]
    r = api.post(f"/api/v1/themes/{why['id']}/merge", json={"into": reason["id"]})
    assert r.status_code == 422 and "into" in r.get_json()["error"]["fields"]
    r = api.post(f"/api/v1/themes/{why['id']}/answers", json={"response_id": response_id + 1})
    assert r.status_code == 422 and "response_id" in r.get_json()["error"]["fields"]


def test_a_theme_of_one_answer_cannot_be_split(api, survey, answer):
    answer(survey["id"], PRICE[0])
    theme_id = themes(api, survey["id"])["themes"][0]["id"]
    r = api.post(f"/api/v1/themes/{theme_id}/split")
    assert r.status_code == 422 and "theme" in r.get_json()["error"]["fields"]


def test_answers_from_the_hosted_page_and_by_sms_join_their_themes(api, survey, answer, invite, smtp, run_worker,
                                                                   client, twilio, twilio_post, monkeypatch):
    for text in PRICE + FEATURES:
        answer(survey["id"], text)
    price = next(t for t in themes(api, survey["id"])["themes"] if t["label"] == "Too expensive")
    invite(survey["id"], {"email": "amy@example.com", "locale": "ms"})
    run_worker()
    page = Page(client, mail_links(smtp.messages[-1])[0])
    page.answer("reason", "price")
    page.answer("why", "Harga terlalu mahal sekarang")
    assert page.answer("nps", "3").status_code == 200
    monkeypatch.setattr(sms_delivery, "clock", lambda: datetime(2026, 1, 15, 4, 0, tzinfo=UTC))  # midday in KL
    r = api.post(f"/api/v1/surveys/{survey['id']}/invitations",
                 json={"channel": "sms", "recipients": [{"phone": "+60123456789", "locale": "zh"}]})
    assert r.status_code == 202, r.get_json()
    run_worker()
    for sid, body in enumerate(["1", "太贵了 用不起", "SKIP"]):
        sent = twilio_post("/channels/sms/inbound", {"MessageSid": f"SMth{sid}", "From": "+60123456789",
                                                     "To": "+15005550006", "Body": body})
        assert sent.status_code == 200
        run_worker()
    listing = themes(api, survey["id"])
    assert listing["answered"] == 10
    joined = next(t for t in listing["themes"] if t["id"] == price["id"])
    assert joined["count"] == price["count"] + 2
    assert {e["text"] for e in joined["examples"][:2]} == {"Harga terlalu mahal sekarang", "太贵了 用不起"}
