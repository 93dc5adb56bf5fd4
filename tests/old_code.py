"""The migration tests' old state, made by the old code itself rather than by writing rows.

`run_old_code` takes an earlier commit's tree from git and runs it in a subprocess on a fresh database
(its own migrations up to then): `PRELUDE` creates an org and publishes a survey through its CLI and
API, the test's script goes on from there and prints one JSON line last. `migrated_app` then runs this
code's migrations on that database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from surveyhub.extensions import db
from tests.helpers import ON_POSTGRES, TEST_DATABASE_URL, make_app, project_at

# Run by the old code, before the test's script: argv is the database URL, the instance folder, the
# survey definition (JSON), the old tree (checked to be what runs), then the script's own arguments
# (`args`). Leaves `app`, `runner`, `client`, `made` (the org), `auth` and `survey` to the script.
PRELUDE = r"""
import json, sys
from flask_migrate import upgrade
import surveyhub
from surveyhub import create_app

url, instance, definition, tree, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4], sys.argv[5:]
assert surveyhub.__file__.startswith(tree), surveyhub.__file__  # the old tree, not this one
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
"""


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of this run's kind (not the session's migrated one)."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = f"surveyhub_mig_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(sa.make_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def run_old_code(commit: str, tmp_path: Path, database_url: str, definition: dict, script: str,
                 *args: str) -> Any:
    """Run PRELUDE and `script` with the code of `commit` on `database_url`; return its last line's JSON."""
    tree = project_at(commit, tmp_path)
    run = subprocess.run(
        [sys.executable, "-c", PRELUDE + script, database_url, str(tmp_path / "old-instance"), json.dumps(definition),
         str(tree), *args],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(tree)}, cwd=tmp_path, timeout=300,
        check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def migrated_app(database_url: str, instance: Path) -> Flask:
    """This code's app on `database_url`, its migrations run."""
    app = make_app(database_url, instance)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app
