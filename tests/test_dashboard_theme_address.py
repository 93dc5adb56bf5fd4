"""The dashboard's theme page (dashboard/theme.html): mark a theme addressed, then read its campaign's figures."""
# ruff: noqa: E501 - texts in four languages

from __future__ import annotations

import re
from html import unescape

from tests import test_dashboard_themes, test_themes
from tests.helpers import sign_in
from tests.test_dashboard import _csrf, _manager
from tests.test_theme_campaigns import NOTICE_LINK, answer_by_mail
from tests.test_themes import FEATURES, PRICE

survey = test_themes.survey  # the themed survey (en default, ms/id/zh translations)
answer = test_themes.answer
signed_in = test_dashboard_themes.signed_in  # the test client, signed in through the login form


def theme_link(client, survey_id: int, label: str) -> tuple[str, str]:
    """The link the themes panel shows under the theme labelled `label`: (its href, its text)."""
    html = client.get(f"/dashboard/surveys/{survey_id}").get_data(as_text=True)
    for item in re.findall(r'<li class="theme" data-theme-id="\d+">(.*?)</ul>\s*</li>', html, re.S):
        if unescape(re.search(r'class="theme-label">(.*?)</strong>', item).group(1)) == label:
            found = re.search(r'<a class="theme-(?:address|campaign)" href="([^"]+)">(.*?)</a>', item)
            return found.group(1), unescape(found.group(2))
    raise AssertionError(f"no theme {label!r} in the panel")


def figures(html: str) -> dict[str, int]:
    """The campaign's figures as the theme page shows them, by their data-figure."""
    return {name: int(n) for name, n in re.findall(
        r'<tr data-figure="([\w-]+)"><th>.*?</th><td class="num">(\d+)</td></tr>', html)}


def field_error(html: str, name: str) -> str | None:
    found = re.search(rf'<p class="error" id="error-{name}">(.*?)</p>', html, re.S)
    return unescape(found.group(1)) if found else None


def post(client, path: str, **fields) -> object:
    return client.post(f"{path}/address", data={"csrf_token": _csrf(client, path), **fields})


