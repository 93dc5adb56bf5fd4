"""The dashboard in the manager's language: chosen per manager (kept), else the browser's; no English left."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po

from surveyhub.i18n import TRANSLATIONS
from surveyhub.models import User
from tests.helpers import DASHBOARD_PAGES, add_manager, csrf_token, sign_in
from tests.test_dashboard_webhooks import ANSWERS
from tests.test_themes import FEATURES, PRICE
from tests.test_webhooks import log_one_delivery

# Words that are the same in every language the dashboard speaks (names, protocols).
SAME_EVERYWHERE = {"SurveyHub", "HTTP", "URL", "API", "UTC", "NPS", "CSV", "JSON", "SMS", "English", "Bahasa", "Melayu",
                   "Indonesia", "Python", "Node", "PHP", "Ruby"}


# What pages put between words of their own (a channel's name between dots): not words.
SEPARATORS = " ·•:—–-|"


class _Text(HTMLParser):
    """The visible text nodes of a page, without code, scripts and the language picker's own names."""

    SKIPPED = {"code", "script", "style", "option", "title", "textarea"}

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self._skipping.append(tag)

    def handle_endtag(self, tag):
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.nodes.append(" ".join(data.split()))


def english_left(english_page: str, translated_page: str, locale: str, data: set[str]) -> list[str]:
    """Return the text nodes a translated page shows exactly as the English one does and that hold words
    (not numbers, dates, codes, the test's own data, or a word its translator kept as it is, such as
    "Status" in Malay): the product's words left untranslated."""
    in_english = _nodes(english_page)
    kept_by_translator = _translations(locale)
    return [node for node in _nodes(translated_page)
            if node in in_english and node.strip(SEPARATORS) not in kept_by_translator and not _is_data(node, data)
            and set(re.findall(r"[A-Za-z]{3,}", node)) - SAME_EVERYWHERE]


def _is_data(node: str, data: set[str]) -> bool:
    """Whether a text node shows the test's data (a survey's own text, an email), alone or with a code."""
    return any(text in node or node in text for text in data)


def _texts(value) -> set[str]:
    """Every string in a survey definition: its content, which is data, not the product's words."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*map(_texts, value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*map(_texts, value)) if value else set()
    return set()


def _translations(locale: str) -> set[str]:
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", encoding="utf-8") as po:
        catalog = read_po(po)
    return {text for message in catalog if message.id
            for text in (message.string if isinstance(message.string, tuple) else (message.string,))}


def _nodes(html: str) -> set[str]:
    parser = _Text()
    parser.feed(html)
    return set(parser.nodes)


@pytest.fixture
def manager(app, api) -> str:
    return add_manager(app, api.org_id, "pengurus@acme.test")


def choose(client, locale: str, next_page: str = "/dashboard/webhooks"):
    token = csrf_token(client.get("/dashboard/webhooks").get_data(as_text=True))
    return client.post("/dashboard/language", data={"csrf_token": token, "locale": locale, "next": next_page})


def test_the_login_page_speaks_the_browsers_language(client, manager):
    page = client.get("/dashboard/login", headers={"Accept-Language": "ms-MY,ms;q=0.9,en;q=0.5"})
    html = page.get_data(as_text=True)
    assert '<html lang="ms">' in html and "Log masuk" in html
    token = csrf_token(html)
    wrong = client.post("/dashboard/login", data={"csrf_token": token, "email": manager, "password": "nope-nope"},
                        headers={"Accept-Language": "zh-CN"})
    assert wrong.status_code == 401 and "邮箱或密码错误" in wrong.get_data(as_text=True)
    empty = client.post("/dashboard/login", data={"csrf_token": token}, headers={"Accept-Language": "id"})
    assert empty.status_code == 422 and "Masukkan email Anda." in empty.get_data(as_text=True)


def test_a_manager_chooses_malay_and_keeps_it(app, client, api, manager):
    sign_in(client, manager, **{"Accept-Language": "en"})
    r = choose(client, "ms", "/dashboard/security")
    assert r.status_code == 302 and r.headers["Location"] == "/dashboard/security"
    html = client.get("/dashboard/security", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ms">' in html and "Log keselamatan" in html
    # Kept per manager: a new session, from a browser that asks for English, still gets Malay.
    client.post("/dashboard/logout", data={"csrf_token": csrf_token(html)})
    other = app.test_client()
    sign_in(other, manager, **{"Accept-Language": "en"})
    assert '<html lang="ms">' in other.get("/dashboard/webhooks").get_data(as_text=True)
    # The browser's language again.
    assert choose(other, "").status_code == 302
    html = other.get("/dashboard/webhooks", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert '<html lang="id">' in html and "Log pengiriman" in html


def test_an_unknown_language_is_refused_and_nothing_kept(client, manager, db):
    sign_in(client, manager)
    r = choose(client, "fr")
    assert r.status_code == 422 and "fr" in r.get_data(as_text=True)
    assert db.execute(db.session.query(User.locale).statement).scalars().all() == [None]


@pytest.fixture
def delivered(app, api, make_survey, run_worker) -> str:
    """A webhook delivery in the log (of a completed interview); return its endpoint's URL."""
    return log_one_delivery(app, api, make_survey()["id"], ANSWERS, run_worker)


