"""Migration 0021_theme_counters: answers take their survey, and stored themes are counted on first listing.

The old state is made by the old code itself (tests/old_code.py, the commit before theme counters):
interviews with open answers posted through its API and
their themes listed once, which groups them and stores each answer's theme. Then this code's
migrations run on that database and the themes API is read: the same listing, and a new answer counts.
"""

from __future__ import annotations

import json

from tests.old_code import fresh_database_url, migrated_app, run_old_code  # noqa: F401 - fixture
from tests.test_themes import FEATURES, PRICE, themed_survey

# The last commit whose themes were counted from the texts on every listing.
BEFORE_THEME_COUNTERS = "379b3f46063cd60033994ae570bccdf45f7539ee"

OLD_CODE_SCRIPT = r"""
for text in json.loads(args[0]):
    r = client.post(f"/api/v1/surveys/{survey['id']}/responses", headers=auth,
                    json={"answers": [{"question": "reason", "value": "other", "other_text": text},
                                      {"question": "why", "value": text}], "complete": True})
    assert r.status_code == 201, r.get_json()
listings = {q: client.get(f"/api/v1/surveys/{survey['id']}/themes?question={q}", headers=auth).get_json()
            for q in ("why", "reason")}
print(json.dumps({"survey_id": survey["id"], "api_key": made["api_key"], "listings": listings}))
"""


def test_stored_themes_are_counted_after_the_migration(fresh_database_url, tmp_path):  # noqa: F811
    old = run_old_code(BEFORE_THEME_COUNTERS, tmp_path, fresh_database_url, themed_survey(), OLD_CODE_SCRIPT,
                       json.dumps(PRICE + FEATURES))
    assert old["listings"]["why"]["answered"] == 8 and old["listings"]["why"]["themes"]

    client = migrated_app(fresh_database_url, tmp_path / "instance").test_client()
    auth = {"Authorization": f"Bearer {old['api_key']}"}
    survey_id = old["survey_id"]

    def listing(question: str) -> dict:
        r = client.get(f"/api/v1/surveys/{survey_id}/themes?question={question}", headers=auth)
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    assert {q: listing(q) for q in ("why", "reason")} == old["listings"]
    r = client.post(f"/api/v1/surveys/{survey_id}/responses", headers=auth,
                    json={"answers": [{"question": "reason", "value": "price"},
                                      {"question": "why", "value": PRICE[0]}], "complete": True})
    assert r.status_code == 201, r.get_json()
    after = listing("why")
    assert after["answered"] == 9
    assert sum(t["count"] for t in after["themes"]) == sum(t["count"] for t in old["listings"]["why"]["themes"]) + 1
