"""Migration 0017_follow_ups turns the old follow-up marks into follow-ups.

The old state is made by the old code itself: the tree of the commit before follow-ups were stored is
taken from git and run in a subprocess on a fresh database (its own migrations up to 0016), posting
interviews through its API and marking one detractor done with its own follow-up service. Then this
code's migrations run on that database and the follow-ups API is read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask_migrate import upgrade

from surveyhub.extensions import db
from tests.helpers import make_app, project_at, survey_definition
from tests.test_migration_0007 import fresh_database_url  # noqa: F401 - fixture

# The last commit whose follow-ups were computed on the fly, with follow_ups_done marks.
BEFORE_FOLLOW_UPS = "3bfc2fda053c5b987f8800ab81b41ecfc70da5d1"

OLD_CODE_SCRIPT = r"""
import json, sys
from flask_migrate import upgrade
import surveyhub
from surveyhub import create_app
from surveyhub.extensions import db
from surveyhub.insights import followups
from surveyhub.models import Survey, User

url, instance, definition = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
assert surveyhub.__file__.startswith(sys.argv[4]), surveyhub.__file__  # the old tree, not this one
app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret",
                  "BASE_URL": "http://surveys.test"})
app.instance_path = instance
with app.app_context():
    upgrade()
runner, client = app.test_cli_runner(), app.test_client()
made = json.loads(runner.invoke(args=["org", "create", "Acme", "--json"]).output)
auth = {"Authorization": "Bearer " + made["api_key"]}
survey = client.post("/api/v1/surveys", json=definition, headers=auth).get_json()
assert client.post(f"/api/v1/surveys/{survey['id']}/publish", headers=auth).status_code == 200
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


@pytest.fixture
def old_tree(tmp_path: Path) -> Path:
    """The project as it was before follow-ups were stored, from git."""
    return project_at(BEFORE_FOLLOW_UPS, tmp_path)


def test_detractors_become_follow_ups_and_done_marks_resolved(old_tree, fresh_database_url, tmp_path):  # noqa: F811
    env = {**os.environ, "PYTHONPATH": str(old_tree)}
    run = subprocess.run(
        [sys.executable, "-c", OLD_CODE_SCRIPT, fresh_database_url, str(tmp_path / "old-instance"),
         json.dumps(survey_definition()), str(old_tree)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    old = json.loads(run.stdout.strip().splitlines()[-1])

    app = make_app(fresh_database_url, tmp_path / "instance")
    with app.app_context():
        upgrade()
        db.engine.dispose()
    client = app.test_client()
    auth = {"Authorization": f"Bearer {old['api_key']}"}
    listed = client.get(f"/api/v1/surveys/{old['survey_id']}/follow-ups?limit=10", headers=auth).get_json()
    detractor, promoter, done = old["ids"]
    found = {f["response_id"]: (f["reason"], f["status"], f["owner"]) for f in listed["data"]}
    assert found == {detractor: ("detractor", "open", None), done: ("detractor", "resolved", "boss@acme.test")}
    assert promoter not in found
