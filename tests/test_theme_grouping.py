"""The grouping module on its own (surveyhub/themes/grouping.py): no database, no app."""
# ruff: noqa: E501 - texts in four languages

from __future__ import annotations

import json

import pytest

from surveyhub.themes import grouping
from tests.test_themes import CHOICES, FEATURES, PRICE

BRIDGES = [c["label"] for c in CHOICES]
SUPPORT = ["Support never answered my tickets", "Sokongan pelanggan lambat membalas", "Layanan pelanggan lambat sekali", "客服回复太慢"]


def test_unusable_texts_get_no_theme():
    texts = ["", "   \n\t", "🙂🙂👍", "!!! ...", *PRICE]
    result = grouping.group(texts)
    assert result.assignments[:4] == [None, None, None, None]
    assert all(a is not None for a in result.assignments[4:])
    assert [grouping.usable(t) for t in texts[:4]] == [False] * 4
    assert result.assign("🙂") is None and result.assign("   ") is None


def test_no_texts_no_themes():
    result = grouping.group([])
    assert result.assignments == [] and result.themes == []
    assert grouping.group(["", "🙂"]).themes == []


def test_long_mixed_script_and_jawi_texts_are_read():
    long_text = ("Too expensive for us " * 100)[:2000]
    texts = [long_text, "harga naik, budget cut 太贵了", "ڤركوڠسين اين تيدق برݢونا", *PRICE]
    result = grouping.group(texts, bridges=BRIDGES)
    assert len(result.assignments) == len(texts)
    assert result.assignments[0] == result.assignments[3]  # the long one is about price, like the others
    assert result.assignments[2] is not None  # Jawi has letters: it is grouped, if only with the residual
    assert grouping.language_of("太贵了，预算不够") == "zh"


def test_same_meaning_in_four_languages_lands_in_one_theme():
    result = grouping.group(PRICE + FEATURES + SUPPORT)
    price, features, support = (set(result.assignments[i:i + 4]) for i in (0, 4, 8))
    assert len(price) == 1 and len(features) == 1 and len(support) == 1
    assert len(price | features | support) == 3


def test_choice_labels_bridge_languages_and_name_the_theme():
    result = grouping.group(["Terlalu mahal", "太贵", "Too expensive", "Fitur kurang", "缺少功能", "Missing features"], bridges=BRIDGES)
    assert len(set(result.assignments[:3])) == 1 and len(set(result.assignments[3:])) == 1
    bridged = {result.themes[result.assignments[0]].bridge, result.themes[result.assignments[3]].bridge}
    assert bridged == {0, 1}


@pytest.mark.parametrize("k", [1, 2])
def test_k_limits_the_themes(k):
    result = grouping.group(PRICE + FEATURES + SUPPORT + ["random words here"], k=k)
    assert 1 <= len(result.themes) <= k
    assert all(a is not None and a < len(result.themes) for a in result.assignments)


def test_k_below_one_is_refused():
    with pytest.raises(ValueError):
        grouping.group(PRICE, k=0)


def test_same_input_same_output():
    texts = PRICE + FEATURES + SUPPORT + ["ok lah", "nothing else"]
    first, second = grouping.group(texts, bridges=BRIDGES), grouping.group(texts, bridges=BRIDGES)
    assert first.assignments == second.assignments
    assert json.dumps(first.to_json(), sort_keys=True) == json.dumps(second.to_json(), sort_keys=True)


def test_to_json_round_trip_assigns_new_texts_alike():
    result = grouping.group(PRICE + FEATURES + SUPPORT, bridges=BRIDGES)
    stored = json.loads(json.dumps(result.to_json()))
    again = grouping.Grouping.from_json(stored)
    assert again.to_json() == stored
    assert [t.to_json() for t in again.themes] == [t.to_json() for t in result.themes]
    for text in ["Harga terlalu tinggi", "too pricey", "功能不够", "客服很慢", "🙂"]:
        assert again.assign(text) == result.assign(text)
    with pytest.raises(ValueError):
        grouping.Grouping.from_json({**stored, "version": 99})


