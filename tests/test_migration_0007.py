"""Migration 0007_trial_counts repairs a database that the code before it wrote.

The old state is made by the old code itself, not by writing rows (tests/old_code.py: the last commit
before the fixes, its own migrations up to 0006), inviting through its API and CLI and accepting a save
offer through its widget endpoints. Then this code's migrations run on that database and the API is
read.
"""

from __future__ import annotations

import csv

from surveyhub.extensions import db
from tests.helpers import survey_definition
from tests.old_code import fresh_database_url, migrated_app, run_old_code  # noqa: F401 - fixture

# The last commit before "invited" was counted and accepted offers finished the response.
BEFORE_THE_FIXES = "561da06bb30952c1198eaca0bd4848dbc2ebc132"

OLD_CODE_SCRIPT = r"""
from surveyhub.security import user_hash

csv_path = args[0]
recipients = [{"external_id": f"api{i}", "email": f"api{i}@example.com", "attributes": {"plan": "pro"}}
              for i in range(3)]
r = client.post(f"/api/v1/surveys/{survey['id']}/invitations", json={"channel": "email", "recipients": recipients},
                headers=auth)
assert r.status_code == 202 and len(r.get_json()["queued"]) == 3, r.get_json()
result = runner.invoke(args=["invite", str(survey["id"]), "--channel", "email", "--csv", csv_path])
assert result.exit_code == 0, result.output
root = f"/widget/v1/{made['widget_key']}/surveys/{definition['slug']}"
user = {"id": "u_1", "email": "u1@example.com", "attributes": {"plan": "pro"}}
for visit, decision in [("visit-accepted-000001", True), ("visit-undecided-00002", None)]:
    body = {"visit": visit, "user": user, "userHash": user_hash(made["signing_secret"], user["id"])}
    writes = [("display", {}), ("answers", {"question": "reason", "value": "price"})]
    if decision is not None:
        writes.append(("offer", {"offer": "discount", "accepted": decision}))
    for what, extra in writes:
        r = client.post(f"{root}/{what}", data=json.dumps({**body, **extra}), content_type="text/plain")
        assert r.status_code == 200, r.get_json()
stats = client.get(f"/api/v1/surveys/{survey['id']}/stats", headers=auth).get_json()
print(json.dumps({"survey_id": survey["id"], "api_key": made["api_key"], "stats": stats}))
"""


def test_the_migration_counts_invited_and_finishes_saved_responses(fresh_database_url, tmp_path):  # noqa: F811
    leavers = tmp_path / "leavers.csv"
    with leavers.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["external_id", "email", "plan"])
        writer.writerows([(f"csv{i}", f"csv{i}@example.com", "pro" if i < 2 else "free") for i in range(4)])
    old = run_old_code(BEFORE_THE_FIXES, tmp_path, fresh_database_url, survey_definition(), OLD_CODE_SCRIPT,
                       str(leavers))
    # What the old code showed: no one invited, the saved response not completed.
    assert old["stats"]["channels"]["email"]["invited"] == 0
    assert old["stats"]["channels"]["widget"]["completed"] == 0

    app = migrated_app(fresh_database_url, tmp_path / "instance")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {old['api_key']}"}
    stats_url = f"/api/v1/surveys/{old['survey_id']}/stats"
    stats = client.get(stats_url, headers=auth).get_json()
    assert stats["channels"]["email"]["invited"] == 7
    assert client.get(stats_url + "?attr.plan=pro", headers=auth).get_json()["channels"]["email"]["invited"] == 5
    widget = stats["channels"]["widget"]
    assert (widget["responded"], widget["completed"], widget["completion_rate"]) == (2, 1, 0.5)
    assert client.get(stats_url + "?attr.plan=pro", headers=auth).get_json()["channels"]["widget"]["completed"] == 1
    listed = client.get(f"/api/v1/surveys/{old['survey_id']}/responses", headers=auth).get_json()["data"]
    saved, undecided = sorted(listed, key=lambda r: r["id"])
    assert saved["status"] == "completed" and saved["completed_at"] is not None
    assert saved["metadata"]["offer"] == {"id": "discount", "accepted": True}
    assert undecided["status"] == "partial" and undecided["metadata"]["offer"] == {"id": "discount"}
    assert all("offer" not in r["metadata"]["widget"] for r in listed)
    # The repaired counters are what a recount from the raw rows gives.
    with app.app_context():
        assert app.test_cli_runner().invoke(args=["stats", "rebuild"]).exit_code == 0
        db.engine.dispose()
    assert client.get(stats_url, headers=auth).get_json() == stats