def test_a_manager_marks_a_theme_addressed_and_reads_its_campaign(
        signed_in, api, survey, answer, invite, smtp, run_worker, delivery_clock, row_counts):
    for text in PRICE + FEATURES:
        answer(survey["id"], text)  # anonymous: nobody to tell
    test_themes.themes(api, survey["id"])  # grouped; Amy's answer joins as it arrives
    answer_by_mail(signed_in, invite, smtp, run_worker, survey["id"], "amy@example.com", "ms", "Harga terlalu mahal sekarang")
    delivery_clock.advance(days=40)  # past the fatigue window of her invitation
    path, text = theme_link(signed_in, survey["id"], "Too expensive")
    assert text == "Mark addressed" and re.fullmatch(r"/dashboard/themes/\d+", path)
    theme_id = int(path.rsplit("/", 1)[1])

    page = signed_in.get(path).get_data(as_text=True)
    # One field per language of the survey, side by side, the default one first and required.
    assert re.findall(r'<textarea id="message-(\w+)"', page) == ["en", "id", "ms", "zh"]
    assert re.search(r'<textarea id="message-en"[^>]*required', page, re.S)
    assert "Harga terlalu mahal sekarang" in page  # what people wrote

    before = row_counts()
    refused = post(signed_in, path, **{"message-en": "  ", "message-ms": "Harga kini lebih rendah"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "English, the survey's default language" in field_error(html, "message-en")
    assert "Harga kini lebih rendah" in html  # what the manager wrote is kept in the form
    refused = post(signed_in, path)  # nothing written at all
    assert refused.status_code == 422 and "default language" in field_error(refused.get_data(as_text=True), "message-en")
    refused = post(signed_in, path, **{"message-en": "Cheaper now", "link": "javascript:alert(1)"})
    assert refused.status_code == 422 and "http://" in field_error(refused.get_data(as_text=True), "link")
    refused = post(signed_in, path, **{"message-en": "Cheaper now", "message-zh": "贵" * 1001})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and field_error(html, "message-zh") == "At most 1000 characters."
    assert field_error(html, "message-en") is None
    expired = signed_in.post(f"{path}/address", data={"message-en": "Cheaper now"})  # no CSRF token
    assert expired.status_code == 400
    assert row_counts() == before  # nothing saved, nobody told

    done = post(signed_in, path, **{"message-en": "We lowered our prices", "message-ms": "Kami telah menurunkan <b>harga</b>",
                                    "link": "https://example.com/pricing"})
    assert done.status_code == 302 and done.headers["Location"] == path
    page = signed_in.get(path).get_data(as_text=True)
    assert "Theme marked addressed" in page and '<form method="post" class="card" id="address"' not in page
    assert figures(page) == {"queued": 1, "sent": 0, "failed": 0, "skipped-no_address": 4, "opened": 0, "clicked": 0}
    assert "Kami telah menurunkan &lt;b&gt;harga&lt;/b&gt;" in page  # the manager's text, escaped

    mails = len(smtp.messages)
    run_worker()
    [notice] = [m for m in smtp.messages[mails:] if m["To"] == "amy@example.com"]
    plain = notice.get_body(("plain",)).get_content()
    assert "Kami telah menurunkan <b>harga</b>" in plain  # in her language (a plain-text mail)
    notice_path = re.search(NOTICE_LINK, plain).group(1)
    assert signed_in.get(notice_path).status_code == 200
    assert signed_in.get(f"{notice_path}/go").status_code == 302
    page = signed_in.get(path).get_data(as_text=True)
    assert figures(page) == {"queued": 0, "sent": 1, "failed": 0, "skipped-no_address": 4, "opened": 1, "clicked": 1}
    counts = api.get(f"/api/v1/themes/{theme_id}/campaign").get_json()  # the same figures as the API's
    assert (counts["queued"], counts["sent"], counts["skipped"], counts["opened"], counts["clicked"]) == (
        0, 1, {"no_address": 4}, 1, 1)

    again = post(signed_in, path, **{"message-en": "Cheaper again"})  # a second form left open elsewhere
    html = again.get_data(as_text=True)
    assert again.status_code == 409 and "already addressed" in html and 'id="campaign"' in html
    assert api.get(f"/api/v1/themes/{theme_id}/campaign").get_json()["message"]["en"] == "We lowered our prices"
    assert len([m for m in smtp.messages if m["To"] == "amy@example.com"]) == len(
        [m for m in smtp.messages[:mails] if m["To"] == "amy@example.com"]) + 1  # told once
    run_worker()
    assert len(smtp.messages) == mails + 1
    href, text = theme_link(signed_in, survey["id"], "Too expensive")
    assert href == path and text.startswith("Addressed on ")


def test_the_theme_page_in_malay(signed_in, api, survey, answer):
    for text in PRICE:
        answer(survey["id"], text)
    theme = next(t for t in test_themes.themes(api, survey["id"])["themes"] if t["label"] == "Too expensive")
    path = f"/dashboard/themes/{theme['id']}"
    token = _csrf(signed_in, path)
    assert signed_in.post("/dashboard/language", data={"csrf_token": token, "locale": "ms", "next": path}).status_code == 302
    refused = post(signed_in, path, **{"message-ms": "Harga turun"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and '<html lang="ms">' in html
    assert "bahasa lalai tinjauan" in field_error(html, "message-en")
    assert post(signed_in, path, **{"message-en": "Cheaper now", "message-ms": "Harga turun"}).status_code == 302
    page = signed_in.get(path).get_data(as_text=True)
    assert "Tidak dihantar: tiada emel atau telefon" in page
    assert figures(page)["skipped-no_address"] == 4


def test_another_orgs_theme_is_404(app, client, api, other_api, survey, answer):
    for text in PRICE:
        answer(survey["id"], text)
    theme = test_themes.themes(api, survey["id"])["themes"][0]
    email = _manager(app, other_api.org_id, "rival@globex.test")
    sign_in(client, email)
    assert client.get(f"/dashboard/themes/{theme['id']}").status_code == 404
    token = _csrf(client, "/dashboard/")
    r = client.post(f"/dashboard/themes/{theme['id']}/address", data={"csrf_token": token, "message-en": "Mine now"})
    assert r.status_code == 404
    assert api.get(f"/api/v1/themes/{theme['id']}/campaign").status_code == 404  # not addressed