def test_cheaper_elsewhere_is_a_price_theme_and_a_mandated_tool_a_competitor_one():
    """Of the concept pairs the taxonomy ranks (lexicon.OUTRANKS), the first decides the theme."""
    cheaper = ["Another tool does the same for half the price", "Aplikasi lain sama saja tapi harganya separuh"]
    mandated = ["Head office told us to switch to Trello", "集团要求我们改用钉钉"]
    result = grouping.group(PRICE + cheaper + SUPPORT + mandated + ["We moved to Typeform", "改用问卷星了"])
    price, switched = result.assignments[0], result.assignments[-1]
    assert result.assignments[4:6] == [price, price]
    assert result.assignments[10:12] == [switched, switched]
    assert price != switched


def test_a_letter_missing_or_one_too_many_still_reads_the_word():
    result = grouping.group(PRICE + FEATURES + ["Much too expensve", "No intergration with our CRM"])
    assert result.assignments[-2] == result.assignments[0]
    assert result.assignments[-1] == result.assignments[4]
    # a changed letter is another word, not a typo: "paling" (most, in Malay) is not "paying"
    assert result.assign("paling teruk") == result.assign("nothing known here")


def test_chinese_entries_with_a_gap_match_within_one_clause():
    result = grouping.group(["用得太少了", "很少用", "Rarely used it", "太贵了", "Too expensive"])
    assert result.assignments[0] == result.assignments[1] == result.assignments[2]
    assert result.assignments[0] != result.assignments[3]
    assert result.assign("用的人太少") == result.assignments[0]
    assert result.assign("用，少") != result.assignments[0]  # the gap does not cross a comma


def test_what_comes_after_but_is_the_point():
    """A concept named before "but" / "tapi" / 但是 yields to one named after it (lexicon.CONTRAST_MARKERS)."""
    conceded = ["The price is fine but support never answered my tickets", "Harga okay, tapi sokongan pelanggan lambat membalas", "价格还行，但是客服回复太慢"]
    result = grouping.group(PRICE + SUPPORT + conceded)
    price, support = result.assignments[0], result.assignments[4]
    assert price != support
    assert result.assignments[8:] == [support] * 3
    assert result.assign("Too expensive, and the support was slow") == price  # no "but": the first one leads


def test_slow_support_is_support_and_a_slow_app_a_bug():
    bugs = ["The app crashes every day", "Sistem selalu hang", "经常闪退"]
    result = grouping.group(SUPPORT + bugs + ["Slow support", "Slow replies from support", "The app is slow", "系统很慢"])
    support, bug = result.assignments[0], result.assignments[4]
    assert support != bug
    assert result.assignments[7:] == [support, support, bug, bug]


def test_chat_short_forms_read_as_their_words():
    """SMS answers write "gk", "xfaham", "dont": they group with the spelt-out answers (lexicon.SHORT_FORMS)."""
    spelt = ["Gak pernah dipakai", "Tak faham cara guna, terlalu rumit"]
    short = ["gk pernah dipake", "xfaham cara guna, rumit sgt", "we dont use it"]
    result = grouping.group(PRICE + spelt + short + ["We don't use it"])
    low_usage, complexity = result.assignments[4], result.assignments[5]
    assert low_usage != complexity
    assert result.assignments[6:] == [low_usage, complexity, low_usage, low_usage]
    assert grouping.group(["xero integration please", "no integration"]).assignments == [0, 0]  # "xero" is not "tak ero"


def test_a_full_entry_beats_a_hint_over_the_same_words():
    """"down" is a full Malay entry for an outage and an English hint: in a Malay answer the outage leads."""
    bugs = ["The app crashes every day", "Sistem selalu hang", "经常闪退"]
    complexity = ["Too complicated to set up", "Susah sangat nak guna", "操作太复杂"]
    result = grouping.group(bugs + complexity + ["Sistem down setiap hari, sangat menyusahkan"])
    bug, hard = result.assignments[0], result.assignments[3]
    assert bug != hard
    assert result.assignments[-1] == bug


def test_slow_replies_and_the_same_features_for_less_read_as_what_they_are():
    """Malay/Indonesian "slow to reply" is support, not a slow app; "the same features" elsewhere is no missing feature."""
    result = grouping.group(PRICE + FEATURES + SUPPORT + ["Aplikasi selalu lambat", "The app is slow", "系统很慢"])
    price, features, support, bug = (result.assignments[i] for i in (0, 4, 8, 12))
    assert len({price, features, support, bug}) == 4
    assert result.assign("Lambat reply bila kami emel") == support
    assert result.assign("Lambat bales, udah seminggu") == support
    assert result.assign("另一家同样的功能，只要半价") == price
    assert result.assign("Tempat lain ciri yang sama, harga separuh") == price
