"""Migration 0017_follow_ups turns the old follow-up marks into follow-ups.

The old state is made by the old code itself (tests/old_code.py, the commit before follow-ups were
stored, its own migrations up to 0016), posting interviews through its API and marking one detractor
done with its own follow-up service. Then this code's migrations run on that database and the follow-ups
API is read.
"""

from __future__ import annotations

from tests.helpers import survey_definition
from tests.old_code import fresh_database_url, migrated_app, run_old_code  # noqa: F401 - fixture

# The last commit whose follow-ups were computed on the fly, with follow_ups_done marks.
BEFORE_FOLLOW_UPS = "3bfc2fda053c5b987f8800ab81b41ecfc70da5d1"

OLD_CODE_SCRIPT = r"""
from surveyhub.extensions import db
from surveyhub.insights import followups
from surveyhub.models import Survey, User

ids = []
for nps in (3, 9, 5):
    r = client.post(f"/api/v1/surveys/{survey['id']}/responses", headers=auth,
                    json={"answers": [{"question": "nps", "value": nps}]})
    assert r.status_code == 201, r.get_json()
    ids.append(r.get_json()["id"])
with app.app_context():
    user = User(org_id=made["org_id"], email="boss@acme.test", password_hash="x")
    db.session.add(user)
    db.session.flush()
    followups.mark_done(db.session.get(Survey, survey["id"]), ids[2], user)
    db.session.commit()
print(json.dumps({"survey_id": survey["id"], "api_key": made["api_key"], "ids": ids}))
"""


def test_detractors_become_follow_ups_and_done_marks_resolved(fresh_database_url, tmp_path):  # noqa: F811
    old = run_old_code(BEFORE_FOLLOW_UPS, tmp_path, fresh_database_url, survey_definition(), OLD_CODE_SCRIPT)
    client = migrated_app(fresh_database_url, tmp_path / "instance").test_client()
    auth = {"Authorization": f"Bearer {old['api_key']}"}
    listed = client.get(f"/api/v1/surveys/{old['survey_id']}/follow-ups?limit=10", headers=auth).get_json()
    detractor, promoter, done = old["ids"]
    found = {f["response_id"]: (f["reason"], f["status"], f["owner"]) for f in listed["data"]}
    assert found == {detractor: ("detractor", "open", None), done: ("detractor", "resolved", "boss@acme.test")}
    assert promoter not in found
