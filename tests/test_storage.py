"""Storage: the schema is the migrations', SQLite is set up for several processes."""

import multiprocessing
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.helpers import ON_POSTGRES


def test_migrations_match_the_models(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_database_settings(db):
    """SQLite runs in WAL with foreign keys and a busy timeout; PostgreSQL stores JSON as JSONB."""
    with db.engine.connect() as conn:
        if ON_POSTGRES:
            kind = conn.execute(sa.text(
                "SELECT data_type FROM information_schema.columns WHERE table_name='answers' AND column_name='value'"
            )).scalar_one()
            assert kind == "jsonb"
        else:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def _submit_many(database_url: str, instance: str, api_key: str, survey_id: int, n: int, queue) -> None:

    from tests.helpers import make_app

    app = make_app(database_url, Path(instance))
    client = app.test_client()
    statuses = []
    for i in range(n):
        body = {"answers": [{"question": "nps", "value": i % 11}]}
        r = client.post(f"/api/v1/surveys/{survey_id}/responses", json=body,
                        headers={"Authorization": f"Bearer {api_key}"})
        statuses.append(r.status_code)
    queue.put(statuses)


def test_concurrent_processes_all_succeed(app, api, make_survey, test_database, tmp_path, row_counts):
    """Four processes writing at once (as gunicorn workers do) all succeed, on SQLite too."""
    survey = make_survey()
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_submit_many, args=(test_database, str(tmp_path / f"i{i}"), api.key,
                                                     survey["id"], 25, queue)) for i in range(4)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert all(status == 201 for statuses in results for status in statuses), results
    assert row_counts()["responses"] == 100