@pytest.mark.parametrize("locale", ["ms", "id", "zh"])
def test_no_english_word_of_the_products_own(client, runner, api, manager, delivered, locale):
    """Each dashboard page, in each language, against the same page in English: nothing of the product's own
    stays English (the survey's content is the manager's data, in whatever language they wrote it)."""
    assert runner.invoke(args=["org", "rotate", str(api.org_id), "--widget-key"]).exit_code == 0
    [survey] = api.get("/api/v1/surveys").get_json()["data"]  # the one `delivered` made
    response = api.post(f"/api/v1/surveys/{survey['id']}/responses",
                        json={"external_id": "cust-7", "answers": ANSWERS, "complete": True}).get_json()
    themes = _two_themes_one_addressed(api, survey["id"])
    sign_in(client, manager)
    data = {manager, delivered, "cust-7", "Acme", *_texts(api.get(f"/api/v1/surveys/{survey['id']}").get_json()),
            *WHY_NOT, "Cheaper now"}
    pages = [*(page.url(survey["id"], response["id"]) for page in DASHBOARD_PAGES
               if page.signed_in and "{theme}" not in page.path),
             *(f"/dashboard/themes/{theme_id}" for theme_id in themes)]  # a theme's form, and an addressed one
    for path in pages:
        assert choose(client, "en").status_code == 302
        english = client.get(path).get_data(as_text=True)
        assert choose(client, locale).status_code == 302
        translated = client.get(path).get_data(as_text=True)
        assert f'<html lang="{locale}">' in translated, path
        assert english_left(english, translated, locale, data) == [], path


WHY_NOT = [*PRICE, *FEATURES]  # two themes, in four languages


def _two_themes_one_addressed(api, survey_id: int) -> list[int]:
    """Two themes of the survey's open answers, the first addressed: the theme page's form and its campaign."""
    for why in WHY_NOT:
        r = api.post(f"/api/v1/surveys/{survey_id}/responses", json={"complete": True, "answers": [
            *(a for a in ANSWERS if a["question"] != "come_back"), {"question": "come_back", "value": False},
            {"question": "why_not", "value": why}]})
        assert r.status_code == 201, r.get_json()
    listing = api.get(f"/api/v1/surveys/{survey_id}/themes", query_string={"question": "why_not"}).get_json()
    ids = [theme["id"] for theme in listing["themes"]]
    assert len(ids) >= 2, listing
    assert api.post(f"/api/v1/themes/{ids[0]}/address", json={"message": {"en": "Cheaper now"}}).status_code == 202
    return ids[:2]
